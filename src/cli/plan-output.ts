// Renderings of a plan: the JSON document (upstream solution-data.json keys per allocation), YAML, and a table.
import { stringify } from 'yaml';
import type { Coverage, Plan } from '../solver/index.js';
import { coverageOf } from '../solver/index.js';
import { renderTable } from './table.js';

/** Where the time went: the queueing analysis of every candidate, then the allocation itself. */
export interface PlanStats {
  /** (server, accelerator) candidates analysed */
  readonly candidates: number;
  /** birth–death chain solutions behind them */
  readonly chainEvals: number;
  readonly analysisMs: number;
  readonly optimisationMs: number;
  /** exact only */
  readonly milpSolves?: number;
}

export interface SolverInfo {
  readonly mode: 'unlimited' | 'limited';
  readonly algorithm: 'greedy' | 'exact';
  readonly durationMs: number;
  /** exact only: the greedy plan it is compared with */
  readonly greedyCost?: number;
  readonly greedyCoverage?: Coverage;
  readonly gap?: number;
  readonly optimal?: boolean;
  readonly usedGreedy?: boolean;
  /** the time limit cut a MILP short: the plan is the best found, not proven optimal */
  readonly timedOut?: boolean;
  readonly timeLimitSec?: number;
  readonly stats?: PlanStats;
}

const r6 = (v: number): number => Number(v.toPrecision(8));

export function planDocument(plan: Plan, solver: SolverInfo): Record<string, unknown> {
  const allocations: Record<string, unknown> = {};
  for (const a of plan.allocations) {
    allocations[a.server] = {
      accelerator: a.accelerator,
      numReplicas: a.numReplicas,
      maxBatch: a.maxBatch,
      cost: r6(a.cost),
      itlAverage: r6(a.itlAverage),
      ttftAverage: r6(a.ttftAverage),
      rho: r6(a.rho),
      maxRPM: r6(a.maxRPM),
      load: { arrivalRate: a.load.arrivalRate, avgInTokens: a.load.avgInTokens, avgOutTokens: a.load.avgOutTokens },
    };
  }
  const notes: Record<string, unknown> = {};
  for (const a of plan.allocations) {
    if (!a.sloMet || a.bestEffort) {
      notes[a.server] = { bestEffort: a.bestEffort, neededReplicas: a.neededReplicas, unservedRPM: r6(a.unservedRPM) };
    }
  }
  const { stats, greedyCoverage, ...info } = solver;
  const coverage = (c: Coverage): Coverage => ({ ...c, unservedRPM: r6(c.unservedRPM) });
  const msOf = (v: number): number => Math.round(v * 1000) / 1000;
  return {
    allocations,
    unallocated: plan.unallocated.map((u) => u.server),
    totalCost: r6(plan.totalCost),
    coverage: coverage(coverageOf(plan)),
    solver: { ...info, ...(greedyCoverage !== undefined ? { greedyCoverage: coverage(greedyCoverage) } : {}), durationMs: msOf(solver.durationMs) },
    ...(stats !== undefined ? { stats: { ...stats, analysisMs: msOf(stats.analysisMs), optimisationMs: msOf(stats.optimisationMs) } } : {}),
    reasons: Object.fromEntries(plan.unallocated.map((u) => [u.server, u.reasons])),
    partial: notes,
    usage: plan.usage.map((u) => ({ type: u.type, used: u.used, capacity: u.capacity, cost: r6(u.cost) })),
  };
}

export const planJson = (plan: Plan, solver: SolverInfo): string => `${JSON.stringify(planDocument(plan, solver), null, 2)}\n`;
export const planYaml = (plan: Plan, solver: SolverInfo): string => stringify(planDocument(plan, solver));

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const vsSlo = (v: number, slo: number): string => (slo > 0 ? `${ms(v)}/${ms(slo)}` : ms(v));
/** costs are cents per hour throughout (upstream's unit) */
const money = (cents: number): string => (Number.isInteger(cents) ? String(cents) : cents.toFixed(2));

const rpm = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));
const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** "7 of 9 servers in full, 1 partial, 1 not allocated; 176.4 req/min unserved" */
export function coverageText(c: Coverage): string {
  const parts = [`${c.full} of ${plural(c.servers, 'server')} in full`];
  if (c.partial > 0) parts.push(`${c.partial} partial`);
  if (c.unallocated > 0) parts.push(`${c.unallocated} not allocated`);
  return `${parts.join(', ')}${c.unservedRPM > 0 ? `; ${rpm(c.unservedRPM)} req/min unserved` : ''}`;
}

