// The GPU inventory: allocatable GPUs per node and what pods request of them, kept up to date one node or pod event
// at a time (the webhook, scaler and extender read it far more often than the cluster changes). Totals and free
// units per accelerator type are derived on demand and cached until the next change.
import type { Accelerator, Capacity } from '../domain/types.js';
import { Label } from '../domain/keys.js';
import type { NodeResource } from './resources.js';

/** Whole GPUs of a Kubernetes quantity ("8", 8); fractional or unparsable counts give 0. */
export function gpuCount(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const n = typeof q === 'number' ? q : /^\d+$/.test(q.trim()) ? Number(q.trim()) : 0;
  return Number.isInteger(n) && n > 0 ? n : 0;
}

export interface NodeGpus {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly unschedulable: boolean;
  /** whole units per extended resource (allocatable, else capacity) */
  readonly allocatable: Readonly<Record<string, number>>;
}

export interface PodGpus {
  /** namespace/name */
  readonly key: string;
  /** metadata.uid: tells a pod from a later one of the same name */
  readonly uid?: string;
  readonly nodeName: string | undefined;
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** whole units per resource, summed over containers (limits where requests are absent, as Kubernetes defaults them) */
  readonly requests: Readonly<Record<string, number>>;
  /** Succeeded or Failed: holds nothing */
  readonly finished: boolean;
  /** a pod of a Deployment inferno places (it carries inferno's accelerator label) */
  readonly managed: boolean;
}

export function nodeGpusOf(n: NodeResource): NodeGpus {
  const source = n.status?.allocatable ?? n.status?.capacity ?? {};
  const allocatable: Record<string, number> = {};
  for (const [k, v] of Object.entries(source)) {
    const units = gpuCount(v);
    if (units > 0) allocatable[k] = units;
  }
  return { name: n.metadata.name, labels: n.metadata.labels, unschedulable: n.spec?.unschedulable === true, allocatable };
}

type Quantities = Readonly<Record<string, unknown>>;

/** Whole units per resource over containers: requests, falling back to limits (as Kubernetes defaults them). */
function requestsOf(containers: readonly { resources?: { requests?: Quantities; limits?: Quantities } }[]): Record<string, number> {
  const requests: Record<string, number> = {};
  for (const c of containers) {
    const r = { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) };
    for (const [k, v] of Object.entries(r)) {
      const units = typeof v === 'string' || typeof v === 'number' ? gpuCount(v) : 0;
      if (units > 0) requests[k] = (requests[k] ?? 0) + units;
    }
  }
  return requests;
}

/** A pod's GPU-relevant facts from its raw metadata, spec and status. */
export function podGpusOf(p: {
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Readonly<Record<string, string>> };
  spec?: { nodeName?: string; nodeSelector?: Readonly<Record<string, string>>; containers?: readonly { resources?: { requests?: Quantities; limits?: Quantities } }[] };
  status?: { phase?: string };
}): PodGpus {
  const phase = p.status?.phase;
  const nodeName = p.spec?.nodeName;
  return {
    key: `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`,
    ...(p.metadata?.uid !== undefined ? { uid: p.metadata.uid } : {}),
    nodeName: nodeName !== undefined && nodeName !== '' ? nodeName : undefined,
    nodeSelector: p.spec?.nodeSelector ?? {},
    requests: requestsOf(p.spec?.containers ?? []),
    finished: phase === 'Succeeded' || phase === 'Failed',
    managed: p.metadata?.labels?.[Label.accelerator] !== undefined,
  };
}

/** One node as the extender sees it: what it has and what bound pods already request. */
export interface NodeInventory extends NodeGpus {
  readonly used: Readonly<Record<string, number>>;
}

/** Per accelerator type: units on schedulable nodes, units free, and units free for inferno's own plan. */
export interface TypeCapacity {
  readonly total: Capacity;
  readonly free: Capacity;
  /** total minus what pods not managed by inferno hold: the scaler re-decides every managed Deployment */
  readonly freeForManaged: Capacity;
}

function add(into: Map<string, Map<string, number>>, node: string, requests: Readonly<Record<string, number>>, sign: 1 | -1): void {
  let m = into.get(node);
  if (m === undefined) {
    m = new Map();
    into.set(node, m);
  }
  for (const [k, v] of Object.entries(requests)) {
    const next = (m.get(k) ?? 0) + sign * v;
    if (next === 0) m.delete(k);
    else m.set(k, next);
  }
  if (m.size === 0) into.delete(node);
}

const holds = (p: PodGpus): boolean => !p.finished && Object.keys(p.requests).length > 0;

export class GpuInventory {
  readonly #nodes = new Map<string, NodeGpus>();
  /** GPU-holding pods only */
  readonly #pods = new Map<string, PodGpus>();
  /** requests of bound pods per node, kept even for nodes the inventory has not seen yet */
  readonly #used = new Map<string, Map<string, number>>();
  /** node(name) answers, kept until that node or its pods change (the extender asks for thousands per request) */
  readonly #views = new Map<string, NodeInventory>();
  /** units bound pods hold, per resource, over all nodes */
  readonly #bound = new Map<string, number>();
  #version = 0;
  #cache: { version: number; accelerators: readonly Accelerator[]; budget: Capacity | undefined; value: TypeCapacity } | undefined;

  /** increases with every change that can alter an answer */
  get version(): number {
    return this.#version;
  }

  upsertNode(n: NodeGpus): void {
    this.#nodes.set(n.name, n);
    this.#views.delete(n.name);
    this.#version++;
  }

