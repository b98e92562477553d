// The fragmentation figure's inputs and its pure simulation, shared by `npm run bench:extender` and the e2e test.
//
// A seeded sequence of pod arrivals (1, 2, 4 or 8 GPUs) and departures on a cluster of 4- and 8-GPU nodes of one
// GPU product. The sequence does not depend on the policy: a departure names an earlier arrival, and is a no-op
// where that pod found no node. A pod that fits nowhere is dropped (counted as rejected), not queued. The figure:
// how many 8-GPU pods would still fit (whole free 8-GPU nodes) — with inferno's filter + prioritize (the real
// functions) versus least-allocated spreading, which is what the default scheduler's scoring amounts to here.
import { GpuInventory } from '../../src/cluster/inventory.js';
import type { NodeGpus } from '../../src/cluster/inventory.js';
import { snapshotOf } from '../../src/cluster/snapshot.js';
import { Label } from '../../src/domain/keys.js';
import type { Accelerator } from '../../src/domain/types.js';
import { AssumedPods } from '../../src/extender/assumed.js';
import { filterNodes } from '../../src/extender/filter.js';
import { prioritizeNodes } from '../../src/extender/prioritize.js';
import type { ExtenderArgs } from '../../src/extender/types.js';
import { seededRandom } from '../../src/engine/random.js';

export const Product = { accelerator: 'A100', device: 'NVIDIA-A100-SXM4-80GB', labelKey: 'nvidia.com/gpu.product', resource: 'nvidia.com/gpu' } as const;
export const packingCatalog: Accelerator[] = [{ name: Product.accelerator, type: Product.accelerator, multiplicity: 1, cost: 180, device: Product.device, labelKey: Product.labelKey, resource: Product.resource }];

/** The engine's seeded PRNG (mulberry32), [0, 1). */
export const prng = seededRandom;

export type PackingEvent = { readonly type: 'arrive'; readonly id: number; readonly gpus: number } | { readonly type: 'depart'; readonly id: number };

export interface SequenceOptions {
  readonly seed: number;
  readonly events: number;
  /** share of events that are arrivals (the rest depart a random earlier arrival) */
  readonly arrivalShare?: number;
  /** GPUs per pod and their weights */
  readonly sizes?: readonly (readonly [gpus: number, weight: number])[];
}

export const defaultSizes = [[1, 0.5], [2, 0.25], [4, 0.15], [8, 0.1]] as const;

export function packingSequence(o: SequenceOptions): PackingEvent[] {
  const rand = prng(o.seed);
  const sizes = o.sizes ?? defaultSizes;
  const total = sizes.reduce((s, [, w]) => s + w, 0);
  const live: number[] = [];
  const out: PackingEvent[] = [];
  let next = 0;
  for (let i = 0; i < o.events; i++) {
    if (live.length === 0 || rand() < (o.arrivalShare ?? 0.6)) {
      let r = rand() * total;
      const size = sizes.find(([, w]) => (r -= w) < 0)?.[0] ?? 1;
      out.push({ type: 'arrive', id: next, gpus: size });
      live.push(next++);
    } else {
      const [id] = live.splice(Math.floor(rand() * live.length), 1);
      if (id !== undefined) out.push({ type: 'depart', id });
    }
  }
  return out;
}

export interface PoolSpec {
  readonly prefix: string;
  readonly count: number;
  readonly gpus: number;
}

export function packingNodes(pools: readonly PoolSpec[]): NodeGpus[] {
  return pools.flatMap((p) => Array.from({ length: p.count }, (_, i) => ({
    name: `${p.prefix}-${i}`, labels: { [Product.labelKey]: Product.device }, unschedulable: false, allocatable: { [Product.resource]: p.gpus },
  })));
}

export type Policy = 'extender' | 'least-allocated';
export type Picker = (gpus: number, id: number) => string | undefined;

export interface PackingOutcome {
  readonly policy: Policy;
  /** 8-GPU pods that still fit at the end: whole free 8-GPU-or-larger node shares */
  readonly eightGpuPodsThatFit: number;
  /** the same, averaged over the sequence (after every event) */
  readonly eightGpuPodsThatFitMean: number;
  readonly rejected: Readonly<Record<string, number>>;
  readonly placements: readonly (string | undefined)[];
}

/** Free GPUs per node after the pods placed so far. */
export type FreeMap = Map<string, { free: number; all: number }>;

export const eightGpuFits = (free: FreeMap): number => [...free.values()].reduce((s, n) => s + Math.floor(n.free / 8), 0);

