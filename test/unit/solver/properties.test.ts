// Properties over random systems (seeded: a failure names its seed).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Server, System } from '../../../src/domain/types.js';
import { createAnalyzerCache, candidateFor } from '../../../src/solver/candidates.js';
import { prepare, solve, solveExact } from '../../../src/solver/index.js';
import type { Plan } from '../../../src/solver/index.js';
import { createHighsBackend } from '../../../src/io/highs.js';
import { rng } from '../../support/assert.js';
import { acc, cls, options, profile, server, system } from '../../support/system.js';

function randomSystem(seed: number, opts: { servers?: number; tight?: boolean } = {}): System {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const types = ['A', 'B', 'C', 'D'].slice(0, 2 + Math.floor(r() * 3));
  const accelerators = types.flatMap((t) => {
    const unit = 5 + Math.round(r() * 60);
    return [acc(t, unit), acc(`2x${t}`, unit * 2, { type: t, multiplicity: 2 })];
  });
  const models = ['m1', 'm2', 'm3'];
  const perf = new Map(models.map((m) => [m, accelerators.map((a) => {
    const speed = a.multiplicity === 2 ? 0.7 : 1;
    const alpha = (8 + r() * 30) * speed;
    return profile(a.name, {
      alpha, beta: alpha * (0.01 + r() * 0.05), gamma: alpha * 8, delta: alpha * 0.001,
      maxBatchSize: 8 + Math.floor(r() * 56), atTokens: 512, accCount: 1 + Math.floor(r() * 2),
    });
  })]));
  const classes = [
    cls('Premium', 1, models.map((m) => ({ model: m, itl: 60, ttft: 1500 }))),
    cls('Bronze', 2, models.map((m) => ({ model: m, itl: 120, ttft: 3000 }))),
    cls('Free', 3, models.map((m) => ({ model: m, itl: 240, ttft: 6000 }))),
  ];
  const n = opts.servers ?? 6 + Math.floor(r() * 6);
  const servers: Server[] = Array.from({ length: n }, (_, i) => {
    const model = pick(models);
    return server(`s${i}`, {
      class: pick(classes).name, model, profiles: perf.get(model) ?? [],
      load: { arrivalRate: Math.round(1 + r() * 300), avgInTokens: 64 + Math.floor(r() * 512), avgOutTokens: 64 + Math.floor(r() * 512) },
    });
  });
  const capacity = Object.fromEntries(types.map((t) => [t, Math.floor((opts.tight === true ? 4 : 40) + r() * (opts.tight === true ? 30 : 400))]));
  return system({ accelerators, serviceClasses: classes, servers, capacity, options: options() });
}

const shuffle = <T>(xs: readonly T[], r: () => number): T[] => {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
};

const fullyServed = (p: Plan): boolean => p.unallocated.length === 0 && p.allocations.every((a) => !a.bestEffort);
const seeds = Array.from({ length: 25 }, (_, i) => 1000 + i);

