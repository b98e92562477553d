// A simulation scenario's checks (every problem listed, with its field path), the report's pieces (self-contained
// HTML and SVG), and the model-accuracy measurement at a moderate load.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '../../../src/cluster/issues.js';
import { createEngine } from '../../../src/engine/engine.js';
import type { EngineEvent } from '../../../src/engine/engine.js';
import { seededRandom } from '../../../src/engine/random.js';
import { accuracyPoint } from '../../../src/sim/accuracy.js';
import { charts } from '../../../src/sim/charts.js';
import { reportHtml } from '../../../src/sim/html.js';
import { outcomes, summarize } from '../../../src/sim/report.js';
import { runPolicy } from '../../../src/sim/run.js';
import { strategyOf } from '../../../src/sim/scenario.js';
import { simulationSpecOf } from '../../../src/sim/spec.js';
import { generateArrivals } from '../../../src/sim/traffic.js';
import { catalog, nodes, server, setupOf } from '../../support/sim.js';

const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
};

/** A result that should be a problem message, as text (JSON when it is not). */
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

describe('simulation scenario checks', () => {
  test('the Simulation document: unknown fields, bad durations, bad token specs, each with its path', () => {
    const r = simulationSpecOf({
      kind: 'Simulation',
      spec: { duration: '3 hours', router: 'random', traffic: [{ model: 'm', arrivals: { poisson: 3 }, outputTokens: 'exp:0' }], extra: 1 },
    }, { file: 's.yaml' });
    assert.ok(Array.isArray(r));
    const text = r.map((i) => `${i.path}: ${i.message}`).join('\n');
    assert.match(text, /spec\.duration: expected a duration/);
    assert.match(text, /spec\.router/);
    assert.match(text, /spec\.traffic\[0\]\.arrivals: expected one of/);
    assert.match(text, /spec\.traffic\[0\]\.outputTokens: an exponential mean/);
    assert.match(text, /extra/);
  });

  test('cross-references: traffic for a model nobody serves, a Deployment without traffic, a GPU no node has', () => {
    const text = `${catalog}${nodes(1)}${server('m1', { accelerator: 'L4' })}${server('m2')}---
kind: Simulation
spec:
  traffic:
    - {model: m1, arrivals: {constant: 1}}
    - {model: nobody, arrivals: {constant: 1}}
`;
    const found = problems(() => setupOf(text)).join('\n');
    assert.match(found, /no Node of the scenario offers accelerator "L4"/);
    assert.match(found, /spec\.traffic\[1\]\.model: no simulated Deployment serves model "nobody"/);
    assert.match(found, /no traffic for model "m2"/);
  });

  test('a Deployment that is not opted in, or has no accelerator label, is named', () => {
    const base = server('m1');
    const text = `${catalog}${nodes(1)}${base.replace('inferno.llmd.ai/managed: "true"', 'app: x').replace('{inferno.llmd.ai/accelerator: A100}', '{app: x}')}${server('m2').replace('{inferno.llmd.ai/accelerator: A100}', '{app: y}')}---
kind: Simulation
spec: {traffic: [{model: m2, arrivals: {constant: 1}}]}
`;
    const found = problems(() => setupOf(text)).join('\n');
    assert.match(found, /managed.*opted-in Deployments only/);
    assert.match(found, /inferno\.llmd\.ai\/accelerator.*needs the accelerator the pods run on/);
  });

  test('the rollout strategy is read as a Deployment defines it', () => {
    const view = (strategy: unknown) => ({ kind: 'Deployment', metadata: {}, spec: { strategy, template: { spec: { containers: [{ name: 'c' }] } } } }) as unknown as Parameters<typeof strategyOf>[0];
    assert.deepEqual(strategyOf(view(undefined)), { kind: 'RollingUpdate', maxSurge: { percent: 25 }, maxUnavailable: { percent: 25 } });
    assert.deepEqual(strategyOf(view({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: '0%' } })), { kind: 'RollingUpdate', maxSurge: 2, maxUnavailable: { percent: 0 } });
    assert.deepEqual(strategyOf(view({ type: 'Recreate' })), { kind: 'Recreate' });
    assert.match(text(strategyOf(view({ rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }))), /cannot both be 0/);
  });
});

