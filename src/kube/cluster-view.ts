// The cluster as the admission webhook sees it: informers (list + watch) on inferno's ConfigMaps, Nodes, Pods and
// Optimizers, and a snapshot recomputed only after something changed. Admission reads it synchronously.
import type { KubeConfig, KubernetesListObject, KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { CoreV1Api, CustomObjectsApi, makeInformer } from '@kubernetes/client-node';
import type { NodeResource, OptimizerResource } from '../config/resources.js';
import { ConfigMapSchema, NodeSchema, OptimizerSchema } from '../config/resources.js';
import { configFromMaps } from '../config/scenario.js';
import { Label, OptimizerApi } from '../domain/keys.js';
import type { ClusterSnapshot, ClusterView } from '../webhook/view.js';
import type { PodUsage } from './inventory.js';
import { freeCapacity } from './inventory.js';

type Cache<T extends KubernetesObject> = ReturnType<typeof makeInformer<T>>;

export interface ClusterViewHandle extends ClusterView {
  stop(): void;
}

export interface ViewOptions {
  /** called with a short message when a watch fails and is restarted */
  readonly onError?: (what: string, err: unknown) => void;
  readonly maxBackoffMs?: number;
}

/** Restarts an informer whose watch failed, with capped exponential backoff (client-node leaves that to the caller). */
function keepWatching<T extends KubernetesObject>(what: string, inf: Cache<T>, opts: ViewOptions, stopped: () => boolean, changed: () => void): Promise<void> {
  let backoff = 500;
  const max = opts.maxBackoffMs ?? 30_000;
  inf.on('add', changed);
  inf.on('update', changed);
  inf.on('delete', changed);
  inf.on('connect', () => {
    backoff = 500;
  });
  inf.on('error', (err) => {
    opts.onError?.(what, err);
    if (stopped()) return;
    setTimeout(() => {
      if (!stopped()) inf.start().then(changed, (e: unknown) => opts.onError?.(what, e));
    }, backoff).unref();
    backoff = Math.min(backoff * 2, max);
  });
  return inf.start();
}

function podUsage(p: V1Pod): PodUsage {
  const requests: Record<string, number> = {};
  for (const c of p.spec?.containers ?? []) {
    const r = { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) };
    for (const [k, v] of Object.entries(r)) {
      const n = Number(v);
      if (Number.isFinite(n)) requests[k] = (requests[k] ?? 0) + n;
    }
  }
  const phase = p.status?.phase;
  return { nodeName: p.spec?.nodeName, nodeSelector: p.spec?.nodeSelector ?? {}, requests, finished: phase === 'Succeeded' || phase === 'Failed' };
}

interface Sources {
  readonly configMaps: Cache<KubernetesObject>;
  readonly nodes: Cache<KubernetesObject>;
  readonly pods: Cache<V1Pod>;
}

/** Builds the snapshot from the caches; a broken ConfigMap entry is skipped, never an exception. */
export function buildSnapshot(s: Sources): ClusterSnapshot {
  const maps = [...s.configMaps.list()]
    .sort((a, b) => `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`.localeCompare(`${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`))
    .flatMap((raw) => {
      // Items of a typed list carry no apiVersion/kind (watch events do): supply them.
      const r = ConfigMapSchema.safeParse({ apiVersion: 'v1', kind: 'ConfigMap', ...raw });
      return r.success ? [{ cm: r.data, where: { document: `ConfigMap ${r.data.metadata.namespace ?? ''}/${r.data.metadata.name}` } }] : [];
    });
  // Broken entries are skipped here; the validating webhook reports them when they are applied.
  const { accelerators, classes, controller } = configFromMaps(maps, []);
  const nodes: NodeResource[] = s.nodes.list().flatMap((n) => {
    const r = NodeSchema.safeParse({ apiVersion: 'v1', kind: 'Node', ...n });
    return r.success ? [r.data] : [];
  });
  const pods = s.pods.list().map(podUsage);
  return {
    accelerators, classes, controller,
    freeCapacity: freeCapacity(nodes, pods, accelerators, controller.capacity),
  };
}

export async function startClusterView(kc: KubeConfig, opts: ViewOptions = {}): Promise<ClusterViewHandle> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const selector = Label.config;
  const configMaps = makeInformer<KubernetesObject>(kc, '/api/v1/configmaps', () => core.listConfigMapForAllNamespaces({ labelSelector: selector }), selector);
  const nodes = makeInformer<KubernetesObject>(kc, '/api/v1/nodes', () => core.listNode());
  const pods = makeInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
  const optimizers = makeInformer<KubernetesObject>(
    kc,
    `/apis/${OptimizerApi.group}/${OptimizerApi.version}/${OptimizerApi.plural}`,
    () => custom.listClusterCustomObject({ group: OptimizerApi.group, version: OptimizerApi.version, plural: OptimizerApi.plural }) as Promise<KubernetesListObject<KubernetesObject>>,
  );
  let stopped = false;
  let cached: ClusterSnapshot | undefined;
  const changed = (): void => {
    cached = undefined;
  };
  const isStopped = (): boolean => stopped;
  await Promise.all([
    keepWatching('configmaps', configMaps, opts, isStopped, changed),
    keepWatching('nodes', nodes, opts, isStopped, changed),
    keepWatching('pods', pods, opts, isStopped, changed),
    keepWatching('optimizers', optimizers, opts, isStopped, changed),
  ]);
  return {
    snapshot() {
      cached ??= buildSnapshot({ configMaps, nodes, pods });
      return cached;
    },
    optimizer(namespace: string, name: string): OptimizerResource | undefined {
      const r = OptimizerSchema.safeParse(optimizers.get(name, namespace));
      return r.success ? r.data : undefined;
    },
    // start() resolved for every informer: the caches hold a full list.
    ready: () => !stopped,
    stop() {
      stopped = true;
      for (const inf of [configMaps, nodes, pods, optimizers]) void inf.stop();
    },
  };
}