  removeNode(name: string): void {
    this.#views.delete(name);
    if (this.#nodes.delete(name)) this.#version++;
  }

  upsertPod(p: PodGpus): void {
    const before = this.#pods.get(p.key);
    if (before === undefined && !holds(p)) return;
    this.#drop(before);
    if (holds(p)) {
      this.#pods.set(p.key, p);
      if (p.nodeName !== undefined) {
        add(this.#used, p.nodeName, p.requests, 1);
        this.#count(p.requests, 1);
        this.#views.delete(p.nodeName);
      }
    }
    this.#version++;
  }

  removePod(key: string): void {
    const before = this.#pods.get(key);
    if (before === undefined) return;
    this.#drop(before);
    this.#version++;
  }

  #drop(p: PodGpus | undefined): void {
    if (p === undefined) return;
    this.#pods.delete(p.key);
    if (p.nodeName !== undefined) {
      add(this.#used, p.nodeName, p.requests, -1);
      this.#count(p.requests, -1);
      this.#views.delete(p.nodeName);
    }
  }

  #count(requests: Readonly<Record<string, number>>, sign: 1 | -1): void {
    for (const [k, v] of Object.entries(requests)) {
      // A resource seen once stays, at 0 when nothing holds it: a scrape then says 0, not "no such resource".
      this.#bound.set(k, (this.#bound.get(k) ?? 0) + sign * v);
    }
  }

  /** GPU units that bound pods hold, per resource name (what a scrape reports; O(resources)) */
  boundUnits(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.#bound);
  }

  node(name: string): NodeInventory | undefined {
    const cached = this.#views.get(name);
    if (cached !== undefined) return cached;
    const n = this.#nodes.get(name);
    if (n === undefined) return undefined;
    const view: NodeInventory = { ...n, used: Object.fromEntries(this.#used.get(name) ?? []) };
    this.#views.set(name, view);
    return view;
  }

  nodeNames(): string[] {
    return [...this.#nodes.keys()].sort();
  }

  /** a GPU-holding pod by namespace/name */
  pod(key: string): PodGpus | undefined {
    return this.#pods.get(key);
  }

  /** keys of the GPU-holding pods */
  podKeys(): string[] {
    return [...this.#pods.keys()];
  }

  /** Units per accelerator type; a `budget` (the controller ConfigMap's capacity) caps what the nodes offer. */
  byType(accelerators: readonly Accelerator[], budget?: Capacity): TypeCapacity {
    const c = this.#cache;
    if (c?.version === this.#version && c.accelerators === accelerators && c.budget === budget) return c.value;
    const value = this.#computeByType(accelerators, budget);
    this.#cache = { version: this.#version, accelerators, budget, value };
    return value;
  }

  #computeByType(accelerators: readonly Accelerator[], budget: Capacity | undefined): TypeCapacity {
    const kinds = accelerators.filter((a) => a.device !== undefined && a.labelKey !== undefined && a.resource !== undefined);
    const typeOf = (labels: Readonly<Record<string, string>> | undefined): Accelerator | undefined =>
      labels === undefined ? undefined : kinds.find((a) => a.labelKey !== undefined && labels[a.labelKey] === a.device);
    const total: Capacity = Object.fromEntries(kinds.map((a) => [a.type, 0]));
    for (const n of this.#nodes.values()) {
      const acc = n.unschedulable ? undefined : typeOf(n.labels);
      if (acc?.resource !== undefined) total[acc.type] = (total[acc.type] ?? 0) + (n.allocatable[acc.resource] ?? 0);
    }
    const { used, unmanaged } = this.#usedByType(typeOf);
    const free: Capacity = {};
    const freeForManaged: Capacity = {};
    for (const type of new Set([...Object.keys(total), ...Object.keys(budget ?? {})])) {
      const cap = Math.min(total[type] ?? 0, budget?.[type] ?? Number.POSITIVE_INFINITY);
      free[type] = Math.max(0, cap - (used[type] ?? 0));
      freeForManaged[type] = Math.max(0, cap - (unmanaged[type] ?? 0));
    }
    return { total, free, freeForManaged };
  }

  #usedByType(typeOf: (labels: Readonly<Record<string, string>> | undefined) => Accelerator | undefined): { used: Capacity; unmanaged: Capacity } {
    const used: Capacity = {};
    const unmanaged: Capacity = {};
    for (const p of this.#pods.values()) {
      // A bound pod consumes its node's type; a pending one the type its nodeSelector pins.
      const acc = typeOf(p.nodeName !== undefined ? this.#nodes.get(p.nodeName)?.labels : p.nodeSelector);
      if (acc?.resource === undefined) continue;
      const units = p.requests[acc.resource] ?? 0;
      used[acc.type] = (used[acc.type] ?? 0) + units;
      if (!p.managed) unmanaged[acc.type] = (unmanaged[acc.type] ?? 0) + units;
    }
    return { used, unmanaged };
  }
}

/** An inventory holding these nodes and pods (scenario files, tests). */
export function inventoryOf(nodes: readonly NodeGpus[], pods: readonly PodGpus[] = []): GpuInventory {
  const inv = new GpuInventory();
  for (const n of nodes) inv.upsertNode(n);
  for (const p of pods) inv.upsertPod(p);
  return inv;
}

/** Free units per type of these nodes and pods within a budget (a one-off question; the views keep an inventory). */
export function freeCapacity(nodes: readonly NodeResource[], pods: readonly PodGpus[], accelerators: readonly Accelerator[], budget?: Capacity): Capacity {
  return inventoryOf(nodes.map(nodeGpusOf), pods).byType(accelerators, budget).free;
}
