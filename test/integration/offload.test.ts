// The worker thread the webhook solves in: real threads, real deadlines. Cheap tasks stay inline; heavy ones give the
// same answer as inline; one over its deadline is stopped (the worker is replaced) and the next still succeeds; a
// full queue refuses at once.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Limits } from '../../src/domain/limits.js';
import type { System } from '../../src/domain/types.js';
import { createAnalyzerCache, solve } from '../../src/solver/index.js';
import type { Offload } from '../../src/threads/offload.js';
import { OffloadError, defaultOffloadOptions, startOffload } from '../../src/threads/offload.js';
import { solveStates } from '../../src/threads/tasks.js';
import { acc, cls, profile, server, system } from '../support/system.js';

const names = Array.from({ length: Limits.maxProfiles }, (_, i) => `G${i}`);
/** The largest valid input: every profile at the batch-size bound; `out` varies the reply length (no cache hits). */
const heavy = (out: number): System => system({
  accelerators: names.map((n, i) => acc(n, 100 + i)),
  serviceClasses: [cls('Premium', 1, [{ model: 'm', itl: 200, ttft: 5000 }])],
  servers: [server('models/heavy', {
    load: { arrivalRate: 600, avgInTokens: 256, avgOutTokens: out },
    profiles: names.map((n, i) => profile(n, { maxBatchSize: Limits.maxBatchSize, alpha: 5 + i * 0.05, beta: 0.01, gamma: 40, delta: 0.001 })),
  })],
  options: { unlimited: true, saturationPolicy: 'None', delayedBestEffort: false, algorithm: 'greedy', penaltyFactor: 0.1, analyzer: 'v2' },
});
const light = system({ accelerators: [acc('A', 1)], serviceClasses: [cls('Premium', 1, [{ model: 'm', itl: 200 }])], servers: [server('s', { profiles: [profile('A', { maxBatchSize: 16, alpha: 5, beta: 0.1 })] })] });

const open: Offload[] = [];
// Deadlines far beyond the work (a loaded CI machine is slow) except where the deadline is the point.
const generousDeadlines = { solve: 60_000, checkConfigMap: 60_000 };
const offload = (over: Partial<typeof defaultOffloadOptions> = {}): Offload => {
  const o = startOffload({ ...defaultOffloadOptions, deadlineMs: generousDeadlines, ...over });
  open.push(o);
  return o;
};
after(async () => { await Promise.all(open.map((o) => o.close())); });

describe('offload', () => {
  test('cheap tasks run inline, heavy ones in the worker, with the same answer as inline', async () => {
    assert.ok(solveStates(light) <= defaultOffloadOptions.inlineCost.solve);
    assert.ok(solveStates(heavy(100)) > defaultOffloadOptions.inlineCost.solve);
    const o = offload();
    assert.deepEqual(await o.run('solve', light), solve(light));
    assert.deepEqual(await o.run('solve', heavy(100)), solve(heavy(100), createAnalyzerCache()));
    assert.deepEqual(o.stats(), { inline: 1, offloaded: 1, timeouts: 0, rejected: 0, restarts: 0 });
  });

  test('a task over its deadline is stopped and the worker replaced; the next task succeeds', async () => {
    const o = offload({ deadlineMs: { solve: 40, checkConfigMap: 40 } });
    const t0 = performance.now();
    await assert.rejects(o.run('solve', heavy(101)), (e: unknown) => e instanceof OffloadError && /solve took longer than 40 ms and was stopped/.test(e.message));
    assert.ok(performance.now() - t0 < 1000, 'the caller gets its answer at the deadline, not when the work would end');
    const generous = offload();
    assert.deepEqual(await generous.run('solve', heavy(102)), solve(heavy(102), createAnalyzerCache()));
    // The timed-out offload keeps working too, with a fresh worker (cheap tasks inline in any case).
    assert.deepEqual(await o.run('solve', light), solve(light));
    assert.equal(o.stats().timeouts, 1);
    assert.equal(o.stats().restarts, 1);
  });

  test('beyond maxQueue waiting tasks, more are refused at once', async () => {
    const o = offload({ maxQueue: 1 });
    const first = o.run('solve', heavy(103)); // running
    const second = o.run('solve', heavy(104)); // waiting
    await assert.rejects(o.run('solve', heavy(105)), /the worker is busy \(1 tasks waiting\)/);
    await Promise.all([first, second]);
    assert.equal(o.stats().rejected, 1);
  });

  test('closing refuses what is pending and stops the worker', async () => {
    const o = offload();
    const pending = assert.rejects(o.run('solve', heavy(106)), /shutting down/);
    await o.close();
    await pending;
    await assert.rejects(o.run('solve', light), /shutting down/);
  });
});
