// What the scaler writes to the cluster: replicas through the Deployment scale subresource, pod-template edits as
// JSON patches guarded by the Deployment's generation, the Optimizer status subresource, and Events. Conflicts
// re-read and retry (bounded); a Deployment or Optimizer deleted meanwhile is reported as 'gone', not as an error.
import { AppsV1Api, CoreV1Api, CoreV1Event, CustomObjectsApi, V1ObjectReference, V1Scale } from '@kubernetes/client-node';
import type { KubeConfig, V1Deployment } from '@kubernetes/client-node';
import { OptimizerApi } from '../domain/keys.js';
import type { OptimizerStatusWrite } from '../scaler/status.js';
import { abortableSleep } from '../scaler/loop.js';
import { apiStatus, ContentType, errorText, KubeApiError, requestOptions } from './request.js';
import type { JsonPatchOp } from '../webhook/types.js';

/** One RFC 6902 operation (the webhook's type: the scaler's template edits are the same patches). */
export type PatchOp = JsonPatchOp;

export type ScaleResult =
  | { readonly kind: 'scaled'; readonly from: number; readonly to: number }
  | { readonly kind: 'unchanged'; readonly replicas: number }
  | { readonly kind: 'gone' };

export type TemplateResult =
  | { readonly kind: 'patched'; readonly ops: readonly PatchOp[]; readonly generation: number }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'gone' };

export type StatusResult = { readonly kind: 'written' } | { readonly kind: 'gone' };

export interface EventInput {
  /**
   * The Optimizer or the Deployment the event is about. `kubectl describe` finds an object's Events by
   * involvedObject.uid, so an Event needs it: pass it when known, else the actuator reads the object once per new
   * Event (RBAC: get on deployments and optimizers).
   */
  readonly involved: { readonly kind: 'Optimizer' | 'Deployment'; readonly namespace: string; readonly name: string; readonly uid?: string };
  readonly type: 'Normal' | 'Warning';
  /** CamelCase, e.g. a ScaleReason code */
  readonly reason: string;
  readonly message: string;
}

export type EventResult = { readonly kind: 'created' } | { readonly kind: 'aggregated'; readonly count: number } | { readonly kind: 'failed'; readonly error: string };

export interface ActuatorOptions {
  readonly kubeConfig: KubeConfig;
  /** per request; default 10 s */
  readonly requestTimeoutMs?: number;
  /** attempts on 409 (or a failed generation test) before giving up; default 4 */
  readonly maxAttempts?: number;
  /** first retry delay, doubled each time (WVA: 100 ms × 2); default 100 ms */
  readonly retryDelayMs?: number;
  /** Events with the same object, type, reason and message within this window bump a count instead; default 10 min */
  readonly eventAggregationMs?: number;
  /** reportingComponent / source.component of Events */
  readonly component?: string;
  /** reportingInstance / source.host: the identity of this process */
  readonly instance?: string;
  readonly now?: () => number;
}

/** Bound on the event-aggregation memory; the oldest entries go first. */
export const MaxTrackedEvents = 1024;
const MaxEventMessage = 1024;

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

interface Tracked {
  readonly name: string;
  count: number;
  at: number;
}

export class ScalerActuator {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly aggregationMs: number;
  private readonly component: string;
  private readonly instance: string;
  private readonly now: () => number;
  private readonly events = new Map<string, Tracked>();

  constructor(o: ActuatorOptions) {
    this.apps = o.kubeConfig.makeApiClient(AppsV1Api);
    this.core = o.kubeConfig.makeApiClient(CoreV1Api);
    this.custom = o.kubeConfig.makeApiClient(CustomObjectsApi);
    this.timeoutMs = o.requestTimeoutMs ?? 10_000;
    this.attempts = Math.min(Math.max(o.maxAttempts ?? 4, 1), 10);
    this.retryDelayMs = o.retryDelayMs ?? 100;
    this.aggregationMs = o.eventAggregationMs ?? 10 * 60_000;
    this.component = o.component ?? 'inferno-scaler';
    this.instance = o.instance ?? 'inferno';
    this.now = o.now ?? Date.now;
  }

  private signal(outer?: AbortSignal): AbortSignal {
    const t = AbortSignal.timeout(this.timeoutMs);
    return outer === undefined ? t : AbortSignal.any([outer, t]);
  }

