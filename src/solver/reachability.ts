// Whether a server's SLO can be met on an accelerator at any load: the one test that candidate generation, the
// Optimizer validator and `inferno plan`'s bad-input check share, so they cannot disagree. A target is out of reach
// when even the lowest load misses it, which is exactly when Size fails (§3.1 step 3). With no load yet (no token
// mix), a lone request is the measure: it decodes at α + β and, in v2 with a prompt, waits γ + δ·I for its first
// token (R5); v1 bounds the wait (TTW), which a lone request never has.
import type { BoundReach, QueueAnalyzer, Result } from '../model/analyzer.js';
import { unreachableReason } from '../model/analyzer.js';
import type { AnalyzerKind, ModelTarget, PerfProfile, Server } from '../domain/types.js';
import type { AnalyzerCache } from './analyzers.js';
import { analyzerFor, createAnalyzerCache, isZeroLoad } from './analyzers.js';

export interface Miss {
  readonly bound: 'ttft' | 'itl' | 'ttw';
  /** the target as the user wrote it, ms */
  readonly target: number;
  /** the best the model achieves on this accelerator, ms */
  readonly best: number;
}

export type Reachability =
  | { readonly reachable: true }
  /** misses: every target out of reach; reason: the first one, in words */
  | { readonly reachable: false; readonly misses: readonly Miss[]; readonly reason: string }
  /** the profile itself cannot be analysed (e.g. zero service time): not a question of the SLO */
  | { readonly reachable: 'invalid'; readonly reason: string };

const round = (v: number): number => Math.round(v * 1000) / 1000;

function lone(kind: AnalyzerKind, server: Pick<Server, 'load'>, profile: PerfProfile, target: ModelTarget): BoundReach[] {
  const out: BoundReach[] = [];
  const inTokens = server.load.avgInTokens;
  if (kind === 'v2' && target.ttft > 0 && inTokens > 0) {
    const best = profile.gamma + profile.delta * inTokens;
    out.push({ bound: 'ttft', target: target.ttft, best, reachable: best <= target.ttft });
  }
  if (target.itl > 0) {
    const best = profile.alpha + profile.beta;
    out.push({ bound: 'itl', target: target.itl, best, reachable: best <= target.itl });
  }
  return out;
}

/** Can `target` be met on `profile`'s accelerator by `server` (its token mix, batch size) at some load? */
export function sloReachability(
  kind: AnalyzerKind,
  server: Pick<Server, 'load' | 'maxBatchSize'>,
  profile: PerfProfile,
  target: ModelTarget,
  cache: AnalyzerCache = createAnalyzerCache(),
  /** the analyzer for (server, profile) when the caller has it already */
  known?: Result<QueueAnalyzer>,
): Reachability {
  let bounds: readonly BoundReach[];
  if (isZeroLoad(server)) {
    bounds = lone(kind, server, profile, target);
  } else {
    const analyzer = known ?? analyzerFor(kind, server, profile, cache).analyzer;
    if (!analyzer.ok) return { reachable: 'invalid', reason: analyzer.reason };
    bounds = analyzer.value.reach({ ttft: target.ttft, itl: target.itl, tps: target.tps, ttw: target.ttw });
  }
  const misses = bounds.filter((b) => !b.reachable).map((b) => ({ bound: b.bound, target: b.target, best: b.best }));
  const first = bounds.find((b) => !b.reachable);
  if (first === undefined) return { reachable: true };
  const reason = isZeroLoad(server)
    ? `${first.bound.toUpperCase()} target ${round(first.target)} ms is out of reach: a single request gets ${round(first.best)} ms`
    : unreachableReason(first);
  return { reachable: false, misses, reason };
}
