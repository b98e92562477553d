// npm run bench:solver — one JSON line per result: solver time by size, mode and algorithm (median of runs).
// Sizes: servers × accelerator types. Models are drawn from a fixed set with per-accelerator profiles, as in a
// real cluster (many servers share a model); every server has its own load, so candidates differ per server.
import type { Accelerator, PerfProfile, Server, ServiceClass, System } from '../../src/domain/types.js';
import { createHighsBackend } from '../../src/io/highs.js';
import { prepare, solve, solveExact } from '../../src/solver/index.js';
import { rng } from '../support/assert.js';

function scenario(servers: number, types: number, seed = 42): System {
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

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

function time(runs: number, f: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    out.push(performance.now() - t0);
  }
  return out;
}

const backend = await createHighsBackend({ timeLimitSec: 30 });
const sizes = [[15, 6], [135, 21], [1000, 21]] as const;
for (const [servers, types] of sizes) {
  const sys = scenario(servers, types);
  for (const mode of ['unlimited', 'limited'] as const) {
    const s = { ...sys, options: { ...sys.options, unlimited: mode === 'unlimited' } };
    const runs = servers >= 1000 ? 5 : 11;
    const ms = time(runs, () => solve(s));
    const plan = solve(s);
    console.log(JSON.stringify({ bench: 'solver', servers, acceleratorTypes: types, mode, algorithm: 'greedy', runs, medianMs: Number(median(ms).toFixed(2)), totalCost: plan.totalCost, allocated: plan.allocations.length }));
  }
  if (servers <= 135) {
    let last = { gap: 0, optimal: false, solves: 0 };
    const ms = time(servers >= 135 ? 3 : 7, () => {
      const r = solveExact(prepare(sys), backend);
      last = { gap: r.gap, optimal: r.optimal, solves: r.milpSolves };
    });
    console.log(JSON.stringify({ bench: 'solver', servers, acceleratorTypes: types, mode: 'limited', algorithm: 'exact', runs: ms.length, medianMs: Number(median(ms).toFixed(2)), gapVsGreedy: last.gap, optimal: last.optimal, milpSolves: last.solves }));
  }
}
