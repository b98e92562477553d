// The simulator end to end on short traces: conservation of requests, determinism under a seed, and each policy's
// basic behaviour on a step load (a quiet phase, a surge, quiet again).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SimFleet } from '../../../src/sim/fleet.js';
import type { PolicyName } from '../../../src/sim/policies.js';
import { PolicyNames } from '../../../src/sim/policies.js';
import { summarize } from '../../../src/sim/report.js';
import type { RunResult } from '../../../src/sim/run.js';
import { runPolicy } from '../../../src/sim/run.js';
import type { SimSetup } from '../../../src/sim/setup.js';
import { generateArrivals } from '../../../src/sim/traffic.js';
import type { Arrivals } from '../../../src/sim/traffic.js';
import { catalog, nodes, server, setupOf } from '../../support/sim.js';

const MIN = 60_000;

// 10 min at 2 req/s, 15 min at 14 req/s, 15 min at 2 req/s; one replica on A100 at the start.
const stepScenario = `${catalog}${nodes(2, 1)}${server('m1')}---
kind: Simulation
spec:
  duration: 40m
  drain: 5m
  seed: 7
  sample: 30s
  startup: {default: 90s}
  traffic:
    - model: m1
      arrivals: {step: [{rate: 2, for: 10m}, {rate: 14, for: 15m}, {rate: 2}]}
      inputTokens: lognormal:512:0.5
      outputTokens: exp:128
`;

interface Observed {
  readonly run: RunResult;
  /** pods by phase and accelerator per sample time */
  readonly timeline: { t: number; spec: number; serving: number; accelerators: string[]; batch: number }[];
}

async function observe(setup: SimSetup, arrivals: Arrivals, policy: PolicyName): Promise<Observed> {
  const timeline: Observed['timeline'] = [];
  const run = await runPolicy(setup, arrivals, policy, {
    onSample: (t: number, fleet: SimFleet) => {
      const d = fleet.deployments[0];
      if (d === undefined) return;
      const serving = d.pods.filter((p) => p.phase === 'ready');
      timeline.push({ t, spec: d.specReplicas, serving: serving.length, accelerators: [...new Set(serving.map((p) => p.template.accelerator))], batch: d.template.maxBatch });
    },
  });
  return { run, timeline };
}

const during = (o: Observed, from: number, to: number) => o.timeline.filter((x) => x.t >= from * MIN && x.t < to * MIN);

