// The scaler's ticker: run a tick, wait, run the next. Never `setInterval(async …)`: a tick that takes longer than
// the interval would overlap the next one and its promise would float. Here each tick is awaited, the wait starts
// when it ends (a slow tick delays the next instead of piling up), and the interval is re-read before every wait, so
// a changed controller ConfigMap applies without a restart.

export const TickIntervalBounds = { minMs: 10, maxMs: 24 * 3600_000 } as const;
/** Used until intervalMs() first answers with a usable number. */
export const DefaultTickIntervalMs = 30_000;

export interface LoopOptions {
  /** re-read after every tick; out-of-range or non-finite answers are reported and the last good one is used */
  readonly intervalMs: () => number;
  /** aborting stops the loop: a pending wait ends at once, an in-flight tick is awaited (it gets the signal too) */
  readonly signal: AbortSignal;
  /** tick number n, from 0 */
  readonly tick: (n: number, signal: AbortSignal) => Promise<void>;
  /** a tick that threw, or a bad interval; the loop goes on */
  readonly onError: (error: unknown, n: number) => void;
  /** spread each wait by ± this fraction of the interval (0 ≤ jitter < 1; default 0) */
  readonly jitter?: number;
  /** [0, 1); default Math.random. Only used with jitter. */
  readonly random?: () => number;
  /** stop after this many ticks (default: until aborted) */
  readonly maxTicks?: number;
  /** waits `ms` or until `signal` aborts, whichever is first; never rejects. Injectable for tests. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Runs ticks until the signal aborts (or maxTicks); resolves with the number of ticks run, after the last one ended. */
export async function runLoop(o: LoopOptions): Promise<number> {
  const sleep = o.sleep ?? abortableSleep;
  const jitter = Math.min(Math.max(o.jitter ?? 0, 0), 0.99);
  const random = o.random ?? Math.random;
  const report = (error: unknown, n: number): void => {
    try {
      o.onError(error, n);
    } catch {
      // a failing error reporter must not stop the scaler
    }
  };
  let interval = DefaultTickIntervalMs;
  let n = 0;
  // a function, not an inline test: the signal can abort while a tick runs
  const stopped = (): boolean => o.signal.aborted || (o.maxTicks !== undefined && n >= o.maxTicks);
  while (!stopped()) {
    try {
      await o.tick(n, o.signal);
    } catch (error) {
      report(error, n);
    }
    n++;
    if (stopped()) break;
    interval = readInterval(o, interval, (e) => {
      report(e, n);
    });
    const wait = jitter === 0 ? interval : interval * (1 + jitter * (2 * random() - 1));
    await sleep(Math.round(wait), o.signal);
  }
  return n;
}

function readInterval(o: LoopOptions, last: number, report: (e: Error) => void): number {
  let ms: number;
  try {
    ms = o.intervalMs();
  } catch (error) {
    report(error instanceof Error ? error : new Error(String(error)));
    return last;
  }
  if (!Number.isFinite(ms) || ms < TickIntervalBounds.minMs || ms > TickIntervalBounds.maxMs) {
    report(new Error(`tick interval ${ms} ms is outside [${TickIntervalBounds.minMs}, ${TickIntervalBounds.maxMs}] ms; keeping ${last} ms`));
    return last;
  }
  return ms;
}
