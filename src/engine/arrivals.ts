// Arrival processes of the open-loop load generator and the simulator: when each request is sent, independent of
// how the servers keep up. A rate profile is a sequence of segments whose rate changes linearly (constant, step and
// ramp are special cases); arrivals are the times where the cumulative intensity Λ(t) = ∫ rate crosses 0, 1, 2, … (constant spacing)
// or the points of a unit-rate Poisson process mapped through Λ⁻¹ (Poisson, also for time-varying rates). Pure.
import type { Random } from './random.js';
import { exponential } from './random.js';

export const LoadLimits = { maxRate: 100_000, maxDurationS: 86_400, maxRequests: 1_000_000, maxTokens: 131_072 } as const;

/** Rate changes linearly from `from` to `to` (req/s) over `seconds`. */
export interface RateSegment {
  readonly seconds: number;
  readonly from: number;
  readonly to: number;
}

export type ArrivalProcess = 'poisson' | 'constant';

const number = (s: string): number => (/^\s*[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(s) ? Number(s) : Number.NaN);

/** "30", "30s", "2m", "1h" → seconds; NaN when malformed. */
export function parseSeconds(s: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)?\s*$/.exec(s);
  if (m === null) return Number.NaN;
  const v = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? v / 1000 : unit === 'm' ? v * 60 : unit === 'h' ? v * 3600 : v;
}

/**
 * Parses a rate profile (req/s):
 *   "5"                     constant 5 req/s for the whole duration
 *   "ramp:1:10"             linear from 1 to 10 req/s over the duration
 *   "step:2@10s,5@20s,1"    2 req/s for 10 s, 5 for 20 s, then 1 until the end (a last step without "@" fills the
 *                           rest; without --duration the steps' sum is the duration)
 * Returns the segments or a message.
 */
export function parseRate(spec: string, durationS: number | undefined): RateSegment[] | string {
  if (spec.startsWith('ramp:')) return parseRamp(spec, durationS);
  if (spec.startsWith('step:')) return parseSteps(spec.slice(5).split(','), durationS);
  const v = rate(spec, 'the rate');
  if (typeof v === 'string') return `${v} (or use "ramp:FROM:TO", "step:RATE@SECONDS,…")`;
  if (durationS === undefined) return `a constant rate ${needDuration}`;
  return [{ seconds: durationS, from: v, to: v }];
}

const needDuration = 'needs --duration';

function rate(s: string, what: string): number | string {
  const v = number(s);
  return Number.isFinite(v) && v >= 0 && v <= LoadLimits.maxRate ? v : `${what} must be a rate from 0 to ${LoadLimits.maxRate} req/s; got "${s}"`;
}

function parseRamp(spec: string, durationS: number | undefined): RateSegment[] | string {
  const parts = spec.slice(5).split(':');
  if (parts.length !== 2) return `a ramp is "ramp:FROM:TO" (req/s); got "${spec}"`;
  const from = rate(parts[0] ?? '', 'the ramp start');
  const to = rate(parts[1] ?? '', 'the ramp end');
  if (typeof from === 'string') return from;
  if (typeof to === 'string') return to;
  if (durationS === undefined) return `a ramp ${needDuration}`;
  return [{ seconds: durationS, from, to }];
}

function parseSteps(steps: readonly string[], durationS: number | undefined): RateSegment[] | string {
  if (steps.length > 1000) return 'a step profile has from 1 to 1000 steps';
  const out: RateSegment[] = [];
  let total = 0;
  for (const [i, st] of steps.entries()) {
    const [r, d] = st.split('@');
    const v = rate(r ?? '', `step ${i + 1}`);
    if (typeof v === 'string') return v;
    if (d === undefined) {
      if (i !== steps.length - 1) return `step ${i + 1} needs a duration ("RATE@SECONDS"); only the last may omit it`;
      if (durationS === undefined) return `a last step without a duration ${needDuration}`;
      if (durationS > total) out.push({ seconds: durationS - total, from: v, to: v });
      continue;
    }
    const secs = parseSeconds(d);
    if (!Number.isFinite(secs) || secs <= 0) return `step ${i + 1}: the duration must be positive, like 10s or 2m; got "${d}"`;
    out.push({ seconds: secs, from: v, to: v });
    total += secs;
  }
  return durationS === undefined ? out : truncate(out, durationS);
}

/** Cuts a profile at `seconds`, or holds its last rate until then. */
function truncate(segments: readonly RateSegment[], seconds: number): RateSegment[] {
  const out: RateSegment[] = [];
  let left = seconds;
  for (const s of segments) {
    if (left <= 0) break;
    if (s.seconds <= left) out.push(s);
    else out.push({ seconds: left, from: s.from, to: s.from + ((s.to - s.from) * left) / s.seconds });
    left -= s.seconds;
  }
  const last = segments.at(-1);
  if (left > 0 && last !== undefined) out.push({ seconds: left, from: last.to, to: last.to });
  return out;
}

export const profileSeconds = (segments: readonly RateSegment[]): number => segments.reduce((a, s) => a + s.seconds, 0);

/** Expected number of arrivals: Λ at the end. */
export const expectedArrivals = (segments: readonly RateSegment[]): number => segments.reduce((a, s) => a + ((s.from + s.to) / 2) * s.seconds, 0);

/**
 * Arrival times (s from the start) of the process over the profile, lazily. Constant spacing puts the first arrival
 * at t = 0; Poisson draws unit-rate exponential gaps in Λ.
 */
export function* arrivalTimes(segments: readonly RateSegment[], process: ArrivalProcess, random: Random): Generator<number> {
  let x = process === 'constant' ? 0 : exponential(random, 1);
  let t0 = 0;
  let lambda0 = 0; // Λ at the start of the segment
  for (const s of segments) {
    const total = ((s.from + s.to) / 2) * s.seconds;
    const k = (s.to - s.from) / s.seconds; // rate slope, req/s²
    while (x < lambda0 + total) {
      const dx = x - lambda0;
      // τ solving from·τ + k·τ²/2 = dx, in the form that stays exact as k → 0 and for falling rates.
      const tau = dx <= 0 ? 0 : (2 * dx) / (s.from + Math.sqrt(Math.max(0, s.from * s.from + 2 * k * dx)));
      yield t0 + Math.min(tau, s.seconds);
      x += process === 'constant' ? 1 : exponential(random, 1);
    }
    t0 += s.seconds;
    lambda0 += total;
  }
}
