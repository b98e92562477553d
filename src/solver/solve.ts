// Solve (§8.1): candidates for every server, then one of the allocation algorithms, then the plan.
import type { System } from '../domain/types.js';
import type { AnalyzerCache, CandidateContext, ServerCandidates } from './candidates.js';
import { createAnalyzerCache, remeasure } from './candidates.js';
import type { Assignment, Available } from './greedy.js';
import { solveGreedy, solveUnlimited, unitsOf } from './greedy.js';
import type { Allocation, AllocationChange, Plan, TypeUsage, Unallocated } from './plan.js';
import { evaluateServers } from './servers.js';

export interface Prepared {
  readonly system: System;
  readonly ctx: CandidateContext;
  readonly servers: readonly ServerCandidates[];
}

export function prepare(system: System, cache: AnalyzerCache = createAnalyzerCache()): Prepared {
  const ctx: CandidateContext = { kind: system.options.analyzer, penaltyFactor: system.options.penaltyFactor, cache };
  return { system, ctx, servers: evaluateServers(system, ctx) };
}

export const availableOf = (system: System): Available => new Map(Object.entries(system.capacity));

/** Greedy or unlimited, as the options say (the exact solver is async: see exact.ts). */
export function solve(system: System, cache?: AnalyzerCache): Plan {
  return solvePrepared(prepare(system, cache));
}

export function solvePrepared(p: Prepared): Plan {
  const { options } = p.system;
  if (options.unlimited) return assemble(p, solveUnlimited(p.servers), 'greedy');
  return assemble(p, solveGreedy(p.servers, availableOf(p.system), options), 'greedy');
}

const byName = <T extends { server: string }>(a: T, b: T): number => (a.server < b.server ? -1 : a.server > b.server ? 1 : 0);

function toAllocation(p: Prepared, a: Assignment): Allocation {
  const { entry, candidate: c, replicas } = a;
  const s = entry.server;
  const partial = replicas !== c.numReplicas;
  const profile = s.profiles.find((x) => x.accelerator === c.accelerator);
  const m = partial && profile !== undefined
    ? remeasure(s, profile, c, replicas, p.ctx)
    : { itl: c.itl, ttft: c.ttft, wait: c.wait, rho: c.rho, unservedRPM: 0 };
  const fraction = c.numReplicas > 0 ? replicas / c.numReplicas : 1;
  const slo = entry.target ?? { itl: 0, ttft: 0, tps: 0, ttw: 0 };
  return {
    server: s.name,
    class: s.class,
    model: s.model,
    priority: entry.priority,
    accelerator: c.accelerator,
    type: c.type,
    numReplicas: replicas,
    neededReplicas: c.neededReplicas,
    maxBatch: c.maxBatch,
    cost: c.costPerReplica * replicas,
    value: c.value * fraction,
    itlAverage: m.itl,
    ttftAverage: m.ttft,
    waitAverage: m.wait,
    rho: m.rho,
    maxRPM: c.maxRPM,
    load: s.load,
    slo: { itl: slo.itl, ttft: slo.ttft, tps: slo.tps, ttw: slo.ttw },
    bestEffort: a.bestEffort,
    sloMet: replicas >= c.neededReplicas,
    unservedRPM: m.unservedRPM,
  };
}

function reasonsFor(sc: ServerCandidates): string[] {
  const reasons = sc.rejections.map((r) => (r.accelerator === '*' ? r.reason : `${r.accelerator}: ${r.reason}`));
  const best = sc.candidates[0];
  if (best !== undefined) {
    const others = sc.candidates.length - 1;
    reasons.unshift(`no capacity: the best choice ${best.accelerator}×${best.numReplicas} needs ${unitsOf(best)} ${best.type} units`
      + (others > 0 ? `, and none of the ${others} other candidates fits either` : ''));
  } else if (reasons.length === 0) {
    reasons.push('no candidate');
  }
  return reasons;
}

export function assemble(p: Prepared, assignments: readonly Assignment[], algorithm: 'greedy' | 'exact'): Plan {
  const { system } = p;
  const allocations = assignments.map((a) => toAllocation(p, a)).sort(byName);
  const placed = new Set(allocations.map((a) => a.server));
  const unallocated: Unallocated[] = p.servers
    .filter((sc) => !placed.has(sc.server.name))
    .map((sc) => ({ server: sc.server.name, class: sc.server.class, model: sc.server.model, priority: sc.priority, reasons: reasonsFor(sc), unservedRPM: sc.server.load.arrivalRate }))
    .sort(byName);

  const used = new Map<string, { used: number; cost: number }>();
  for (const a of assignments) {
    const u = used.get(a.candidate.type) ?? { used: 0, cost: 0 };
    u.used += unitsOf(a.candidate, a.replicas);
    u.cost += a.candidate.costPerReplica * a.replicas;
    used.set(a.candidate.type, u);
  }
  const types = [...new Set([...Object.keys(system.capacity), ...used.keys()])].sort();
  const usage: TypeUsage[] = types.map((type) => ({
    type,
    used: used.get(type)?.used ?? 0,
    capacity: system.capacity[type] ?? (system.options.unlimited ? null : 0),
    cost: used.get(type)?.cost ?? 0,
  }));

  const allocated = new Map(allocations.map((a) => [a.server, a]));
  const changes: AllocationChange[] = system.servers
    .map((s) => {
      const next = allocated.get(s.name);
      return {
        server: s.name,
        fromAccelerator: s.current?.accelerator ?? 'none',
        toAccelerator: next?.accelerator ?? 'none',
        fromReplicas: s.current?.numReplicas ?? 0,
        toReplicas: next?.numReplicas ?? 0,
        costDiff: (next?.cost ?? 0) - (s.current?.cost ?? 0),
      };
    })
    .sort(byName);

  return {
    mode: system.options.unlimited ? 'unlimited' : 'limited',
    algorithm,
    allocations,
    unallocated,
    usage,
    totalCost: allocations.reduce((t, a) => t + a.cost, 0),
    changes,
  };
}
