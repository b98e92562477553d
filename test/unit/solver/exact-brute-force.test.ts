// The exact solver against an exhaustive enumeration of every assignment (each server: nothing, or one of its
// candidates), on small random systems with tight capacity and several priority classes. The enumeration is the
// definition of the lexicographic optimum: most servers served in full in the highest class, then the next class,
// …, then the least total value. Seeded: a failure names its seed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Server, System } from '../../../src/domain/types.js';
import { createHighsBackend } from '../../../src/io/highs.js';
import type { Candidate, Plan, ServerCandidates } from '../../../src/solver/index.js';
import { prepare, solveExact } from '../../../src/solver/index.js';
import { rng } from '../../support/assert.js';
import { acc, cls, options, profile, server, system } from '../../support/system.js';

interface Score {
  /** servers served in full per priority, highest priority first */
  readonly served: readonly number[];
  readonly value: number;
}

/** <0: a better than b */
function compareScores(a: Score, b: Score): number {
  for (let i = 0; i < a.served.length; i++) {
    const d = (b.served[i] ?? 0) - (a.served[i] ?? 0);
    if (d !== 0) return d;
  }
  const tol = 1e-9 * Math.max(1, Math.abs(a.value), Math.abs(b.value));
  return a.value < b.value - tol ? -1 : a.value > b.value + tol ? 1 : 0;
}

/** Every assignment within capacity, depth first; returns the lexicographically best score. */
function bruteForce(servers: readonly ServerCandidates[], capacity: Readonly<Record<string, number>>, priorities: readonly number[]): Score {
  const left = new Map(Object.entries(capacity));
  const served = priorities.map(() => 0);
  let best: Score = { served: priorities.map(() => 0), value: 0 };
  const visit = (i: number, value: number): void => {
    const sc = servers[i];
    if (sc === undefined) {
      const s = { served: [...served], value };
      if (compareScores(s, best) < 0) best = s;
      return;
    }
    visit(i + 1, value); // not served
    const k = priorities.indexOf(sc.priority);
    for (const c of sc.candidates) {
      const units = c.numReplicas * c.unitsPerReplica;
      const free = left.get(c.type) ?? 0;
      if (units > free) continue;
      left.set(c.type, free - units);
      served[k] = (served[k] ?? 0) + 1;
      visit(i + 1, value + c.value);
      served[k] = (served[k] ?? 0) - 1;
      left.set(c.type, free);
    }
  };
  visit(0, 0);
  return best;
}

function scoreOf(plan: Plan, byServer: ReadonlyMap<string, ServerCandidates>, priorities: readonly number[]): Score {
  const served = priorities.map(() => 0);
  let value = 0;
  for (const a of plan.allocations) {
    if (a.bestEffort) continue;
    const sc = byServer.get(a.server);
    const c: Candidate | undefined = sc?.candidates.find((x) => x.accelerator === a.accelerator && x.numReplicas === a.numReplicas);
    assert.ok(sc !== undefined && c !== undefined, `${a.server}: allocation ${a.accelerator}×${a.numReplicas} is not one of its candidates`);
    const k = priorities.indexOf(sc.priority);
    served[k] = (served[k] ?? 0) + 1;
    value += c.value;
  }
  return { served, value };
}

/** Small, tight, several classes; some servers run somewhere already, so values include switching surcharges. */
function tightSystem(seed: number): System {
  const r = rng(seed);
  const types = ['A', 'B', 'C', 'D'].slice(0, 2 + Math.floor(r() * 3));
  const accelerators = types.flatMap((t) => {
    const unit = 5 + Math.round(r() * 60);
    return [acc(t, unit), acc(`2x${t}`, unit * 2, { type: t, multiplicity: 2 })];
  });
  const classCount = 2 + Math.floor(r() * 2);
  const classes = ['Premium', 'Bronze', 'Free'].slice(0, classCount).map((name, i) => cls(name, i + 1, [{ model: 'm', itl: 60 * 2 ** i, ttft: 1500 * 2 ** i }]));
  const n = 4 + Math.floor(r() * 4);
  const servers: Server[] = Array.from({ length: n }, (_, i) => {
    const profiles = accelerators.map((a) => {
      const alpha = (8 + r() * 30) * (a.multiplicity === 2 ? 0.7 : 1);
      return profile(a.name, { alpha, beta: alpha * (0.01 + r() * 0.05), gamma: alpha * 8, delta: alpha * 0.001, maxBatchSize: 8 + Math.floor(r() * 56), atTokens: 512, accCount: 1 + Math.floor(r() * 2) });
    });
    const current = r() < 0.4 ? { current: { accelerator: accelerators[Math.floor(r() * accelerators.length)]?.name ?? 'A', numReplicas: 1 + Math.floor(r() * 4), maxBatch: 0, cost: 20 + Math.round(r() * 100) } } : {};
    return server(`s${i}`, {
      class: classes[Math.floor(r() * classes.length)]?.name ?? 'Premium', profiles,
      load: { arrivalRate: Math.round(5 + r() * 200), avgInTokens: 64 + Math.floor(r() * 512), avgOutTokens: 64 + Math.floor(r() * 512) },
      ...current,
    });
  });
  const capacity = Object.fromEntries(types.map((t) => [t, 2 + Math.floor(r() * 14)]));
  return system({ accelerators, serviceClasses: classes, servers, capacity, options: options() });
}

