// Compact builders of solver inputs for tests.
import type { Accelerator, OptimizerOptions, PerfProfile, Server, ServiceClass, System } from '../../src/domain/types.js';

export const acc = (name: string, cost: number, extra: Partial<Accelerator> = {}): Accelerator => ({ name, type: name, multiplicity: 1, cost, ...extra });

export const profile = (accelerator: string, p: Partial<PerfProfile> & Pick<PerfProfile, 'alpha' | 'beta' | 'maxBatchSize'>): PerfProfile => ({
  accelerator, accCount: 1, atTokens: 0, gamma: 0, delta: 0, ...p,
});

export const server = (name: string, s: Partial<Server> & Pick<Server, 'profiles'>): Server => ({
  name, class: 'Premium', model: 'm', load: { arrivalRate: 60, avgInTokens: 128, avgOutTokens: 256 }, minReplicas: 1, maxBatchSize: 0, keepAccelerator: false, ...s,
});

export const cls = (name: string, priority: number, targets: { model: string; itl?: number; ttft?: number; tps?: number; ttw?: number }[]): ServiceClass => ({
  name, priority, targets: targets.map((t) => ({ model: t.model, itl: t.itl ?? 0, ttft: t.ttft ?? 0, tps: t.tps ?? 0, ttw: t.ttw ?? 0 })),
});

export const options = (o: Partial<OptimizerOptions> = {}): OptimizerOptions => ({
  unlimited: false, saturationPolicy: 'None', delayedBestEffort: false, algorithm: 'greedy', penaltyFactor: 0.1, analyzer: 'v2', ...o,
});

export const system = (s: Partial<System> & Pick<System, 'servers'>): System => ({
  accelerators: [], serviceClasses: [], options: options(), capacity: {}, ...s,
});
