// Candidate allocations of one server on each accelerator (model-and-solver.md §5, §7.1): per-replica capacity
// from the queueing model, replicas for the demand, cost, predicted latencies.
import type { QueueAnalyzer, Result, Targets } from '../model/analyzer.js';
import type { Accelerator, AnalyzerKind, ModelTarget, PerfProfile, Server } from '../domain/types.js';
import type { AnalyzerCache } from './analyzers.js';
import { analyzerFor, isZeroLoad, remember } from './analyzers.js';
import { NoAllocation, transitionPenalty } from './penalty.js';
import { sloReachability } from './reachability.js';

export type { AnalysisStats, AnalyzerCache } from './analyzers.js';
export { batchSize, createAnalyzerCache } from './analyzers.js';

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

const toTargets = (t: ModelTarget): Targets => ({ ttft: t.ttft, itl: t.itl, tps: t.tps, ttw: t.ttw });

export interface CandidateContext {
  readonly kind: AnalyzerKind;
  readonly penaltyFactor: number;
  readonly cache: AnalyzerCache;
}

type Outcome = { ok: true; candidate: Candidate } | { ok: false; reason: string; unreachable?: boolean };

/** Zero load (§5, with R5): minReplicas replicas (possibly 0, still on a real accelerator), single-request latencies. */
function zeroLoadCandidate(server: Server, acc: Accelerator, profile: PerfProfile, ctx: CandidateContext): Outcome {
  const { alpha, beta, gamma, delta } = profile;
  const n0 = server.maxBatchSize > 0 ? server.maxBatchSize : profile.maxBatchSize;
  const itl = alpha + beta;
  const ttft = ctx.kind === 'v2' && server.load.avgInTokens > 0 ? gamma + delta * server.load.avgInTokens : 0;
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
  const found = isZeroLoad(server) ? undefined : analyzerFor(ctx.kind, server, profile, ctx.cache);
  // The same test the validator and `inferno plan` apply (one function, so they cannot disagree).
  const reach = sloReachability(ctx.kind, server, profile, target, ctx.cache, found?.analyzer);
  if (reach.reachable === false) return { ok: false, unreachable: true, reason: reach.reason };
  if (reach.reachable === 'invalid') return { ok: false, reason: reach.reason };
  if (found === undefined) return zeroLoadCandidate(server, acc, profile, ctx);
  const { key, analyzer } = found;
  if (!analyzer.ok) return { ok: false, reason: analyzer.reason };
  const sizeKey = [key, target.ttft, target.itl, target.tps, target.ttw].join('|');
  const sized = ctx.cache.sizes.get(sizeKey) ?? remember(ctx.cache.sizes, sizeKey, analyzer.value.size(toTargets(target)), ctx.cache.maxEntries);
  if (!sized.ok) return { ok: false, reason: sized.reason };
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

