// Queueing analyzer of one replica of a batching LLM server (model-and-solver.md §2–§4). Units: times in ms,
// internal rates in req/ms, the API in req/s. Pure: every call is a function of its arguments.
import { Limits } from '../domain/limits.js';
import type { ChainResult, ServiceCurve } from './chain.js';
import { solveChain } from './chain.js';
import { checkEnds, findRoot } from './root.js';

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
  /** for each latency target set: can it be met at any load, and the best value the model gives */
  reach(targets: Targets): readonly BoundReach[];
}

/** A latency target and the metric it bounds. */
interface Bound {
  /** which rate it sets (upstream's rateTTFT is v1's wait bound) */
  readonly name: 'ttft' | 'itl';
  /** as the user wrote it */
  readonly label: 'ttft' | 'itl' | 'ttw';
  readonly metric: (m: Metrics) => number;
  /** the bound on the metric, ms (0 = none) */
  readonly targetOf: (t: Targets) => number;
  /** metric value × this = the user's terms (v1 TTW: the 95th percentile of an exponential wait) */
  readonly shownScale: number;
}

const v2Bounds: readonly Bound[] = [
  { name: 'ttft', label: 'ttft', metric: (m) => m.ttft, targetOf: (t) => t.ttft, shownScale: 1 },
  { name: 'itl', label: 'itl', metric: (m) => m.itl, targetOf: (t) => t.itl, shownScale: 1 },
];

const v1Bounds: readonly Bound[] = [
  { name: 'ttft', label: 'ttw', metric: (m) => m.waitTime, targetOf: (t) => t.ttw / SloMargin, shownScale: SloMargin },
  { name: 'itl', label: 'itl', metric: (m) => m.itl, targetOf: (t) => t.itl, shownScale: 1 },
];

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

/** τ(k) = a + b·k must be positive and finite for k = 1..N (a, b ≥ 0, so checking both ends suffices). */
function curveOf(a: number, b: number, n: number): Result<ServiceCurve> {
  for (const k of [1, n]) {
    const tau = a + b * k;
    if (!(tau > 0) || !Number.isFinite(tau)) return fail(`service time at batch ${k} is ${tau} ms; the profile needs positive times`);
  }
  return ok({ a, b, n });
}

/** Counts chain evaluations, the unit of analysis work. */
export interface AnalysisCounter {
  chainEvals: number;
}

/** Whether one latency target can be met at all: at the lowest admissible rate (what Size checks first). */
export interface BoundReach {
  readonly bound: 'ttft' | 'itl' | 'ttw';
  /** the user's target, ms */
  readonly target: number;
  /** the best the model achieves, in the target's terms, ms */
  readonly best: number;
  readonly reachable: boolean;
}

// Analyzers are classes rather than closures: a plan builds one per (server, accelerator), and methods on a
// prototype cost nothing to create.
abstract class ChainAnalyzer implements QueueAnalyzer {
  abstract readonly kind: 'v1' | 'v2';
  readonly maxBatch: number;
  readonly maxRate: number;
  private readonly curve: ServiceCurve;
  private readonly states: number;
  private readonly counter: AnalysisCounter;
  private readonly bounds: readonly Bound[];
  private readonly lambdaMin: number;
  private readonly lambdaMax: number;
  // Every bound's search starts from the same two ends: each is evaluated once.
  private atMin: Metrics | undefined;
  private atMax: Metrics | undefined;

  constructor(maxBatch: number, curve: ServiceCurve, states: number, counter: AnalysisCounter, bounds: readonly Bound[]) {
    this.maxBatch = maxBatch;
    this.curve = curve;
    this.states = states;
    this.counter = counter;
    this.bounds = bounds;
    this.lambdaMin = RateEpsilon / (curve.a + curve.b);
    this.lambdaMax = (maxBatch / (curve.a + curve.b * maxBatch)) * (1 - RateEpsilon);
    this.maxRate = 1000 * this.lambdaMax;
  }

  /** metrics from the chain solved at λ (req/ms) */
  protected abstract metricsOf(lambda: number, c: ChainResult): Metrics;
  /** v2 sizes by the throughput at λ*, v1 by λ* */
  protected abstract rateStarOf(lambdaStar: number, m: Metrics): number;

  private evaluate(lambda: number): Metrics {
    this.counter.chainEvals += 1;
    return this.metricsOf(lambda, solveChain(lambda, this.curve, this.states));
  }

  private low(): Metrics {
    return (this.atMin ??= this.evaluate(this.lambdaMin));
  }

  private high(): Metrics {
    return (this.atMax ??= this.evaluate(this.lambdaMax));
  }

  private reachOf(b: Bound, target: number): BoundReach {
    const fLo = b.metric(this.low());
    const settled = checkEnds(this.lambdaMin, this.lambdaMax, fLo, b.metric(this.high()), target);
    return { bound: b.label, target: target * b.shownScale, best: fLo * b.shownScale, reachable: settled?.indicator !== -1 };
  }

  analyze(rate: number): Result<Metrics> {
    if (!(rate > 0)) return fail(`arrival rate must be positive, got ${rate} req/s`);
    if (rate > this.maxRate * (1 + 1e-12)) return fail(`arrival rate ${rate} req/s exceeds the maximum ${this.maxRate} req/s`);
    return ok(this.evaluate(Math.min(rate, this.maxRate) / 1000));
  }

  reach(targets: Targets): readonly BoundReach[] {
    const out: BoundReach[] = [];
    for (const b of this.bounds) {
      const target = b.targetOf(targets);
      if (target > 0) out.push(this.reachOf(b, target));
    }
    return out;
  }

