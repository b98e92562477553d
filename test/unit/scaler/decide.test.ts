// decide() over scripted timelines: a tiny simulated Deployment follows each action (spec.replicas, template), the
// test scripts the solver's answer, the load and pod readiness per tick, and checks what the scaler does when.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decide, MaxRecommendations } from '../../../src/scaler/decide.js';
import type { CurrentState, DeploymentMemory, Observed, Planned, ScaleAction, ScalePolicy, StayOption } from '../../../src/scaler/types.js';
import { EmptyMemory, ScaleReason } from '../../../src/scaler/types.js';

const S = 1000;
const MIN = 60 * S;
const TICK = 30 * S;
const WINDOW = 5 * MIN;
/** cents/hour per replica */
const price: Record<string, number> = { A100: 180, H100: 250, L4: 60 };

const basePolicy: ScalePolicy = { minReplicas: 1, maxReplicas: 10, stabilizationWindowMs: WINDOW, penaltyFactor: 0.1, maxSampleAgeMs: 2 * MIN };

const fresh = (arrivalRate: number): Observed => ({ kind: 'known', arrivalRate, sampleAgeMs: 10 * S });
const unknown: Observed = { kind: 'unknown', reason: 'Prometheus query failed: connect ECONNREFUSED 127.0.0.1:9090' };

function allocated(accelerator: string, numReplicas: number, opts: { maxBatch?: number; freeUnits?: number; type?: string } = {}): Planned {
  const cost = (price[accelerator] ?? 0) * numReplicas;
  return {
    kind: 'allocated',
    allocation: { accelerator, type: opts.type ?? accelerator, numReplicas, maxBatch: opts.maxBatch ?? 32, cost, itlAverage: 20, ttftAverage: 300 },
    unitsPerReplica: 1,
    freeUnits: opts.freeUnits ?? 16,
  };
}

/** One tick of a script: the load, the solver's replicas on the current accelerator, pod readiness. */
interface Step {
  readonly at: number;
  readonly observed: Observed;
  readonly planned: Planned;
  readonly stay?: StayOption;
  /** pods not ready yet after this tick's spec; default: all ready */
  readonly starting?: number;
}

interface World {
  current: CurrentState;
  memory: DeploymentMemory;
}

function world(replicas: number, accelerator = 'A100', maxBatch = 32): World {
  return {
    current: { specReplicas: replicas, readyReplicas: replicas, startingReplicas: 0, accelerator, maxBatch, cost: (price[accelerator] ?? 0) * replicas },
    memory: EmptyMemory,
  };
}

/** Runs decide for one step and applies its action to the simulated Deployment. */
function tick(w: World, step: Step, policy: ScalePolicy = basePolicy): ScaleAction {
  const stay = step.stay ?? (step.planned.kind === 'allocated' && step.planned.allocation.accelerator === w.current.accelerator
    ? { replicas: step.planned.allocation.numReplicas, cost: step.planned.allocation.cost }
    : undefined);
  const action = decide({ now: step.at, current: w.current, observed: step.observed, planned: step.planned, stay, policy, memory: w.memory });
  const accelerator = action.template?.accelerator ?? w.current.accelerator;
  const maxBatch = action.template?.maxBatch ?? w.current.maxBatch;
  const starting = Math.min(step.starting ?? 0, action.replicas);
  w.current = {
    specReplicas: action.replicas,
    readyReplicas: action.replicas - starting,
    startingReplicas: starting,
    accelerator,
    maxBatch,
    cost: (price[accelerator] ?? 0) * action.replicas,
  };
  w.memory = action.memory;
  return action;
}

/** The joint plan has preferred a cheaper template for a whole window before `at` (that rule has tests of its own). */
function preferredFor(w: World, at = 0): World {
  w.memory = { ...w.memory, savingSince: at - WINDOW };
  return w;
}

/** Steady load at `replicas` on A100 for `ms`, ticking every TICK from `from`; returns the next tick time. */
function settle(w: World, from: number, ms: number, rate: number, replicas: number, policy: ScalePolicy = basePolicy): number {
  let t = from;
  for (; t < from + ms; t += TICK) tick(w, { at: t, observed: fresh(rate), planned: allocated(w.current.accelerator, replicas) }, policy);
  return t;
}

