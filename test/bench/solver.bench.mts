// npm run bench:solver — one JSON line per result: solver time by instance, mode and algorithm (median of runs).
//
// Two kinds of instance:
// - "shared-models": servers drawn from 9 models with per-accelerator profiles, each with its own load. Servers that
//   share a model and token mix share their queueing analysis within a plan (cache "within-plan"), so nearly every
//   analysis is a cache hit: the solver's best case.
// - "distinct": every server has its own model, profiles, token mix, load and SLO (test/support/workloads.ts), as a
//   cluster of unrelated Optimizers does; nothing can be shared. Cache "cold": no analysis result is carried between
//   repetitions. Capacity "ample" fits every server's cheapest choice, "tight" forces fallbacks and leaves some
//   servers unserved in full.
// Every timed series follows one untimed run (JIT warm-up). Lines carry wall and CPU medians (CPU: this process's
// user + system time, which is what counts when other work shares the cores; GC and the JIT's background threads are
// included), the chain evaluations and candidates analysed per plan, and the analysis/optimisation split.
import type { Accelerator, PerfProfile, Server, ServiceClass, System } from '../../src/domain/types.js';
import { createHighsBackend } from '../../src/io/highs.js';
import type { Plan } from '../../src/solver/index.js';
import { createAnalyzerCache, prepare, solveExact, solvePrepared } from '../../src/solver/index.js';
import { rng } from '../support/assert.js';
import { distinctSystem } from '../support/workloads.js';

