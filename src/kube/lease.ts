// Leader election on a coordination.k8s.io/v1 Lease (client-node ships none): every inferno replica campaigns, the
// holder runs the scaler. The rules (when to create, renew, take over, what to write) are pure and live in
// scaler/lease-logic.ts; this file does the reads and writes and the timing.
//
// Safety: the leader's AbortSignal aborts the moment a renewal sees the lease taken or conflicts (409), and at the
// latest renewDeadline after its last successful renewal (a timer, so a hanging request cannot delay it). Others
// take over only leaseDuration after they last saw the lease change, which is later.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { CoordinationV1Api, V1Lease, V1LeaseSpec, V1MicroTime, V1ObjectMeta } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { ScalerLease } from '../domain/keys.js';
import type { LeaseSpecWrite, LeaseState, LeaseTimings, Sighting } from '../scaler/lease-logic.js';
import { assess, candidateDelayMs, DefaultLeaseTimings, nextSpec, releaseSpec, renewDeadlineAt, timingProblems } from '../scaler/lease-logic.js';
import { abortableSleep } from '../scaler/loop.js';
import { apiStatus, errorText, requestOptions } from './request.js';

export interface LeaderElectorOptions {
  readonly kubeConfig: KubeConfig;
  /** inferno's own namespace */
  readonly namespace: string;
  /** default: ScalerLease.name */
  readonly name?: string;
  /** unique per process; default: newIdentity() */
  readonly identity?: string;
  readonly timings?: Partial<LeaseTimings>;
  /**
   * Called when this process becomes the leader. `signal` aborts when leadership ends (lost, or stop); the returned
   * promise is awaited before the Lease is released or campaigning resumes, so no work outlives leadership.
   */
  readonly onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called after leading ended and onStartedLeading's work finished. */
  readonly onStoppedLeading?: (why: string) => void;
  /** Called when a different holder is first seen. */
  readonly onNewLeader?: (identity: string) => void;
  readonly log?: (message: string) => void;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** floor for a candidate's wake-up at the holder's expiry: no busy loop */
const MinWakeMs = 10;

/** hostname_uuid, as client-go's examples build it: two processes on one host still differ. */
export const newIdentity = (): string => `${os.hostname()}_${randomUUID()}`;

type Attempt =
  | { readonly ok: true; readonly sent: number }
  | { readonly ok: false; readonly why: string; readonly lost: boolean; readonly expiresAt?: number };

export class LeaderElector {
  readonly identity: string;
  readonly timings: LeaseTimings;
  private readonly api: CoordinationV1Api;
  private readonly name: string;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly log: (message: string) => void;
  private readonly o: LeaderElectorOptions;
  private seen: Sighting | undefined;
  private lastHolder: string | undefined;
  private leading = false;
  private running = false;

  constructor(o: LeaderElectorOptions) {
    this.o = o;
    this.timings = { ...DefaultLeaseTimings, ...o.timings };
    const problems = timingProblems(this.timings);
    if (problems.length > 0) throw new Error(`leader election: ${problems.join('; ')}`);
    this.identity = o.identity ?? newIdentity();
    this.name = o.name ?? ScalerLease.name;
    this.api = o.kubeConfig.makeApiClient(CoordinationV1Api);
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.log = o.log ?? (() => undefined);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns, and leads whenever it holds the Lease, until `signal` aborts; then releases the Lease if held. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error('LeaderElector.run is already running');
    this.running = true;
    try {
      while (!aborted(signal)) {
        const acquired = await this.acquire(signal);
        if (acquired === undefined) break;
        await this.lead(signal, acquired);
        // after stepping down, give the others a retry period before campaigning again
        await abortableSleep(candidateDelayMs(this.timings, this.random()), signal);
      }
    } finally {
      this.running = false;
    }
  }

  /** Tries until it holds the lease; the send time of the winning write, or undefined when stopped. */
  private async acquire(signal: AbortSignal): Promise<number | undefined> {
    while (!aborted(signal)) {
      let delay = candidateDelayMs(this.timings, this.random());
      try {
        const a = await this.attempt(AbortSignal.any([signal, AbortSignal.timeout(this.timings.renewDeadlineMs)]));
        if (a.ok) return a.sent;
        // wake when the holder's lease would expire rather than up to a retry period later
        if (a.expiresAt !== undefined) delay = Math.min(delay, Math.max(a.expiresAt - this.now(), MinWakeMs));
      } catch (e) {
        if (!aborted(signal)) this.log(`lease ${this.o.namespace}/${this.name}: ${errorText(e)}`);
      }
      await abortableSleep(delay, signal);
    }
    return undefined;
  }