describe('decide: scale up', () => {
  test('scales up to what the load needs on the first tick', () => {
    const w = world(2);
    const a = tick(w, { at: 0, observed: fresh(300), planned: allocated('A100', 5) });
    assert.equal(a.kind, 'scale');
    assert.equal(a.replicas, 5);
    assert.equal(a.direction, 'up');
    assert.equal(a.reason, ScaleReason.loadIncrease);
    assert.match(a.message, /from 2 to 5/);
  });

  test('a fresh scaler (empty memory) scales up at once but does not scale down', () => {
    const up = decide({ now: 0, current: world(2).current, observed: fresh(300), planned: allocated('A100', 4), stay: undefined, policy: basePolicy, memory: EmptyMemory });
    assert.equal(up.replicas, 4);
    const down = decide({ now: 0, current: world(6).current, observed: fresh(50), planned: allocated('A100', 2), stay: undefined, policy: basePolicy, memory: EmptyMemory });
    assert.equal(down.kind, 'steady');
    assert.equal(down.replicas, 6);
    assert.equal(down.reason, ScaleReason.stabilizing);
  });
});

describe('decide: scale down', () => {
  test('waits for the whole window, then goes to what the load needs (not to minReplicas)', () => {
    const w = world(6);
    const t0 = settle(w, 0, 10 * MIN, 400, 6);
    const seen: [number, number, string][] = [];
    for (let t = t0; t <= t0 + WINDOW + 2 * TICK; t += TICK) {
      const a = tick(w, { at: t, observed: fresh(120), planned: allocated('A100', 2) });
      seen.push([t - t0, a.replicas, a.reason]);
    }
    const before = seen.filter(([dt]) => dt < WINDOW);
    assert.ok(before.length === 10 && before.every(([, r, why]) => r === 6 && why === ScaleReason.stabilizing), JSON.stringify(before));
    assert.deepEqual(seen.find(([dt]) => dt === WINDOW), [WINDOW, 2, ScaleReason.loadDecrease]);
    assert.ok(seen.filter(([dt]) => dt > WINDOW).every(([, r, why]) => r === 2 && why === ScaleReason.steady));
  });

  test('a gradual drop comes down in steps: the highest recommendation of the last window', () => {
    const w = world(6);
    const t0 = settle(w, 0, 10 * MIN, 400, 6);
    const script = (dt: number): number => (dt < 2 * TICK ? 4 : 2);
    const replicasAt = new Map<number, number>();
    for (let t = t0; t <= t0 + WINDOW + 3 * TICK; t += TICK) {
      replicasAt.set(t - t0, tick(w, { at: t, observed: fresh(100), planned: allocated('A100', script(t - t0)) }).replicas);
    }
    assert.equal(replicasAt.get(WINDOW - TICK), 6);
    // at T0+5 min the recommendation in force since T0 (4) is the window's highest
    assert.equal(replicasAt.get(WINDOW), 4);
    assert.equal(replicasAt.get(WINDOW + TICK), 4);
    // 5 min after the last "4" (made at T0+30 s, superseded at T0+60 s)
    assert.equal(replicasAt.get(WINDOW + 2 * TICK), 2);
  });

  test('one tick of high load inside the window restarts the wait', () => {
    const w = world(6);
    const t0 = settle(w, 0, 10 * MIN, 400, 6);
    let t = t0;
    for (; t < t0 + 4 * MIN; t += TICK) assert.equal(tick(w, { at: t, observed: fresh(100), planned: allocated('A100', 2) }).replicas, 6);
    const spike = t;
    assert.equal(tick(w, { at: spike, observed: fresh(400), planned: allocated('A100', 6) }).reason, ScaleReason.steady);
    for (t = spike + TICK; t < spike + WINDOW + TICK; t += TICK) {
      const a = tick(w, { at: t, observed: fresh(100), planned: allocated('A100', 2) });
      // the spike's recommendation is in force until spike + 30 s, so the window closes at spike + 30 s + 5 min
      if (t < spike + TICK + WINDOW) assert.equal(a.replicas, 6, `at spike+${(t - spike) / S} s`);
    }
    assert.equal(tick(w, { at: spike + TICK + WINDOW, observed: fresh(100), planned: allocated('A100', 2) }).replicas, 2);
  });

  test('a lowered maxReplicas applies at once, without waiting for the window', () => {
    const w = world(8);
    settle(w, 0, 10 * MIN, 500, 8);
    const a = tick(w, { at: 10 * MIN, observed: fresh(500), planned: allocated('A100', 8) }, { ...basePolicy, maxReplicas: 5 });
    assert.equal(a.replicas, 5);
    assert.equal(a.reason, ScaleReason.maxReplicas);
    assert.equal(a.direction, 'down');
  });
});

