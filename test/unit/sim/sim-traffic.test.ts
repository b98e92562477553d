// Traffic of the simulator: the rate profiles of each arrival process, token distributions, seeded generation and
// trace replay.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../../../src/engine/random.js';
import { profileSeconds, expectedArrivals } from '../../../src/engine/arrivals.js';
import type { ArrivalSpec, TrafficSource } from '../../../src/sim/traffic.js';
import { generateArrivals, parseTokenSpec, rateProfile, sampleTokenSpec, tokenMean, traceArrivals } from '../../../src/sim/traffic.js';

const rateAt = (spec: ArrivalSpec, durationS: number, t: number, seed = 1): number => {
  let start = 0;
  for (const s of rateProfile(spec, durationS, seededRandom(seed))) {
    if (t < start + s.seconds) return s.from + ((s.to - s.from) * (t - start)) / s.seconds;
    start += s.seconds;
  }
  return Number.NaN;
};

/** A result that should be a problem message, as text (JSON when it is not). */
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

describe('arrival processes', () => {
  test('constant, step (the last step fills the rest), ramp: exact rates over the whole duration', () => {
    assert.equal(rateAt({ kind: 'constant', rate: 3 }, 600, 599), 3);
    const step: ArrivalSpec = { kind: 'step', steps: [{ rate: 1, seconds: 60 }, { rate: 5, seconds: 60 }, { rate: 2 }] };
    assert.deepEqual([rateAt(step, 600, 30), rateAt(step, 600, 90), rateAt(step, 600, 500)], [1, 5, 2]);
    assert.equal(profileSeconds(rateProfile(step, 600, seededRandom(1))), 600);
    assert.equal(rateAt({ kind: 'ramp', from: 0, to: 10 }, 100, 50), 5);
  });

  test('diurnal: trough and peak where the cosine puts them, period defaulting to the run, noise around 1', () => {
    const quiet: ArrivalSpec = { kind: 'diurnal', mean: 10, amplitude: 0.5, noise: 0 };
    assert.equal(Math.round(rateAt(quiet, 7200, 0)), 5);
    assert.equal(Math.round(rateAt(quiet, 7200, 3600)), 15);
    const noisy: ArrivalSpec = { kind: 'diurnal', mean: 10, amplitude: 0.5, noise: 0.2 };
    const total = expectedArrivals(rateProfile(noisy, 7200, seededRandom(3)));
    assert.ok(Math.abs(total / (10 * 7200) - 1) < 0.05, `mean-1 noise keeps the volume: ${total}`);
    assert.notEqual(rateAt(noisy, 7200, 1800, 3), rateAt(quiet, 7200, 1800));
  });

  test('bursty: two rates alternating, sojourns with the given means', () => {
    const spec: ArrivalSpec = { kind: 'bursty', low: 1, high: 9, meanLowS: 300, meanHighS: 100 };
    const segs = rateProfile(spec, 200_000, seededRandom(5));
    assert.ok(segs.every((s, i) => s.from === (i % 2 === 0 ? 1 : 9) && s.from === s.to));
    const mean = (odd: number): number => {
      const xs = segs.filter((_, i) => i % 2 === odd && i < segs.length - 1).map((s) => s.seconds);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    assert.ok(Math.abs(mean(0) / 300 - 1) < 0.15, `low sojourn ${mean(0)}`);
    assert.ok(Math.abs(mean(1) / 100 - 1) < 0.15, `high sojourn ${mean(1)}`);
  });
});

describe('token lengths', () => {
  test('lognormal has the given mean; parse errors name the form', () => {
    const d = parseTokenSpec('lognormal:512:0.6', 0);
    assert.ok(typeof d !== 'string');
    const r = seededRandom(9);
    let sum = 0;
    for (let i = 0; i < 20_000; i += 1) sum += sampleTokenSpec(d, r, 0);
    assert.ok(Math.abs(sum / 20_000 / 512 - 1) < 0.03, `${sum / 20_000}`);
    assert.equal(tokenMean(d), 512);
    assert.match(text(parseTokenSpec('lognormal:512', 0)), /sigma/);
    assert.match(text(parseTokenSpec('gauss:5', 1)), /lognormal:MEAN:SIGMA/);
    const h = parseTokenSpec('hist:100=1,300=3', 1);
    assert.ok(typeof h !== 'string');
    assert.equal(tokenMean(h), 250);
  });
});

describe('generated arrivals', () => {
  const sources: TrafficSource[] = [
    { deployment: 0, arrivals: { kind: 'constant', rate: 5 }, inputTokens: { kind: 'fixed', value: 100 }, outputTokens: { kind: 'exp', mean: 50 } },
    { deployment: 1, arrivals: { kind: 'constant', rate: 2 }, inputTokens: { kind: 'fixed', value: 10 }, outputTokens: { kind: 'fixed', value: 20 } },
  ];

  test('sorted, within the duration, at the rates, reproducible under a seed', () => {
    const a = generateArrivals(sources, 600, 4);
    for (let k = 1; k < a.count; k += 1) assert.ok((a.t[k] ?? 0) >= (a.t[k - 1] ?? 0));
    assert.ok((a.t[a.count - 1] ?? Infinity) < 600_000);
    const n0 = a.deployment.filter((d) => d === 0).length;
    assert.ok(Math.abs(n0 / 3000 - 1) < 0.1, `${n0}`);
    assert.deepEqual(generateArrivals(sources, 600, 4), a);
    assert.notEqual(generateArrivals(sources, 600, 5).count, a.count);
  });

  test('one model\'s traffic does not move another\'s arrivals', () => {
    const a = generateArrivals(sources, 600, 4);
    const b = generateArrivals([sources[0]!, { ...sources[1]!, arrivals: { kind: 'constant', rate: 20 } }], 600, 4);
    const times = (x: typeof a, d: number): number[] => [...x.t].filter((_, k) => x.deployment[k] === d);
    assert.deepEqual(times(a, 0), times(b, 0));
  });

  test('a trace maps rows to Deployments by model and names the unknown ones', () => {
    const rows = [{ t: 0, model: 'm1', inputTokens: 5, outputTokens: 6 }, { t: 2, model: 'm2', inputTokens: 7, outputTokens: 8 }, { t: 900, model: 'm1', inputTokens: 1, outputTokens: 1 }];
    const a = traceArrivals(rows, (m) => ({ m1: 0, m2: 1 } as Record<string, number>)[m], 600);
    assert.ok(!Array.isArray(a));
    assert.deepEqual([a.count, [...a.t], [...a.deployment], [...a.outputTokens]], [2, [0, 2000], [0, 1], [6, 8]]);
    assert.deepEqual(traceArrivals(rows, (m) => (m === 'm1' ? 0 : undefined), 600), ['model "m2" of the trace is served by no Deployment of the scenario']);
  });
});