describe('solver properties', () => {
  test('more load never gives fewer replicas (every server × accelerator)', () => {
    for (const seed of seeds) {
      const sys = randomSystem(seed);
      const ctx = { kind: 'v2' as const, penaltyFactor: 0.1, cache: createAnalyzerCache() };
      const accs = new Map(sys.accelerators.map((a) => [a.name, a]));
      for (const s of sys.servers) {
        const target = sys.serviceClasses.find((c) => c.name === s.class)?.targets.find((t) => t.model === s.model);
        assert.ok(target !== undefined);
        for (const p of s.profiles) {
          const a = accs.get(p.accelerator);
          assert.ok(a !== undefined);
          const replicas = [1, 5, 20, 60, 200, 600, 2000].flatMap((rpm) => {
            const out = candidateFor({ ...s, load: { ...s.load, arrivalRate: rpm } }, a, p, target, ctx);
            return out.ok ? [out.candidate.numReplicas] : [];
          });
          const sorted = [...replicas].sort((x, y) => x - y);
          assert.deepEqual(replicas, sorted, `seed ${seed} ${s.name}/${p.accelerator}: replicas by rising load ${replicas.join(', ')}`);
        }
      }
    }
  });

  test('a tighter SLO never gives a lower cost (unlimited)', () => {
    for (const seed of seeds) {
      const loose = randomSystem(seed);
      const tight: System = { ...loose, serviceClasses: loose.serviceClasses.map((c) => ({ ...c, targets: c.targets.map((t) => ({ ...t, itl: t.itl * 0.7, ttft: t.ttft * 0.6 })) })) };
      const a = solve({ ...loose, options: options({ unlimited: true }) });
      const b = solve({ ...tight, options: options({ unlimited: true }) });
      const cost = new Map(a.allocations.map((x) => [x.server, x.cost]));
      for (const x of b.allocations) assert.ok(x.cost >= (cost.get(x.server) ?? Infinity), `seed ${seed} ${x.server}: ${x.cost} < ${cost.get(x.server) ?? 'none'}`);
      for (const s of a.unallocated) assert.ok(b.unallocated.some((u) => u.server === s.server), `seed ${seed}: ${s.server} feasible only under the tighter SLO`);
    }
  });

  test('unlimited cost ≤ limited cost when limited serves every server in full', () => {
    let compared = 0;
    for (const seed of seeds) {
      const sys = randomSystem(seed, { tight: seed % 2 === 0 });
      const limited = solve(sys);
      const unlimited = solve({ ...sys, options: options({ unlimited: true }) });
      if (!fullyServed(limited)) continue;
      compared += 1;
      assert.ok(unlimited.totalCost <= limited.totalCost + 1e-9, `seed ${seed}: ${unlimited.totalCost} > ${limited.totalCost}`);
    }
    assert.ok(compared >= 5, `only ${compared} seeds were fully served`);
  });

  test('results do not depend on input order', () => {
    for (const seed of seeds) {
      const sys = randomSystem(seed, { tight: true });
      const r = rng(seed * 7);
      const shuffled: System = {
        ...sys,
        accelerators: shuffle(sys.accelerators, r),
        serviceClasses: shuffle(sys.serviceClasses, r).map((c) => ({ ...c, targets: shuffle(c.targets, r) })),
        servers: shuffle(sys.servers, r).map((s) => ({ ...s, profiles: shuffle(s.profiles, r) })),
        capacity: Object.fromEntries(shuffle(Object.entries(sys.capacity), r)),
      };
      for (const policy of ['None', 'RoundRobin', 'PriorityExhaustive'] as const) {
        const o = options({ saturationPolicy: policy });
        assert.deepEqual(solve({ ...shuffled, options: o }), solve({ ...sys, options: o }), `seed ${seed} ${policy}`);
      }
    }
  });

  test('exact is never worse than greedy: more servers served by priority, or the same at no higher cost', async () => {
    const backend = await createHighsBackend();
    for (const seed of seeds) {
      const sys = randomSystem(seed, { tight: true, servers: 10 });
      const r = solveExact(prepare(sys), backend);
      assert.ok(r.optimal, `seed ${seed}: not proven optimal`);
      const served = (p: Plan, pr: number): number => p.allocations.filter((a) => a.priority === pr && !a.bestEffort).length;
      let decided = false;
      for (const pr of [1, 2, 3]) {
        const d = served(r.plan, pr) - served(r.greedy, pr);
        assert.ok(d >= 0, `seed ${seed}: exact serves fewer priority-${pr} servers`);
        if (d > 0) {
          decided = true;
          break;
        }
      }
      if (!decided) assert.ok(r.plan.totalCost <= r.greedy.totalCost + 1e-9, `seed ${seed}: exact ${r.plan.totalCost} > greedy ${r.greedy.totalCost}`);
      assert.equal(r.gap, r.greedy.totalCost - r.plan.totalCost);
    }
  });
});

describe('exact solver', () => {
  // Type T has 4 units. A needs all 4 (cost 40, else 80 on U); B and C need 2 each (cost 20, else 60 on U).
  // Greedy takes A first (equal regrets, higher value first) and pays 40 + 60 + 60 = 160; B and C on T cost 120.
  const t = acc('T1', 10, { type: 'T' });
  const u = acc('U1', 20, { type: 'U' });
  const tiny = { arrivalRate: 1, avgInTokens: 10, avgOutTokens: 10 };
  const fast = { alpha: 5, beta: 0.1, maxBatchSize: 16 };
  const sys = system({
    accelerators: [t, u],
    serviceClasses: [cls('Premium', 1, [{ model: 'm', itl: 100 }])],
    servers: [
      server('a', { load: tiny, profiles: [profile('T1', { ...fast, accCount: 4 }), profile('U1', { ...fast, accCount: 4 })] }),
      server('b', { load: tiny, profiles: [profile('T1', { ...fast, accCount: 2 }), profile('U1', { ...fast, accCount: 3 })] }),
      server('c', { load: tiny, profiles: [profile('T1', { ...fast, accCount: 2 }), profile('U1', { ...fast, accCount: 3 })] }),
    ],
    capacity: { T: 4, U: 100 },
  });

  test('finds the cheaper assignment greedy misses and reports the gap', async () => {
    const r = solveExact(prepare(sys), await createHighsBackend());
    assert.equal(r.greedy.totalCost, 160);
    assert.equal(r.plan.totalCost, 120);
    assert.equal(r.gap, 40);
    assert.equal(r.optimal, true);
    assert.deepEqual(r.plan.allocations.map((a) => [a.server, a.accelerator]), [['a', 'U1'], ['b', 'T1'], ['c', 'T1']]);
  });

  test('serves higher priorities first even when that costs more', async () => {
    const prio: System = { ...sys, serviceClasses: [cls('Premium', 1, [{ model: 'm', itl: 100 }]), cls('Free', 2, [{ model: 'm', itl: 100 }])],
      servers: sys.servers.map((s) => (s.name === 'a' ? s : { ...s, class: 'Free' })), capacity: { T: 4, U: 0 } };
    const r = solveExact(prepare(prio), await createHighsBackend());
    assert.deepEqual(r.plan.allocations.map((a) => [a.server, a.accelerator]), [['a', 'T1']]);
    assert.deepEqual(r.plan.unallocated.map((x) => x.server), ['b', 'c']);
  });

  test('unlimited mode is honoured (R8): every server takes its cheapest candidate', async () => {
    const r = solveExact(prepare({ ...sys, options: options({ unlimited: true }) }), await createHighsBackend());
    assert.equal(r.plan.totalCost, 80);
    assert.equal(r.milpSolves, 0);
  });
});