describe('decide: starting replicas are capacity on the way (no cascade)', () => {
  test('does not add replicas while the ones the load needs are still starting', () => {
    const w = world(2);
    const up = tick(w, { at: 0, observed: fresh(300), planned: allocated('A100', 5), starting: 3 });
    assert.equal(up.replicas, 5);
    assert.deepEqual([w.current.readyReplicas, w.current.startingReplicas], [2, 3]);
    // The load is unchanged; only 2 of 5 are ready for 3 minutes, their latencies are bad meanwhile.
    for (let t = TICK; t <= 3 * MIN; t += TICK) {
      const a = tick(w, { at: t, observed: fresh(300), planned: allocated('A100', 5), starting: t < 2 * MIN ? 3 : 1 });
      assert.equal(a.kind, 'steady');
      assert.equal(a.replicas, 5);
      assert.equal(a.reason, ScaleReason.replicasStarting);
      assert.match(a.message, /still starting/);
    }
    assert.equal(w.current.specReplicas, 5);
  });

  test('more load while replicas start adds only the difference', () => {
    const w = world(5);
    w.current = { ...w.current, readyReplicas: 2, startingReplicas: 3 };
    const a = tick(w, { at: 0, observed: fresh(360), planned: allocated('A100', 6), starting: 4 });
    assert.equal(a.replicas, 6);
    assert.equal(a.direction, 'up');
  });
});

describe('decide: unknown or stale metrics hold', () => {
  test('unknown, stale, NaN or negative observations hold the current replicas with the reason', () => {
    const cases: [Observed, RegExp][] = [
      [unknown, /ECONNREFUSED/],
      [{ kind: 'known', arrivalRate: 100, sampleAgeMs: 5 * MIN }, /stale: newest sample 300 s old \(limit 120 s\)/],
      [{ kind: 'known', arrivalRate: Number.NaN, sampleAgeMs: 0 }, /not a usable number/],
      [{ kind: 'known', arrivalRate: -1, sampleAgeMs: 0 }, /not a usable number/],
      [{ kind: 'known', arrivalRate: 10, sampleAgeMs: Number.POSITIVE_INFINITY }, /stale/],
    ];
    for (const [observed, why] of cases) {
      const w = world(4);
      settle(w, 0, 10 * MIN, 200, 4);
      // the solver (fed zeros by a careless collector) would say 1; up or down, nothing moves
      for (const planned of [allocated('A100', 1), allocated('A100', 9)]) {
        const a = decide({ now: 10 * MIN, current: w.current, observed, planned, stay: undefined, policy: basePolicy, memory: w.memory });
        assert.equal(a.kind, 'hold');
        assert.equal(a.replicas, 4);
        assert.equal(a.direction, 'none');
        assert.equal(a.reason, ScaleReason.metricsUnavailable);
        assert.match(a.message, why);
      }
    }
  });

  test('a gap of unknown data restarts the window before any scale-down', () => {
    const w = world(6);
    let t = settle(w, 0, 10 * MIN, 100, 6);
    // low load for a whole window, but Prometheus is down on the tick before the window closes
    for (; t < 10 * MIN + WINDOW - TICK; t += TICK) tick(w, { at: t, observed: fresh(100), planned: allocated('A100', 2) });
    assert.equal(tick(w, { at: t, observed: unknown, planned: allocated('A100', 2) }).kind, 'hold');
    const back = t + TICK;
    for (t = back; t < back + WINDOW; t += TICK) assert.equal(tick(w, { at: t, observed: fresh(100), planned: allocated('A100', 2) }).replicas, 6);
    assert.equal(tick(w, { at: back + WINDOW, observed: fresh(100), planned: allocated('A100', 2) }).replicas, 2);
  });

  test('an unallocated server holds with the solver\'s reason', () => {
    const a = decide({
      now: 0, current: world(3).current, observed: fresh(100), planned: { kind: 'unallocated', reason: 'no capacity left for A100' },
      stay: undefined, policy: basePolicy, memory: EmptyMemory,
    });
    assert.deepEqual([a.kind, a.replicas, a.reason], ['hold', 3, ScaleReason.notAllocated]);
    assert.match(a.message, /no capacity left for A100/);
  });
});