describe('simulate: a step load', () => {
  const setup = setupOf(stepScenario);
  const arrivals = generateArrivals(setup.traffic, setup.settings.durationS, setup.settings.seed);

  test('conservation: every request arrived once and finished, was refused, or is still held at the end', async () => {
    for (const policy of ['hpa', 'inferno'] as const) {
      const { run } = await observe(setup, arrivals, policy);
      const log = run.fleet.log;
      let finished = 0, refused = 0, open = 0;
      for (let k = 0; k < arrivals.count; k += 1) {
        const done = !Number.isNaN(log.finished[k] ?? Number.NaN);
        const no = log.rejected[k] === 1;
        assert.ok(!(done && no), `request ${k} both finished and refused`);
        if (done) {
          finished += 1;
          assert.ok((log.finished[k] ?? 0) >= (log.firstToken[k] ?? Infinity), `request ${k} finished before its first token`);
          assert.ok((log.firstToken[k] ?? 0) >= (arrivals.t[k] ?? Infinity), `request ${k} started before it arrived`);
          assert.equal(log.tokens[k], arrivals.outputTokens[k], `request ${k} got all its tokens`);
        } else if (no) refused += 1;
        else open += 1;
      }
      assert.equal(finished + refused + open, arrivals.count);
      assert.equal(open, run.unfinished, `${policy}: the fleet holds exactly the unfinished requests`);
      const s = summarize(run, arrivals);
      assert.equal(s.requests, arrivals.count);
      assert.ok(finished > 0.9 * arrivals.count, `${policy}: most requests finish (${finished}/${arrivals.count})`);
    }
  });

  test('the same seed gives the same numbers; another seed other numbers', async () => {
    const a = summarize((await observe(setup, arrivals, 'inferno')).run, arrivals);
    const b = summarize((await observe(setup, generateArrivals(setup.traffic, setup.settings.durationS, setup.settings.seed), 'inferno')).run, arrivals);
    assert.deepEqual(a, b);
    const other = setupOf(stepScenario, { seed: 8 });
    const otherArrivals = generateArrivals(other.traffic, other.settings.durationS, 8);
    assert.notEqual(otherArrivals.count, arrivals.count);
    const c = summarize((await observe(other, otherArrivals, 'inferno')).run, otherArrivals);
    assert.notDeepEqual(c, a);
  });

  test('hpa scales up during the surge (at most 4 more pods, or double, per 15 s) and down only after 300 s of stabilization', async () => {
    const o = await observe(setup, arrivals, 'hpa');
    const quiet = during(o, 0, 10);
    const surge = during(o, 14, 25);
    assert.ok(quiet.every((x) => x.spec === 1), JSON.stringify(quiet));
    assert.ok(Math.max(...surge.map((x) => x.spec)) >= 3, JSON.stringify(surge.map((x) => x.spec)));
    // the surge ends at 25 min: nothing comes down before 30 min (the window), and it does come down by 40 min
    const atEnd = during(o, 24.5, 25)[0]?.spec ?? 0;
    assert.ok(atEnd >= 3);
    assert.ok(during(o, 25, 30).every((x) => x.spec >= atEnd), JSON.stringify(during(o, 25, 31).map((x) => x.spec)));
    assert.ok((o.timeline.at(-1)?.spec ?? 99) < atEnd);
    assert.ok(o.timeline.every((x) => x.accelerators.every((a) => a === 'A100')), 'hpa never changes the GPU type');
  });

  test('new replicas serve only after the pod start-up delay', async () => {
    const o = await observe(setup, arrivals, 'hpa');
    const firstUp = o.timeline.find((x) => x.spec > 1);
    assert.ok(firstUp !== undefined);
    const readyAt = o.timeline.find((x) => x.serving > 1)?.t ?? Infinity;
    assert.ok(readyAt - firstUp.t >= 90_000 - 30_000, `served ${(readyAt - firstUp.t) / 1000} s after the scale-up (samples every 30 s)`);
  });

  test('keda-queue adds replicas when requests wait, and keeps them through its 300 s window', async () => {
    const o = await observe(setup, arrivals, 'keda-queue');
    assert.ok(Math.max(...during(o, 10, 25).map((x) => x.spec)) >= 2);
    assert.ok(o.timeline.every((x) => x.accelerators.every((a) => a === 'A100')));
  });

  test('inferno follows the surge and moves to the cheaper GPU type; wva keeps the GPU type and batch size', async () => {
    const inferno = await observe(setup, arrivals, 'inferno');
    assert.ok(Math.max(...during(inferno, 14, 25).map((x) => x.spec)) > Math.max(...during(inferno, 0, 10).map((x) => x.spec)));
    assert.ok(inferno.timeline.some((x) => x.accelerators.includes('L4')), 'inferno moves to L4, cheaper per request');
    const wva = await observe(setup, arrivals, 'wva');
    assert.ok(Math.max(...during(wva, 14, 25).map((x) => x.spec)) >= 2);
    assert.ok(wva.timeline.every((x) => x.accelerators.every((a) => a === 'A100') && x.batch === 32));
    assert.ok(summarize(inferno.run, arrivals).cost < summarize(wva.run, arrivals).cost);
  });

  test('static-peak starts sized for the peak minute and never scales', async () => {
    const o = await observe(setup, arrivals, 'static-peak');
    const specs = new Set(o.timeline.map((x) => x.spec));
    assert.equal(specs.size, 1);
    assert.ok([...specs][0]! >= 2, 'the peak needs more than the quiet phase');
    assert.equal(o.run.fleet.deployments[0]?.scaleEvents, 0);
    const s = summarize(o.run, arrivals);
    assert.ok(s.attainment > 0.95, `sized for the peak, it meets the SLO (${s.attainment})`);
  });

  test('every policy runs, and only the scaling ones scale', async () => {
    for (const p of PolicyNames) {
      const s = summarize((await observe(setup, arrivals, p)).run, arrivals);
      assert.equal(s.requests, arrivals.count, p);
      assert.ok(s.cost > 0, p);
      if (p !== 'static-peak') assert.ok(s.scaleEvents > 0, `${p} reacts to the surge`);
    }
  });
});

describe('simulate: GPU capacity', () => {
  // One A100 node (8 GPUs) and no L4: a surge that needs more than 8 replicas.
  const tight = `${catalog}${nodes(1)}${server('m1', { max: 16 })}---
kind: Simulation
spec:
  duration: 20m
  drain: 2m
  sample: 30s
  traffic:
    - model: m1
      arrivals: {step: [{rate: 2, for: 5m}, {rate: 60}]}
      outputTokens: 128
`;

  test('pods beyond the GPUs stay pending and cost nothing; limited inferno plans within the GPUs', async () => {
    const setup = setupOf(tight);
    const arrivals = generateArrivals(setup.traffic, setup.settings.durationS, setup.settings.seed);
    for (const policy of ['hpa', 'inferno'] as const) {
      let maxBound = 0;
      let pending = 0;
      const run = await runPolicy(setup, arrivals, policy, {
        onSample: (_t, fleet) => {
          const pods = fleet.deployments[0]?.pods ?? [];
          maxBound = Math.max(maxBound, pods.filter((p) => p.phase !== 'pending').length);
          pending = Math.max(pending, pods.filter((p) => p.phase === 'pending').length);
        },
      });
      assert.ok(maxBound <= 8, `${policy}: at most 8 pods hold GPUs (${maxBound})`);
      const s = summarize(run, arrivals);
      assert.ok((s.gpuHoursByType['A100'] ?? 0) <= (8 * 20) / 60 + 1e-9, `${policy}: GPU-hours within 8 GPUs × 20 min`);
      if (policy === 'hpa') assert.ok(pending > 0, 'hpa asks for more than fits');
      if (policy === 'inferno') assert.equal(pending, 0, 'limited inferno asks for no more than fits');
    }
  });
});
