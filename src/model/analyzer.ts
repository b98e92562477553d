// Queueing analyzer of one replica of a batching LLM server (model-and-solver.md §2–§4). Units: times in ms,
// internal rates in req/ms, the API in req/s. Pure: every call is a function of its arguments.
import { Limits } from '../domain/limits.js';
import { bisect } from './bisect.js';
import { solveTimes } from './chain.js';

/** Upstream MaxQueueToBatchRatio: the queue holds 10 batches. */
export const QueueToBatchRatio = 10;
/**
 * Hard cap on the chain's states, so no input can make one analysis unboundedly slow or large: batches are
 * analysed at most at vLLM's practical ceiling (a batch size scaled from a profile, N·atTokens/O, can exceed it),
 * and an explicit state count must stay within the same (Q + N) for that ceiling.
 */
export const MaxChainStates = (QueueToBatchRatio + 1) * Limits.maxBatchSize;

/** Upstream Epsilon: the usable rate range is [μ_1·ε, μ_N·(1 − ε)]. */
export const RateEpsilon = 0.001;
/** Upstream StabilitySafetyFraction: a TPS target may use at most 90 % of the maximum rate. */
export const StabilitySafetyFraction = 0.1;
/** v1: a mean exponential wait of TTW/−ln(0.05) puts its 95th percentile at TTW. */
export const SloMargin = -Math.log(0.05);

export interface ServiceParams {
  /** decode iteration α + β·n, ms */
  readonly alpha: number;
  readonly beta: number;
  /** prefill γ + δ·I·n, ms (v1 ignores them) */
  readonly gamma: number;
  readonly delta: number;
  /** N, the batch size limit */
  readonly maxBatch: number;
  /** I (v1: ignored) */
  readonly inTokens: number;
  /** O (v1: K, the total tokens per request) */
  readonly outTokens: number;
  /** occupancy bound K_sys override (v0's Q + N); default v2 Q + N, v1 Q, with Q = 10·N */
  readonly states?: number;
}

export interface Targets {
  /** ms, 0 = unconstrained */
  readonly ttft: number;
  readonly itl: number;
  /** tokens/s, 0 = unconstrained */
  readonly tps: number;
  /** v1 time to wait, ms, 0 = unconstrained */
  readonly ttw: number;
}

export interface Metrics {
  /** req/s */
  readonly throughput: number;
  /** ms */
  readonly respTime: number;
  readonly waitTime: number;
  readonly prefillTime: number;
  readonly ttft: number;
  readonly itl: number;
  /** batch occupancy L_s/N (v2) or 1 − p0 (v1), in [0, 1] */
  readonly rho: number;
  /** mean requests in the batch */
  readonly inService: number;
  /** mean batch size seen by a request */
  readonly effectiveConcurrency: number;
}

