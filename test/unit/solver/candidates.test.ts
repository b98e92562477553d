import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CandidateContext } from '../../../src/solver/candidates.js';
import { candidateFor, createAnalyzerCache } from '../../../src/solver/candidates.js';
import { transitionPenalty } from '../../../src/solver/penalty.js';
import { solve } from '../../../src/solver/solve.js';
import { assertClose } from '../../support/assert.js';
import { acc, cls, options, profile, server, system } from '../../support/system.js';

const ctx = (kind: 'v1' | 'v2' = 'v2'): CandidateContext => ({ kind, penaltyFactor: 0.1, cache: createAnalyzerCache() });
const target = (t: { itl?: number; ttft?: number; tps?: number; ttw?: number }) => ({ model: 'm', itl: t.itl ?? 0, ttft: t.ttft ?? 0, tps: t.tps ?? 0, ttw: t.ttw ?? 0 });

function candidate(...args: Parameters<typeof candidateFor>) {
  const out = candidateFor(...args);
  assert.ok(out.ok, out.ok ? '' : out.reason);
  return out.candidate;
}

describe('candidate allocations (model-and-solver.md §13)', () => {
  test('C3: v1 allocation from a WVA log line', () => {
    const a100 = acc('A100', 40);
    const p = profile('A100', { alpha: 20.58, beta: 0.41, maxBatchSize: 4 });
    const s = server('va', { maxBatchSize: 4, load: { arrivalRate: 40, avgInTokens: 0, avgOutTokens: 178 }, profiles: [p] });
    const c = candidate(s, a100, p, target({ itl: 24, ttw: 500 }), ctx('v1'));
    assert.equal(c.numReplicas, 2);
    assert.equal(c.cost, 80);
    assertClose(c.itl, 21.49347, 1e-5, 'servTime');
    assertClose(c.wait, 69.7666, 1e-4, 'waitTime');
    assertClose(c.rho, 0.71789724, 1e-5, 'rho');
    assertClose(c.maxRPM, 25.31145, 1e-5, 'maxRPM');
  });

  test('C4: v2 allocation from WVA PR #210, current A100×1', () => {
    const a100 = acc('A100', 40);
    const p = profile('A100', { alpha: 20.58, beta: 0.41, gamma: 5.2, delta: 0.1, maxBatchSize: 256 });
    const s = server('ms-inference-scheduling-llm-d-modelservice-decode', {
      maxBatchSize: 256, load: { arrivalRate: 86.79, avgInTokens: 0, avgOutTokens: 1024 }, profiles: [p],
      current: { accelerator: 'A100', numReplicas: 1, maxBatch: 256, cost: 40 },
    });
    const c = candidate(s, a100, p, target({ itl: 24 }), ctx());
    assert.equal(c.numReplicas, 5);
    assert.equal(c.cost, 200);
    assert.equal(c.value, 160, 'same accelerator: 200 − 40');
    assertClose(c.itl, 23.883596, 1e-4, 'itl');
    assert.ok(c.ttft < 1e-6, `ttft ${c.ttft}`);
    assertClose(c.rho, 0.027616985, 1e-4, 'rho');
    assertClose(c.maxRPM, 17.967556, 1e-5, 'maxRPM with the fixed tolerance (buggy: 17.967499)');
  });

  test('C5: zero load gives minReplicas with the unscaled batch and the placeholder rate', () => {
    const a = acc('gpu', 100);
    const p = profile('gpu', { alpha: 5, beta: 2, gamma: 10, delta: 1.5, maxBatchSize: 16, atTokens: 200 });
    const s = server('z', { load: { arrivalRate: 0, avgInTokens: 100, avgOutTokens: 200 }, minReplicas: 1, profiles: [p] });
    const c = candidate(s, a, p, target({}), ctx());
    assert.equal(c.numReplicas, 1);
    assert.equal(c.maxBatch, 16);
    assert.equal(c.cost, 100);
    assertClose(c.maxRPM, 19793.814, 1e-6, 'maxRPM = 60000·16/48.5');
    assert.equal(c.ttft, 10 + 1.5 * 100, 'R5: ttft = pre(1) = γ + δ·I');
    assert.equal(c.itl, 7);
  });

  test('C13: WVA optimizer "scale up" case, TTFT binds', () => {
    const a100 = acc('A100', 40);
    const p = profile('A100', { alpha: 20.28, beta: 0.72, maxBatchSize: 4 });
    const s = server('llama', { load: { arrivalRate: 1200, avgInTokens: 20, avgOutTokens: 200 }, profiles: [p] });
    const c = candidate(s, a100, p, target({ itl: 80, ttft: 500 }), ctx());
    assertClose(c.maxRPM / 60, 0.46595, 1e-4, 'rateStar req/s');
    assert.equal(c.numReplicas, 43);
    assert.equal(c.cost, 1720);
    assertClose(c.itl, 22.345, 1e-4, 'itl');
    assertClose(c.ttft, 496.41, 1e-4, 'ttft');
  });

  test('a TPS target replaces the measured demand and caps the rate at 90 % of the maximum', () => {
    const a = acc('gpu', 10);
    const p = profile('gpu', { alpha: 10, beta: 0.1, maxBatchSize: 32 });
    const s = server('batch', { load: { arrivalRate: 1, avgInTokens: 0, avgOutTokens: 100 }, profiles: [p] });
    const c = candidate(s, a, p, target({ tps: 2000 }), ctx());
    assert.equal(c.demand, 20, '2000 tokens/s ÷ 100 tokens');
    assert.ok(c.numReplicas >= Math.ceil(20 / (c.maxRPM / 60)));
  });
});

