// Arrival processes, token-length distributions and traces of the load generator.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../../../src/engine/random.js';
import type { RateSegment } from '../../../src/engine/arrivals.js';
import { arrivalTimes, expectedArrivals, parseRate, parseSeconds, profileSeconds } from '../../../src/engine/arrivals.js';
import { Samples, loadStats, percentiles } from '../../../src/loadgen/samples.js';
import { parseTokens, parseTrace, sampleTokens } from '../../../src/engine/tokens.js';
import { assertClose } from '../../support/assert.js';

/** A parse result as text, for matching its message. */
const text = (r: unknown): string => (typeof r === 'string' ? r : JSON.stringify(r));

const segs = (spec: string, d?: number): RateSegment[] => {
  const r = parseRate(spec, d);
  assert.ok(typeof r !== 'string', text(r));
  return r;
};

describe('rate profiles', () => {
  test('constant, ramp and step specs', () => {
    assert.deepEqual(segs('5', 10), [{ seconds: 10, from: 5, to: 5 }]);
    assert.deepEqual(segs('ramp:1:9', 20), [{ seconds: 20, from: 1, to: 9 }]);
    assert.deepEqual(segs('step:2@10s,5@1m'), [{ seconds: 10, from: 2, to: 2 }, { seconds: 60, from: 5, to: 5 }]);
    assert.deepEqual(segs('step:2@10s,5', 30), [{ seconds: 10, from: 2, to: 2 }, { seconds: 20, from: 5, to: 5 }]);
    assert.deepEqual(segs('step:2@10s,5@10s', 15), [{ seconds: 10, from: 2, to: 2 }, { seconds: 5, from: 5, to: 5 }]);
    assert.deepEqual(segs('step:2@10s', 15), [{ seconds: 10, from: 2, to: 2 }, { seconds: 5, from: 2, to: 2 }]);
    assert.equal(profileSeconds(segs('step:2@10s,5@1m')), 70);
    assert.equal(expectedArrivals(segs('ramp:0:10', 10)), 50);
  });

  test('bad specs say what is wrong', () => {
    assert.match(text(parseRate('fast', 10)), /the rate must be a rate from 0 to 100000 req\/s; got "fast"/);
    assert.match(text(parseRate('5', undefined)), /needs --duration/);
    assert.match(text(parseRate('ramp:1', 10)), /ramp:FROM:TO/);
    assert.match(text(parseRate('ramp:1:-2', 10)), /ramp end/);
    assert.match(text(parseRate('step:1,2@5s', 10)), /step 1 needs a duration/);
    assert.match(text(parseRate('step:1@0s', 10)), /duration must be positive/);
    assert.match(text(parseRate('1e9', 10)), /from 0 to 100000/);
  });

  test('durations', () => {
    assert.equal(parseSeconds('30'), 30);
    assert.equal(parseSeconds('2m'), 120);
    assert.equal(parseSeconds('500ms'), 0.5);
    assert.equal(parseSeconds('1h'), 3600);
    assert.ok(Number.isNaN(parseSeconds('soon')));
    assert.ok(Number.isNaN(parseSeconds('-1s')));
  });
});

describe('arrival times', () => {
  test('constant spacing: exactly rate × duration arrivals, evenly spaced, from t = 0', () => {
    const t = [...arrivalTimes(segs('4', 2), 'constant', seededRandom(1))];
    assert.equal(t.length, 8);
    t.forEach((x, i) => { assertClose(x, i * 0.25, 1e-12, `arrival ${i}`, 1e-12); });
  });

  test('Poisson: the count matches Λ and gaps are exponential (mean and coefficient of variation ≈ 1)', () => {
    const t = [...arrivalTimes(segs('50', 400), 'poisson', seededRandom(3))];
    assertClose(t.length, 20_000, 0.03, 'count');
    const gaps = t.slice(1).map((x, i) => x - t[i]!);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    assertClose(mean, 0.02, 0.03, 'mean gap');
    assertClose(sd / mean, 1, 0.05, 'coefficient of variation');
    assert.deepEqual([...arrivalTimes(segs('5', 10), 'poisson', seededRandom(3))], [...arrivalTimes(segs('5', 10), 'poisson', seededRandom(3))]);
  });

  test('a ramp follows its rate: arrivals per second grow linearly; falling ramps and zero rates work', () => {
    const t = [...arrivalTimes(segs('ramp:0:100', 10), 'constant', seededRandom(1))];
    assert.equal(t.length, 500);
    const perSecond = Array.from({ length: 10 }, (_, s) => t.filter((x) => x >= s && x < s + 1).length);
    perSecond.forEach((n, s) => { assert.ok(Math.abs(n - (10 * s + 5)) <= 1, `second ${s}: ${n}`); });
    const down = [...arrivalTimes(segs('ramp:100:0', 10), 'constant', seededRandom(1))];
    assert.equal(down.length, 500);
    assert.ok(down.every((x, i) => i === 0 || x > down[i - 1]!));
    assert.deepEqual([...arrivalTimes(segs('0', 10), 'poisson', seededRandom(1))], []);
  });

  test('steps switch rates at their boundaries', () => {
    const t = [...arrivalTimes(segs('step:10@2s,0@2s,20@1s'), 'constant', seededRandom(1))];
    assert.equal(t.filter((x) => x < 2).length, 20);
    assert.equal(t.filter((x) => x >= 2 && x < 4).length, 0);
    assert.equal(t.filter((x) => x >= 4).length, 20);
  });
});

