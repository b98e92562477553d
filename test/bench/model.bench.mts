// npm run bench:model — the queueing model against the batching engine. For every (model, accelerator) of the
// simulator's sample scenario (samples/simulate/scenario.yaml: its Optimizers' profiles and its traffic's token
// distributions, the batch size the solver would give the scenario's mean output length), one replica at steady
// Poisson load at utilisation 0.3, 0.5, 0.7 and 0.9 of the analyzer's maximum rate: the analyzer's mean TTFT and ITL
// beside the simulated ones and the relative error, one JSON line per point; then the mean absolute percentage
// error over the points at utilisation ≤ 0.7 and over all points, per metric.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseYamlDocuments, scenarioObjects } from '../../src/formats/scenario.js';
import { serverFromOptimizer } from '../../src/cluster/optimizer.js';
import { batchSize } from '../../src/solver/index.js';
import { accuracyPoint } from '../../src/sim/accuracy.js';
import { SimulationKind, simulationSpecOf } from '../../src/sim/spec.js';
import type { SimulationSpec } from '../../src/sim/spec.js';
import { tokenMean } from '../../src/sim/traffic.js';

const file = fileURLToPath(new URL('../../samples/simulate/scenario.yaml', import.meta.url));
const text = readFileSync(file, 'utf8');
const objs = scenarioObjects(text, file);
const doc = parseYamlDocuments(text, file).find((d) => (d.value as { kind?: unknown }).kind === SimulationKind);
const spec = simulationSpecOf(doc?.value, doc?.where ?? {}) as SimulationSpec;
const requests = Number(process.env['BENCH_REQUESTS'] ?? 6000);

const rows: { ttft: number; itl: number; u: number }[] = [];
for (const { o } of objs.optimizers) {
  const traffic = spec.traffic.find((t) => t.model === o.spec.modelID);
  if (traffic === undefined) continue;
  const server = serverFromOptimizer(o, undefined, { arrivalRate: 1, avgInTokens: Math.round(tokenMean(traffic.inputTokens)), avgOutTokens: Math.round(tokenMean(traffic.outputTokens)) });
  for (const profile of server.profiles) {
    const maxBatch = batchSize(server, profile);
    for (const u of [0.3, 0.5, 0.7, 0.9]) {
      const p = accuracyPoint({
        profile, maxBatch, inputTokens: traffic.inputTokens, outputTokens: traffic.outputTokens, utilisation: u,
        requests, warmup: Math.round(requests / 10), seed: spec.seed, noiseSigma: spec.noiseSigma, maxModelLen: spec.maxModelLen,
      });
      if (typeof p === 'string') {
        process.stdout.write(`${JSON.stringify({ bench: 'model', model: o.spec.modelID, accelerator: profile.accelerator, utilisation: u, error: p })}\n`);
        continue;
      }
      const r3 = (x: number): number => Math.round(x * 1000) / 1000;
      process.stdout.write(`${JSON.stringify({
        bench: 'model', model: o.spec.modelID, accelerator: profile.accelerator, maxBatch, utilisation: u, rate: r3(p.rate),
        predictedTtftMs: r3(p.predicted.ttft), simulatedTtftMs: r3(p.simulated.ttft), ttftError: r3(p.error.ttft),
        predictedItlMs: r3(p.predicted.itl), simulatedItlMs: r3(p.simulated.itl), itlError: r3(p.error.itl), requests: p.simulated.requests,
      })}\n`);
      rows.push({ ttft: Math.abs(p.error.ttft), itl: Math.abs(p.error.itl), u });
    }
  }
}
const mape = (xs: { ttft: number; itl: number }[], k: 'ttft' | 'itl'): number => Math.round((1000 * 100 * xs.reduce((a, x) => a + x[k], 0)) / Math.max(xs.length, 1)) / 1000;
const low = rows.filter((r) => r.u <= 0.7);
process.stdout.write(`${JSON.stringify({
  bench: 'model', summary: 'mape', points: rows.length,
  ttftMapePct: mape(rows, 'ttft'), itlMapePct: mape(rows, 'itl'),
  ttftMapePctAtMost07: mape(low, 'ttft'), itlMapePctAtMost07: mape(low, 'itl'),
})}\n`);