  /** Runs `once` until it does not conflict, re-reading each time; bounded, with doubling delays. */
  private async retrying<T>(what: string, once: () => Promise<T | 'conflict'>, outer?: AbortSignal): Promise<T> {
    let delay = this.retryDelayMs;
    for (let i = 1; ; i++) {
      const r = await once();
      if (r !== 'conflict') return r;
      if (i >= this.attempts) throw new ConflictError(`${what}: still conflicting after ${this.attempts} attempts`);
      await abortableSleep(delay, outer ?? new AbortController().signal);
      if (outer?.aborted === true) throw new Error(`${what}: aborted`);
      delay *= 2;
    }
  }

  /** Sets spec.replicas through the scale subresource (RBAC: deployments/scale get, update). */
  scale(namespace: string, name: string, replicas: number, outer?: AbortSignal): Promise<ScaleResult> {
    if (!Number.isInteger(replicas) || replicas < 0) throw new RangeError(`replicas must be a whole number ≥ 0, got ${replicas}`);
    return this.retrying(`scale ${namespace}/${name}`, async () => {
      let current: V1Scale;
      try {
        current = await this.apps.readNamespacedDeploymentScale({ name, namespace }, requestOptions({ signal: this.signal(outer) }));
      } catch (e) {
        if (apiStatus(e) === 404) return { kind: 'gone' } as const;
        throw new KubeApiError(`read scale of ${namespace}/${name}`, e);
      }
      const from = current.spec?.replicas ?? 0;
      if (from === replicas) return { kind: 'unchanged', replicas } as const;
      // resourceVersion from the read: a concurrent write (kubectl scale, a rollout) answers 409 instead of being lost
      const body = Object.assign(new V1Scale(), { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: current.metadata, spec: { replicas } });
      try {
        await this.apps.replaceNamespacedDeploymentScale({ name, namespace, body }, requestOptions({ signal: this.signal(outer) }));
      } catch (e) {
        const code = apiStatus(e);
        if (code === 409) return 'conflict';
        if (code === 404) return { kind: 'gone' } as const;
        throw new KubeApiError(`scale ${namespace}/${name} to ${replicas}`, e);
      }
      return { kind: 'scaled', from, to: replicas } as const;
    }, outer);
  }

  /**
   * Edits the pod template: reads the Deployment, asks `opsFor` for the JSON patch against what it read (empty =
   * nothing to do), and applies it after a `test` of metadata.generation, so a spec change made meanwhile fails the
   * patch instead of being overwritten; then re-reads and asks again (bounded).
   */
  patchTemplate(namespace: string, name: string, opsFor: (d: V1Deployment) => readonly PatchOp[], outer?: AbortSignal): Promise<TemplateResult> {
    return this.retrying(`patch ${namespace}/${name}`, async () => {
      let d: V1Deployment;
      try {
        d = await this.apps.readNamespacedDeployment({ name, namespace }, requestOptions({ signal: this.signal(outer) }));
      } catch (e) {
        if (apiStatus(e) === 404) return { kind: 'gone' } as const;
        throw new KubeApiError(`read ${namespace}/${name}`, e);
      }
      const ops = opsFor(d);
      if (ops.length === 0) return { kind: 'unchanged' } as const;
      const generation = d.metadata?.generation ?? 0;
      const body = [{ op: 'test', path: '/metadata/generation', value: generation }, ...ops];
      try {
        const after = await this.apps.patchNamespacedDeployment({ name, namespace, body }, requestOptions({ signal: this.signal(outer), contentType: ContentType.jsonPatch }));
        return { kind: 'patched', ops, generation: after.metadata?.generation ?? generation } as const;
      } catch (e) {
        const code = apiStatus(e);
        if (code === 404) return { kind: 'gone' } as const;
        if (code === 409) return 'conflict';
        // A failed `test` op is answered 422 Invalid with a generic message ("the server rejected our request due to
        // an error in our request"), like a genuinely invalid patch: the generation tells them apart.
        if (code === 422 && (await this.generationOf(namespace, name, outer)) !== generation) return 'conflict';
        throw new KubeApiError(`patch ${namespace}/${name}`, e);
      }
    }, outer);
  }

  private async generationOf(namespace: string, name: string, outer?: AbortSignal): Promise<number | undefined> {
    try {
      return (await this.apps.readNamespacedDeployment({ name, namespace }, requestOptions({ signal: this.signal(outer) }))).metadata?.generation;
    } catch {
      return undefined;
    }
  }

