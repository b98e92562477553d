// Exact limited-capacity solver (beyond upstream; R8): the lexicographic optimum over the whole system. One model
// holds every server's candidates (binary x, at most one per server) and the capacity of every type. Solved in
// stages over that same model: for each priority class from the highest, maximise the servers of that class served
// in full, and fix that optimum as a lower bound for the stages after it; then minimise the total value (cost plus
// switching surcharge, what greedy and unlimited minimise) subject to all of them. A higher class therefore never
// takes GPUs a lower class needed unless serving the higher class requires it. Best effort for the servers still
// unserved follows, in priority order. The MILPs run in a backend (HiGHS); this module writes and reads models.
import type { Candidate, ServerCandidates } from './candidates.js';
import type { Assignment, Available } from './greedy.js';
import { bestEffort, solveGreedy, solveUnlimited, unitsOf } from './greedy.js';
import type { Plan } from './plan.js';
import type { Prepared } from './solve.js';
import { assemble, availableOf } from './solve.js';

export interface MilpSolution {
  /** optimal: proven; feasible: a solution without proof (time limit); none: infeasible or no solution found */
  readonly status: 'optimal' | 'feasible' | 'none';
  readonly values: Readonly<Record<string, number>>;
  /** wall-clock seconds the solve took, as the backend measured it */
  readonly seconds?: number;
}

export interface MilpRequest {
  readonly timeLimitSec?: number;
  /** a feasible solution to start from (column name → value) */
  readonly start?: Readonly<Record<string, number>>;
  /** stop once incumbent and bound are this close: below 1 proves an integral objective optimal */
  readonly absGap?: number;
  /** which stage this is, for backend tuning: count (integral objective) or value */
  readonly stage?: 'count' | 'value';
}

/** Solves a CPLEX-LP-format model (binary variables only). */
export interface MilpBackend {
  solve(lp: string, req?: MilpRequest): MilpSolution;
}

export interface ExactOptions {
  /** total wall-clock budget of all MILP solves, seconds; the best plan found by then is returned, unproven */
  readonly timeLimitSec?: number;
}

export const DefaultExactTimeLimitSec = 5;

export interface ExactResult {
  readonly plan: Plan;
  /** the greedy plan for the same input */
  readonly greedy: Plan;
  /** greedy cost − exact cost (cents/hour) */
  readonly gap: number;
  /** every stage was proven optimal (by a solve, or by a feasible plan meeting the stage's upper bound) */
  readonly optimal: boolean;
  /** the time limit stopped a solve, or left a stage unsolved */
  readonly timedOut: boolean;
  readonly timeLimitSec: number;
  /** no solve improved on greedy's full allocations (they are the plan's, optimal or not) */
  readonly usedGreedy: boolean;
  readonly milpSolves: number;
  /** seconds spent in MILP solves, as the backend reports them */
  readonly milpSeconds: number;
}

interface Column {
  readonly name: string;
  /** index into Model.servers */
  readonly server: number;
  readonly c: Candidate;
  readonly units: number;
}

interface Model {
  readonly servers: readonly ServerCandidates[];
  readonly columns: readonly Column[];
  /** priorities present, highest (smallest number) first */
  readonly priorities: readonly number[];
  readonly available: Available;
  /** per server, its columns */
  readonly byServer: readonly (readonly Column[])[];
}

/** A choice of at most one candidate per server (index into Model.servers). */
type Choice = readonly (Candidate | undefined)[];

const num = (v: number): string => {
  // Plain decimal with enough digits; the LP reader wants no locale and no NaN.
  const s = Number.isInteger(v) ? String(v) : v.toPrecision(15);
  return s.includes('e') ? v.toFixed(12) : s;
};

const term = (coef: number, name: string): string => `${coef < 0 ? '-' : '+'} ${num(Math.abs(coef))} ${name}`;

/**
 * Columns worth a variable: candidates that fit alone, without those another candidate of the same server
 * dominates (ranked no later, so no higher value, and no more units of the same type, or none at all).
 * Dropping a dominated column never loses an optimum: swap it for its dominator.
 */