describe('transition penalty (C10)', () => {
  const base = { accelerator: 'gpu-a', numReplicas: 2, cost: 100 };
  test('same accelerator and replicas → 0; same accelerator → cost delta; switch → surcharge', () => {
    assert.equal(transitionPenalty(base, { accelerator: 'gpu-a', numReplicas: 2, cost: 100 }, 0.1), 0);
    assert.equal(transitionPenalty(base, { accelerator: 'gpu-a', numReplicas: 3, cost: 150 }, 0.1), 50);
    assertClose(transitionPenalty(base, { accelerator: 'gpu-b', numReplicas: 2, cost: 120 }, 0.1), 42, 1e-12);
  });

  test('the plan reports the change old → new with its cost difference', () => {
    const a = acc('gpu-a', 50);
    const p = profile('gpu-a', { alpha: 20, beta: 0.5, maxBatchSize: 16 });
    const s = server('s', { profiles: [p], minReplicas: 3, load: { arrivalRate: 0.001, avgInTokens: 10, avgOutTokens: 10 }, current: { accelerator: 'gpu-a', numReplicas: 2, maxBatch: 16, cost: 100 } });
    const plan = solve(system({ accelerators: [a], serviceClasses: [cls('Premium', 1, [{ model: 'm' }])], servers: [s], options: options({ unlimited: true }) }));
    assert.deepEqual(plan.changes, [{ server: 's', fromAccelerator: 'gpu-a', toAccelerator: 'gpu-a', fromReplicas: 2, toReplicas: 3, costDiff: 50 }]);
  });
});