describe('report', () => {
  test('the HTML page and its charts need no network: inline SVG, no scripts, no external references', async () => {
    const setup = setupOf(`${catalog}${nodes(1)}${server('m1')}---
kind: Simulation
spec: {duration: 10m, drain: 1m, traffic: [{model: m1, arrivals: {ramp: {from: 1, to: 6}}, outputTokens: 64}]}
`);
    const arrivals = generateArrivals(setup.traffic, setup.settings.durationS, setup.settings.seed);
    const runs = [await runPolicy(setup, arrivals, 'hpa'), await runPolicy(setup, arrivals, 'inferno')];
    const svgs = charts(setup, arrivals, runs, runs.map((r) => outcomes(r, arrivals)));
    assert.deepEqual(svgs.map((c) => c.name), ['load', 'replicas', 'latency', 'cost']);
    const html = reportHtml(setup, runs.map((r) => summarize(r, arrivals)), svgs, { files: ['s.yaml'], policies: ['hpa', 'inferno'], seed: 1, requests: arrivals.count });
    assert.equal((html.match(/<svg /g) ?? []).length, 4);
    assert.doesNotMatch(html, /<script|<link|@import|url\(/i);
    // the only URL is the SVG namespace
    assert.deepEqual([...new Set(html.match(/https?:\/\/[^"' )]+/g) ?? [])], ['http://www.w3.org/2000/svg']);
    for (const c of svgs) assert.match(c.svg, /^<svg [^>]*viewBox="0 0 \d+ \d+"[^>]*>.*<\/svg>\n$/s);
    assert.match(html, /<td>hpa<\/td><td>Premium \(1000 \/ 40\)<\/td>/);
  });
});

describe('model accuracy', () => {
  test('at utilisation 0.5 the analyzer\'s mean TTFT and ITL are within 10 % of the batching engine\'s', () => {
    const p = accuracyPoint({
      profile: { accelerator: 'A100', accCount: 1, maxBatchSize: 32, atTokens: 512, alpha: 20.58, beta: 0.41, gamma: 164.64, delta: 0.0128125 },
      maxBatch: 64, inputTokens: { kind: 'lognormal', mean: 512, sigma: 0.6 }, outputTokens: { kind: 'exp', mean: 128 },
      utilisation: 0.5, requests: 3000, warmup: 300, seed: 1, noiseSigma: 0.05, maxModelLen: 4096,
    });
    assert.ok(typeof p !== 'string', text(p));
    assert.ok(Math.abs(p.error.ttft) < 0.1, JSON.stringify(p));
    assert.ok(Math.abs(p.error.itl) < 0.1, JSON.stringify(p));
    assert.equal(p.simulated.requests, 3000);
  });
});

describe('engine token events', () => {
  test('"ends" gives each request\'s first and last token at the times "all" gives them, and the same finishes', () => {
    const params = { alpha: 10, beta: 1, gamma: 20, delta: 0.1, maxNumSeqs: 3, maxWaiting: 100, kvCapacityTokens: 100_000, noiseSigma: 0.1 };
    const run = (mode: 'all' | 'ends'): EngineEvent[] => {
      const e = createEngine(params, seededRandom(3), { tokenEvents: mode });
      const out: EngineEvent[] = [];
      for (let i = 0; i < 8; i += 1) out.push(...e.submit(i * 7, { id: i, inputTokens: 50 + i, outputTokens: 1 + i * 3 }));
      for (let t = e.nextEventTime(); t !== undefined; t = e.nextEventTime()) out.push(...e.advance(t));
      return out;
    };
    const all = run('all');
    const ends = run('ends');
    const firstLast = (evs: EngineEvent[]): string[] => {
      const tokens = new Map<number, { first: number; last: number }>();
      for (const e of evs) if (e.kind === 'token') tokens.set(e.id, { first: tokens.get(e.id)?.first ?? e.t, last: e.t });
      return [...tokens.entries()].sort(([a], [b]) => a - b).map(([id, v]) => `${id}:${v.first}:${v.last}`);
    };
    assert.deepEqual(firstLast(ends), firstLast(all));
    assert.deepEqual(ends.filter((e) => e.kind === 'finished'), all.filter((e) => e.kind === 'finished'));
    assert.ok(ends.filter((e) => e.kind === 'token').length <= 16);
    assert.ok(all.filter((e) => e.kind === 'token').length > 60);
  });
});