function buildModel(servers: readonly ServerCandidates[], available: Available): Model {
  const columns: Column[] = [];
  const byServer: Column[][] = [];
  servers.forEach((sc, i) => {
    const kept: Column[] = [];
    sc.candidates.forEach((c, j) => {
      const units = unitsOf(c);
      if (units > (available.get(c.type) ?? 0)) return;
      if (kept.some((k) => k.units <= units && (k.units === 0 || k.c.type === c.type))) return;
      kept.push({ name: `x${i}_${j}`, server: i, c, units });
    });
    byServer.push(kept);
    columns.push(...kept);
  });
  const priorities = [...new Set(servers.map((s) => s.priority))].sort((a, b) => a - b);
  return { servers, columns, priorities, available, byServer };
}

/** count: maximise Σ weight(class)·served(class) over the classes given; value: minimise the total value */
type Objective = { readonly kind: 'count'; readonly weights: ReadonlyMap<number, number> } | { readonly kind: 'value' };

function writeLp(m: Model, objective: Objective, minServed: ReadonlyMap<number, number>): string {
  const inClass = (col: Column, pr: number): boolean => m.servers[col.server]?.priority === pr;
  const lines: string[] = [objective.kind === 'count' ? 'Maximize' : 'Minimize'];
  const obj = objective.kind === 'count'
    ? m.columns.flatMap((col) => {
      const w = objective.weights.get(m.servers[col.server]?.priority ?? -1);
      return w === undefined ? [] : [term(w, col.name)];
    })
    : m.columns.map((col) => term(col.c.value, col.name));
  lines.push(` obj: ${obj.join(' ')}`, 'Subject To');
  m.byServer.forEach((cols, i) => {
    if (cols.length > 1) lines.push(` one${i}: ${cols.map((col) => term(1, col.name)).join(' ')} <= 1`);
  });
  const types = [...new Set(m.columns.map((col) => col.c.type))].sort();
  types.forEach((type, k) => {
    const use = m.columns.filter((col) => col.c.type === type && col.units > 0);
    const total = use.reduce((t, col) => t + col.units, 0);
    // A row that can never bind only slows the solver down.
    if (total > (m.available.get(type) ?? 0)) lines.push(` cap${k}: ${use.map((col) => term(col.units, col.name)).join(' ')} <= ${num(m.available.get(type) ?? 0)}`);
  });
  for (const [pr, min] of minServed) {
    if (min <= 0) continue;
    lines.push(` served${pr}: ${m.columns.filter((col) => inClass(col, pr)).map((col) => term(1, col.name)).join(' ')} >= ${min}`);
  }
  lines.push('Binary', ...m.columns.map((col) => ` ${col.name}`), 'End');
  return lines.join('\n');
}

/** The backend's answer as a choice, if it is one we can use: integral, one per server, within capacity. */
function decode(m: Model, s: MilpSolution): Choice | undefined {
  if (s.status === 'none') return undefined;
  const choice: (Candidate | undefined)[] = m.servers.map(() => undefined);
  for (const col of m.columns) {
    const v = s.values[col.name] ?? 0;
    if (v > 0.5) {
      if (choice[col.server] !== undefined) return undefined;
      choice[col.server] = col.c;
    }
  }
  return fits(m, choice) ? choice : undefined;
}

function fits(m: Model, choice: Choice): boolean {
  const used = new Map<string, number>();
  for (const c of choice) if (c !== undefined) used.set(c.type, (used.get(c.type) ?? 0) + unitsOf(c));
  for (const [type, u] of used) if (u > (m.available.get(type) ?? 0)) return false;
  return true;
}

const servedIn = (m: Model, choice: Choice, pr: number): number =>
  choice.reduce((t, c, i) => t + (c !== undefined && m.servers[i]?.priority === pr ? 1 : 0), 0);

const valueOf = (choice: Choice): number => choice.reduce((t, c) => t + (c?.value ?? 0), 0);

const meets = (m: Model, choice: Choice, minServed: ReadonlyMap<number, number>): boolean =>
  [...minServed].every(([pr, min]) => servedIn(m, choice, pr) >= min);

