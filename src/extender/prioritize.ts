// Prioritize: best fit. The node left with the fewest free GPUs after placing the pod scores highest, so small
// replicas fill nodes that are already in use (and small nodes before large ones) and whole 8-GPU nodes stay whole
// for the models that need them. Pure, like filter.
//
// Scores are integers 0–10 that the scheduler adds (× weight × 10) to its own plugin scores, and it picks among
// equal totals at random. So the scale is relative to the candidates and the top is unique: the single best node
// (fewest free after placement; then fewer GPUs in all, then name — a fixed order) gets 10, every other fitting
// node 0–9 by how much it would leave free (9 = as tight as the best, 0 = the loosest), nodes that do not fit 0.
// A unique top makes the scheduler's pick predictable, which is what lets the shell reserve that node for the pod
// (assumed.ts). Pods inferno did not place get the same score on every node: no opinion.
import type { ClusterSnapshot } from '../cluster/snapshot.js';
import type { AssumedPods, Reservation } from './assumed.js';
import { candidateFits, fitter, requirementOf } from './fit.js';
import type { ExtenderArgs, HostScore } from './types.js';
import { MaxScore, MinScore } from './types.js';

export interface FitCandidate {
  readonly name: string;
  readonly freeAfter: number;
  readonly allocatable: number;
}

const tighter = (a: FitCandidate, b: FitCandidate): number =>
  a.freeAfter - b.freeAfter || a.allocatable - b.allocatable || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Best-fit scores of the fitting nodes, and the unique top (undefined when none fit). */
export function bestFitScores(fitting: readonly FitCandidate[]): { scores: Map<string, number>; best: string | undefined } {
  const scores = new Map<string, number>();
  if (fitting.length === 0) return { scores, best: undefined };
  const best = fitting.reduce((a, b) => (tighter(a, b) <= 0 ? a : b));
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const c of fitting) {
    lo = Math.min(lo, c.freeAfter);
    hi = Math.max(hi, c.freeAfter);
  }
  const below = MaxScore - 1;
  for (const c of fitting) {
    scores.set(c.name, c === best ? MaxScore : hi === lo ? below : Math.round((below * (hi - c.freeAfter)) / (hi - lo)));
  }
  return { scores, best: best.name };
}

export type PrioritizeDecision =
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'ok'; readonly scores: readonly HostScore[]; readonly reserve: Reservation | undefined };

export function prioritizeNodes(args: ExtenderArgs, snap: ClusterSnapshot, assumed: AssumedPods): PrioritizeDecision {
  const { pod } = args;
  const req = requirementOf(pod, snap.config.accelerators);
  if ('error' in req) return { type: 'error', message: req.error };
  const names = args.candidates.form === 'names' ? args.candidates.names : args.candidates.nodes.map((n) => n.gpus.name);
  if (req.kind === 'other') return { type: 'ok', scores: names.map((host) => ({ host, score: MinScore })), reserve: undefined };
  const fitting: FitCandidate[] = [];
  for (const { name, fit } of candidateFits(args.candidates, snap, assumed, pod, fitter(req))) {
    if (fit.fits) fitting.push({ name, freeAfter: fit.freeAfter, allocatable: fit.allocatable });
  }
  const { scores, best } = bestFitScores(fitting);
  const reserve = best !== undefined ? { uid: pod.uid, podKey: pod.gpus.key, node: best, requests: { [req.resource]: req.units } } : undefined;
  return { type: 'ok', scores: names.map((host) => ({ host, score: scores.get(host) ?? MinScore })), reserve };
}