  size(targets: Targets): Result<SizeResult> {
    for (const [k, v] of Object.entries(targets)) {
      if (!(v >= 0)) return fail(`target ${k} must not be negative, got ${String(v)}`);
    }
    const { lambdaMin, lambdaMax } = this;
    const rates = { ttft: lambdaMax, itl: lambdaMax };
    for (const b of this.bounds) {
      const target = b.targetOf(targets);
      if (target <= 0) continue;
      const r = findRoot((l) => b.metric(this.evaluate(l)), lambdaMin, lambdaMax, target, { fLo: b.metric(this.low()), fHi: b.metric(this.high()) });
      if (r.indicator < 0) return fail(unreachableReason(this.reachOf(b, target)));
      rates[b.name] = r.x;
    }
    const tps = targets.tps > 0 ? lambdaMax * (1 - StabilitySafetyFraction) : lambdaMax;
    const lambdaStar = Math.min(rates.ttft, rates.itl, tps);
    const metrics = lambdaStar === lambdaMax ? this.high() : this.evaluate(lambdaStar);
    return ok({ rateStar: this.rateStarOf(lambdaStar, metrics), rateTTFT: 1000 * rates.ttft, rateITL: 1000 * rates.itl, rateTPS: 1000 * tps, metrics });
  }
}

/** v2: prefill γ + δ·I·n, then (O − 1) decode iterations of α + β·n; K = Q + N states. */
class V2Analyzer extends ChainAnalyzer {
  readonly kind = 'v2';
  private readonly p: ServiceParams;
  private readonly decodes: number;

  constructor(p: ServiceParams, decodes: number, curve: ServiceCurve, counter: AnalysisCounter) {
    super(p.maxBatch, curve, p.states ?? QueueToBatchRatio * p.maxBatch + p.maxBatch, counter, v2Bounds);
    this.p = p;
    this.decodes = decodes;
  }

  protected metricsOf(lambda: number, c: ChainResult): Metrics {
    const { alpha, beta, gamma, delta, maxBatch: n, inTokens: i } = this.p;
    const t = c.inSystem / c.throughput;
    const s = c.inService / c.throughput;
    const w = Math.max(t - s, 0);
    const slope = delta * i + beta * this.decodes;
    // Invert S = pre(n) + D·dec(n) for the batch size a request sees. γ is subtracted even when I = 0 (upstream
    // quirk kept for compatibility: recorded numbers depend on it, model-and-solver.md §14.2).
    const nEff = slope > 0 ? Math.min(Math.max((s - (gamma + alpha * this.decodes)) / slope, 0), n) : 0;
    const pre = i === 0 ? 0 : gamma + delta * i * nEff;
    return {
      throughput: 1000 * c.throughput,
      respTime: t,
      waitTime: w,
      prefillTime: pre,
      ttft: w + pre,
      itl: alpha + beta * nEff,
      rho: Math.min(Math.max(c.inService / n, 0), 1),
      inService: c.inService,
      effectiveConcurrency: nEff,
    };
  }

  protected rateStarOf(_lambda: number, m: Metrics): number {
    return m.throughput;
  }
}

/** v1: decode only, K tokens per request at α + β·n each; K_sys = Q = 10·N states. */
class V1Analyzer extends ChainAnalyzer {
  readonly kind = 'v1';
  private readonly tokens: number;

  constructor(tokens: number, maxBatch: number, states: number | undefined, curve: ServiceCurve, counter: AnalysisCounter) {
    super(maxBatch, curve, states ?? QueueToBatchRatio * maxBatch, counter, v1Bounds);
    this.tokens = tokens;
  }

  protected metricsOf(_lambda: number, c: ChainResult): Metrics {
    const t = c.inSystem / c.throughput;
    const s = c.inService / c.throughput;
    const w = Math.max(t - s, 0);
    return {
      throughput: 1000 * c.throughput,
      respTime: t,
      waitTime: w,
      prefillTime: 0,
      ttft: w,
      itl: s / this.tokens,
      rho: 1 - c.p0,
      inService: c.inService,
      effectiveConcurrency: c.inService,
    };
  }

  protected rateStarOf(lambda: number): number {
    return 1000 * lambda;
  }
}

export function createAnalyzer(kind: 'v1' | 'v2', requested: ServiceParams, counter: AnalysisCounter = { chainEvals: 0 }): Result<QueueAnalyzer> {
  const params = requested.maxBatch > Limits.maxBatchSize ? { ...requested, maxBatch: Limits.maxBatchSize } : requested;
  const invalid = validate(params);
  if (invalid !== undefined) return fail(invalid);
  const { alpha, beta, gamma, delta, maxBatch: n, inTokens: i, outTokens: o } = params;
  if (kind === 'v1') {
    const curve = curveOf(o * alpha, o * beta, n);
    return curve.ok ? ok(new V1Analyzer(o, n, params.states, curve.value, counter)) : curve;
  }
  // WVA fix f2b3341: with no input and one output token there would be no work at all (μ = ∞).
  const decodes = i === 0 && o === 1 ? 1 : o - 1;
  // τ(k) = pre(k) + D·dec(k) = (γ + D·α) + (δ·I + D·β)·k, with no prefill at all when I = 0.
  const curve = curveOf((i === 0 ? 0 : gamma) + decodes * alpha, delta * i + beta * decodes, n);
  return curve.ok ? ok(new V2Analyzer(params, decodes, curve.value, counter)) : curve;
}

/** "TTFT target 100 ms is out of reach: even at the lowest load the model gives 163.2 ms" */
export const unreachableReason = (r: BoundReach): string =>
  `${r.bound.toUpperCase()} target ${fmt(r.target)} ms is out of reach: even at the lowest load the model gives ${fmt(r.best)} ms`;

const fmt = (v: number): string => String(Math.round(v * 1000) / 1000);
