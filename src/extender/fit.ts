// What a pod needs of a node and whether a node has it: the part filter and prioritize share.
import type { NodeGpus } from '../cluster/inventory.js';
import type { ClusterSnapshot } from '../cluster/snapshot.js';
import { GpuVendors, Label } from '../domain/keys.js';
import type { Accelerator } from '../domain/types.js';
import type { AssumedPods } from './assumed.js';
import type { Candidates, ExtenderPod } from './types.js';

/**
 * A pod inferno placed needs its accelerator's GPU product and `units` free GPUs of its resource. Any other pod only
 * needs room for the GPUs it requests: the inferno-scheduler leaves GPU fit to inferno (`ignoredByScheduler`), so
 * inferno checks it for every pod it is asked about, and has no opinion beyond that (every fitting node is kept and
 * scored alike).
 */
export type Requirement =
  | { readonly kind: 'accelerator'; readonly accelerator: string; readonly device: string; readonly labelKey: string; readonly resource: string; readonly units: number }
  | { readonly kind: 'other'; readonly requests: Readonly<Record<string, number>> };

/** GPU resources: the catalog's and the known vendors' (a pod's CPU count is no concern of the extender). */
export function gpuResources(accelerators: readonly Accelerator[]): Set<string> {
  return new Set([...GpuVendors.map((v) => v.resource), ...accelerators.flatMap((a) => (a.resource !== undefined ? [a.resource] : []))]);
}

/** What the pod needs, or why inferno cannot tell (an Error for the scheduler). */
export function requirementOf(pod: ExtenderPod, accelerators: readonly Accelerator[]): Requirement | { readonly error: string } {
  const name = pod.accelerator;
  if (name === undefined) {
    const gpu = gpuResources(accelerators);
    return { kind: 'other', requests: Object.fromEntries(Object.entries(pod.gpus.requests).filter(([k]) => gpu.has(k))) };
  }
  const acc = accelerators.find((a) => a.name === name);
  if (acc === undefined) {
    return { error: `pod ${pod.gpus.key}: accelerator "${name}" (label ${Label.accelerator}) is not in inferno's accelerator catalog` };
  }
  if (acc.device === undefined || acc.labelKey === undefined || acc.resource === undefined) {
    return { error: `pod ${pod.gpus.key}: accelerator "${name}" has no device, labelKey or resource in inferno's accelerator catalog` };
  }
  return { kind: 'accelerator', accelerator: name, device: acc.device, labelKey: acc.labelKey, resource: acc.resource, units: pod.gpus.requests[acc.resource] ?? 0 };
}

type Units = Readonly<Record<string, number>>;

/** A candidate node's GPU product labels and allocatable units (from the request's Node object or the cache). */
export interface NodeLabelsAndGpus {
  readonly labels: Readonly<Record<string, string>>;
  readonly allocatable: Units;
}

export type Fit =
  | { readonly fits: true; /** free units of the required resource left after placing the pod */ readonly freeAfter: number; readonly allocatable: number }
  | { readonly fits: false; readonly reason: string; readonly unresolvable: boolean };

export const NotCachedReason = "inferno: node not in inferno's cache yet";
const notCached: Fit = { fits: false, unresolvable: false, reason: NotCachedReason };

/**
 * Whether one node can host a pod with this requirement, given what bound pods use on it and what is held there for
 * pods being bound (`n` undefined: a node inferno's cache does not hold).
 */
export type Fitter = (n: NodeLabelsAndGpus | undefined, used: Units, held: Units) => Fit;

/**
 * The requirement's fit test. Rejections repeat across thousands of nodes with a handful of distinct counts, so each
 * distinct verdict is built once per request.
 */
export function fitter(req: Requirement): Fitter {
  const memo = new Map<string, Fit>();
  const once = (key: string, make: () => Fit): Fit => {
    let v = memo.get(key);
    if (v === undefined) {
      v = make();
      memo.set(key, v);
    }
    return v;
  };
  const room = (n: NodeLabelsAndGpus, usedOn: Units, heldOn: Units, resource: string, units: number): Fit => {
    const all = n.allocatable[resource] ?? 0;
    if (all < units) return once(`s${all}/${resource}/${units}`, () => ({ fits: false, unresolvable: true, reason: `inferno: node has ${all} ${resource} in all, pod needs ${units}` }));
    const held = heldOn[resource] ?? 0;
    const free = Math.max(0, all - (usedOn[resource] ?? 0) - held);
    if (free < units) {
      return once(`f${free}/${all}/${held}/${resource}/${units}`, () => ({
        fits: false, unresolvable: false, reason: `inferno: ${free} of ${all} ${resource} free${held > 0 ? ` (${held} held for pods being bound)` : ''}, pod needs ${units}`,
      }));
    }
    return { fits: true, freeAfter: free - units, allocatable: all };
  };
  if (req.kind === 'accelerator') {
    const wrongProduct: Fit = { fits: false, unresolvable: true, reason: `inferno: not a ${req.device} node (pod runs on ${req.accelerator})` };
    return (n, used, held) => (n === undefined ? notCached : n.labels[req.labelKey] !== req.device ? wrongProduct : room(n, used, held, req.resource, req.units));
  }
  const requests = Object.entries(req.requests);
  return (n, used, held) => {
    if (n === undefined) return notCached;
    let fit: Fit = { fits: true, freeAfter: 0, allocatable: 0 };
    for (const [resource, units] of requests) {
      fit = room(n, used, held, resource, units);
      if (!fit.fits) return fit;
    }
    return fit;
  };
}

/**
 * Each candidate's fit, in request order. With full Node objects in the request, labels and allocatable come from
 * them (the scheduler's view); usage always comes from inferno's cache, so a node the cache lacks is unknown.
 */
export function candidateFits(candidates: Candidates, snap: ClusterSnapshot, assumed: AssumedPods, pod: ExtenderPod, fit: Fitter): { name: string; fit: Fit }[] {
  const none: Units = {};
  const one = (name: string, fromRequest: NodeGpus | undefined): { name: string; fit: Fit } => {
    const cached = snap.node(name);
    if (cached === undefined) return { name, fit: fit(undefined, none, none) };
    return { name, fit: fit(fromRequest ?? cached, cached.used, assumed.on(name, pod.uid, pod.gpus.key)) };
  };
  return candidates.form === 'names'
    ? candidates.names.map((name) => one(name, undefined))
    : candidates.nodes.map((n) => one(n.gpus.name, n.gpus));
}
