// Filter: which of the candidate nodes can host the pod. Pure: the pod, the candidates, the snapshot and the
// reservations in; the verdict per node (and, when only one node is left, the reservation to record) out.
import type { ClusterSnapshot } from '../cluster/snapshot.js';
import type { AssumedPods, Reservation } from './assumed.js';
import { NotCachedReason, candidateFits, fitter, requirementOf } from './fit.js';
import type { ExtenderArgs, FilterOutcome } from './types.js';

export type FilterDecision =
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'ok'; readonly outcome: FilterOutcome; readonly reserve: Reservation | undefined };

export function filterNodes(args: ExtenderArgs, snap: ClusterSnapshot, assumed: AssumedPods): FilterDecision {
  const { pod } = args;
  const req = requirementOf(pod, snap.config.accelerators);
  if ('error' in req) return { type: 'error', message: req.error };
  if (req.kind === 'other' && Object.keys(req.requests).length === 0) {
    // Nothing inferno accounts for: every node stays, known to inferno or not.
    const all = args.candidates.form === 'names' ? args.candidates.names : args.candidates.nodes.map((n) => n.gpus.name);
    return { type: 'ok', outcome: { kept: [...all], failed: {}, unresolvable: {} }, reserve: undefined };
  }
  const fits = candidateFits(args.candidates, snap, assumed, pod, fitter(req));
  if (fits.length > 0 && fits.every((f) => !f.fit.fits && f.fit.reason === NotCachedReason)) {
    return { type: 'error', message: `none of the ${fits.length} nodes is in inferno's cache (first: ${fits[0]?.name ?? ''}); is inferno watching this cluster?` };
  }
  const kept: string[] = [];
  const failed: Record<string, string> = {};
  const unresolvable: Record<string, string> = {};
  for (const { name, fit } of fits) {
    if (fit.fits) kept.push(name);
    else if (fit.unresolvable) unresolvable[name] = fit.reason;
    else failed[name] = fit.reason;
  }
  // One node left: the scheduler binds there without calling prioritize, so this is the moment to reserve it.
  const only = kept.length === 1 ? kept[0] : undefined;
  const requests = req.kind === 'accelerator' ? { [req.resource]: req.units } : req.requests;
  const reserve = only !== undefined ? { uid: pod.uid, podKey: pod.gpus.key, node: only, requests } : undefined;
  return { type: 'ok', outcome: { kept, failed, unresolvable }, reserve };
}