/** Runs the sequence with `pick` choosing a node per arrival (undefined: no node). */
export function runSequence(nodes: readonly NodeGpus[], events: readonly PackingEvent[], policy: Policy, pick: (free: FreeMap, gpus: number, id: number) => string | undefined): PackingOutcome {
  const free: FreeMap = new Map(nodes.map((n) => [n.name, { free: n.allocatable[Product.resource] ?? 0, all: n.allocatable[Product.resource] ?? 0 }]));
  const where = new Map<number, { node: string; gpus: number }>();
  const rejected: Record<string, number> = {};
  const placements: (string | undefined)[] = [];
  let sum = 0;
  for (const e of events) {
    if (e.type === 'arrive') {
      const node = pick(free, e.gpus, e.id);
      const slot = node !== undefined ? free.get(node) : undefined;
      if (node === undefined || slot === undefined || slot.free < e.gpus) {
        rejected[String(e.gpus)] = (rejected[String(e.gpus)] ?? 0) + 1;
        placements.push(undefined);
      } else {
        slot.free -= e.gpus;
        where.set(e.id, { node, gpus: e.gpus });
        placements.push(node);
      }
    } else {
      const w = where.get(e.id);
      const slot = w !== undefined ? free.get(w.node) : undefined;
      if (w !== undefined && slot !== undefined) {
        slot.free += w.gpus;
        where.delete(e.id);
      }
    }
    sum += eightGpuFits(free);
  }
  return { policy, eightGpuPodsThatFit: eightGpuFits(free), eightGpuPodsThatFitMean: Number((sum / Math.max(1, events.length)).toFixed(2)), rejected, placements };
}

/** kube-scheduler's LeastAllocated on the GPU resource: the most free share after placement; ties in name order. */
export function leastAllocated(free: FreeMap, gpus: number): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const [name, n] of [...free].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (n.free < gpus) continue;
    const score = (n.free - gpus) / n.all;
    if (score > bestScore) {
      best = name;
      bestScore = score;
    }
  }
  return best;
}

/** inferno's extender as kube-scheduler uses it: filter, then the top prioritize score (the scheduler's own pick). */
export function extenderPicker(nodes: readonly NodeGpus[]): (free: FreeMap, gpus: number, id: number) => string | undefined {
  const config = { accelerators: packingCatalog, classes: { byRef: new Map(), byName: new Map() }, controller: { options: {} } };
  const assumed = new AssumedPods();
  const names = nodes.map((n) => n.name);
  return (free, gpus, id) => {
    // The inventory as the informer would hold it at this moment: each node's use as one pod.
    const inv = new GpuInventory();
    for (const n of nodes) {
      inv.upsertNode(n);
      const f = free.get(n.name);
      const used = f !== undefined ? f.all - f.free : 0;
      if (used > 0) inv.upsertPod({ key: `use/${n.name}`, nodeName: n.name, nodeSelector: {}, requests: { [Product.resource]: used }, finished: false, managed: true });
    }
    const snap = snapshotOf(config, inv);
    const gpusOf = { key: `seq/pod-${id}`, uid: `uid-${id}`, nodeName: undefined, nodeSelector: { [Product.labelKey]: Product.device }, requests: { [Product.resource]: gpus }, finished: false, managed: true };
    const args: ExtenderArgs = { pod: { gpus: gpusOf, uid: `uid-${id}`, accelerator: Product.accelerator }, candidates: { form: 'names', names } };
    const f = filterNodes(args, snap, assumed);
    if (f.type !== 'ok' || f.outcome.kept.length === 0) return undefined;
    if (f.outcome.kept.length === 1) return f.outcome.kept[0];
    const p = prioritizeNodes({ ...args, candidates: { form: 'names', names: f.outcome.kept } }, snap, assumed);
    if (p.type !== 'ok') return undefined;
    return p.reserve?.node;
  };
}

export function simulate(pools: readonly PoolSpec[], events: readonly PackingEvent[]): { extender: PackingOutcome; leastAllocated: PackingOutcome } {
  const nodes = packingNodes(pools);
  return {
    extender: runSequence(nodes, events, 'extender', extenderPicker(nodes)),
    leastAllocated: runSequence(nodes, events, 'least-allocated', leastAllocated),
  };
}

/** The label a pod needs for inferno to treat it as placed on the packing product. */
export const packingPodLabels = { [Label.accelerator]: Product.accelerator } as const;