describe('upstream defects fixed', () => {
  const a = acc('cheap', 10);
  const b = acc('dear', 30);
  const pa = profile('cheap', { alpha: 20, beta: 0.5, maxBatchSize: 16 });
  const pb = profile('dear', { alpha: 8, beta: 0.2, maxBatchSize: 32 });
  const classes = [cls('Premium', 1, [{ model: 'm', itl: 60, ttft: 2000 }])];

  test('R5: scale to zero stays on a real accelerator (the current one) at 0 replicas and cost 0', () => {
    const idle = server('idle', { minReplicas: 0, load: { arrivalRate: 0, avgInTokens: 100, avgOutTokens: 100 }, profiles: [pa, pb], current: { accelerator: 'dear', numReplicas: 2, maxBatch: 32, cost: 60 } });
    const plan = solve(system({ accelerators: [a, b], serviceClasses: classes, servers: [idle], capacity: {} }));
    assert.equal(plan.allocations.length, 1, 'kept even with no capacity: it needs 0 units');
    const [x] = plan.allocations;
    assert.deepEqual([x?.accelerator, x?.numReplicas, x?.cost], ['dear', 0, 0]);
  });

  test('R5: with no current allocation, scale to zero picks the cheapest accelerator', () => {
    const idle = server('idle', { minReplicas: 0, load: { arrivalRate: 0, avgInTokens: 100, avgOutTokens: 100 }, profiles: [pb, pa] });
    const plan = solve(system({ accelerators: [b, a], serviceClasses: classes, servers: [idle], options: options({ unlimited: true }) }));
    assert.equal(plan.allocations[0]?.accelerator, 'cheap');
  });

  test('maxReplicas is honoured: a fitting accelerator is preferred, else the cap with the SLO reported missed', () => {
    const busy = server('busy', { maxReplicas: 3, load: { arrivalRate: 600, avgInTokens: 100, avgOutTokens: 100 }, profiles: [pa, pb] });
    const plan = solve(system({ accelerators: [a, b], serviceClasses: classes, servers: [busy], options: options({ unlimited: true }) }));
    const x = plan.allocations[0];
    assert.ok(x !== undefined && x.numReplicas <= 3, JSON.stringify(x));
    const tight = server('busy', { maxReplicas: 1, load: { arrivalRate: 6000, avgInTokens: 100, avgOutTokens: 100 }, profiles: [pa, pb] });
    const capped = solve(system({ accelerators: [a, b], serviceClasses: classes, servers: [tight], options: options({ unlimited: true }) }));
    const y = capped.allocations[0];
    assert.equal(y?.numReplicas, 1);
    assert.equal(y.sloMet, false);
    assert.ok(y.neededReplicas > 1);
  });

  test('R4: a best-effort allocation is re-analysed at the replicas it got and reports unserved demand', () => {
    const s = server('big', { load: { arrivalRate: 3000, avgInTokens: 100, avgOutTokens: 100 }, profiles: [pa] });
    const plan = solve(system({ accelerators: [a], serviceClasses: classes, servers: [s], capacity: { cheap: 2 }, options: options({ saturationPolicy: 'RoundRobin' }) }));
    const x = plan.allocations[0];
    assert.ok(x !== undefined);
    assert.equal(x.numReplicas, 2);
    assert.equal(x.bestEffort, true);
    assert.equal(x.cost, 20);
    assert.ok(x.neededReplicas > 2);
    assert.ok(x.unservedRPM > 0, 'two replicas cannot take 3000 rpm');
    assert.ok(x.ttftAverage > 2000, `re-analysed ttft ${x.ttftAverage} exceeds the SLO`);
  });

  test('R6: servers that get nothing are listed with their reasons', () => {
    const unknownClass = server('lost', { class: 'Gold', profiles: [pa] });
    const unreachable = server('fast', { profiles: [{ ...pa, gamma: 50 }], model: 'm' });
    const plan = solve(system({
      accelerators: [a], servers: [unknownClass, unreachable], capacity: { cheap: 100 },
      serviceClasses: [cls('Premium', 1, [{ model: 'm', ttft: 1 }])],
    }));
    assert.equal(plan.allocations.length, 0);
    const reasons = Object.fromEntries(plan.unallocated.map((u) => [u.server, u.reasons.join('; ')]));
    assert.match(reasons['lost'] ?? '', /service class "Gold" does not exist/);
    assert.match(reasons['fast'] ?? '', /cheap: TTFT target 1 ms is out of reach/);
  });
});
