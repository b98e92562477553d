// Pods the scheduler has chosen a node for but inferno's informer has not yet seen bound.
//
// Why: kube-scheduler schedules one pod after another and binds asynchronously. It counts the pod it just placed
// ("assumed") in its own cache at once, but inferno learns of the binding only through its pod watch, tens of
// milliseconds later — by then the scheduler may already be asking about the next replica. Without bookkeeping,
// that next pod would be filtered and scored against a node that still looks as free as before: a node with one
// free GPU could be handed out twice (the scheduler leaves GPU fit to inferno: `ignoredByScheduler: true`), and a
// burst of replicas would tie on the same "free" nodes instead of packing.
//
// Design: when inferno's answer settles where a pod goes — prioritize gave one node the unique top score (the
// inferno-scheduler profile has no score plugins of its own, so its pick is inferno's), or filter kept a single
// node (the scheduler then skips prioritize) — the shell records a reservation: pod UID, the node, the GPUs it
// requests. Filter and prioritize count reservations on top of what bound pods use, except the pod's own (a retried
// pod must not compete with itself). A reservation ends when the informer accounts for the pod: it is bound (the
// inventory counts it on its real node, even if that is another node than the one reserved), finished, or deleted
// after having been seen; a new answer for the same pod replaces it. A TTL (default 10 min, kube-scheduler's
// default bind timeout) ends the rest, e.g. a pod deleted before inferno ever saw it. An outdated reservation only
// makes a node look fuller than it is (a pod waits a moment); a missing one could overcommit a node: the errors are
// on the safe side. The count is bounded; the oldest go first.
//
// Pure bookkeeping: the caller passes `now` and a lookup of the pods the inventory holds.
import type { PodGpus } from '../cluster/inventory.js';

export interface Reservation {
  readonly uid: string;
  /** namespace/name */
  readonly podKey: string;
  readonly node: string;
  /** GPU units per resource */
  readonly requests: Readonly<Record<string, number>>;
}

interface Entry extends Reservation {
  readonly id: string;
  readonly expiresAt: number;
  /** the inventory held the pod (unbound) at some point since: its disappearance then means deletion */
  seen: boolean;
}

export interface AssumedOptions {
  readonly ttlMs?: number;
  readonly max?: number;
}

export const defaultAssumedTtlMs = 600_000;
const defaultMax = 10_000;

const none: Readonly<Record<string, number>> = Object.freeze({});
const idOf = (uid: string, podKey: string): string => (uid !== '' ? uid : `key:${podKey}`);

export class AssumedPods {
  readonly ttlMs: number;
  readonly max: number;
  /** insertion order = age, for eviction at `max` */
  readonly #byId = new Map<string, Entry>();
  readonly #byNode = new Map<string, Map<string, Entry>>();

  constructor(opts: AssumedOptions = {}) {
    this.ttlMs = opts.ttlMs ?? defaultAssumedTtlMs;
    this.max = Math.max(1, opts.max ?? defaultMax);
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Records (or moves) the pod's reservation. `inInventory`: the informer already holds the pod. */
  reserve(r: Reservation, now: number, inInventory: boolean): void {
    const id = idOf(r.uid, r.podKey);
    this.#delete(id);
    if (Object.values(r.requests).every((v) => v <= 0)) return;
    while (this.#byId.size >= this.max) {
      const oldest = this.#byId.keys().next();
      if (oldest.done === true) break;
      this.#delete(oldest.value);
    }
    const e: Entry = { ...r, id, expiresAt: now + this.ttlMs, seen: inInventory };
    this.#byId.set(id, e);
    let onNode = this.#byNode.get(r.node);
    if (onNode === undefined) {
      onNode = new Map();
      this.#byNode.set(r.node, onNode);
    }
    onNode.set(id, e);
  }

  release(uid: string, podKey: string): void {
    this.#delete(idOf(uid, podKey));
  }

  /** Drops the reservations the inventory now accounts for, and the expired ones. */
  prune(lookup: (podKey: string) => PodGpus | undefined, now: number): void {
    for (const e of [...this.#byId.values()]) {
      if (now >= e.expiresAt) {
        this.#delete(e.id);
        continue;
      }
      const p = lookup(e.podKey);
      const same = p !== undefined && (p.uid === undefined || e.uid === '' || p.uid === e.uid);
      if (same && (p.nodeName !== undefined || p.finished)) this.#delete(e.id);
      else if (same) e.seen = true;
      else if (p === undefined && e.seen) this.#delete(e.id); // deleted while pending
    }
  }

  /** Units per resource reserved on `node` for pods other than the one named. */
  on(node: string, exceptUid: string, exceptKey: string): Readonly<Record<string, number>> {
    const onNode = this.#byNode.get(node);
    if (onNode === undefined) return none;
    const out: Record<string, number> = {};
    const except = idOf(exceptUid, exceptKey);
    for (const e of onNode.values()) {
      if (e.id === except) continue;
      for (const [k, v] of Object.entries(e.requests)) out[k] = (out[k] ?? 0) + v;
    }
    return out;
  }

  /** The pod's current reservation, if any. */
  of(uid: string, podKey: string): Reservation | undefined {
    const e = this.#byId.get(idOf(uid, podKey));
    return e === undefined ? undefined : { uid: e.uid, podKey: e.podKey, node: e.node, requests: e.requests };
  }

  #delete(id: string): void {
    const e = this.#byId.get(id);
    if (e === undefined) return;
    this.#byId.delete(id);
    const onNode = this.#byNode.get(e.node);
    onNode?.delete(id);
    if (onNode?.size === 0) this.#byNode.delete(e.node);
  }
}
