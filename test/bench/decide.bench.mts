// npm run bench:decide — the scaler's pure decision for a whole fleet per tick. One JSON line per fleet size:
// {bench:"decide", deployments, ticks, state, usPerTick, usPerDecision}.
// Each Deployment gets its own load curve (a different phase and amplitude of a daily sine, with bursts), so the
// recommendations, windows and switches differ per Deployment; the memory of the previous tick is passed back as the
// scaler does. state "cold" = the first tick after a restart (empty memory), "warm" = ticks 11+ with a full
// 5-minute window of history (30 s ticks).
import { performance } from 'node:perf_hooks';
import { decide } from '../../src/scaler/decide.js';
import type { DeploymentMemory, Planned, ScalePolicy } from '../../src/scaler/types.js';
import { EmptyMemory } from '../../src/scaler/types.js';

const TICK = 30_000;
const policy: ScalePolicy = { minReplicas: 1, maxReplicas: 32, stabilizationWindowMs: 300_000, penaltyFactor: 0.1, maxSampleAgeMs: 120_000 };
const accs = [{ name: 'A100', price: 180 }, { name: 'H100', price: 250 }, { name: 'L4', price: 60 }];

function planned(i: number, t: number): { rate: number; planned: Planned } {
  const phase = (i * 0.37) % (2 * Math.PI);
  const amp = 50 + (i % 17) * 20;
  const burst = (Math.floor(t / TICK) + i) % 23 === 0 ? 3 : 1;
  const rate = Math.max(0, amp * (1 + Math.sin(t / 3_600_000 + phase)) * burst);
  const acc = accs[(i + Math.floor(t / 1_800_000)) % accs.length] ?? accs[0]!;
  const replicas = Math.max(1, Math.ceil(rate / 60));
  return { rate, planned: { kind: 'allocated', allocation: { accelerator: acc.name, type: acc.name, numReplicas: replicas, maxBatch: 32, cost: acc.price * replicas, itlAverage: 20, ttftAverage: 300 }, unitsPerReplica: 1, freeUnits: 64 } };
}

for (const n of [10, 100, 500, 5000]) {
  const memory: DeploymentMemory[] = Array.from({ length: n }, () => EmptyMemory);
  const spec = Array.from({ length: n }, () => 2);
  const acc = Array.from({ length: n }, (_, i) => accs[i % accs.length]!.name);
  const runTick = (t: number): number => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const p = planned(i, t);
      const a = decide({
        now: t,
        current: { specReplicas: spec[i]!, readyReplicas: spec[i]!, startingReplicas: 0, accelerator: acc[i]!, maxBatch: 32, cost: 180 * spec[i]! },
        observed: { kind: 'known', arrivalRate: p.rate, sampleAgeMs: 15_000 },
        planned: p.planned,
        stay: { replicas: Math.max(1, Math.ceil(p.rate / 50)), cost: 180 * Math.max(1, Math.ceil(p.rate / 50)) },
        policy,
        memory: memory[i]!,
      });
      memory[i] = a.memory;
      spec[i] = a.replicas;
      if (a.template !== undefined) acc[i] = a.template.accelerator;
    }
    return performance.now() - t0;
  };
  const cold = runTick(0);
  let t = TICK;
  for (let k = 1; k <= 10; k++, t += TICK) runTick(t);
  const ticks = 200;
  let total = 0;
  for (let k = 0; k < ticks; k++, t += TICK) total += runTick(t);
  const warm = total / ticks;
  console.log(JSON.stringify({ bench: 'decide', deployments: n, ticks: 1, state: 'cold', usPerTick: Math.round(cold * 1000), usPerDecision: Number(((cold * 1000) / n).toFixed(2)) }));
  console.log(JSON.stringify({ bench: 'decide', deployments: n, ticks, state: 'warm', usPerTick: Math.round(warm * 1000), usPerDecision: Number(((warm * 1000) / n).toFixed(2)) }));
}
