// npm run bench:simulate — how fast the simulator runs the bundled default scenario (deploy/base/config.yaml +
// samples/simulate/scenario.yaml: three models, four hours of traffic), one JSON line per policy
// {bench:"simulate", policy, requests, virtualS, wallMs, speedup}, then the total. Cold: each policy in a fresh
// fleet (the scaler's analyzer cache starts empty), in one process.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseYamlDocuments, scenarioObjects } from '../../src/formats/scenario.js';
import { PolicyNames } from '../../src/sim/policies.js';
import { runPolicy } from '../../src/sim/run.js';
import { buildSetup } from '../../src/sim/scenario.js';
import type { SimulationSpec } from '../../src/sim/spec.js';
import { SimulationKind, simulationSpecOf } from '../../src/sim/spec.js';
import { generateArrivals } from '../../src/sim/traffic.js';

const files = ['deploy/base/config.yaml', 'samples/simulate/scenario.yaml'].map((f) => fileURLToPath(new URL(`../../${f}`, import.meta.url)));
const texts = files.map((f) => ({ f, text: readFileSync(f, 'utf8') }));
const parts = texts.map(({ f, text }) => scenarioObjects(text, f));
const doc = texts.flatMap(({ f, text }) => parseYamlDocuments(text, f)).find((d) => (d.value as { kind?: unknown }).kind === SimulationKind);
const spec = simulationSpecOf(doc?.value, doc?.where ?? {}) as SimulationSpec;
const setup = buildSetup({
  optimizers: parts.flatMap((p) => p.optimizers), configMaps: parts.flatMap((p) => p.configMaps), nodes: parts.flatMap((p) => p.nodes),
  deployments: parts.flatMap((p) => p.deployments), simulation: spec, simulationWhere: doc?.where ?? {}, trace: false,
});
const t0 = performance.now();
const arrivals = generateArrivals(setup.traffic, spec.durationS, spec.seed);
process.stdout.write(`${JSON.stringify({ bench: 'simulate', phase: 'traffic', requests: arrivals.count, wallMs: Math.round(performance.now() - t0) })}\n`);
let total = 0;
for (const policy of PolicyNames) {
  const start = performance.now();
  await runPolicy(setup, arrivals, policy);
  const wallMs = performance.now() - start;
  total += wallMs;
  process.stdout.write(`${JSON.stringify({ bench: 'simulate', policy, requests: arrivals.count, virtualS: spec.durationS, wallMs: Math.round(wallMs), speedup: Math.round((spec.durationS * 1000) / wallMs) })}\n`);
}
process.stdout.write(`${JSON.stringify({ bench: 'simulate', summary: 'all policies', policies: PolicyNames.length, wallMs: Math.round(total) })}\n`);
