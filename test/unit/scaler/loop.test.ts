import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { abortableSleep, DefaultTickIntervalMs, runLoop } from '../../../src/scaler/loop.js';

const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

describe('runLoop', () => {
  test('never overlaps ticks; a slow tick delays the next by a full interval (real timers)', async () => {
    const spans: [number, number][] = [];
    let running = 0;
    let maxRunning = 0;
    const n = await runLoop({
      intervalMs: () => 20,
      signal: new AbortController().signal,
      maxTicks: 5,
      onError: (e) => {
        throw e;
      },
      tick: async (i) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        const start = performance.now();
        await delay(i === 1 ? 80 : 5); // tick 1 is four intervals long
        running--;
        spans.push([start, performance.now()]);
      },
    });
    assert.equal(n, 5);
    assert.equal(maxRunning, 1);
    for (let i = 1; i < spans.length; i++) {
      const gap = spans[i]![0] - spans[i - 1]![1];
      // setTimeout may fire up to ~1 ms early relative to performance.now(); never a whole interval early
      assert.ok(gap >= 18, `tick ${i} started ${gap.toFixed(1)} ms after tick ${i - 1} ended`);
    }
  });

  test('re-reads the interval after every tick; bad values are reported and the last good one is kept', async () => {
    const waits: number[] = [];
    const errors: string[] = [];
    const script: (number | Error)[] = [100, 100, 250, Number.NaN, 0, new Error('controller ConfigMap unreadable'), 40];
    let next = 0;
    await runLoop({
      intervalMs: () => {
        const v = script[next++] ?? 40;
        if (v instanceof Error) throw v;
        return v;
      },
      signal: new AbortController().signal,
      maxTicks: 8,
      onError: (e) => errors.push(e instanceof Error ? e.message : String(e)),
      tick: () => Promise.resolve(),
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    assert.deepEqual(waits, [100, 100, 250, 250, 250, 250, 40]);
    assert.equal(errors.length, 3);
    assert.match(errors[0]!, /NaN ms is outside/);
    assert.match(errors[1]!, /0 ms is outside/);
    assert.equal(errors[2], 'controller ConfigMap unreadable');
  });

  test('uses the default until the interval is first readable', async () => {
    const waits: number[] = [];
    await runLoop({
      intervalMs: () => -1,
      signal: new AbortController().signal,
      maxTicks: 2,
      onError: () => undefined,
      tick: () => Promise.resolve(),
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    assert.deepEqual(waits, [DefaultTickIntervalMs]);
  });

  test('a failing tick is reported and the loop goes on (also when the reporter throws)', async () => {
    const seen: number[] = [];
    const failed: [string, number][] = [];
    const n = await runLoop({
      intervalMs: () => 10,
      signal: new AbortController().signal,
      maxTicks: 4,
      onError: (e, i) => {
        failed.push([(e as Error).message, i]);
        throw new Error('reporter broke');
      },
      tick: (i) => {
        seen.push(i);
        return i === 1 || i === 2 ? Promise.reject(new Error(`API server said 500 on tick ${i}`)) : Promise.resolve();
      },
      sleep: () => Promise.resolve(),
    });
    assert.equal(n, 4);
    assert.deepEqual(seen, [0, 1, 2, 3]);
    assert.deepEqual(failed, [['API server said 500 on tick 1', 1], ['API server said 500 on tick 2', 2]]);
  });

  test('jitter spreads each wait by ± the fraction', async () => {
    const waits: number[] = [];
    const randoms = [0, 0.5, 0.999999];
    await runLoop({
      intervalMs: () => 1000,
      signal: new AbortController().signal,
      maxTicks: 4,
      jitter: 0.1,
      random: () => randoms.shift() ?? 0.5,
      onError: () => undefined,
      tick: () => Promise.resolve(),
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    assert.deepEqual(waits, [900, 1000, 1100]);
  });

  test('abort during the wait ends the loop at once (real timers, 60 s interval)', async () => {
    const ac = new AbortController();
    let ticks = 0;
    const started = performance.now();
    const loop = runLoop({
      intervalMs: () => 60_000,
      signal: ac.signal,
      onError: () => undefined,
      tick: () => {
        ticks++;
        return Promise.resolve();
      },
    });
    await delay(30);
    ac.abort();
    assert.equal(await loop, 1);
    assert.equal(ticks, 1);
    assert.ok(performance.now() - started < 5_000, 'the 60 s wait was cut short');
  });

  test('abort during a tick awaits that tick, passes it the signal, and starts no other', async () => {
    const ac = new AbortController();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let sawAbort = false;
    let finished = false;
    let ticks = 0;
    const loop = runLoop({
      intervalMs: () => 10,
      signal: ac.signal,
      onError: () => undefined,
      sleep: () => Promise.resolve(),
      tick: async (_n, signal) => {
        ticks++;
        await gate;
        sawAbort = signal.aborted;
        finished = true;
      },
    });
    let resolved = false;
    void loop.then(() => {
      resolved = true;
    });
    await delay(10);
    ac.abort();
    await delay(20);
    assert.equal(resolved, false, 'the loop must not end while its tick runs');
    release();
    assert.equal(await loop, 1);
    assert.deepEqual([ticks, finished, sawAbort], [1, true, true]);
  });

  test('an already aborted signal runs no tick', async () => {
    const ac = new AbortController();
    ac.abort();
    assert.equal(await runLoop({ intervalMs: () => 10, signal: ac.signal, onError: () => undefined, tick: () => Promise.reject(new Error('ran')) }), 0);
  });
});

describe('abortableSleep', () => {
  test('waits the time, or less when aborted; leaves no timer behind', async () => {
    const t0 = performance.now();
    await abortableSleep(30, new AbortController().signal);
    assert.ok(performance.now() - t0 >= 28);
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const ac = new AbortController();
    const t1 = performance.now();
    const p = abortableSleep(60_000, ac.signal);
    assert.equal(timers(), before + 1);
    ac.abort();
    await p;
    assert.ok(performance.now() - t1 < 1000);
    assert.equal(timers(), before, 'the 60 s timer was cleared');
  });
});