const seeds = Array.from({ length: 40 }, (_, i) => 5000 + i);

describe('exact solver vs brute force', () => {
  test('the exact plan is the lexicographic optimum on every seed, proven, and never worse than greedy', async () => {
    const backend = await createHighsBackend();
    let greedyBeaten = 0;
    let acrossClasses = 0;
    for (const seed of seeds) {
      const sys = tightSystem(seed);
      const p = prepare(sys);
      const priorities = [...new Set(p.servers.map((s) => s.priority))].sort((a, b) => a - b);
      const byServer = new Map(p.servers.map((sc) => [sc.server.name, sc]));
      const optimum = bruteForce(p.servers, sys.capacity, priorities);
      for (const policy of ['None', 'RoundRobin'] as const) {
        const r = solveExact(prepare({ ...sys, options: options({ saturationPolicy: policy }) }), backend, { timeLimitSec: 30 });
        const got = scoreOf(r.plan, byServer, priorities);
        assert.equal(compareScores(got, optimum), 0, `seed ${seed} ${policy}: exact ${JSON.stringify(got)}, brute force ${JSON.stringify(optimum)}`);
        assert.equal(r.optimal, true, `seed ${seed}: not proven optimal`);
        assert.equal(r.timedOut, false);
        const greedy = scoreOf(r.greedy, byServer, priorities);
        assert.ok(compareScores(got, greedy) <= 0, `seed ${seed}: greedy ${JSON.stringify(greedy)} beats exact ${JSON.stringify(got)}`);
        if (policy === 'None' && compareScores(got, greedy) < 0) greedyBeaten += 1;
        // Seeds where the per-class optimum of the highest class alone would not be lexicographically optimal.
        if (policy === 'None' && got.served.length > 1 && (got.served[1] ?? 0) > 0) acrossClasses += 1;
      }
    }
    // The instances must be hard enough to matter: greedy misses the optimum on some of them.
    assert.ok(greedyBeaten >= 5, `greedy was optimal on all but ${greedyBeaten} seeds: the instances are too easy`);
    assert.ok(acrossClasses >= 30, `only ${acrossClasses} seeds serve more than one class`);
  });

  test('a time limit returns the best plan found, says so, and never claims optimality', async () => {
    const backend = await createHighsBackend();
    let limited = 0;
    for (const seed of seeds) {
      if (limited >= 24) break; // a dozen seeds that need a solve are plenty
      const sys = tightSystem(seed);
      const p = prepare(sys);
      const priorities = [...new Set(p.servers.map((s) => s.priority))].sort((a, b) => a - b);
      const byServer = new Map(p.servers.map((sc) => [sc.server.name, sc]));
      const full = solveExact(p, backend, { timeLimitSec: 30 });
      if (full.milpSolves === 0) continue; // greedy's plan proved itself: no solve to cut short
      for (const timeLimitSec of [0, 1e-9]) {
        const r = solveExact(p, backend, { timeLimitSec });
        limited += 1;
        assert.equal(r.timedOut, true, `seed ${seed} limit ${timeLimitSec}`);
        assert.equal(r.optimal, false, `seed ${seed} limit ${timeLimitSec}: optimal claimed without proof`);
        assert.equal(r.timeLimitSec, timeLimitSec);
        const got = scoreOf(r.plan, byServer, priorities);
        assert.ok(compareScores(got, scoreOf(r.greedy, byServer, priorities)) <= 0, `seed ${seed}: worse than greedy under a time limit`);
        assert.ok(compareScores(got, scoreOf(full.plan, byServer, priorities)) >= 0, `seed ${seed}: better than the optimum?`);
      }
    }
    assert.ok(limited >= 10, `only ${limited} time-limited runs`);
  });

  test('a higher class does not take the GPUs a lower class needs when both can be served', async () => {
    // Premium "a" is cheapest on T (4 units, cost 40) and can also run on U (4 units, cost 80); Free "b" runs only
    // on T. T and U have 4 units each. Optimising Premium alone puts it on T and leaves "b" unserved.
    const t = acc('T1', 10, { type: 'T' });
    const u = acc('U1', 20, { type: 'U' });
    const fast = { alpha: 5, beta: 0.1, maxBatchSize: 16, accCount: 4 };
    const load = { arrivalRate: 1, avgInTokens: 10, avgOutTokens: 10 };
    const sys = system({
      accelerators: [t, u],
      serviceClasses: [cls('Premium', 1, [{ model: 'm', itl: 100 }]), cls('Free', 2, [{ model: 'm', itl: 100 }])],
      servers: [
        server('a', { load, profiles: [profile('T1', fast), profile('U1', fast)] }),
        server('b', { class: 'Free', load, profiles: [profile('T1', fast)] }),
      ],
      capacity: { T: 4, U: 4 },
    });
    const r = solveExact(prepare(sys), await createHighsBackend());
    assert.deepEqual(r.plan.allocations.map((a) => [a.server, a.accelerator]), [['a', 'U1'], ['b', 'T1']]);
    assert.equal(r.optimal, true);
  });
});
