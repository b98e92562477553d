// Queueing analyzers per (model inputs) and the cache that shares them: servers with the same model, profile and
// token mix size once. Load is not part of the key, so the webhook's long-lived cache serves many plans.
import type { QueueAnalyzer, Result, SizeResult } from '../model/analyzer.js';
import { createAnalyzer } from '../model/analyzer.js';
import type { AnalyzerKind, PerfProfile, Server } from '../domain/types.js';

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
  /** a profile's part of the key, built once per profile object (printing floats is the costly part) */
  readonly profileKeys: WeakMap<PerfProfile, string>;
}

export const createAnalyzerCache = (maxEntries = Number.POSITIVE_INFINITY): AnalyzerCache => ({
  analyzers: new Map(), sizes: new Map(), maxEntries, stats: { candidates: 0, chainEvals: 0 }, profileKeys: new WeakMap(),
});

export function remember<V>(map: Map<string, V>, key: string, value: V, max: number): V {
  if (map.size >= max) map.clear();
  map.set(key, value);
  return value;
}

/** N: the configured batch size, else the profile's scaled from atTokens to this output length (§2.1). */
export function batchSize(server: Pick<Server, 'load' | 'maxBatchSize'>, profile: PerfProfile): number {
  if (server.maxBatchSize > 0) return server.maxBatchSize;
  if (profile.atTokens <= 0) return profile.maxBatchSize;
  const out = server.load.avgOutTokens;
  return Math.max(Math.floor((profile.maxBatchSize * profile.atTokens) / Math.max(out, 1)), 1);
}

export function analyzerFor(kind: AnalyzerKind, server: Pick<Server, 'load' | 'maxBatchSize'>, profile: PerfProfile, cache: AnalyzerCache): { key: string; analyzer: Result<QueueAnalyzer> } {
  const n = batchSize(server, profile);
  const { alpha, beta, gamma, delta } = profile;
  const { avgInTokens, avgOutTokens } = server.load;
  let pk = cache.profileKeys.get(profile);
  if (pk === undefined) {
    pk = `${alpha}|${beta}|${gamma}|${delta}`;
    cache.profileKeys.set(profile, pk);
  }
  const key = `${kind}|${pk}|${n}|${avgInTokens}|${avgOutTokens}`;
  const analyzer = cache.analyzers.get(key)
    ?? remember(cache.analyzers, key, createAnalyzer(kind, { alpha, beta, gamma, delta, maxBatch: n, inTokens: avgInTokens, outTokens: avgOutTokens }, cache.stats), cache.maxEntries);
  return { key, analyzer };
}

/** No load yet, or no token mix to analyse: sized as a lone request (§5, R5). */
export const isZeroLoad = (server: Pick<Server, 'load'>): boolean => server.load.arrivalRate === 0 || server.load.avgOutTokens === 0;
