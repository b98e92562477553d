import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServiceParams } from '../../../src/model/analyzer.js';
import { createAnalyzer } from '../../../src/model/analyzer.js';
import { bisect } from '../../../src/model/bisect.js';
import { findRoot } from '../../../src/model/root.js';
import type { ServiceCurve } from '../../../src/model/chain.js';
import { solveChain } from '../../../src/model/chain.js';
import { fitDecode } from '../../../src/model/estimate.js';
import { assertClose, rng } from '../../support/assert.js';

function analyzer(kind: 'v1' | 'v2', p: ServiceParams) {
  const a = createAnalyzer(kind, p);
  assert.ok(a.ok, a.ok ? '' : a.reason);
  return a.value;
}

const ok = <T>(r: { ok: true; value: T } | { ok: false; reason: string }): T => {
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.value;
};

describe('queue analyzer, upstream cases (model-and-solver.md §13)', () => {
  // v0 REST analyzer: μ_n = n/(K(α+βn)), K_sys = Q + N.
  const c1 = { alpha: 19, beta: 1, gamma: 0, delta: 0, maxBatch: 48, inTokens: 0, outTokens: 1024, states: 248 };

  test('C1: /solve at 30 rpm', () => {
    const a = analyzer('v1', c1);
    const m = ok(a.analyze(30 / 60));
    assertClose(m.throughput * 60, 29.999998, 1e-6, 'throughput rpm');
    assertClose(m.respTime / 1000, 41.96881, 1e-6, 'resp s');
    // W = T − S of two ~42 s times: compare with a tolerance scaled by T (§0.3); float32 recorded 0.0027617 s.
    assertClose(m.waitTime / 1000, 0.0027617188, (1e-4 * 41.96881) / 0.0027617188, 'wait s');
    assertClose(m.inService, 20.983025, 1e-6, 'in service');
    assertClose(m.itl, 40.98247, 1e-6, 'token time');
    assertClose(a.maxRate * 60, 41.93564, 1e-6, 'maxRPM');
  });

  test('C2: /target with wait 1 s and ITL 50 ms; the ITL target binds', () => {
    const a = analyzer('v1', c1);
    // v1 maps TTW onto W ≤ TTW/SLOMargin; v0 bisected W to the target itself, so undo the margin here.
    const s = ok(a.size({ ttft: 0, itl: 50, tps: 0, ttw: 1000 * -Math.log(0.05) }));
    assertClose(s.rateStar * 60, 35.200314, 1e-5, 'rate');
    assertClose(s.rateITL * 60, 35.200314, 1e-5, 'RPMTargetITL');
    assertClose(s.rateTTFT * 60, 36.61307, 1e-5, 'RPMTargetWait');
    assertClose(s.metrics.respTime / 1000, 51.532883, 1e-5, 'resp');
    assertClose(s.metrics.waitTime / 1000, 0.33288673, 1e-4, 'wait');
    assertClose(s.metrics.inService, 30.037598, 1e-5, 'in service');
    assertClose(s.metrics.itl, 49.999996, 1e-6, 'itl');
  });

  test('C14: prefill + decode, Analyze(25 req/s) and Size(TTFT 120, ITL 14, TPS 10240)', () => {
    const a = analyzer('v2', { alpha: 6.958, beta: 0.042, gamma: 86.615, delta: 1.446e-3, maxBatch: 256, inTokens: 128, outTokens: 512, states: 356 });
    const m = ok(a.analyze(25));
    assertClose(m.throughput, 25.0, 1e-4);
    // W = T − S with T ≈ 7987 ms: the tolerance scales with T (§0.3); the case was derived in float32.
    assertClose(m.waitTime, 2.1655, (1e-6 * m.respTime) / 2.1655, 'wait');
    assertClose(m.inService, 199.623, 1e-4, 'n_serv');
    assertClose(m.prefillTime, 123.747, 1e-4, 'prefill');
    assertClose(m.itl, 15.3839, 1e-4, 'itl');
    assertClose(m.ttft, 125.912, 1e-4, 'ttft');
    assertClose(a.maxRate, 27.8473, 1e-4, 'maxRate');
    assertClose(m.rho, 0.77978, 1e-4, 'rho');
    const s = ok(a.size({ ttft: 120, itl: 14, tps: 10240, ttw: 0 }));
    assertClose(s.rateTTFT, 23.7563, 1e-4, 'rateTTFT');
    assertClose(s.rateITL, 22.9201, 1e-4, 'rateITL');
    assertClose(s.rateTPS, 25.0625, 1e-4, 'rateTPS');
    assertClose(s.rateStar, 22.9201, 1e-4, 'throughput');
    assertClose(s.metrics.itl, 14.0, 1e-5, 'itl');
    assertClose(s.metrics.ttft, 117.650, 1e-4, 'ttft');
  });

  test('C15: hand check of Premium-granite_13b on G2', () => {
    const a = analyzer('v2', { alpha: 17.15, beta: 0.34, gamma: 137.2, delta: 0.010625, maxBatch: 19, inTokens: 128, outTokens: 1024 });
    assertClose(a.maxRate, 0.780595, 1e-5, 'λ_max');
    const s = ok(a.size({ ttft: 1000, itl: 40, tps: 0, ttw: 0 }));
    assertClose(s.rateITL, a.maxRate, 1e-12, 'ITL never binds');
    assertClose(s.rateStar, 0.597978, 1e-5, 'TTFT binds');
    assertClose(s.metrics.waitTime, 843.17, 1e-4, 'W');
    assertClose(s.metrics.effectiveConcurrency, 14.43, 1e-3, 'n_eff');
    const m = ok(a.analyze(0.5));
    assertClose(m.inService, 10.916, 1e-4, 'L_s');
    assertClose(m.effectiveConcurrency, 11.88, 1e-3, 'n_eff');
    assertClose(m.itl, 21.190855, 1e-6, 'itl');
    assertClose(m.ttft, 263.30676, 1e-6, 'ttft');
  });

  test('C11: service-time primitives through zero-wait single requests', () => {
    // pre(n) = γ + δ·I·n, dec(n) = α + β·n with γ 10, δ 0.001, α 1, β 0.01: with one request in the system
    // (a tiny rate), n_eff → 1, so ttft → pre(1) and itl → dec(1).
    const a = analyzer('v2', { alpha: 1, beta: 0.01, gamma: 10, delta: 0.001, maxBatch: 8, inTokens: 1000, outTokens: 2 });
    const m = ok(a.analyze(a.maxRate * 1e-6));
    assertClose(m.prefillTime, 11.0, 1e-4, 'pre(1000, 1)');
    assertClose(m.itl, 1.01, 1e-4, 'dec(1)');
    const zeroIn = analyzer('v2', { alpha: 1, beta: 0.01, gamma: 10, delta: 0.001, maxBatch: 8, inTokens: 0, outTokens: 2 });
    assert.equal(ok(zeroIn.analyze(zeroIn.maxRate * 1e-6)).prefillTime, 0, 'pre(I=0) = 0');
  });

  test('C11: constructor accepts I = 0 with O = 1 (WVA D = 1 fix) and rejects O = 0 or negative tokens', () => {
    assert.ok(createAnalyzer('v2', { alpha: 1, beta: 0.01, gamma: 10, delta: 0.001, maxBatch: 8, inTokens: 0, outTokens: 1 }).ok);
    assert.ok(createAnalyzer('v2', { alpha: 1, beta: 0.01, gamma: 10, delta: 0.001, maxBatch: 8, inTokens: 100, outTokens: 1 }).ok);
    for (const bad of [{ outTokens: 0 }, { outTokens: -1 }, { inTokens: -5 }, { maxBatch: 0 }, { alpha: -1 }]) {
      const r = createAnalyzer('v2', { alpha: 1, beta: 0.01, gamma: 10, delta: 0.001, maxBatch: 8, inTokens: 10, outTokens: 10, ...bad });
      assert.equal(r.ok, false, JSON.stringify(bad));
    }
  });

  test('Analyze rejects rates outside (0, maxRate]; Size rejects negative targets and unattainable SLOs', () => {
    const a = analyzer('v2', { alpha: 17.15, beta: 0.34, gamma: 137.2, delta: 0.010625, maxBatch: 19, inTokens: 128, outTokens: 1024 });
    assert.equal(a.analyze(0).ok, false);
    assert.equal(a.analyze(a.maxRate * 1.01).ok, false);
    assert.equal(a.size({ ttft: -1, itl: 0, tps: 0, ttw: 0 }).ok, false);
    const r = a.size({ ttft: 100, itl: 0, tps: 0, ttw: 0 });
    assert.ok(!r.ok);
    assert.match(r.reason, /TTFT target 100 ms is out of reach/);
  });
});