describe('token lengths', () => {
  test('fixed, exponential and histogram specs; samples stay in bounds', () => {
    const r = seededRandom(5);
    assert.deepEqual(parseTokens('256', 1), { kind: 'fixed', value: 256 });
    assert.deepEqual(parseTokens('fixed:0', 0), { kind: 'fixed', value: 0 });
    const exp = parseTokens('exp:100', 1);
    assert.ok(typeof exp !== 'string');
    const xs = Array.from({ length: 20_000 }, () => sampleTokens(exp, r, 1));
    assertClose(xs.reduce((a, b) => a + b, 0) / xs.length, 100, 0.03, 'exponential mean');
    assert.ok(xs.every((x) => Number.isInteger(x) && x >= 1));
    const h = parseTokens('hist:10=1,100=3', 1);
    assert.ok(typeof h !== 'string');
    const hs = Array.from({ length: 20_000 }, () => sampleTokens(h, r, 1));
    assertClose(hs.filter((x) => x === 100).length / hs.length, 0.75, 0.03, 'histogram weight');
    assert.ok(hs.every((x) => x === 10 || x === 100));
  });

  test('bad token specs', () => {
    assert.match(text(parseTokens('0', 1)), /from 1 to 131072/);
    assert.match(text(parseTokens('200000', 0)), /from 0 to 131072/);
    assert.match(text(parseTokens('exp:0', 1)), /exponential mean/);
    assert.match(text(parseTokens('hist:10', 1)), /needs a weight/);
    assert.match(text(parseTokens('hist:10=0', 1)), /not all be zero/);
    assert.match(text(parseTokens('hist:x=1', 1)), /histogram value "x"/);
  });
});

describe('traces', () => {
  test('a header, comments, relative or absolute timestamps', () => {
    const rows = parseTrace('timestamp,model,input_tokens,output_tokens\n# warm-up\n1700000000.5,m,10,5\n1700000001,,20,1\n\n1700000003.5,other,0,7\n');
    assert.deepEqual(rows, [
      { t: 0, model: 'm', inputTokens: 10, outputTokens: 5 },
      { t: 0.5, model: '', inputTokens: 20, outputTokens: 1 },
      { t: 3, model: 'other', inputTokens: 0, outputTokens: 7 },
    ]);
  });

  test('problems are listed with line numbers', () => {
    const p = parseTrace('0,m,1,1\n2,m,1\n1,m,1,1\n0.5,m,1,1\n3,m,x,0\n');
    assert.deepEqual(p, [
      'line 2: expected 4 fields (timestamp,model,input_tokens,output_tokens); got 3',
      'line 4: timestamp 0.5 is earlier than the line before',
      'line 5: input_tokens "x" must be a whole number from 0 to 131072',
      'line 5: output_tokens "0" must be a whole number from 1 to 131072',
    ]);
    assert.deepEqual(parseTrace('ts,model,in,out\n'), ['the trace has no requests']);
  });
});

describe('statistics', () => {
  test('nearest-rank percentiles; empty sets are NaN, never 0', () => {
    const p = percentiles([5, 1, 3, 2, 4, Number.NaN]);
    assert.deepEqual(p, { mean: 3, p50: 3, p90: 5, p99: 5, count: 5 });
    const e = percentiles([]);
    assert.ok(Number.isNaN(e.mean) && Number.isNaN(e.p50) && e.count === 0);
  });

  test('windows count sends by send time, TTFT by first token, ITL by last token (token-weighted)', () => {
    const s = new Samples(1);
    const add = (sent: number, first: number, last: number, tokens: number, outcome: number): void => {
      const i = s.add(sent, 100, tokens, 0);
      s.cols.sentAt[i] = sent;
      s.cols.firstTokenAt[i] = first;
      s.cols.lastTokenAt[i] = last;
      s.cols.tokens[i] = tokens;
      s.cols.outcome[i] = outcome;
    };
    add(0.5, 0.6, 1.5, 11, 1);
    add(1.5, 1.7, 2.2, 6, 1);
    add(2.5, 2.6, 2.6, 1, 1);
    add(3.5, Number.NaN, Number.NaN, 0, 2);
    const w = loadStats(s, { from: 1, to: 3 });
    assert.equal(w.sent, 2);
    assert.equal(w.sentRate, 1);
    assert.deepEqual(w.outcomes, { ok: 2 });
    assertClose(w.ttft.mean, 0.15, 1e-9);
    // Requests ending in the window: (1.5 − 0.6) over 10 gaps and (2.2 − 1.7) over 5 gaps.
    assertClose(w.itl.mean, 1.4 / 15, 1e-9);
    assert.equal(w.completed, 3);
    assert.deepEqual(loadStats(s, { from: 3, to: 4 }).outcomes, { http: 1 });
  });
});
