// Candidate allocations of one server on each accelerator (model-and-solver.md §5, §7.1): per-replica capacity
// from the queueing model, replicas for the demand, cost, predicted latencies.
import type { QueueAnalyzer, Result, SizeResult, Targets } from '../model/analyzer.js';
import { createAnalyzer } from '../model/analyzer.js';
import type { Accelerator, AnalyzerKind, ModelTarget, PerfProfile, Server } from '../domain/types.js';
import { NoAllocation, transitionPenalty } from './penalty.js';

export interface Candidate {
  readonly accelerator: string;
  /** capacity pool the units come from */
  readonly type: string;
  readonly numReplicas: number;
  readonly maxBatch: number;
  /** cents/hour */
  readonly cost: number;
  readonly costPerReplica: number;
  /** capacity units one replica takes: accCount · multiplicity */
  readonly unitsPerReplica: number;
  /** transition penalty from the current allocation (ranking only) */
  readonly value: number;
  readonly itl: number;
  readonly ttft: number;
  readonly wait: number;
  readonly rho: number;
  /** highest per-replica request rate meeting the SLO, req/min */
  readonly maxRPM: number;
  /** demand the replicas are sized for, req/s */
  readonly demand: number;
  /** replicas were cut to the server's maxReplicas, so the SLO is not met */
  readonly capped: boolean;
  /** replicas the SLO needs (before any maxReplicas cut) */
  readonly neededReplicas: number;
}

export interface Rejection {
  readonly accelerator: string;
  readonly reason: string;
  /** the SLO cannot be met on this accelerator at any load: a property of the input, not of the load or capacity */
  readonly unreachable?: boolean;
}

export interface ServerCandidates {
  readonly server: Server;
  readonly priority: number;
  readonly target: ModelTarget | undefined;
  /** sorted best first (§9) */
  readonly candidates: readonly Candidate[];
  readonly rejections: readonly Rejection[];
}

/** Work done through a cache: what a plan reports as its analysis effort. */
export interface AnalysisStats {
  /** (server, accelerator) candidates evaluated */
  candidates: number;
  /** birth–death chain solutions, the unit of analysis work */
  chainEvals: number;
}

/** Caches keyed by model inputs, not load: servers sharing a model, profile and token mix size once. */
export interface AnalyzerCache {
  readonly analyzers: Map<string, Result<QueueAnalyzer>>;
  readonly sizes: Map<string, Result<SizeResult>>;
  /** a long-lived cache (the webhook's) starts over beyond this many entries, so it cannot grow without bound */
  readonly maxEntries: number;
  /** running totals; a plan's share is the difference across it */
  readonly stats: AnalysisStats;
}

export const createAnalyzerCache = (maxEntries = Number.POSITIVE_INFINITY): AnalyzerCache => ({
  analyzers: new Map(), sizes: new Map(), maxEntries, stats: { candidates: 0, chainEvals: 0 },
});

function remember<V>(map: Map<string, V>, key: string, value: V, max: number): V {
  if (map.size >= max) map.clear();
  map.set(key, value);
  return value;
}

/** N: the configured batch size, else the profile's scaled from atTokens to this output length (§2.1). */
export function batchSize(server: Server, profile: PerfProfile): number {
  if (server.maxBatchSize > 0) return server.maxBatchSize;
  if (profile.atTokens <= 0) return profile.maxBatchSize;
  const out = server.load.avgOutTokens;
  return Math.max(Math.floor((profile.maxBatchSize * profile.atTokens) / Math.max(out, 1)), 1);
}

function analyzerFor(kind: AnalyzerKind, server: Server, profile: PerfProfile, cache: AnalyzerCache): { key: string; analyzer: Result<QueueAnalyzer> } {
  const n = batchSize(server, profile);
  const { alpha, beta, gamma, delta } = profile;
  const { avgInTokens, avgOutTokens } = server.load;
  const key = [kind, alpha, beta, gamma, delta, n, avgInTokens, avgOutTokens].join('|');
  const analyzer = cache.analyzers.get(key)
    ?? remember(cache.analyzers, key, createAnalyzer(kind, { alpha, beta, gamma, delta, maxBatch: n, inTokens: avgInTokens, outTokens: avgOutTokens }, cache.stats), cache.maxEntries);
  return { key, analyzer };
}

const toTargets = (t: ModelTarget): Targets => ({ ttft: t.ttft, itl: t.itl, tps: t.tps, ttw: t.ttw });

export interface CandidateContext {
  readonly kind: AnalyzerKind;
  readonly penaltyFactor: number;
  readonly cache: AnalyzerCache;
}

type Outcome = { ok: true; candidate: Candidate } | { ok: false; reason: string; unreachable?: boolean };

/** Zero load (§5, with R5): minReplicas replicas (possibly 0, still on a real accelerator), single-request latencies. */
function zeroLoadCandidate(server: Server, acc: Accelerator, profile: PerfProfile, target: ModelTarget, ctx: CandidateContext): Outcome {
  const { alpha, beta, gamma, delta } = profile;
  const n0 = server.maxBatchSize > 0 ? server.maxBatchSize : profile.maxBatchSize;
  const itl = alpha + beta;
  const ttft = ctx.kind === 'v2' && server.load.avgInTokens > 0 ? gamma + delta * server.load.avgInTokens : 0;
  if (target.itl > 0 && itl > target.itl) return { ok: false, unreachable: true, reason: `ITL target ${target.itl} ms is out of reach: a single request gets ${round(itl)} ms` };
  if (ctx.kind === 'v2' && target.ttft > 0 && ttft > target.ttft) {
    return { ok: false, unreachable: true, reason: `TTFT target ${target.ttft} ms is out of reach: a single request gets ${round(ttft)} ms` };
  }
  // Upstream's placeholder rate (C5); never used for capacity decisions.
  const maxArrv = ctx.kind === 'v2' ? n0 / (gamma + delta + alpha + beta * n0) : n0 / (alpha + beta * n0);
  const replicas = Math.min(server.minReplicas, server.maxReplicas ?? Number.MAX_SAFE_INTEGER);
  return { ok: true, candidate: finish(server, acc, profile, ctx, {
    numReplicas: replicas, neededReplicas: replicas, maxBatch: n0, itl, ttft, wait: 0, rho: 0, maxRPM: maxArrv * 60000, demand: 0, capped: false,
  }) };
}

