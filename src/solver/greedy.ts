// Limited-capacity greedy (§8.3): higher priority first; within a priority the server that would lose most by
// missing its best choice (largest regret) goes first; a server that does not fit moves on to its next choice.
import type { SaturationPolicy } from '../domain/types.js';
import type { Candidate, ServerCandidates } from './candidates.js';

/** Regret of a server on its last candidate: upstream uses MaxFloat32 so such servers go first. */
const LastChoiceRegret = 3.4028234663852886e38;

export type Available = Map<string, number>;

export interface Assignment {
  readonly entry: ServerCandidates;
  readonly candidate: Candidate;
  readonly replicas: number;
  readonly bestEffort: boolean;
}

interface Entry {
  readonly sc: ServerCandidates;
  cur: number;
  delta: number;
}

const regret = (c: readonly Candidate[], i: number): number => {
  const here = c[i];
  const next = c[i + 1];
  return here !== undefined && next !== undefined ? next.value - here.value : LastChoiceRegret;
};

const valueOf = (e: Entry): number => e.sc.candidates[e.cur]?.value ?? 0;

/** priority ↑, regret ↓, current value ↓, server name ↑ (§9) */
function compareEntries(a: Entry, b: Entry): number {
  const an = a.sc.server.name;
  const bn = b.sc.server.name;
  return a.sc.priority - b.sc.priority || b.delta - a.delta || valueOf(b) - valueOf(a) || (an < bn ? -1 : an > bn ? 1 : 0);
}

export const unitsOf = (c: Candidate, replicas = c.numReplicas): number => replicas * c.unitsPerReplica;

/** Places each entry on its best candidate that fits; returns those that fit nowhere, in entry order. */
function allocate(list: Entry[], available: Available, out: Assignment[]): Entry[] {
  const failed: Entry[] = [];
  const queue = [...list];
  while (queue.length > 0) {
    const e = queue.shift();
    if (e === undefined) break;
    const c = e.sc.candidates[e.cur];
    if (c === undefined) continue;
    const units = unitsOf(c);
    const free = available.get(c.type) ?? 0;
    if (units === 0 || free >= units) {
      if (units > 0) available.set(c.type, free - units);
      out.push({ entry: e.sc, candidate: c, replicas: c.numReplicas, bestEffort: false });
      continue;
    }
    e.cur += 1;
    if (e.cur >= e.sc.candidates.length) {
      failed.push(e);
      continue;
    }
    e.delta = regret(e.sc.candidates, e.cur);
    queue.splice(lowerBound(queue, e), 0, e);
  }
  return failed;
}

function lowerBound(list: readonly Entry[], e: Entry): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = list[mid];
    if (m !== undefined && compareEntries(m, e) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const fitsOne = (c: Candidate, available: Available): boolean => (available.get(c.type) ?? 0) >= c.unitsPerReplica;

/** PriorityExhaustive: each server in turn takes all it can of its first candidate with room. */
function allocateMaximally(list: readonly ServerCandidates[], available: Available, out: Assignment[]): void {
  for (const sc of list) {
    const c = sc.candidates.find((x) => fitsOne(x, available));
    if (c === undefined) continue;
    const free = available.get(c.type) ?? 0;
    const given = Math.min(Math.floor(free / c.unitsPerReplica), c.numReplicas);
    available.set(c.type, free - unitsOf(c, given));
    out.push({ entry: sc, candidate: c, replicas: given, bestEffort: true });
  }
}

/** RoundRobin: servers bind to their first candidate with room, then take one replica each in turn (R4: up to their need). */
function allocateEqually(list: readonly ServerCandidates[], available: Available, out: Assignment[]): void {
  const bound = list.flatMap((sc) => {
    const c = sc.candidates.find((x) => fitsOne(x, available));
    return c === undefined ? [] : [{ sc, c, given: 0 }];
  });
  let active = bound;
  while (active.length > 0) {
    active = active.filter((b) => {
      if (b.given >= b.c.numReplicas || !fitsOne(b.c, available)) return false;
      available.set(b.c.type, (available.get(b.c.type) ?? 0) - b.c.unitsPerReplica);
      b.given += 1;
      return true;
    });
  }
  for (const b of bound) if (b.given > 0) out.push({ entry: b.sc, candidate: b.c, replicas: b.given, bestEffort: true });
}

function groupByPriority<T>(list: readonly T[], priority: (t: T) => number): T[][] {
  const groups: T[][] = [];
  for (const item of list) {
    const last = groups[groups.length - 1];
    const head = last?.[0];
    if (last !== undefined && head !== undefined && priority(head) === priority(item)) last.push(item);
    else groups.push([item]);
  }
  return groups;
}

/** Partial allocations for servers that fit nowhere (the saturation policy). `list` is in priority order. */
export function bestEffort(list: readonly ServerCandidates[], policy: SaturationPolicy, available: Available, out: Assignment[]): void {
  switch (policy) {
    case 'None':
      return;
    case 'PriorityExhaustive':
      allocateMaximally(list, available, out);
      return;
    case 'RoundRobin':
      allocateEqually(list, available, out);
      return;
    case 'PriorityRoundRobin':
      for (const group of groupByPriority(list, (s) => s.priority)) allocateEqually(group, available, out);
      return;
  }
}

export interface GreedyOptions {
  readonly saturationPolicy: SaturationPolicy;
  readonly delayedBestEffort: boolean;
}

export function solveGreedy(servers: readonly ServerCandidates[], available: Available, opts: GreedyOptions): Assignment[] {
  const entries: Entry[] = servers
    .filter((sc) => sc.candidates.length > 0)
    .map((sc) => ({ sc, cur: 0, delta: regret(sc.candidates, 0) }))
    .sort(compareEntries);
  const rank = new Map(entries.map((e, i) => [e.sc, i]));
  const inRankOrder = (failed: Entry[]): ServerCandidates[] =>
    failed.map((e) => e.sc).sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
  const out: Assignment[] = [];
  if (opts.delayedBestEffort) {
    bestEffort(inRankOrder(allocate(entries, available, out)), opts.saturationPolicy, available, out);
  } else {
    for (const group of groupByPriority(entries, (e) => e.sc.priority)) {
      bestEffort(inRankOrder(allocate(group, available, out)), opts.saturationPolicy, available, out);
    }
  }
  return out;
}

/** Unlimited (§8.2): every server takes its best candidate; capacity is not looked at. */
export function solveUnlimited(servers: readonly ServerCandidates[]): Assignment[] {
  return servers.flatMap((sc) => {
    const c = sc.candidates[0];
    return c === undefined ? [] : [{ entry: sc, candidate: c, replicas: c.numReplicas, bestEffort: false }];
  });
}