export interface SizeResult {
  /** the per-replica request rate (req/s) that meets every target: v2 the throughput at λ*, v1 λ* itself */
  readonly rateStar: number;
  /** rates (req/s) at which each target binds; maxRate where it does not */
  readonly rateTTFT: number;
  readonly rateITL: number;
  readonly rateTPS: number;
  readonly metrics: Metrics;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(reason: string): Result<T> => ({ ok: false, reason });

export interface QueueAnalyzer {
  readonly kind: 'v1' | 'v2';
  readonly maxBatch: number;
  /** highest admissible arrival rate, req/s */
  readonly maxRate: number;
  /** metrics at arrival rate `rate` req/s, 0 < rate ≤ maxRate */
  analyze(rate: number): Result<Metrics>;
  /** the largest per-replica rate meeting the targets */
  size(targets: Targets): Result<SizeResult>;
}

interface Shape {
  readonly kind: 'v1' | 'v2';
  readonly maxBatch: number;
  readonly states: number;
  readonly logMu: readonly number[];
  /** λ (req/ms) → metrics */
  readonly evaluate: (lambda: number) => Metrics;
  /** which metric each latency target bounds */
  readonly latencyBounds: (t: Targets) => readonly { name: 'ttft' | 'itl'; metric: (m: Metrics) => number; target: number }[];
  /** v2 sizes by the throughput at λ*, v1 by λ* */
  readonly rateStar: (lambdaStar: number, m: Metrics) => number;
}

function validate(p: ServiceParams): string | undefined {
  if (!(p.maxBatch >= 1) || !Number.isInteger(p.maxBatch)) return `max batch size must be a positive integer, got ${p.maxBatch}`;
  if (!(p.outTokens >= 1)) return `average output tokens must be at least 1, got ${p.outTokens}`;
  if (p.states !== undefined && !(Number.isInteger(p.states) && p.states >= p.maxBatch)) {
    return `state count must be an integer ≥ the max batch size, got ${p.states}`;
  }
  if (p.states !== undefined && p.states > MaxChainStates) return `state count must be at most ${MaxChainStates}, got ${p.states}`;
  if (!(p.inTokens >= 0)) return `average input tokens must not be negative, got ${p.inTokens}`;
  for (const k of ['alpha', 'beta', 'gamma', 'delta'] as const) {
    if (!(p[k] >= 0) || !Number.isFinite(p[k])) return `${k} must be a finite number ≥ 0, got ${p[k]}`;
  }
  return undefined;
}

function logRates(maxBatch: number, serviceTime: (n: number) => number): Result<number[]> {
  const logMu = [0];
  for (let n = 1; n <= maxBatch; n++) {
    const tau = serviceTime(n);
    if (!(tau > 0) || !Number.isFinite(tau)) return fail(`service time at batch ${n} is ${tau} ms; the profile needs positive times`);
    logMu.push(Math.log(n / tau));
  }
  return ok(logMu);
}

/** v2: prefill γ + δ·I·n, then (O − 1) decode iterations of α + β·n; K = Q + N states. */
function v2Shape(p: ServiceParams): Result<Shape> {
  const { alpha, beta, gamma, delta, maxBatch: n, inTokens: i, outTokens: o } = p;
  // WVA fix f2b3341: with no input and one output token there would be no work at all (μ = ∞).
  const decodes = i === 0 && o === 1 ? 1 : o - 1;
  const pre = (b: number): number => (i === 0 ? 0 : gamma + delta * i * b);
  const dec = (b: number): number => alpha + beta * b;
  const logMu = logRates(n, (b) => pre(b) + decodes * dec(b));
  if (!logMu.ok) return logMu;
  const slope = delta * i + beta * decodes;
  const states = p.states ?? QueueToBatchRatio * n + n;
  return ok({
    kind: 'v2',
    maxBatch: n,
    states,
    logMu: logMu.value,
    evaluate(lambda) {
      const { chain: c, response: t, service: s, wait: w } = solveTimes(lambda, logMu.value, states);
      // Invert S = pre(n) + D·dec(n) for the batch size a request sees. γ is subtracted even when I = 0 (upstream
      // quirk kept for compatibility: recorded numbers depend on it, model-and-solver.md §14.2).
      const nEff = slope > 0 ? Math.min(Math.max((s - (gamma + alpha * decodes)) / slope, 0), n) : 0;
      return {
        throughput: 1000 * c.throughput,
        respTime: t,
        waitTime: w,
        prefillTime: pre(nEff),
        ttft: w + pre(nEff),
        itl: dec(nEff),
        rho: Math.min(Math.max(c.inService / n, 0), 1),
        inService: c.inService,
        effectiveConcurrency: nEff,
      };
    },
    latencyBounds: (t) => [
      { name: 'ttft', metric: (m) => m.ttft, target: t.ttft },
      { name: 'itl', metric: (m) => m.itl, target: t.itl },
    ],
    rateStar: (_lambda, m) => m.throughput,
  });
}

/** v1: decode only, K tokens per request at α + β·n each; K_sys = Q = 10·N states. */
function v1Shape(p: ServiceParams): Result<Shape> {
  const { alpha, beta, maxBatch: n, outTokens: k } = p;
  const logMu = logRates(n, (b) => k * (alpha + beta * b));
  if (!logMu.ok) return logMu;
  const states = p.states ?? QueueToBatchRatio * n;
  return ok({
    kind: 'v1',
    maxBatch: n,
    states,
    logMu: logMu.value,
    evaluate(lambda) {
      const { chain: c, response: t, service: s, wait: w } = solveTimes(lambda, logMu.value, states);
      return {
        throughput: 1000 * c.throughput,
        respTime: t,
        waitTime: w,
        prefillTime: 0,
        ttft: w,
        itl: s / k,
        rho: 1 - c.p0,
        inService: c.inService,
        effectiveConcurrency: c.inService,
      };
    },
    latencyBounds: (t) => [
      { name: 'ttft', metric: (m) => m.waitTime, target: t.ttw / SloMargin },
      { name: 'itl', metric: (m) => m.itl, target: t.itl },
    ],
    rateStar: (lambda) => 1000 * lambda,
  });
}

export function createAnalyzer(kind: 'v1' | 'v2', requested: ServiceParams): Result<QueueAnalyzer> {
  const params = requested.maxBatch > Limits.maxBatchSize ? { ...requested, maxBatch: Limits.maxBatchSize } : requested;
  const invalid = validate(params);
  if (invalid !== undefined) return fail(invalid);
  const shape = kind === 'v2' ? v2Shape(params) : v1Shape(params);
  if (!shape.ok) return shape;
  const { evaluate, logMu, maxBatch } = shape.value;
  const muAt = (b: number): number => Math.exp(logMu[b] ?? Number.NaN);
  const lambdaMin = muAt(1) * RateEpsilon;
  const lambdaMax = muAt(maxBatch) * (1 - RateEpsilon);
  const maxRate = 1000 * lambdaMax;
  return ok({
    kind,
    maxBatch,
    maxRate,
    analyze(rate) {
      if (!(rate > 0)) return fail(`arrival rate must be positive, got ${rate} req/s`);
      if (rate > maxRate * (1 + 1e-12)) return fail(`arrival rate ${rate} req/s exceeds the maximum ${maxRate} req/s`);
      return ok(evaluate(Math.min(rate, maxRate) / 1000));
    },
    size(targets) {
      for (const [k, v] of Object.entries(targets)) {
        if (!(v >= 0)) return fail(`target ${k} must not be negative, got ${String(v)}`);
      }
      const rates = { ttft: lambdaMax, itl: lambdaMax };
      for (const bound of shape.value.latencyBounds(targets)) {
        if (bound.target <= 0) continue;
        const r = bisect((l) => bound.metric(evaluate(l)), lambdaMin, lambdaMax, bound.target);
        if (r.indicator < 0) {
          const best = bound.metric(evaluate(lambdaMin));
          return fail(`${bound.name.toUpperCase()} target ${fmt(bound.target)} ms is out of reach: even at the lowest load the model gives ${fmt(best)} ms`);
        }
        rates[bound.name] = r.x;
      }
      const tps = targets.tps > 0 ? lambdaMax * (1 - StabilitySafetyFraction) : lambdaMax;
      const lambdaStar = Math.min(rates.ttft, rates.itl, tps);
      const metrics = evaluate(lambdaStar);
      return ok({
        rateStar: shape.value.rateStar(lambdaStar, metrics),
        rateTTFT: 1000 * rates.ttft,
        rateITL: 1000 * rates.itl,
        rateTPS: 1000 * tps,
        metrics,
      });
    },
  });
}

const fmt = (v: number): string => String(Math.round(v * 1000) / 1000);
