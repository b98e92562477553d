// The continuous-batching engine in virtual time: exact timings without noise, batching and queue limits, KV
// accounting, aborts, and throughput at saturation against the per-slot cycle the design comment describes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EngineEvent, EngineParams } from '../../../src/engine/engine.js';
import { checkEngineParams, createEngine } from '../../../src/engine/engine.js';
import { seededRandom } from '../../../src/engine/random.js';
import { runVirtual } from '../../../src/engine/virtual.js';
import { assertClose } from '../../support/assert.js';

const base: EngineParams = { alpha: 10, beta: 1, gamma: 20, delta: 0.1, maxNumSeqs: 2, maxWaiting: 10, kvCapacityTokens: 100_000, noiseSigma: 0 };
const engine = (p: Partial<EngineParams> = {}, seed = 1) => createEngine({ ...base, ...p }, seededRandom(seed));
const drain = (e: ReturnType<typeof engine>, limit = 10_000): EngineEvent[] => {
  const out: EngineEvent[] = [];
  for (let i = 0; i < limit; i += 1) {
    const t = e.nextEventTime();
    if (t === undefined) return out;
    out.push(...e.advance(t));
  }
  throw new Error('engine did not go idle');
};

describe('engine timing without noise', () => {
  test('one request: prefill γ + δ·I·1, then O − 1 decode iterations of α + β·1', () => {
    const e = engine();
    const first = e.submit(0, { id: 7, inputTokens: 100, outputTokens: 5 });
    assert.deepEqual(first, [{ kind: 'scheduled', id: 7, t: 0 }]);
    const events = drain(e);
    const tokens = events.filter((x) => x.kind === 'token').map((x) => x.t);
    assert.deepEqual(tokens, [30, 41, 52, 63, 74]);
    assert.deepEqual(events.at(-1), { kind: 'finished', id: 7, t: 74, reason: 'length', outputTokens: 5 });
    assert.deepEqual(e.state(), { running: 0, waiting: 0, kvTokens: 0, kvUsage: 0 });
    assert.equal(e.nextEventTime(), undefined);
  });

  test('co-batched requests slow prefill and decode; the third waits for a slot', () => {
    const e = engine();
    e.submit(0, { id: 0, inputTokens: 100, outputTokens: 2 });
    e.submit(0, { id: 1, inputTokens: 100, outputTokens: 2 });
    assert.deepEqual(e.state().running, 2);
    // Request 0 is prefilling alone (n = 1) when 1 arrives: 1 is admitted at once (no decode iteration running)
    // with n = 2. The third finds both slots taken.
    e.submit(0, { id: 2, inputTokens: 100, outputTokens: 2 });
    assert.deepEqual({ running: e.state().running, waiting: e.state().waiting }, { running: 2, waiting: 1 });
    const ev = drain(e);
    const firstOf = (id: number) => ev.find((x) => x.kind === 'token' && x.id === id && x.index === 0)?.t;
    assert.equal(firstOf(0), 30); // 20 + 0.1·100·1
    assert.equal(firstOf(1), 40); // 20 + 0.1·100·2
    // Request 0's decode iteration starts at 30 with n = 2: ends at 42; request 1 joins the next one (42 → 54).
    const done = (id: number) => ev.find((x) => x.kind === 'finished' && x.id === id)?.t;
    assert.equal(done(0), 42);
    assert.equal(done(1), 54);
    // Request 2 is admitted at the step boundary 42 (n = 2 with request 1): prefill 40 → first token at 82.
    assert.equal(ev.find((x) => x.kind === 'scheduled' && x.id === 2)?.t, 42);
    assert.equal(firstOf(2), 82);
  });

  test('I = 0 skips prefill: the first token comes at admission', () => {
    const e = engine();
    const ev = e.submit(5, { id: 0, inputTokens: 0, outputTokens: 1 });
    assert.deepEqual(ev, [{ kind: 'scheduled', id: 0, t: 5 }]);
    assert.deepEqual(e.advance(5), [{ kind: 'token', id: 0, t: 5, index: 0 }, { kind: 'finished', id: 0, t: 5, reason: 'length', outputTokens: 1 }]);
  });
});