describe('decide: scale to zero', () => {
  const zeroOk: ScalePolicy = { ...basePolicy, minReplicas: 0 };

  test('with minReplicas 0, only after the load has been zero for the whole window', () => {
    const w = world(1);
    const t0 = settle(w, 0, 10 * MIN, 30, 1, zeroOk);
    for (let t = t0; t < t0 + WINDOW; t += TICK) {
      const a = tick(w, { at: t, observed: fresh(0), planned: allocated('A100', 0) }, zeroOk);
      assert.equal(a.replicas, 1, `at +${(t - t0) / S} s`);
    }
    const a = tick(w, { at: t0 + WINDOW, observed: fresh(0), planned: allocated('A100', 0) }, zeroOk);
    assert.deepEqual([a.kind, a.replicas, a.direction, a.reason], ['scale', 0, 'down', ScaleReason.scaleToZero]);
    // stays at zero while there is no load; comes back at once when there is
    assert.equal(tick(w, { at: t0 + WINDOW + TICK, observed: fresh(0), planned: allocated('A100', 0) }, zeroOk).kind, 'steady');
    const back = tick(w, { at: t0 + WINDOW + 2 * TICK, observed: fresh(20), planned: allocated('A100', 1) }, zeroOk);
    assert.deepEqual([back.replicas, back.direction], [1, 'up']);
  });

  test('never with minReplicas 1, and never while any load is seen (even if the solver rounds it to 0)', () => {
    const w1 = world(1);
    const t1 = settle(w1, 0, 10 * MIN, 0, 1);
    for (let t = t1; t < t1 + 3 * WINDOW; t += TICK) assert.equal(tick(w1, { at: t, observed: fresh(0), planned: allocated('A100', 0) }).replicas, 1);

    const w2 = world(1);
    let t = settle(w2, 0, 10 * MIN, 0.01, 0, zeroOk);
    for (; t < 10 * MIN + 3 * WINDOW; t += TICK) assert.equal(tick(w2, { at: t, observed: fresh(0.01), planned: allocated('A100', 0) }, zeroOk).replicas, 1);
  });

  test('one tick with load inside the window restarts it', () => {
    const w = world(1);
    let t = settle(w, 0, WINDOW - TICK, 0, 0, zeroOk);
    tick(w, { at: t, observed: fresh(5), planned: allocated('A100', 1) }, zeroOk);
    const last = t;
    for (t = last + TICK; t < last + TICK + WINDOW; t += TICK) assert.equal(tick(w, { at: t, observed: fresh(0), planned: allocated('A100', 0) }, zeroOk).replicas, 1);
    assert.equal(tick(w, { at: t, observed: fresh(0), planned: allocated('A100', 0) }, zeroOk).replicas, 0);
  });

  test('at zero replicas without metrics (no pods to scrape) it holds at zero', () => {
    const a = decide({ now: 0, current: world(0).current, observed: unknown, planned: allocated('A100', 1), stay: undefined, policy: zeroOk, memory: EmptyMemory });
    assert.deepEqual([a.kind, a.replicas], ['hold', 0]);
  });
});