  /**
   * Merge-patches the Optimizer's status subresource (RBAC: optimizers/status patch). `null` fields are removed;
   * lists (conditions) are replaced whole, so pass the full list.
   */
  async writeStatus(namespace: string, name: string, status: OptimizerStatusWrite, outer?: AbortSignal): Promise<StatusResult> {
    try {
      await this.custom.patchNamespacedCustomObjectStatus(
        { group: OptimizerApi.group, version: OptimizerApi.version, plural: OptimizerApi.plural, namespace, name, body: { status } },
        requestOptions({ signal: this.signal(outer), contentType: ContentType.mergePatch }),
      );
      return { kind: 'written' };
    } catch (e) {
      if (apiStatus(e) === 404) return { kind: 'gone' };
      throw new KubeApiError(`write status of Optimizer ${namespace}/${name}`, e);
    }
  }

  /**
   * Records a core/v1 Event; never throws (events are best effort). A repeat of the same event within the
   * aggregation window bumps count and lastTimestamp on the existing Event instead of creating another, as
   * client-go's EventCorrelator does, so a tick loop does not flood the namespace.
   */
  async event(e: EventInput, outer?: AbortSignal): Promise<EventResult> {
    const now = this.now();
    const message = e.message.length > MaxEventMessage ? `${e.message.slice(0, MaxEventMessage - 1)}…` : e.message;
    const key = JSON.stringify([e.involved.kind, e.involved.namespace, e.involved.name, e.type, e.reason, message]);
    const seen = this.events.get(key);
    try {
      if (seen !== undefined && now - seen.at < this.aggregationMs) {
        const count = seen.count + 1;
        try {
          await this.core.patchNamespacedEvent(
            { name: seen.name, namespace: e.involved.namespace, body: { count, lastTimestamp: new Date(now).toISOString() } },
            requestOptions({ signal: this.signal(outer), contentType: ContentType.mergePatch }),
          );
          this.track(key, { name: seen.name, count, at: now });
          return { kind: 'aggregated', count };
        } catch (err) {
          if (apiStatus(err) !== 404) throw err;
          // the Event expired (the API server's event TTL): create a new one
        }
      }
      const at = new Date(now);
      const uid = e.involved.uid ?? (await this.uidOf(e.involved, outer));
      const body = Object.assign(new CoreV1Event(), {
        metadata: { generateName: `${e.involved.name}.`, namespace: e.involved.namespace },
        involvedObject: Object.assign(new V1ObjectReference(), {
          apiVersion: e.involved.kind === 'Optimizer' ? OptimizerApi.apiVersion : 'apps/v1',
          kind: e.involved.kind,
          namespace: e.involved.namespace,
          name: e.involved.name,
          ...(uid !== undefined ? { uid } : {}),
        }),
        type: e.type,
        reason: e.reason,
        message,
        count: 1,
        firstTimestamp: at,
        lastTimestamp: at,
        source: { component: this.component, host: this.instance },
        reportingComponent: this.component,
        reportingInstance: this.instance,
      });
      const created = await this.core.createNamespacedEvent({ namespace: e.involved.namespace, body }, requestOptions({ signal: this.signal(outer) }));
      const name = created.metadata.name;
      if (name !== undefined) this.track(key, { name, count: 1, at: now });
      return { kind: 'created' };
    } catch (err) {
      return { kind: 'failed', error: errorText(err) };
    }
  }

  /** The object's uid, or undefined when it cannot be read (the Event is still recorded, only not linked). */
  private async uidOf(o: EventInput['involved'], outer?: AbortSignal): Promise<string | undefined> {
    const opts = requestOptions({ signal: this.signal(outer) });
    try {
      if (o.kind === 'Deployment') return (await this.apps.readNamespacedDeployment({ namespace: o.namespace, name: o.name }, opts)).metadata?.uid;
      const obj = (await this.custom.getNamespacedCustomObject({ group: OptimizerApi.group, version: OptimizerApi.version, plural: OptimizerApi.plural, namespace: o.namespace, name: o.name }, opts)) as { metadata?: { uid?: unknown } };
      return typeof obj.metadata?.uid === 'string' ? obj.metadata.uid : undefined;
    } catch {
      return undefined;
    }
  }

  private track(key: string, t: Tracked): void {
    this.events.delete(key);
    this.events.set(key, t);
    while (this.events.size > MaxTrackedEvents) {
      const oldest = this.events.keys().next().value;
      if (oldest === undefined) break;
      this.events.delete(oldest);
    }
  }
}