/** Lexicographic score: servers served in full per priority (higher priority first), then least total value. */
function lexCompare(m: Model, a: Choice, b: Choice): number {
  for (const pr of m.priorities) {
    const d = servedIn(m, a, pr) - servedIn(m, b, pr);
    if (d !== 0) return d;
  }
  const va = valueOf(a);
  const vb = valueOf(b);
  const eps = 1e-9 * Math.max(1, Math.abs(va), Math.abs(vb));
  return va < vb - eps ? 1 : va > vb + eps ? -1 : 0;
}

/**
 * Full (not best-effort) allocations of a greedy run as a choice over the model's columns: a dominated candidate is
 * replaced by its dominator (no more units of the same type, no higher value), so the choice stays feasible, is no
 * worse, and can be handed to the solver as its start.
 */
function choiceOf(m: Model, assignments: readonly Assignment[]): Choice {
  const index = new Map(m.servers.map((sc, i) => [sc, i]));
  const choice: (Candidate | undefined)[] = m.servers.map(() => undefined);
  for (const a of assignments) {
    const i = index.get(a.entry);
    if (i === undefined || a.bestEffort) continue;
    const units = unitsOf(a.candidate);
    const cols = m.byServer[i] ?? [];
    const col = cols.find((k) => k.c === a.candidate) ?? cols.find((k) => k.units <= units && (k.units === 0 || k.c.type === a.candidate.type));
    choice[i] = col?.c ?? a.candidate;
  }
  return choice;
}

interface Staged {
  readonly best: Choice;
  readonly optimal: boolean;
  readonly timedOut: boolean;
  readonly solves: number;
  readonly seconds: number;
}

/** Objective weights stay integers below this, so the weighted count is exact in the solver's arithmetic. */
const MaxCountObjective = 1e6;

/**
 * Classes in chunks whose served counts one MILP maximises lexicographically: weights w_k = Π_{l>k}(n_l + 1) over
 * the chunk (n = servable servers) make one more server of class k worth more than any change in the classes after
 * it (Σ_{l>k} w_l·n_l = w_k − 1). A chunk ends before its largest objective would exceed MaxCountObjective.
 */
function countChunks(priorities: readonly number[], servable: ReadonlyMap<number, number>): Map<number, number>[] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let span = 1; // Π (n + 1) over the current chunk: its largest objective is span − 1
  for (const pr of priorities) {
    const n = servable.get(pr) ?? 0;
    if (n === 0) continue;
    if (current.length > 0 && span * (n + 1) > MaxCountObjective) {
      chunks.push(current);
      current = [];
      span = 1;
    }
    current.push(pr);
    span *= n + 1;
  }
  if (current.length > 0) chunks.push(current);
  return chunks.map((chunk) => {
    const weights = new Map<number, number>();
    let w = 1;
    for (let i = chunk.length - 1; i >= 0; i--) {
      const pr = chunk[i] ?? 0;
      weights.set(pr, w);
      w *= (servable.get(pr) ?? 0) + 1;
    }
    return weights;
  });
}

const startOf = (m: Model, choice: Choice): Record<string, number> => {
  const start: Record<string, number> = {};
  for (const col of m.columns) start[col.name] = choice[col.server] === col.c ? 1 : 0;
  return start;
};

