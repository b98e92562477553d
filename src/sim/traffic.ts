// The simulator's traffic: arrival processes (constant, step, ramp, diurnal, bursty) as piecewise-linear rate
// profiles, Poisson arrivals through them (the load generator's arrivalTimes), token lengths per request, and a CSV
// trace's rows. Everything is drawn from seeded generators, one per model, so that a model's arrivals do not change
// when another model's traffic does. Pure: no clock, no I/O.
import type { RateSegment } from '../engine/arrivals.js';
import { LoadLimits, arrivalTimes } from '../engine/arrivals.js';
import type { Random } from '../engine/random.js';
import { exponential, lognormalFactor, seededRandom } from '../engine/random.js';
import type { TokenDist, TraceRow } from '../engine/tokens.js';
import { parseTokens, sampleTokens } from '../engine/tokens.js';

/** Hard bounds, so that no traffic spec makes the simulator allocate or loop without limit. */
export const TrafficLimits = { maxRequests: 2_000_000, maxDurationS: LoadLimits.maxDurationS, maxRate: 10_000, maxSegments: 100_000 } as const;

/** Rates are requests per second. */
export type ArrivalSpec =
  | { readonly kind: 'constant'; readonly rate: number }
  /** the last step without `seconds` lasts to the end */
  | { readonly kind: 'step'; readonly steps: readonly { readonly rate: number; readonly seconds?: number }[] }
  | { readonly kind: 'ramp'; readonly from: number; readonly to: number }
  /**
   * mean·(1 + amplitude·cos(2π(t − peakAt)/period)), times an independent mean-1 lognormal factor of spread `noise`
   * per minute (the rate moves linearly between minutes); the period defaults to the run (one compressed day), the
   * peak to the middle of the period
   */
  | { readonly kind: 'diurnal'; readonly mean: number; readonly amplitude: number; readonly periodS?: number; readonly peakAtS?: number; readonly noise: number }
  /** two-state Markov-modulated Poisson: `low` and `high` req/s, exponential sojourns of the given means; starts low */
  | { readonly kind: 'bursty'; readonly low: number; readonly high: number; readonly meanLowS: number; readonly meanHighS: number };

/** The load generator's distributions, plus lognormal (mean, σ of the log). */
export type TokenSpec = TokenDist | { readonly kind: 'lognormal'; readonly mean: number; readonly sigma: number };

/** "N", "exp:MEAN", "lognormal:MEAN:SIGMA" or "hist:V=W,…"; `min` is 0 for input and 1 for output tokens. */
export function parseTokenSpec(spec: string, min: number): TokenSpec | string {
  if (spec.startsWith('lognormal:')) {
    const [m, s] = spec.slice(10).split(':');
    const mean = Number(m);
    const sigma = Number(s);
    if (!(Number.isFinite(mean) && mean >= Math.max(min, 1) && mean <= LoadLimits.maxTokens / 10)) return `a lognormal mean must be from ${Math.max(min, 1)} to ${LoadLimits.maxTokens / 10}; got "${m ?? ''}"`;
    if (!(Number.isFinite(sigma) && sigma >= 0 && sigma <= 3)) return `a lognormal sigma must be from 0 to 3 ("lognormal:MEAN:SIGMA"); got "${s ?? ''}"`;
    return { kind: 'lognormal', mean, sigma };
  }
  const d = parseTokens(spec, min);
  return typeof d === 'string' ? d.replace('"exp:MEAN"', '"exp:MEAN", "lognormal:MEAN:SIGMA"') : d;
}

export function sampleTokenSpec(d: TokenSpec, random: Random, min: number): number {
  if (d.kind !== 'lognormal') return sampleTokens(d, random, min);
  return Math.min(LoadLimits.maxTokens, Math.max(min, Math.round(d.mean * lognormalFactor(random, d.sigma))));
}

/** The distribution's mean (before rounding and clipping). */
export function tokenMean(d: TokenSpec): number {
  switch (d.kind) {
    case 'fixed': return d.value;
    case 'exp':
    case 'lognormal': return d.mean;
    case 'hist': return d.values.reduce((sum, v, i) => sum + v * ((d.cumulative[i] ?? 0) - (i === 0 ? 0 : (d.cumulative[i - 1] ?? 0))), 0);
    default: {
      const never: never = d;
      return never;
    }
  }
}

const diurnalStepS = 60;

