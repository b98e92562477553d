// What the load generator recorded per request, column by column (typed arrays that grow by doubling, so a million
// requests cost tens of MB, not an object each), and the statistics computed from it. Pure.

export const Outcome = { pending: 0, ok: 1, http: 2, connection: 3, timeout: 4, dropped: 5, incomplete: 6, unfinished: 7 } as const;
export type OutcomeCode = (typeof Outcome)[keyof typeof Outcome];
export const outcomeName = (c: number): string => Object.entries(Outcome).find(([, v]) => v === c)?.[0] ?? 'unknown';

const columns = {
  plannedAt: Float64Array, sentAt: Float64Array, firstTokenAt: Float64Array, lastTokenAt: Float64Array,
  tokens: Uint32Array, inputTokens: Uint32Array, outputTokens: Uint32Array, outcome: Uint8Array, status: Uint16Array, target: Uint16Array,
} as const;
type Columns = { -readonly [K in keyof typeof columns]: InstanceType<(typeof columns)[K]> };

/** Per-request records; times are seconds from the start of the run, NaN when it did not happen. */
export class Samples {
  count = 0;
  cols: Columns;
  constructor(capacity = 1024) {
    this.cols = Samples.alloc(Math.max(16, capacity));
  }
  private static alloc(n: number): Columns {
    const c = Object.fromEntries(Object.entries(columns).map(([k, T]) => [k, new T(n)])) as unknown as Columns;
    for (const k of ['sentAt', 'firstTokenAt', 'lastTokenAt'] as const) c[k].fill(Number.NaN);
    return c;
  }
  /** Appends a planned request; returns its index. */
  add(plannedAt: number, inputTokens: number, outputTokens: number, target: number): number {
    if (this.count === this.cols.plannedAt.length) {
      const bigger = Samples.alloc(this.count * 2);
      for (const k of Object.keys(columns) as (keyof Columns)[]) (bigger[k] as { set(a: ArrayLike<number>): void }).set(this.cols[k]);
      this.cols = bigger;
    }
    const i = this.count;
    this.count += 1;
    const c = this.cols;
    c.plannedAt[i] = plannedAt;
    c.inputTokens[i] = inputTokens;
    c.outputTokens[i] = outputTokens;
    c.target[i] = target;
    return i;
  }
}

export interface Percentiles {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly count: number;
}

/** Nearest-rank percentiles; NaN for an empty set (the caller prints "no data", never 0). */
export function percentiles(values: ArrayLike<number>, mean?: number): Percentiles {
  const a = Float64Array.from(values).filter((v) => Number.isFinite(v)).sort();
  const at = (q: number): number => (a.length === 0 ? Number.NaN : a[Math.min(a.length - 1, Math.ceil(q * a.length) - 1)] ?? Number.NaN);
  const m = mean ?? (a.length === 0 ? Number.NaN : a.reduce((x, y) => x + y, 0) / a.length);
  return { mean: m, p50: at(0.5), p90: at(0.9), p99: at(0.99), count: a.length };
}

export interface Window {
  /** s from the start of the run */
  readonly from: number;
  readonly to: number;
}

export interface LoadStats {
  /** requests sent (dropped ones excluded) */
  readonly sent: number;
  /** sent per second over the window */
  readonly sentRate: number;
  readonly avgInputTokens: number;
  readonly avgOutputTokens: number;
  readonly completed: number;
  readonly outcomes: Record<string, number>;
  /** seconds */
  readonly ttft: Percentiles;
  /** seconds; mean token-weighted (all gaps / all tokens after the first), percentiles over the gap sample */
  readonly itl: Percentiles;
}

const inWindow = (t: number, w: Window): boolean => t > w.from && t <= w.to;

/**
 * Statistics over a window: arrivals by send time, TTFT by first-token time, ITL by the request's last token,
 * so that each matches what a server-side metric counts in the same window. `gaps` are ITL samples for percentiles.
 */
export function loadStats(s: Samples, w: Window, gaps: ArrayLike<number> = []): LoadStats {
  const c = s.cols;
  let sent = 0;
  let inSum = 0;
  let outSum = 0;
  let completed = 0;
  let gapTime = 0;
  let gapCount = 0;
  const ttfts: number[] = [];
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < s.count; i += 1) {
    const sentAt = c.sentAt[i] ?? Number.NaN;
    const planned = c.plannedAt[i] ?? Number.NaN;
    const outcome = c.outcome[i] ?? 0;
    if (inWindow(Number.isNaN(sentAt) ? planned : sentAt, w)) {
      const name = outcomeName(outcome);
      outcomes[name] = (outcomes[name] ?? 0) + 1;
      if (!Number.isNaN(sentAt)) {
        sent += 1;
        inSum += c.inputTokens[i] ?? 0;
        outSum += c.outputTokens[i] ?? 0;
      }
    }
    const first = c.firstTokenAt[i] ?? Number.NaN;
    const last = c.lastTokenAt[i] ?? Number.NaN;
    if (inWindow(first, w)) ttfts.push(first - sentAt);
    if (inWindow(last, w)) {
      if (outcome === Outcome.ok) completed += 1;
      const n = c.tokens[i] ?? 0;
      if (n > 1) {
        gapTime += last - first;
        gapCount += n - 1;
      }
    }
  }
  const span = w.to - w.from;
  return {
    sent, sentRate: span > 0 ? sent / span : Number.NaN,
    avgInputTokens: sent > 0 ? inSum / sent : Number.NaN,
    avgOutputTokens: sent > 0 ? outSum / sent : Number.NaN,
    completed, outcomes,
    ttft: percentiles(ttfts),
    itl: percentiles(gaps, gapCount > 0 ? gapTime / gapCount : Number.NaN),
  };
}