/** Reference: the chain summed term by term in log space (the pre-§15 implementation), for any μ_1..μ_N. */
function referenceChain(lambda: number, mu: readonly number[], states: number) {
  const n = mu.length;
  const lp = [0];
  for (let j = 1; j <= n; j++) lp.push((lp[j - 1] ?? 0) + Math.log(lambda) - Math.log(mu[j - 1] ?? 1));
  // beyond N each step adds the same q: multiply it out rather than accumulate rounding
  const q = Math.log(lambda) - Math.log(mu[n - 1] ?? 1);
  for (let j = n + 1; j <= states; j++) lp.push((lp[n] ?? 0) + (j - n) * q);
  const max = lp.reduce((a, b) => Math.max(a, b), -Infinity);
  const w = lp.map((x) => Math.exp(x - max));
  const total = w.reduce((a, b) => a + b, 0);
  const p = w.map((x) => x / total);
  const pFull = p[states] ?? 0;
  return {
    throughput: lambda * (1 - pFull),
    inSystem: p.reduce((s, x, j) => s + j * x, 0),
    inService: p.reduce((s, x, j) => s + Math.min(j, n) * x, 0),
    p0: p[0] ?? 0,
    pFull,
  };
}

const muOf = (c: ServiceCurve): number[] => Array.from({ length: c.n }, (_, i) => (i + 1) / (c.a + c.b * (i + 1)));