/** The stages over one model, from an incumbent that is a feasible choice (greedy's). */
function solveStages(m: Model, backend: MilpBackend, timeLimitSec: number, incumbent: Choice): Staged {
  let solves = 0;
  let seconds = 0;
  let optimal = true;
  let timedOut = false;
  /** a usable answer, or undefined (no time left, nothing found); anything short of a proven optimum clears `optimal` */
  const run = (lp: string, req: MilpRequest): Choice | undefined => {
    const left = timeLimitSec - seconds;
    if (left <= 0) {
      timedOut = true;
      optimal = false;
      return undefined;
    }
    solves += 1;
    const s = backend.solve(lp, { ...req, timeLimitSec: left });
    seconds += s.seconds ?? 0;
    if (s.status === 'feasible') timedOut = true;
    const found = decode(m, s);
    if (s.status !== 'optimal' || found === undefined) optimal = false;
    return found;
  };
  // The incumbent always satisfies every stage fixed so far.
  let best = incumbent;
  const minServed = new Map<number, number>();
  const improve = (found: Choice | undefined): void => {
    if (found !== undefined && meets(m, found, minServed) && lexCompare(m, found, best) > 0) best = found;
  };
  const servable = new Map(m.priorities.map((pr) => [pr, m.byServer.filter((cols, i) => cols.length > 0 && m.servers[i]?.priority === pr).length]));
  for (const weights of countChunks(m.priorities, servable)) {
    // The incumbent serving every servable server of the chunk's classes proves the chunk without a solve.
    if ([...weights.keys()].some((pr) => servedIn(m, best, pr) < (servable.get(pr) ?? 0))) {
      // The objective is integral: a gap below 1 is a proof.
      improve(run(writeLp(m, { kind: 'count', weights }, minServed), { start: startOf(m, best), absGap: 0.5, stage: 'count' }));
    }
    for (const pr of weights.keys()) minServed.set(pr, servedIn(m, best, pr));
  }
  // Every server with a column on its best one proves the value stage (no value can be lower).
  const allBest = m.byServer.every((cols, i) => cols.length === 0 || best[i] === cols[0]?.c);
  if (!allBest) improve(run(writeLp(m, { kind: 'value' }, minServed), { start: startOf(m, best), stage: 'value' }));
  return { best, optimal, timedOut, solves, seconds };
}

export function solveExact(p: Prepared, backend: MilpBackend, opts: ExactOptions = {}): ExactResult {
  const { options } = p.system;
  const timeLimitSec = opts.timeLimitSec ?? DefaultExactTimeLimitSec;
  const greedyAssignments = options.unlimited ? solveUnlimited(p.servers) : solveGreedy(p.servers, availableOf(p.system), options);
  const greedy = assemble(p, greedyAssignments, 'greedy');
  const done = (plan: Plan, r: Omit<ExactResult, 'plan' | 'greedy' | 'gap' | 'timeLimitSec'>): ExactResult =>
    ({ plan, greedy, gap: greedy.totalCost - plan.totalCost, timeLimitSec, ...r });
  if (options.unlimited) {
    // Without capacity every server independently takes its best candidate: that is already optimal.
    return done(assemble(p, greedyAssignments, 'exact'), { optimal: true, timedOut: false, usedGreedy: false, milpSolves: 0, milpSeconds: 0 });
  }
  const servers = p.servers
    .filter((sc) => sc.candidates.length > 0)
    .sort((a, b) => a.priority - b.priority || (a.server.name < b.server.name ? -1 : a.server.name > b.server.name ? 1 : 0));
  const m = buildModel(servers, availableOf(p.system));
  const greedyChoice = choiceOf(m, greedyAssignments);
  const staged = solveStages(m, backend, timeLimitSec, greedyChoice);
  const { best } = staged;

  const available = availableOf(p.system);
  const assignments: Assignment[] = [];
  best.forEach((c, i) => {
    const sc = m.servers[i];
    if (c === undefined || sc === undefined) return;
    if (unitsOf(c) > 0) available.set(c.type, (available.get(c.type) ?? 0) - unitsOf(c));
    assignments.push({ entry: sc, candidate: c, replicas: c.numReplicas, bestEffort: false });
  });
  // Best effort only after every full allocation: capacity a lower class needs in full is not handed out in parts.
  bestEffort(m.servers.filter((_, i) => best[i] === undefined), options.saturationPolicy, available, assignments);
  // The incumbent starts as greedy's choice and is only ever replaced by a lexicographically better one, so the
  // plan is never worse than greedy's on that score.
  return done(assemble(p, assignments, 'exact'), {
    optimal: staged.optimal, timedOut: staged.timedOut, usedGreedy: best === greedyChoice, milpSolves: staged.solves, milpSeconds: staged.seconds,
  });
}