function sharedModels(servers: number, types: number, seed = 42): System {
  const r = rng(seed);
  const base = Array.from({ length: Math.ceil(types / 3) }, (_, i) => `gpu${i}`);
  const accelerators: Accelerator[] = base.flatMap((t, i) => {
    const cost = 5 + ((i * 37) % 70);
    return [1, 2, 4].map((m) => ({ name: m === 1 ? t : `${m}x${t}`, type: t, multiplicity: m, cost: cost * m }));
  }).slice(0, types);
  const models = Array.from({ length: 9 }, (_, i) => `model${i}`);
  const profiles = new Map<string, PerfProfile[]>(models.map((m, mi) => [m, accelerators.map((a, ai) => {
    const alpha = 6 + ((mi * 7 + ai * 3) % 30) / (a.multiplicity * 0.7);
    return { accelerator: a.name, accCount: 1 + (mi % 3 === 2 ? 1 : 0), maxBatchSize: 8 + ((mi * 13 + ai * 5) % 64), atTokens: 512, alpha, beta: alpha * 0.02, gamma: alpha * 8, delta: alpha / 3200 };
  })]));
  const classes: ServiceClass[] = ['Premium', 'Bronze', 'Free'].map((name, i) => ({
    name, priority: i + 1, targets: models.map((model) => ({ model, itl: 80 * 2 ** i, ttft: 1000 * 2 ** i, tps: 0, ttw: 0 })),
  }));
  const mixes = [[128, 1024], [512, 256], [2048, 128]] as const;
  const list: Server[] = Array.from({ length: servers }, (_, i) => {
    const model = models[i % models.length] ?? 'model0';
    const [inTok, outTok] = mixes[i % mixes.length] ?? [128, 128];
    return {
      name: `server-${String(i).padStart(4, '0')}`, class: classes[i % 3]?.name ?? 'Free', model,
      load: { arrivalRate: Math.round(10 + r() * 500), avgInTokens: inTok, avgOutTokens: outTok },
      minReplicas: 1, maxBatchSize: 0, keepAccelerator: false, profiles: profiles.get(model) ?? [],
    };
  });
  const capacity = Object.fromEntries(base.map((t) => [t, Math.round(servers * 1.2)]));
  return { accelerators, serviceClasses: classes, servers: list, capacity, options: { unlimited: false, saturationPolicy: 'RoundRobin', delayedBestEffort: false, algorithm: 'greedy', penaltyFactor: 0.1, analyzer: 'v2' } };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const round = (v: number): number => Number(v.toFixed(2));

interface Run {
  readonly totalMs: number;
  /** this process's CPU time (user + system): what the plan costs on a core of its own when the machine is shared */
  readonly cpuMs: number;
  readonly analysisMs: number;
  readonly optimisationMs: number;
  readonly chainEvals: number;
  readonly candidates: number;
  readonly plan: Plan;
  readonly exact?: { readonly optimal: boolean; readonly timedOut: boolean; readonly milpSolves: number; readonly gap: number };
}

const backend = await createHighsBackend();
const ExactTimeLimitSec = 20;

/** One plan from scratch: a fresh analyzer cache, analysis, then the allocation. */
function plan(sys: System, algorithm: 'greedy' | 'exact'): Run {
  const cache = createAnalyzerCache();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const p = prepare(sys, cache);
  const t1 = performance.now();
  const r = algorithm === 'exact' ? solveExact(p, backend, { timeLimitSec: ExactTimeLimitSec }) : undefined;
  const result = r?.plan ?? solvePrepared(p);
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  return {
    totalMs: t2 - t0, cpuMs: (cpu.user + cpu.system) / 1000, analysisMs: t1 - t0, optimisationMs: t2 - t1, chainEvals: cache.stats.chainEvals, candidates: cache.stats.candidates, plan: result,
    ...(r !== undefined ? { exact: { optimal: r.optimal, timedOut: r.timedOut, milpSolves: r.milpSolves, gap: r.gap } } : {}),
  };
}

function series(runs: number, f: () => Run): Run[] {
  f(); // warm-up, untimed
  return Array.from({ length: runs }, f);
}

function report(fields: Record<string, unknown>, runs: readonly Run[]): void {
  const last = runs[runs.length - 1];
  if (last === undefined) return;
  const full = last.plan.allocations.filter((a) => !a.bestEffort).length;
  console.log(JSON.stringify({
    bench: 'solver', ...fields, runs: runs.length,
    medianMs: round(median(runs.map((r) => r.totalMs))),
    cpuMedianMs: round(median(runs.map((r) => r.cpuMs))),
    analysisMedianMs: round(median(runs.map((r) => r.analysisMs))),
    optimisationMedianMs: round(median(runs.map((r) => r.optimisationMs))),
    chainEvals: last.chainEvals, candidates: last.candidates,
    totalCost: last.plan.totalCost, servedInFull: full, bestEffort: last.plan.allocations.length - full, unallocated: last.plan.unallocated.length,
    ...(last.exact !== undefined ? { optimal: last.exact.optimal, timedOut: last.exact.timedOut, milpSolves: last.exact.milpSolves, gapVsGreedy: last.exact.gap } : {}),
  }));
}

for (const [servers, types] of [[15, 6], [135, 21], [1000, 21]] as const) {
  const sys = sharedModels(servers, types);
  for (const mode of ['unlimited', 'limited'] as const) {
    const s = { ...sys, options: { ...sys.options, unlimited: mode === 'unlimited' } };
    report({ instance: `shared-models-${servers}x${types}`, cache: 'within-plan', mode, algorithm: 'greedy' }, series(servers >= 1000 ? 5 : 11, () => plan(s, 'greedy')));
  }
  if (servers <= 135) report({ instance: `shared-models-${servers}x${types}`, cache: 'within-plan', mode: 'limited', algorithm: 'exact' }, series(servers >= 135 ? 3 : 7, () => plan(sys, 'exact')));
}

for (const [servers, types] of [[135, 21], [1000, 21]] as const) {
  for (const capacity of ['ample', 'tight'] as const) {
    const sys = distinctSystem(servers, types, { capacity });
    const instance = `distinct-${servers}x${types}-${capacity}`;
    report({ instance, cache: 'cold', mode: 'limited', algorithm: 'greedy' }, series(servers >= 1000 ? 5 : 9, () => plan(sys, 'greedy')));
    report({ instance, cache: 'cold', mode: 'limited', algorithm: 'exact', timeLimitSec: ExactTimeLimitSec }, series(servers >= 1000 ? 3 : 5, () => plan(sys, 'exact')));
  }
}