/**
 * The exact solver against greedy: servers served in full first, then unserved demand, then cost: the order the
 * exact solver optimises in, so a plan that costs the same but serves more says so.
 */
function exactText(solver: SolverInfo, exact: Coverage): string {
  const greedyCost = solver.greedyCost ?? 0;
  const g = solver.greedyCoverage;
  const gap = solver.gap ?? 0;
  const cost = gap > 0 ? `saves ${money(gap)} ¢/h` : gap < 0 ? `costs ${money(-gap)} ¢/h more` : 'same cost';
  if (g === undefined) return `greedy ${money(greedyCost)} ¢/h, ${cost}`;
  const more = exact.full - g.full;
  const servers = more === 0 ? 'as many in full' : `${Math.abs(more)} ${more > 0 ? 'more' : 'fewer'} in full`;
  const less = Math.round((g.unservedRPM - exact.unservedRPM) * 10) / 10;
  const demand = less === 0 ? 'as much unserved' : `${rpm(Math.abs(less))} req/min ${less > 0 ? 'less' : 'more'} unserved`;
  return `against greedy's ${money(greedyCost)} ¢/h with ${g.full} of ${plural(g.servers, 'server')} in full: ${servers}, ${demand}, ${cost}`;
}

function algorithmText(solver: SolverInfo, served: Coverage): string {
  if (solver.algorithm !== 'exact') return 'greedy';
  const unproven = solver.timedOut === true ? `, not proven optimal: time limit ${solver.timeLimitSec ?? 0} s reached` : ', not proven optimal';
  return `exact (${exactText(solver, served)}${solver.optimal === false ? unproven : ''}${solver.usedGreedy === true ? ', greedy kept' : ''})`;
}

export function planTable(plan: Plan, solver: SolverInfo): string {
  const ordered = [...plan.allocations].sort((a, b) => a.priority - b.priority || (a.server < b.server ? -1 : 1));
  const rows = ordered.map((a) => [
    a.server, a.class, a.model, a.accelerator,
    a.sloMet ? String(a.numReplicas) : `${a.numReplicas}/${a.neededReplicas}`,
    a.maxBatch, money(a.cost), vsSlo(a.itlAverage, a.slo.itl), vsSlo(a.ttftAverage, a.slo.ttft), `${(a.rho * 100).toFixed(0)}%`,
  ]);
  const out: string[] = [];
  out.push(renderTable(['SERVER', 'CLASS', 'MODEL', 'ACCELERATOR', 'REPLICAS', 'BATCH', 'COST ¢/h', 'ITL ms/SLO', 'TTFT ms/SLO', 'UTIL'], rows));
  out.push('');
  const s = solver.stats;
  const time = s !== undefined
    ? `${ms(solver.durationMs)} ms (${s.candidates} candidates analysed in ${ms(s.analysisMs)} ms, optimisation ${ms(s.optimisationMs)} ms)`
    : `${ms(solver.durationMs)} ms`;
  const served = coverageOf(plan);
  out.push(`Total: ${money(plan.totalCost)} ¢/hour · ${coverageText(served)} · ${solver.mode} capacity · ${algorithmText(solver, served)} · ${time}`);
  const partial = plan.allocations.filter((a) => !a.sloMet);
  for (const a of partial) {
    out.push(`  ${a.server}: ${a.numReplicas} of ${a.neededReplicas} replicas needed${a.bestEffort ? ' (best effort)' : ' (maxReplicas)'}; SLO not met${a.unservedRPM > 0 ? `, ${a.unservedRPM.toFixed(1)} req/min cannot be served` : ''}`);
  }
  out.push('');
  out.push(renderTable(['GPU TYPE', 'USED', 'CAPACITY', 'COST ¢/h'], plan.usage.map((u) => [u.type, u.used, u.capacity ?? '-', money(u.cost)])));
  if (plan.unallocated.length > 0) {
    out.push('', 'Not allocated:');
    for (const u of plan.unallocated) {
      out.push(`  ${u.server} (${u.class}, ${u.model}):`);
      for (const r of u.reasons) out.push(`    - ${r}`);
    }
  }
  return `${out.join('\n')}\n`;
}