type Sized = Omit<Candidate, 'accelerator' | 'type' | 'cost' | 'costPerReplica' | 'unitsPerReplica' | 'value'>;

function finish(server: Server, acc: Accelerator, profile: PerfProfile, ctx: CandidateContext, s: Sized): Candidate {
  const costPerReplica = acc.cost * profile.accCount;
  const cost = costPerReplica * s.numReplicas;
  const priced = { accelerator: acc.name, numReplicas: s.numReplicas, cost };
  return {
    ...s,
    accelerator: acc.name,
    type: acc.type,
    cost,
    costPerReplica,
    unitsPerReplica: profile.accCount * acc.multiplicity,
    value: transitionPenalty(server.current ?? NoAllocation, priced, ctx.penaltyFactor),
  };
}

export function demandOf(server: Server, target: ModelTarget): number {
  return target.tps > 0 ? target.tps / Math.max(server.load.avgOutTokens, 1) : server.load.arrivalRate / 60;
}

/** One (server, accelerator) candidate; a failure carries the reason (R6). */
export function candidateFor(server: Server, acc: Accelerator, profile: PerfProfile, target: ModelTarget, ctx: CandidateContext): Outcome {
  ctx.cache.stats.candidates += 1;
  if (server.load.arrivalRate === 0 || server.load.avgOutTokens === 0) return zeroLoadCandidate(server, acc, profile, target, ctx);
  const { key, analyzer } = analyzerFor(ctx.kind, server, profile, ctx.cache);
  if (!analyzer.ok) return { ok: false, reason: analyzer.reason };
  const sizeKey = [key, target.ttft, target.itl, target.tps, target.ttw].join('|');
  const sized = ctx.cache.sizes.get(sizeKey) ?? remember(ctx.cache.sizes, sizeKey, analyzer.value.size(toTargets(target)), ctx.cache.maxEntries);
  // Size fails only when a target is out of reach even at the lowest rate.
  if (!sized.ok) return { ok: false, unreachable: true, reason: sized.reason };
  const rateStar = sized.value.rateStar;
  const demand = demandOf(server, target);
  const needed = Math.max(Math.ceil(demand / rateStar), server.minReplicas);
  const replicas = Math.min(needed, server.maxReplicas ?? Number.MAX_SAFE_INTEGER);
  const m = measure(analyzer.value, demand, replicas);
  if (!m.ok) return { ok: false, reason: m.reason };
  return { ok: true, candidate: finish(server, acc, profile, ctx, {
    numReplicas: replicas,
    neededReplicas: needed,
    maxBatch: analyzer.value.maxBatch,
    itl: m.value.itl,
    ttft: m.value.ttft,
    wait: m.value.wait,
    rho: m.value.rho,
    maxRPM: rateStar * 60,
    demand,
    capped: replicas < needed,
  }) };
}

export interface Measured {
  readonly itl: number;
  readonly ttft: number;
  readonly wait: number;
  readonly rho: number;
  /** demand beyond what the replicas can take at all, req/min */
  readonly unservedRPM: number;
}

/** Latencies when `demand` req/s is spread over `replicas`; beyond the model's max rate they are those at the max rate (R4). */
export function measure(analyzer: QueueAnalyzer, demand: number, replicas: number): Result<Measured> {
  if (replicas <= 0 || demand <= 0) return { ok: true, value: { itl: 0, ttft: 0, wait: 0, rho: 0, unservedRPM: demand * 60 } };
  const perReplica = demand / replicas;
  const rate = Math.min(perReplica, analyzer.maxRate);
  const m = analyzer.analyze(rate);
  if (!m.ok) return m;
  const unserved = perReplica > analyzer.maxRate ? (demand - replicas * analyzer.maxRate) * 60 : 0;
  return { ok: true, value: { itl: m.value.itl, ttft: m.value.ttft, wait: m.value.waitTime, rho: m.value.rho, unservedRPM: unserved } };
}

/** Re-analyse a candidate at a replica count it did not ask for (best effort, R4). */
export function remeasure(server: Server, profile: PerfProfile, candidate: Candidate, replicas: number, ctx: CandidateContext): Measured {
  const { analyzer } = analyzerFor(ctx.kind, server, profile, ctx.cache);
  if (candidate.demand <= 0 || !analyzer.ok) {
    return { itl: candidate.itl, ttft: candidate.ttft, wait: candidate.wait, rho: candidate.rho, unservedRPM: 0 };
  }
  const m = measure(analyzer.value, candidate.demand, replicas);
  return m.ok ? m.value : { itl: candidate.itl, ttft: candidate.ttft, wait: candidate.wait, rho: candidate.rho, unservedRPM: candidate.demand * 60 };
}

/** §9: value, then cost, then fewer replicas, then cheaper replicas (decides scale-to-zero ties), then name by code unit. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  return a.value - b.value || a.cost - b.cost || a.numReplicas - b.numReplicas || a.costPerReplica - b.costPerReplica
    || (a.accelerator < b.accelerator ? -1 : a.accelerator > b.accelerator ? 1 : 0);
}

const round = (v: number): number => Math.round(v * 1000) / 1000;