describe('birth–death chain', () => {
  test('probabilities sum to one and match a direct evaluation on a small chain', () => {
    const curve = { a: 0.5, b: 0.3, n: 3 };
    const mu = muOf(curve);
    const lambda = 1.5;
    const k = 7;
    const p = [1];
    for (let j = 1; j <= k; j++) p.push((p[j - 1] ?? 0) * lambda / (mu[Math.min(j, 3) - 1] ?? 1));
    const total = p.reduce((a, b) => a + b, 0);
    const norm = p.map((x) => x / total);
    const c = solveChain(lambda, curve, k);
    assertClose(c.p0, norm[0] ?? 0, 1e-12);
    assertClose(c.pFull, norm[k] ?? 0, 1e-12);
    assertClose(c.inSystem, norm.reduce((s, x, j) => s + j * x, 0), 1e-12);
    assertClose(c.inService, norm.reduce((s, x, j) => s + Math.min(j, 3) * x, 0), 1e-12);
    assertClose(c.throughput, lambda * (1 - (norm[k] ?? 0)), 1e-12);
  });

  test('agrees with the term-by-term sum to 1e-11 across loads, batch sizes and queue lengths', () => {
    const r = rng(99);
    let cases = 0;
    for (let i = 0; i < 400; i++) {
      const n = 1 + Math.floor(r() ** 2 * 2000);
      const curve = { a: r() < 0.1 ? 0 : 1 + r() * 5000, b: r() < 0.1 ? 0 : r() * 400, n };
      if (curve.a + curve.b === 0) continue;
      const states = r() < 0.15 ? n : n + Math.floor(r() * 12 * n);
      const muN = n / (curve.a + curve.b * n);
      // from nearly idle to overloaded, with many points right at saturation where the tail is nearly flat
      const lambda = muN * ([1e-4, 0.05, 0.5, 0.9, 0.999, 0.999999, 1, 1.000001, 1.01, 3][i % 10] ?? 1);
      const fast = solveChain(lambda, curve, states);
      const ref = referenceChain(lambda, muOf(curve), states);
      const label = `case ${i}: λ=${lambda} ${JSON.stringify(curve)} K=${states}`;
      assertClose(fast.throughput, ref.throughput, 1e-11, `${label} throughput`);
      assertClose(fast.inSystem, ref.inSystem, 1e-11, `${label} L`);
      assertClose(fast.inService, ref.inService, 1e-11, `${label} L_s`);
      assertClose(fast.p0, ref.p0, 1e-9, `${label} p0`, 1e-16); // below 1e-16 a probability cannot change 1 − p
      assertClose(fast.pFull, ref.pFull, 1e-9, `${label} pFull`, 1e-16);
      cases += 1;
    }
    assert.ok(cases > 300);
  });

  test('stays finite where a direct product overflows (10^5 states, heavy and light load)', () => {
    const n = 4096;
    const curve = { a: 1000, b: 0, n }; // μ_n = n·1e-3
    for (const lambda of [1e-9, 1, 50, 1e6]) {
      const c = solveChain(lambda, curve, 100_000);
      for (const v of Object.values(c)) assert.ok(Number.isFinite(v), `λ=${lambda}: ${JSON.stringify(c)}`);
      assert.ok(c.p0 >= 0 && c.p0 <= 1 && c.pFull >= 0 && c.pFull <= 1);
      assert.ok(c.inService <= n + 1e-9 && c.inSystem <= 100_000 + 1e-6);
    }
    // Overloaded: the batch is always full, so the throughput is the full-batch service rate μ_N.
    const heavy = solveChain(1e6, curve, 100_000);
    assertClose(heavy.throughput, n * 1e-3, 1e-9, 'throughput = μ_N');
    assertClose(heavy.inService, n, 1e-9, 'batch always full');
  });
});

