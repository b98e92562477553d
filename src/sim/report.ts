// What a run shows, per policy and service class: the share of requests meeting both SLO targets, TTFT and ITL
// percentiles, GPU cost and GPU-hours by type, scale events; and the time series the report's charts draw.
// A request meets its SLO when it finished with TTFT ≤ the class's TTFT target and its mean ITL (time between its
// first and last token over the gaps) ≤ the ITL target; refused and unfinished requests miss it.
import type { RunResult } from './run.js';
import type { Arrivals } from './traffic.js';

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly mean: number;
}

export interface ClassSummary {
  readonly cls: string;
  /** ms; 0 = unconstrained */
  readonly ttftTarget: number;
  readonly itlTarget: number;
  readonly requests: number;
  readonly met: number;
  /** met / requests; NaN without requests */
  readonly attainment: number;
  readonly refused: number;
  readonly unfinished: number;
  /** ms, over requests that got a first token */
  readonly ttft: Percentiles;
  /** ms, per-request mean ITL, over finished requests with two or more tokens */
  readonly itl: Percentiles;
}

export interface PolicySummary {
  readonly policy: string;
  readonly classes: readonly ClassSummary[];
  readonly requests: number;
  readonly attainment: number;
  /** dollars over the traffic's duration */
  readonly cost: number;
  readonly gpuHoursByType: Readonly<Record<string, number>>;
  /** spec.replicas changes and template changes */
  readonly scaleEvents: number;
  readonly templateChanges: number;
}

/** Nearest-rank percentiles of a sample; NaN for an empty one (shown as "-", never 0). */
export function percentiles(values: Float64Array): Percentiles {
  const a = values.slice().sort();
  const at = (q: number): number => (a.length === 0 ? Number.NaN : a[Math.min(a.length - 1, Math.max(0, Math.ceil(q * a.length) - 1))] ?? Number.NaN);
  let sum = 0;
  for (const v of a) sum += v;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), mean: a.length > 0 ? sum / a.length : Number.NaN };
}

/** Per request: TTFT and mean ITL (ms; NaN when it did not happen) and whether it met its class's targets. */
export interface RequestOutcomes {
  readonly ttft: Float64Array;
  readonly itl: Float64Array;
  readonly met: Uint8Array;
}

export function outcomes(run: RunResult, arrivals: Arrivals): RequestOutcomes {
  const { log, deployments } = run.fleet;
  const n = arrivals.count;
  const ttft = new Float64Array(n).fill(Number.NaN);
  const itl = new Float64Array(n).fill(Number.NaN);
  const met = new Uint8Array(n);
  const targets = deployments.map((d) => d.setup.target);
  for (let k = 0; k < n; k += 1) {
    const target = targets[arrivals.deployment[k] ?? 0];
    const first = log.firstToken[k] ?? Number.NaN;
    const end = log.finished[k] ?? Number.NaN;
    const tokens = log.tokens[k] ?? 0;
    const t = first - (arrivals.t[k] ?? 0);
    const i = tokens > 1 ? (end - first) / (tokens - 1) : Number.NaN;
    ttft[k] = t;
    itl[k] = i;
    // NaN compares false: a request without a first token or an end misses.
    const ttftOk = target !== undefined && (target.ttft <= 0 ? !Number.isNaN(t) : t <= target.ttft);
    const itlOk = target !== undefined && (tokens <= 1 || target.itl <= 0 || i <= target.itl);
    met[k] = ttftOk && itlOk && end >= 0 && log.rejected[k] !== 1 ? 1 : 0;
  }
  return { ttft, itl, met };
}

export function summarize(run: RunResult, arrivals: Arrivals, o: RequestOutcomes = outcomes(run, arrivals)): PolicySummary {
  const { log, deployments } = run.fleet;
  const classes = [...new Set(deployments.map((d) => d.setup.cls.name))].sort();
  const summaries = classes.map((cls): ClassSummary => {
    const members = new Set(deployments.filter((d) => d.setup.cls.name === cls).map((d) => d.index));
    const ttfts: number[] = [];
    const itls: number[] = [];
    let requests = 0, met = 0, refused = 0, unfinished = 0;
    for (let k = 0; k < arrivals.count; k += 1) {
      if (!members.has(arrivals.deployment[k] ?? -1)) continue;
      requests += 1;
      met += o.met[k] ?? 0;
      if (log.rejected[k] === 1) refused += 1;
      else if (Number.isNaN(log.finished[k] ?? Number.NaN)) unfinished += 1;
      const t = o.ttft[k] ?? Number.NaN;
      const i = o.itl[k] ?? Number.NaN;
      if (!Number.isNaN(t)) ttfts.push(t);
      if (!Number.isNaN(i)) itls.push(i);
    }
    // One class's SLO targets: the same for all its models in the default scenario; the table shows the strictest.
    const targets = deployments.filter((d) => d.setup.cls.name === cls).map((d) => d.setup.target);
    const positive = (xs: number[]): number => (xs.filter((x) => x > 0).length > 0 ? Math.min(...xs.filter((x) => x > 0)) : 0);
    return {
      cls, ttftTarget: positive(targets.map((t) => t.ttft)), itlTarget: positive(targets.map((t) => t.itl)),
      requests, met, attainment: requests > 0 ? met / requests : Number.NaN, refused, unfinished,
      ttft: percentiles(Float64Array.from(ttfts)), itl: percentiles(Float64Array.from(itls)),
    };
  });
  const requests = summaries.reduce((a, c) => a + c.requests, 0);
  const met = summaries.reduce((a, c) => a + c.met, 0);
  const gpuHoursByType = Object.fromEntries(Object.entries(run.usage.gpuMsByType).filter(([, ms]) => ms > 0).sort(([a], [b]) => (a < b ? -1 : 1)).map(([type, ms]) => [type, ms / 3_600_000]));
  return {
    policy: run.policy, classes: summaries, requests, attainment: requests > 0 ? met / requests : Number.NaN,
    cost: run.usage.costCents / 100, gpuHoursByType,
    scaleEvents: deployments.reduce((a, d) => a + d.scaleEvents, 0), templateChanges: deployments.reduce((a, d) => a + d.templateChanges, 0),
  };
}
