// Generated systems where every server is its own workload: its own model (so its own profile on every
// accelerator), token mix, load and SLO. Nothing is shared, so no analysis result can be reused between servers
// (what a real cluster of distinct Optimizers looks like). Numbers follow upstream's sample data (§12.1): the
// 21-accelerator catalog with its costs, α per accelerator scaled by model size, β/α from 0.015 (13B) to 0.3 (70B),
// γ ≈ 8α, δ ≈ β/32, atTokens 512.
import type { Accelerator, ModelTarget, PerfProfile, Server, System } from '../../src/domain/types.js';
import { rng } from './assert.js';

/** name, type, multiplicity, cost ¢/h, memory GB per unit, α of a 13B model on one unit (ms) */
const catalog: readonly (readonly [string, string, number, number, number, number])[] = [
  ['L4', 'L4', 1, 6, 24, 45], ['L40S', 'L40S', 1, 32, 48, 28], ['A100', 'A100', 1, 40, 80, 20.6], ['H100', 'H100', 1, 75, 80, 12.3],
  ['AIU2', 'AIU2', 1, 3.75, 128, 60], ['G2', 'G2', 1, 23, 96, 17.2], ['MI210', 'MI210', 1, 26, 64, 30], ['MI250', 'MI250', 1, 46, 128, 18],
  ['MI300X', 'MI300X', 1, 65, 192, 7.8],
  ['2xA100', 'A100', 2, 80, 80, 20.6], ['2xH100', 'H100', 2, 150, 80, 12.3], ['2xAIU2', 'AIU2', 2, 7.5, 128, 60], ['2xG2', 'G2', 2, 46, 96, 17.2],
  ['2xMI210', 'MI210', 2, 52, 64, 30], ['2xMI250', 'MI250', 2, 92, 128, 18], ['2xMI300X', 'MI300X', 2, 130, 192, 7.8],
  ['4xA100', 'A100', 4, 160, 80, 20.6], ['4xAIU2', 'AIU2', 4, 15, 128, 60], ['4xG2', 'G2', 4, 92, 96, 17.2], ['4xMI210', 'MI210', 4, 104, 64, 30],
  ['4xMI250', 'MI250', 4, 184, 128, 18],
];

export interface DistinctOptions {
  readonly seed?: number;
  /** capacity per type: 'ample' fits every server's cheapest choice; 'tight' forces fallbacks and leaves some unserved */
  readonly capacity?: 'ample' | 'tight';
  readonly classes?: number;
}

export function distinctSystem(servers: number, types: number, opts: DistinctOptions = {}): System {
  const r = rng(opts.seed ?? 7);
  const between = (lo: number, hi: number): number => lo + r() * (hi - lo);
  const logBetween = (lo: number, hi: number): number => Math.exp(between(Math.log(lo), Math.log(hi)));
  const rows = catalog.slice(0, Math.max(1, Math.min(types, catalog.length)));
  const accelerators: Accelerator[] = rows.map(([name, type, multiplicity, cost]) => ({ name, type, multiplicity, cost }));
  const classCount = Math.max(1, Math.min(opts.classes ?? 3, 3));
  const classNames = ['Premium', 'Bronze', 'Free'].slice(0, classCount);
  const classes = classNames.map((name, i) => ({ name, priority: i + 1, targets: [] as ModelTarget[] }));
  const list: Server[] = [];
  for (let i = 0; i < servers; i++) {
    const size = logBetween(0.5, 5); // model size relative to a 13B model
    const betaShare = 0.015 + (0.285 * (size - 0.5)) / 4.5;
    const inTokens = Math.round(logBetween(32, 4096));
    const outTokens = Math.round(logBetween(32, 2048));
    const profiles: PerfProfile[] = rows.map(([name, , multiplicity, , mem, alpha13b]) => {
      const alpha = alpha13b * size * between(0.8, 1.25) * (multiplicity === 1 ? 1 : multiplicity === 2 ? 0.62 : 0.42);
      const beta = alpha * betaShare * between(0.8, 1.25);
      const accCount = size * 26 > mem * multiplicity ? 2 : 1;
      const maxBatchSize = Math.max(2, Math.round(((mem * multiplicity * accCount) / (size * 26)) * between(5, 20)));
      return { accelerator: name, accCount, maxBatchSize, atTokens: 512, alpha, beta, gamma: alpha * between(6, 10), delta: (beta / 32) * between(0.8, 1.25) };
    });
    const bestItl = Math.min(...profiles.map((p) => p.alpha + p.beta));
    const bestTtft = Math.min(...profiles.map((p) => p.gamma + p.delta * inTokens));
    const model = `model-${String(i).padStart(4, '0')}`;
    const c = i % classCount;
    const scale = 2 ** c;
    classes[c]?.targets.push({ model, itl: bestItl * between(1.6, 3) * scale, ttft: Math.max(bestTtft * between(2, 5), 200) * scale, tps: 0, ttw: 0 });
    list.push({
      name: `server-${String(i).padStart(4, '0')}`, class: classNames[c] ?? 'Premium', model,
      load: { arrivalRate: Math.round(logBetween(6, 600)), avgInTokens: inTokens, avgOutTokens: outTokens },
      minReplicas: 1, maxBatchSize: 0, keepAccelerator: false, profiles,
    });
  }
  const typeNames = [...new Set(accelerators.map((a) => a.type))].sort();
  const perType = (opts.capacity ?? 'ample') === 'ample' ? servers * 40 : Math.max(4, Math.round(servers * 2));
  const capacity = Object.fromEntries(typeNames.map((t) => [t, perType]));
  return {
    accelerators, serviceClasses: classes, servers: list, capacity,
    options: { unlimited: false, saturationPolicy: 'RoundRobin', delayedBestEffort: false, algorithm: 'greedy', penaltyFactor: 0.1, analyzer: 'v2' },
  };
}
