// `npm run bench:extender`, as the README shows it: it runs (including its real-scheduler fragmentation run, which
// starts its own control plane) and prints every figure it promises, one JSON line each. Numbers are not judged
// here (benchmarks measure, tests do not time), except the fragmentation figures, which are deterministic for inferno.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from './cluster.js';

void it('npm run bench:extender prints the fragmentation figures and p50/p99 at 100, 1,000 and 5,000 nodes', { timeout: 900_000 }, async () => {
  const { stdout } = await promisify(execFile)('npm', ['run', 'bench:extender'], { cwd: REPO_ROOT, timeout: 900_000, maxBuffer: 16 * 1024 * 1024 });
  const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  type Fit = { eightGpuPodsThatFit: number; eightGpuPodsThatFitMean: number };
  const sim = lines.find((l) => l['bench'] === 'extender-fragmentation' && l['where'] === 'simulation') as { extender: Fit; leastAllocated: Fit } | undefined;
  assert.ok(sim !== undefined, stdout);
  assert.ok(sim.extender.eightGpuPodsThatFit > sim.leastAllocated.eightGpuPodsThatFit, JSON.stringify(sim));
  assert.ok(sim.extender.eightGpuPodsThatFitMean > sim.leastAllocated.eightGpuPodsThatFitMean, JSON.stringify(sim));
  type Pair = { extender: number; defaultScheduler: number };
  const real = lines.find((l) => l['bench'] === 'extender-fragmentation' && String(l['where']).startsWith('e2e')) as { eightGpuPodsThatFit: Pair; eightGpuPodsThatFitMean: Pair; simulated: { eightGpuPodsThatFit: { extender: number } } } | undefined;
  assert.ok(real !== undefined, stdout);
  assert.equal(real.eightGpuPodsThatFit.extender, real.simulated.eightGpuPodsThatFit.extender);
  assert.ok(Number.isFinite(real.eightGpuPodsThatFitMean.defaultScheduler), JSON.stringify(real));
  const latency = lines.filter((l) => l['bench'] === 'extender-latency') as { mode: string; form: string; nodes: number; samples: number; p50Ms: number; p99Ms: number; maxMs: number }[];
  const want = [100, 1000, 5000].flatMap((n) => [`in-process names ${n}`, `https names ${n}`, ...(n <= 1000 ? [`https objects ${n}`] : [])]);
  assert.deepEqual(latency.map((l) => `${l.mode} ${l.form} ${l.nodes}`), want);
  for (const l of latency) assert.ok(l.samples > 0 && l.p50Ms > 0 && l.p50Ms <= l.p99Ms && l.p99Ms <= l.maxMs, JSON.stringify(l));
});