/** The rate profile of an arrival spec over `durationS` (draws the diurnal noise and the bursty states). */
export function rateProfile(spec: ArrivalSpec, durationS: number, random: Random): RateSegment[] {
  const constant = (seconds: number, rate: number): RateSegment => ({ seconds, from: rate, to: rate });
  switch (spec.kind) {
    case 'constant':
      return [constant(durationS, spec.rate)];
    case 'ramp':
      return [{ seconds: durationS, from: spec.from, to: spec.to }];
    case 'step': {
      const out: RateSegment[] = [];
      let left = durationS;
      for (const s of spec.steps) {
        if (left <= 0) break;
        const seconds = Math.min(s.seconds ?? left, left);
        out.push(constant(seconds, s.rate));
        left -= seconds;
      }
      const last = spec.steps.at(-1);
      if (left > 0 && last !== undefined) out.push(constant(left, last.rate));
      return out;
    }
    case 'diurnal': {
      const period = spec.periodS ?? durationS;
      const peak = spec.peakAtS ?? period / 2;
      const at = (t: number): number => {
        const base = spec.mean * (1 + spec.amplitude * Math.cos((2 * Math.PI * (t - peak)) / period));
        return Math.min(TrafficLimits.maxRate, Math.max(0, base * lognormalFactor(random, spec.noise)));
      };
      const out: RateSegment[] = [];
      let from = at(0);
      for (let t = 0; t < durationS; t += diurnalStepS) {
        const seconds = Math.min(diurnalStepS, durationS - t);
        const to = at(t + seconds);
        out.push({ seconds, from, to });
        from = to;
      }
      return out;
    }
    case 'bursty': {
      const out: RateSegment[] = [];
      let high = false;
      for (let t = 0; t < durationS && out.length < TrafficLimits.maxSegments; high = !high) {
        const seconds = Math.min(Math.max(exponential(random, high ? spec.meanHighS : spec.meanLowS), 1e-3), durationS - t);
        out.push(constant(seconds, high ? spec.high : spec.low));
        t += seconds;
      }
      return out;
    }
    default: {
      const never: never = spec;
      return never;
    }
  }
}

/** Requests of the whole run in arrival order, column by column (a million requests in tens of MB). */
export interface Arrivals {
  readonly count: number;
  /** ms from the start */
  readonly t: Float64Array;
  /** index into the run's deployments */
  readonly deployment: Uint16Array;
  readonly inputTokens: Uint32Array;
  readonly outputTokens: Uint32Array;
}

export interface TrafficSource {
  /** index into the run's deployments */
  readonly deployment: number;
  readonly arrivals: ArrivalSpec;
  readonly inputTokens: TokenSpec;
  readonly outputTokens: TokenSpec;
}

interface Stream {
  readonly deployment: number;
  readonly t: number[];
  readonly i: number[];
  readonly o: number[];
}

/** Seed of the n-th generator of a run: decorrelated (splitmix-style) rather than seed + n. */
export function subSeed(seed: number, n: number): number {
  let z = (seed >>> 0) + Math.imul(n + 1, 0x9e3779b9);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function merge(streams: readonly Stream[]): Arrivals {
  const count = streams.reduce((n, s) => n + s.t.length, 0);
  const out: Arrivals = { count, t: new Float64Array(count), deployment: new Uint16Array(count), inputTokens: new Uint32Array(count), outputTokens: new Uint32Array(count) };
  const pos = streams.map(() => 0);
  for (let k = 0; k < count; k += 1) {
    let best = -1;
    let bestT = Infinity;
    // A handful of streams (one per model): a linear scan beats a heap.
    streams.forEach((s, j) => {
      const v = s.t[pos[j] ?? 0];
      if (v !== undefined && v < bestT) { best = j; bestT = v; }
    });
    const s = streams[best];
    const p = pos[best] ?? 0;
    if (s === undefined) break;
    out.t[k] = bestT;
    out.deployment[k] = s.deployment;
    out.inputTokens[k] = s.i[p] ?? 0;
    out.outputTokens[k] = s.o[p] ?? 1;
    pos[best] = p + 1;
  }
  return out;
}

export class TrafficError extends Error {}

/** Poisson arrivals of every source over `durationS`, with their token lengths; throws TrafficError past the limits. */
export function generateArrivals(sources: readonly TrafficSource[], durationS: number, seed: number): Arrivals {
  let total = 0;
  const streams = sources.map((src, n): Stream => {
    const rates = seededRandom(subSeed(seed, 2 * n));
    const tokens = seededRandom(subSeed(seed, 2 * n + 1));
    const s: Stream = { deployment: src.deployment, t: [], i: [], o: [] };
    for (const at of arrivalTimes(rateProfile(src.arrivals, durationS, rates), 'poisson', rates)) {
      if (at >= durationS) break;
      if (++total > TrafficLimits.maxRequests) throw new TrafficError(`the traffic has more than ${TrafficLimits.maxRequests} requests; lower the rates or the duration`);
      s.t.push(at * 1000);
      s.i.push(sampleTokenSpec(src.inputTokens, tokens, 0));
      s.o.push(sampleTokenSpec(src.outputTokens, tokens, 1));
    }
    return s;
  });
  return merge(streams);
}

/** A trace's rows as arrivals; `deploymentOf` maps a row's model to a deployment index (undefined: unknown model). */
export function traceArrivals(rows: readonly TraceRow[], deploymentOf: (model: string) => number | undefined, durationS: number): Arrivals | string[] {
  const problems = new Set<string>();
  const kept = rows.filter((r) => r.t < durationS);
  const out: Arrivals = { count: kept.length, t: new Float64Array(kept.length), deployment: new Uint16Array(kept.length), inputTokens: new Uint32Array(kept.length), outputTokens: new Uint32Array(kept.length) };
  kept.forEach((r, k) => {
    const d = deploymentOf(r.model);
    if (d === undefined) {
      if (problems.size < 20) problems.add(`model "${r.model}" of the trace is served by no Deployment of the scenario`);
      return;
    }
    out.t[k] = r.t * 1000;
    out.deployment[k] = d;
    out.inputTokens[k] = r.inputTokens;
    out.outputTokens[k] = r.outputTokens;
  });
  return problems.size > 0 ? [...problems] : out;
}