  private async lead(stop: AbortSignal, acquiredAt: number): Promise<void> {
    const lead = new AbortController();
    let why = 'stopped';
    // whether the Lease may still name us (then we release it) or is someone else's / unknown now
    const held = { mayHold: true };
    const lose = (reason: string, stillHeld = false): void => {
      if (lead.signal.aborted) return;
      why = reason;
      held.mayHold = stillHeld;
      this.leading = false;
      lead.abort(new Error(reason));
    };
    let deadline = renewDeadlineAt(acquiredAt, this.timings);
    let watchdog: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        lose(`could not renew within the renew deadline (${this.timings.renewDeadlineMs} ms)`);
      }, Math.max(deadline - this.now(), 0));
    };
    this.leading = true;
    arm();
    this.log(`lease ${this.o.namespace}/${this.name}: ${this.identity} is the leader`);
    const work = Promise.resolve()
      .then(() => this.o.onStartedLeading(lead.signal))
      .catch((e: unknown) => {
        this.log(`leader work failed: ${errorText(e)}`);
      })
      .then(() => {
        // A leader that no longer works must not keep the Lease from the others: step down (and campaign again).
        lose('the leader work ended', true);
      });
    const either = AbortSignal.any([lead.signal, stop]);
    while (!aborted(either)) {
      await abortableSleep(this.timings.retryPeriodMs, either);
      if (aborted(either)) break;
      const sent = this.now();
      try {
        const a = await this.attempt(AbortSignal.any([either, AbortSignal.timeout(Math.max(deadline - sent, 1))]));
        if (a.ok) {
          deadline = renewDeadlineAt(sent, this.timings);
          arm();
        } else if (a.lost) {
          lose(a.why);
        }
      } catch (e) {
        if (!aborted(either)) this.log(`lease ${this.o.namespace}/${this.name}: renewal failed: ${errorText(e)}`);
      }
    }
    clearTimeout(watchdog);
    lose(why, true); // no-op when already lost; otherwise we are stopping and still hold it
    await work;
    if (held.mayHold) await this.release();
    this.log(`lease ${this.o.namespace}/${this.name}: ${this.identity} stopped leading: ${why}`);
    this.o.onStoppedLeading?.(why);
  }

  /** One read + create/replace. Throws on transport and unexpected API errors. */
  private async attempt(signal: AbortSignal): Promise<Attempt> {
    const opts = requestOptions({ signal });
    const sent = this.now();
    const raw = await this.read(signal);
    const state = raw === undefined ? undefined : stateOf(raw);
    const { verdict, seen } = assess(state, this.seen, this.identity, this.now(), this.timings);
    this.seen = seen;
    if (state !== undefined && state.holder !== '' && state.holder !== this.lastHolder) {
      this.lastHolder = state.holder;
      if (state.holder !== this.identity) this.o.onNewLeader?.(state.holder);
    }
    if (verdict.kind === 'wait') return { ok: false, why: `held by ${verdict.holder}`, lost: this.leading, expiresAt: verdict.expiresAt };
    if (this.leading && verdict.kind !== 'renew') return { ok: false, why: 'the lease no longer names this process', lost: true };
    const spec = nextSpec(verdict, state, this.identity, this.now(), this.timings);
    try {
      if (raw === undefined) {
        await this.api.createNamespacedLease({ namespace: this.o.namespace, body: this.body(spec, undefined) }, opts);
      } else {
        await this.api.replaceNamespacedLease({ name: this.name, namespace: this.o.namespace, body: this.body(spec, raw) }, opts);
      }
    } catch (e) {
      // 409: someone else wrote the lease since we read it (or created it first)
      if (apiStatus(e) === 409) return { ok: false, why: 'conflict: the lease changed while renewing', lost: this.leading };
      throw e;
    }
    if (verdict.kind === 'take') this.log(`lease ${this.o.namespace}/${this.name}: taken over (${verdict.why}${verdict.previous === '' ? '' : ` from ${verdict.previous}`})`);
    this.lastHolder = this.identity;
    return { ok: true, sent };
  }

  private async read(signal: AbortSignal): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({ name: this.name, namespace: this.o.namespace }, requestOptions({ signal }));
    } catch (e) {
      if (apiStatus(e) === 404) return undefined;
      throw e;
    }
  }

  private body(spec: LeaseSpecWrite, current: V1Lease | undefined): V1Lease {
    const keep = current?.spec?.acquireTime;
    // client-node's model classes are plain data at run time (its serializer walks attribute maps)
    const body: LeaseBody = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.name,
        namespace: this.o.namespace,
        labels: { ...current?.metadata?.labels, ...ScalerLease.labels },
        ...(current?.metadata?.resourceVersion !== undefined ? { resourceVersion: current.metadata.resourceVersion } : {}),
      },
      spec: {
        holderIdentity: spec.holderIdentity,
        leaseDurationSeconds: spec.leaseDurationSeconds,
        ...(spec.acquireTime === 'keep' ? (keep !== undefined ? { acquireTime: keep } : {}) : { acquireTime: new V1MicroTime(spec.acquireTime) }),
        renewTime: new V1MicroTime(spec.renewTime),
        leaseTransitions: spec.leaseTransitions,
      },
    };
    return Object.assign(new V1Lease(), body, { metadata: Object.assign(new V1ObjectMeta(), body.metadata), spec: Object.assign(new V1LeaseSpec(), body.spec) });
  }

  /** Best effort: hand the lease over at once instead of letting it expire. */
  private async release(): Promise<void> {
    const signal = AbortSignal.timeout(this.timings.renewDeadlineMs);
    try {
      const raw = await this.read(signal);
      if (raw === undefined) return;
      const state = stateOf(raw);
      if (state.holder !== this.identity) return;
      await this.api.replaceNamespacedLease({ name: this.name, namespace: this.o.namespace, body: this.body(releaseSpec(state, this.now()), raw) }, requestOptions({ signal }));
      this.log(`lease ${this.o.namespace}/${this.name}: released`);
    } catch (e) {
      this.log(`lease ${this.o.namespace}/${this.name}: release failed (it expires on its own): ${errorText(e)}`);
    }
  }
}

/** A function, not `signal.aborted` inline: TypeScript narrows the property and misses aborts during awaits. */
const aborted = (signal: AbortSignal): boolean => signal.aborted;

interface LeaseBody {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string>; resourceVersion?: string };
  spec: { holderIdentity: string; leaseDurationSeconds: number; acquireTime?: Date; renewTime: Date; leaseTransitions: number };
}

function stateOf(l: V1Lease): LeaseState {
  const s = l.spec;
  return {
    holder: s?.holderIdentity ?? '',
    durationMs: s?.leaseDurationSeconds === undefined ? undefined : s.leaseDurationSeconds * 1000,
    transitions: s?.leaseTransitions ?? 0,
    version: l.metadata?.resourceVersion ?? '',
  };
}