describe('decide: accelerator and batch-size changes', () => {
  // current: 4 × A100 = 720 ¢/h; staying needs the same 4 replicas
  const stay: StayOption = { replicas: 4, cost: 720 };

  test('a move only for a saving waits until the plan has preferred it for the whole window, without a break', () => {
    const w = world(4);
    const cheap = allocated('L4', 5);
    for (let t = 0; t < WINDOW; t += TICK) {
      const a = tick(w, { at: t, observed: fresh(240), planned: cheap, stay });
      assert.deepEqual([a.kind, a.reason], ['steady', ScaleReason.switchDeferred], `moved after ${t / S} s`);
      assert.match(a.message, new RegExp(`the plan has preferred a cheaper template for ${t / S} s; a move the current one does not need waits until that has held for 300 s`));
    }
    // one tick preferring to stay (a dip, a burst) restarts the window
    const w2 = world(4);
    for (let t = 0; t < WINDOW - TICK; t += TICK) tick(w2, { at: t, observed: fresh(240), planned: cheap, stay });
    assert.equal(tick(w2, { at: WINDOW - TICK, observed: fresh(240), planned: allocated('A100', 4) }).kind, 'steady');
    assert.equal(w2.memory.savingSince, undefined);
    for (let t = WINDOW; t < 2 * WINDOW; t += TICK) assert.equal(tick(w2, { at: t, observed: fresh(240), planned: cheap, stay }).kind, 'steady');
    assert.equal(tick(w2, { at: 2 * WINDOW, observed: fresh(240), planned: cheap, stay }).kind, 'switch');
    assert.equal(tick(w, { at: WINDOW, observed: fresh(240), planned: cheap, stay }).kind, 'switch');
  });

  test('a gap in the metrics restarts the preference; a new leader (empty memory) starts its own window', () => {
    const cheap = allocated('L4', 5);
    const w = world(4);
    for (let t = 0; t < WINDOW; t += TICK) tick(w, { at: t, observed: t === 2 * MIN ? unknown : fresh(240), planned: cheap, stay });
    assert.equal(tick(w, { at: WINDOW, observed: fresh(240), planned: cheap, stay }).kind, 'steady', 'the window restarted after the gap');
    // a leader that just took over knows nothing of the old leader's window: it waits one of its own
    const leader = world(4);
    assert.equal(tick(leader, { at: 10 * MIN, observed: fresh(240), planned: cheap, stay }).kind, 'steady');
  });

  test('only when the saving exceeds the switching surcharge', () => {
    // 3 × H100 = 750: more expensive → stay (and the reason says why)
    const w1 = world(4);
    const a1 = tick(w1, { at: 0, observed: fresh(240), planned: allocated('H100', 3), stay });
    assert.deepEqual([a1.kind, a1.replicas, a1.reason, w1.current.accelerator], ['steady', 4, ScaleReason.switchDeferred, 'A100']);
    assert.match(a1.message, /not more than the 147 ¢\/h switching surcharge/);
    // 5 × L4 = 300 ¢/h: a saving of 420 > 0.1·(720 + 300) = 102 → move
    const w2 = preferredFor(world(4));
    const a2 = tick(w2, { at: 0, observed: fresh(240), planned: allocated('L4', 5), stay });
    assert.equal(a2.kind, 'switch');
    assert.deepEqual(a2.template, { accelerator: 'L4', maxBatch: 32 });
    assert.equal(a2.replicas, 5);
    assert.equal(a2.reason, ScaleReason.acceleratorChange);
    assert.match(a2.message, /A100 ×4 \(batch 32\) to L4 ×5 \(batch 32\)/);
  });

  test('a saving just below the surcharge does not move; just above does', () => {
    // surcharge = 0.1·(720 + c); saving = 720 − c > surcharge ⇔ c < 720·0.9/1.1 = 589.09…
    const near = (cost: number): Planned => {
      const p = allocated('H100', 2);
      assert.ok(p.kind === 'allocated');
      return { ...p, allocation: { ...p.allocation, cost } };
    };
    assert.equal(tick(preferredFor(world(4)), { at: 0, observed: fresh(240), planned: near(589.1), stay }).kind, 'steady');
    assert.equal(tick(preferredFor(world(4)), { at: 0, observed: fresh(240), planned: near(589.0), stay }).kind, 'switch');
  });

  test('only when the new GPUs are free', () => {
    const w = preferredFor(world(4));
    const a = tick(w, { at: 0, observed: fresh(240), planned: allocated('L4', 5, { freeUnits: 4 }), stay });
    assert.deepEqual([a.kind, a.replicas, a.reason], ['steady', 4, ScaleReason.switchDeferred]);
    assert.match(a.message, /L4 has 4 free GPU unit\(s\), the move needs 5/);
    assert.equal(tick(w, { at: TICK, observed: fresh(240), planned: allocated('L4', 5, { freeUnits: 5 }), stay }).kind, 'switch');
  });

  test('at most once per window; the way back waits for its own window of preference', () => {
    const w = preferredFor(world(4));
    assert.equal(tick(w, { at: 0, observed: fresh(240), planned: allocated('L4', 5), stay }).kind, 'switch');
    // back to A100 would save a lot (say the L4 profile turned out slow): still not within the window
    const backStay: StayOption = { replicas: 12, cost: 720 };
    for (let t = TICK; t < WINDOW; t += TICK) {
      const a = tick(w, { at: t, observed: fresh(240), planned: allocated('A100', 2), stay: backStay });
      assert.equal(a.kind === 'switch', false, `switched again at ${t / S} s`);
      assert.match(a.message, /at most one per 300 s/);
    }
    assert.equal(w.current.accelerator, 'L4');
    // preferred since TICK: a window of it is complete one tick after the once-per-window limit ends
    const waiting = tick(w, { at: WINDOW, observed: fresh(240), planned: allocated('A100', 2), stay: backStay });
    assert.match(waiting.message, /the plan has preferred a cheaper template for 270 s/);
    const again = tick(w, { at: WINDOW + TICK, observed: fresh(240), planned: allocated('A100', 2), stay: backStay });
    assert.deepEqual([again.kind, again.template?.accelerator], ['switch', 'A100']);
  });

  test('while the current replicas keep the template, they follow the load on the current accelerator', () => {
    const w = preferredFor(world(4));
    const a = tick(w, { at: 0, observed: fresh(400), planned: allocated('L4', 9, { freeUnits: 2 }), stay: { replicas: 6, cost: 1080 } });
    assert.deepEqual([a.kind, a.replicas, a.reason, w.current.accelerator], ['scale', 6, ScaleReason.loadIncrease, 'A100']);
    assert.match(a.message, /deferred: L4 has 2 free/);
  });

  test('not while replicas are starting (a rollout in progress)', () => {
    const w = preferredFor(world(4));
    w.current = { ...w.current, readyReplicas: 3, startingReplicas: 1 };
    const a = tick(w, { at: 0, observed: fresh(240), planned: allocated('L4', 5), stay });
    assert.equal(a.kind, 'steady');
    assert.match(a.message, /1 replica\(s\) are still starting/);
  });

  test('a batch-size change on the same accelerator follows the same rules', () => {
    const w = preferredFor(world(4));
    const a = tick(w, { at: 0, observed: fresh(240), planned: allocated('A100', 2, { maxBatch: 64 }), stay });
    assert.deepEqual([a.kind, a.reason, a.template], ['switch', ScaleReason.batchSizeChange, { accelerator: 'A100', maxBatch: 64 }]);
  });

  test('a move to fewer replicas keeps the current count while the new pods start, then scales down after the window', () => {
    // A Deployment cuts its old pods to the new spec.replicas at once: 4 → 2 would leave 2 old pods with the load of 4.
    const w = preferredFor(world(4));
    const a = tick(w, { at: 0, observed: fresh(240), planned: allocated('A100', 2, { maxBatch: 64 }), stay });
    assert.deepEqual([a.kind, a.replicas, a.direction], ['switch', 4, 'none']);
    assert.match(a.message, /keeping 4 replica\(s\) while the new ones start, 2 once the load has needed no more for 300 s/);
    for (let t = TICK; t < WINDOW; t += TICK) assert.equal(tick(w, { at: t, observed: fresh(240), planned: allocated('A100', 2, { maxBatch: 64 }) }).replicas, 4);
    assert.equal(tick(w, { at: WINDOW, observed: fresh(240), planned: allocated('A100', 2, { maxBatch: 64 }) }).replicas, 2);
    // when the new type has room only for the planned count, the move goes ahead with it
    const tight = tick(preferredFor(world(4)), { at: 0, observed: fresh(240), planned: allocated('L4', 2, { freeUnits: 3 }), stay });
    assert.deepEqual([tight.kind, tight.replicas, tight.direction], ['switch', 2, 'down']);
  });

  test('when the current accelerator cannot serve the load, moves even at a higher cost; holds if it may not move yet', () => {
    const w = world(4);
    const a = tick(w, { at: 0, observed: fresh(900), planned: allocated('H100', 6) });
    assert.deepEqual([a.kind, a.replicas, a.template?.accelerator], ['switch', 6, 'H100']);
    assert.match(a.message, /cannot serve the load/);
    const held = tick(w, { at: TICK, observed: fresh(900), planned: allocated('A100', 3) });
    assert.deepEqual([held.kind, held.replicas, held.reason], ['hold', 6, ScaleReason.switchDeferred]);
  });

  test('a Deployment inferno never placed gets the solver\'s template at once', () => {
    const w = world(1, '', 0);
    const a = tick(w, { at: 0, observed: fresh(60), planned: allocated('A100', 2) });
    assert.deepEqual([a.kind, a.replicas, a.template], ['switch', 2, { accelerator: 'A100', maxBatch: 32 }]);
  });

  test('after a switch, a scale-down on the new accelerator waits a full window of its own', () => {
    const w = preferredFor(world(4));
    tick(w, { at: 0, observed: fresh(240), planned: allocated('L4', 5), stay });
    // the switch's recommendation (5) is in force until the next tick, so the window closes 5 min after that
    for (let t = TICK; t <= WINDOW; t += TICK) assert.equal(tick(w, { at: t, observed: fresh(100), planned: allocated('L4', 2) }).replicas, 5);
    assert.equal(tick(w, { at: WINDOW + TICK, observed: fresh(100), planned: allocated('L4', 2) }).replicas, 2);
  });
});