describe('engine limits', () => {
  test('a full waiting queue rejects, and says why', () => {
    const e = engine({ maxNumSeqs: 1, maxWaiting: 2 });
    for (let id = 0; id < 3; id += 1) e.submit(0, { id, inputTokens: 10, outputTokens: 10 });
    assert.deepEqual(e.submit(0, { id: 3, inputTokens: 10, outputTokens: 10 }), [{ kind: 'rejected', id: 3, t: 0, why: 'queue-full' }]);
    assert.deepEqual({ running: e.state().running, waiting: e.state().waiting }, { running: 1, waiting: 2 });
  });

  test('KV cache: admission waits for room; a request that can never fit is rejected; usage counts held tokens', () => {
    const e = engine({ maxNumSeqs: 4, kvCapacityTokens: 300 });
    e.submit(0, { id: 0, inputTokens: 100, outputTokens: 100 });
    e.submit(0, { id: 1, inputTokens: 100, outputTokens: 50 });
    assert.deepEqual({ running: e.state().running, waiting: e.state().waiting }, { running: 1, waiting: 1 });
    assertClose(e.state().kvUsage, 100 / 300);
    assert.deepEqual(e.submit(0, { id: 2, inputTokens: 200, outputTokens: 101 }), [{ kind: 'rejected', id: 2, t: 0, why: 'too-long' }]);
    const ev = drain(e);
    assert.ok(ev.some((x) => x.kind === 'finished' && x.id === 1 && x.reason === 'length'));
    assert.equal(e.state().kvTokens, 0);
  });

  test('abort removes a request from the queue or the batch, and the slot is reused', () => {
    const e = engine({ maxNumSeqs: 1 });
    e.submit(0, { id: 0, inputTokens: 10, outputTokens: 100 });
    e.submit(0, { id: 1, inputTokens: 10, outputTokens: 3 });
    e.submit(0, { id: 2, inputTokens: 10, outputTokens: 3 });
    assert.deepEqual(e.abort(1, 1), [{ kind: 'finished', id: 1, t: 1, reason: 'abort', outputTokens: 0 }]);
    assert.equal(e.state().waiting, 1);
    const mid = e.abort(100, 0);
    const fin = mid.find((x) => x.kind === 'finished' && x.id === 0);
    assert.ok(fin !== undefined && fin.kind === 'finished' && fin.reason === 'abort' && fin.outputTokens > 1);
    const rest = drain(e);
    assert.ok([...mid, ...rest].some((x) => x.kind === 'finished' && x.id === 2 && x.reason === 'length'));
    assert.deepEqual(e.abort(500, 99), []);
    assert.equal(e.state().kvTokens, 0);
  });

  test('bad parameters and inputs are refused with the field named', () => {
    assert.deepEqual(checkEngineParams({ ...base, maxNumSeqs: 5000, alpha: -1, noiseSigma: Number.NaN }).length, 3);
    assert.match(checkEngineParams({ ...base, maxNumSeqs: 0 }).join(), /maxNumSeqs must be a whole number from 1 to 4096; got 0/);
    assert.throws(() => createEngine({ ...base, alpha: 0, beta: 0 }, seededRandom(1)), /alpha \+ beta must be positive/);
    const e = engine();
    assert.throws(() => e.submit(0, { id: 0, inputTokens: 1, outputTokens: 0 }), /output ≥ 1/);
    assert.throws(() => e.submit(0, { id: 0, inputTokens: 131_072, outputTokens: 1 }), /≤ 131072/);
    e.submit(10, { id: 0, inputTokens: 1, outputTokens: 1 });
    assert.throws(() => e.submit(10, { id: 0, inputTokens: 1, outputTokens: 1 }), /already in the engine/);
    assert.throws(() => e.advance(9), /time went backwards/);
  });
});

describe('engine under load', () => {
  // α, β, γ, δ of the granite-13b A100 profile; I = 512, O = 64, 32 slots.
  const profile = { alpha: 20.58, beta: 0.41, gamma: 164.64, delta: 0.0128125, maxNumSeqs: 32, maxWaiting: 100_000 };
  const I = 512;
  const O = 64;

  test('at saturation, throughput is N slots over the per-slot cycle pre(N) + ½·dec(N) + (O − 1)·dec(N)', () => {
    const N = profile.maxNumSeqs;
    const arrivals = Array.from({ length: 4000 }, () => ({ t: 0, inputTokens: I, outputTokens: O }));
    // A little noise desynchronises the slots (all start together at t = 0); the ½·dec is the mean wait for the
    // next iteration boundary after a prefill ends while others decode.
    const recs = runVirtual(createEngine({ ...base, ...profile, noiseSigma: 0.05 }, seededRandom(1)), arrivals);
    const ends = recs.map((r) => r.finished ?? Number.NaN).sort((a, b) => a - b);
    // Steady state: skip the first and last 10 %.
    const a = ends[400]!;
    const b = ends[3600]!;
    const measured = 3200 / (b - a); // req/ms
    const dec = profile.alpha + profile.beta * N;
    const pre = profile.gamma + profile.delta * I * N;
    assertClose(measured, N / (pre + 0.5 * dec + (O - 1) * dec), 0.01, 'throughput');
  });

  test('noise scatters iteration times around the mean without biasing it; a seed fixes the run', () => {
    const run = (seed: number, sigma: number) => {
      const arrivals = Array.from({ length: 300 }, (_, i) => ({ t: i * 50, inputTokens: I, outputTokens: O }));
      return runVirtual(createEngine({ ...base, ...profile, noiseSigma: sigma }, seededRandom(seed)), arrivals);
    };
    const itl = (recs: ReturnType<typeof run>) => {
      let gaps = 0;
      let time = 0;
      for (const r of recs) { gaps += r.tokens - 1; time += r.lastToken! - r.firstToken!; }
      return time / gaps;
    };
    const exact = itl(run(1, 0));
    const noisy = itl(run(1, 0.2));
    assertClose(noisy, exact, 0.03, 'mean ITL with σ = 0.2');
    assert.deepEqual(run(9, 0.2), run(9, 0.2));
    assert.notDeepEqual(run(9, 0.2), run(10, 0.2));
    const ttfts = run(3, 0.2).map((r) => r.firstToken! - r.arrival);
    assert.ok(new Set(ttfts.map((x) => x.toFixed(6))).size > 250, 'TTFTs vary request by request');
  });
});