describe('bisection', () => {
  test('uses the relative tolerance on f, not on x (upstream QA v0.1.0 bug)', () => {
    let calls = 0;
    const f = (x: number): number => {
      calls += 1;
      return x * x;
    };
    const r = bisect(f, 0, 10, 2);
    assert.equal(r.indicator, 0);
    assertClose(r.x * r.x, 2, 1e-6);
    assert.ok(calls < 40, `converged in ${calls} evaluations; the buggy test runs all 100`);
  });

  test('reports unattainable (-1) and never-binding (+1) targets', () => {
    assert.deepEqual(bisect((x) => x + 1, 0, 10, 0.5), { x: 0, indicator: -1 });
    assert.deepEqual(bisect((x) => x + 1, 0, 10, 20), { x: 10, indicator: 1 });
  });
});

describe('root finder (Brent, with the bisection contract of §3.1–3.2)', () => {
  test('same end checks and indicators as bisection', () => {
    assert.deepEqual(findRoot((x) => x + 1, 0, 10, 0.5), { x: 0, indicator: -1 });
    assert.deepEqual(findRoot((x) => x + 1, 0, 10, 20), { x: 10, indicator: 1 });
    assert.deepEqual(findRoot((x) => x + 1, 0, 10, 1), { x: 0, indicator: 0 });
    assert.deepEqual(findRoot((x) => x + 1, 0, 10, 11), { x: 10, indicator: 0 });
  });

  test('meets |f(x) − target| ≤ 1e-6·target in far fewer evaluations, on smooth and on steep functions', () => {
    const r = rng(3);
    let brent = 0;
    let halving = 0;
    for (let i = 0; i < 300; i++) {
      const c = 1 + r() * 10;
      const p = 0.5 + r() * 4;
      // x^p, an exponential, and a queue-like blow-up 1/(c − x) near the top of the range
      const fs = [(x: number) => x ** p, (x: number) => Math.exp(p * x / c), (x: number) => 1 / (c * (1 + 1e-3) - x)];
      const f = fs[i % 3] ?? fs[0];
      if (f === undefined) continue;
      const target = f(c * (0.01 + 0.98 * r()));
      let calls = 0;
      const counted = (x: number): number => {
        calls += 1;
        return f(x);
      };
      const got = findRoot(counted, 0, c, target);
      assert.equal(got.indicator, 0);
      assert.ok(Math.abs(f(got.x) - target) <= 1e-6 * target, `case ${i}: f(${got.x}) = ${f(got.x)}, target ${target}`);
      brent += calls;
      calls = 0;
      bisect(counted, 0, c, target);
      halving += calls;
    }
    assert.ok(brent * 2 < halving, `Brent ${brent} evaluations vs bisection ${halving}`);
  });

  test('a constant latency (ITL with a batch of 1) never binds, even when rounding makes its ends differ', () => {
    // With N = 1 the batch a request sees is always 1, so ITL = α + β at every rate. Read as "decreasing" by rounding
    // noise, the target would land below the range's low end and size the server for the lowest rate.
    for (const [alpha, beta] of [[98, 0.0005080305577], [20.58, 0.41], [7.77, 0.15], [33.3, 1.7]] as const) {
      const a = analyzer('v2', { alpha, beta, gamma: alpha * 8, delta: beta / 32, maxBatch: 1, inTokens: 3790, outTokens: 1819 });
      const s = ok(a.size({ ttft: 0, itl: (alpha + beta) * 1.4, tps: 0, ttw: 0 }));
      assert.equal(s.rateITL, a.maxRate, `α ${alpha}: ITL never binds`);
    }
    assert.deepEqual(findRoot(() => 98.00050803055767, 0, 1, 136), { x: 1, indicator: 1 });
    assert.deepEqual(findRoot((x) => (x < 0.5 ? 98.00050803055777 : 98.00050803055767), 0, 1, 136), { x: 1, indicator: 1 });
  });

  test('Size finds a rate whose binding latency is the target within 1e-6, on random profiles', () => {
    const r = rng(11);
    let binding = 0;
    for (let i = 0; i < 200; i++) {
      const alpha = 5 + r() * 40;
      const beta = alpha * (0.005 + r() * 0.3);
      const params = { alpha, beta, gamma: alpha * 8, delta: beta / 32, maxBatch: 1 + Math.floor(r() ** 2 * 2000), inTokens: Math.floor(r() * 4000), outTokens: 1 + Math.floor(r() * 2000) };
      const a = analyzer('v2', params);
      const lone = ok(a.analyze(a.maxRate * 1e-4));
      const targets = { ttft: lone.ttft * (1 + r() * 20), itl: lone.itl * (1 + r() * 2), tps: 0, ttw: 0 };
      const s = ok(a.size(targets));
      for (const [name, rate, target] of [['ttft', s.rateTTFT, targets.ttft], ['itl', s.rateITL, targets.itl]] as const) {
        if (rate >= a.maxRate) continue;
        const m = ok(a.analyze(rate));
        binding += 1;
        assertClose(m[name], target, 1e-6, `case ${i} ${name} ${JSON.stringify(params)}`);
      }
    }
    assert.ok(binding > 150, `only ${binding} binding targets`);
  });
});

describe('decode parameter fit', () => {
  test('C12: ITL 7.0 ms at concurrency 1 and 8.7 ms at 64 give β 0.027, α 6.973', () => {
    const fit = fitDecode(7.0, 8.7, 64);
    assert.ok(fit !== undefined);
    assertClose(fit.beta, 0.027, 1e-3, 'β');
    assertClose(fit.alpha, 6.973, 1e-4, 'α');
    assert.equal(fitDecode(7, 6, 64), undefined, 'ITL must not fall with concurrency');
    assert.equal(fitDecode(7, 8, 1), undefined, 'needs two concurrency levels');
  });
});