describe('decide: min/max', () => {
  test('clamps the solver\'s replicas into [min, max] with the reason', () => {
    const policy = { ...basePolicy, minReplicas: 2, maxReplicas: 6 };
    const w = world(1);
    const a = tick(w, { at: 0, observed: fresh(10), planned: allocated('A100', 1) }, policy);
    assert.deepEqual([a.replicas, a.reason], [2, ScaleReason.minReplicas]);
    const b = tick(w, { at: TICK, observed: fresh(10_000), planned: allocated('A100', 40) }, policy);
    assert.deepEqual([b.replicas, b.reason], [6, ScaleReason.loadIncrease]);
    const c = tick(w, { at: 2 * TICK, observed: fresh(10_000), planned: allocated('A100', 40) }, policy);
    assert.deepEqual([c.kind, c.replicas], ['steady', 6]);
  });

  test('random timelines: replicas stay in bounds, scale-downs only after a fully known window of lower needs', () => {
    let seed = 0x9e3779b9;
    const rand = (): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    for (let run = 0; run < 40; run++) {
      const policy: ScalePolicy = { ...basePolicy, minReplicas: run % 3, maxReplicas: 3 + (run % 5), stabilizationWindowMs: (1 + (run % 4)) * MIN };
      const w = world(policy.minReplicas + 1);
      const log: { at: number; known: boolean; need: number; zero: boolean }[] = [];
      let level = 2;
      for (let i = 0, t = 0; i < 200; i++, t += 10 * S + Math.floor(rand() * 40 * S)) {
        if (rand() < 0.2) level = Math.floor(rand() * 12);
        const known = rand() > 0.1;
        const rate = level === 0 ? 0 : level * 60;
        const before = w.current.specReplicas;
        const a = tick(w, { at: t, observed: known ? fresh(rate) : unknown, planned: allocated('A100', level), starting: rand() < 0.3 ? 1 : 0 }, policy);
        log.push({ at: t, known, need: Math.min(Math.max(level, policy.minReplicas), policy.maxReplicas), zero: rate === 0 });
        if (a.kind === 'hold') {
          assert.equal(a.replicas, before);
          continue;
        }
        assert.ok(a.replicas >= policy.minReplicas && a.replicas <= policy.maxReplicas, `run ${run} t ${t}: ${a.replicas} outside [${policy.minReplicas}, ${policy.maxReplicas}]`);
        if (a.replicas < before) {
          // independent oracle: every tick from the one in force at t − window up to t was known and needed ≤ target
          const start = t - policy.stabilizationWindowMs;
          const inForce = log.filter((e) => e.at <= start).at(-1);
          assert.ok(inForce !== undefined, `run ${run} t ${t}: scaled down without a full window of history`);
          const span = log.filter((e) => e.at >= inForce.at);
          assert.ok(span.every((e) => e.known && e.need <= a.replicas), `run ${run} t ${t}: down to ${a.replicas} but ${JSON.stringify(span)}`);
          if (a.replicas === 0) assert.ok(span.every((e) => e.zero));
        }
        assert.ok(a.memory.recommendations.length <= MaxRecommendations);
      }
    }
  });

  test('memory stays bounded by the window over a long run', () => {
    const w = world(3);
    for (let t = 0; t < 6 * 3600 * S; t += S) tick(w, { at: t, observed: fresh(180), planned: allocated('A100', 3) });
    assert.ok(w.memory.recommendations.length <= WINDOW / S + 1, String(w.memory.recommendations.length));
  });
});
