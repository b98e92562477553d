// The cluster as the webhook (and later the scaler and extender) sees it: informers (list + watch) on inferno's
// ConfigMaps (in inferno's own namespace only: anyone who can create a ConfigMap somewhere must not be able to
// reconfigure inferno for the whole cluster), Nodes, Pods and Optimizers. Configuration is re-parsed only when a ConfigMap changes; the GPU
// inventory is updated one node or pod event at a time. Reads are synchronous.
import type { KubeConfig, KubernetesListObject, KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { CoreV1Api, CustomObjectsApi, makeInformer } from '@kubernetes/client-node';
import type { InfernoConfig } from '../cluster/config-maps.js';
import { configFromMaps } from '../cluster/config-maps.js';
import { GpuInventory, nodeGpusOf, podGpusOf } from '../cluster/inventory.js';
import type { OptimizerResource } from '../cluster/resources.js';
import { ConfigMapSchema, NodeSchema, OptimizerSchema } from '../cluster/resources.js';
import type { ClusterSnapshot, ClusterView } from '../cluster/snapshot.js';
import { snapshotOf } from '../cluster/snapshot.js';
import { DefaultNamespace, Label, OptimizerApi } from '../domain/keys.js';

type Cache<T extends KubernetesObject> = ReturnType<typeof makeInformer<T>>;

export interface ClusterViewHandle extends ClusterView {
  stop(): void;
}

export interface ViewOptions {
  /** called with a short message when a watch fails and is restarted */
  readonly onError?: (what: string, err: unknown) => void;
  readonly maxBackoffMs?: number;
  /** the namespace inferno's ConfigMaps are read from (default inferno-system) */
  readonly namespace?: string;
}

interface Handlers<T> {
  readonly upsert: (obj: T) => void;
  readonly remove: (obj: T) => void;
  /** after a (re)list: the cache holds the full state again */
  readonly resync: () => void;
}

/** Restarts an informer whose watch failed, with capped exponential backoff (client-node leaves that to the caller). */
function keepWatching<T extends KubernetesObject>(what: string, inf: Cache<T>, opts: ViewOptions, stopped: () => boolean, h: Handlers<T>): Promise<void> {
  let backoff = 500;
  const max = opts.maxBackoffMs ?? 30_000;
  inf.on('add', h.upsert);
  inf.on('update', h.upsert);
  inf.on('delete', h.remove);
  inf.on('connect', () => {
    backoff = 500;
  });
  inf.on('error', (err) => {
    // stop() aborts the watches, which informers report as errors: not a failure to log
    if (stopped()) return;
    opts.onError?.(what, err);
    setTimeout(() => {
      if (!stopped()) inf.start().then(h.resync, (e: unknown) => opts.onError?.(what, e));
    }, backoff).unref();
    backoff = Math.min(backoff * 2, max);
  });
  return inf.start().then(h.resync);
}

/**
 * inferno's configuration from the cached ConfigMaps in `namespace` (maps elsewhere are ignored); a broken entry is
 * skipped (the validating webhook reports it).
 */
export function configOf(configMaps: readonly KubernetesObject[], namespace: string = DefaultNamespace): InfernoConfig {
  const maps = configMaps
    .filter((m) => m.metadata?.namespace === namespace)
    .sort((a, b) => `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`.localeCompare(`${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`))
    .flatMap((raw) => {
      // Items of a typed list carry no apiVersion/kind (watch events do): supply them.
      const r = ConfigMapSchema.safeParse({ apiVersion: 'v1', kind: 'ConfigMap', ...raw });
      return r.success ? [{ cm: r.data, where: { document: `ConfigMap ${r.data.metadata.namespace ?? ''}/${r.data.metadata.name}` } }] : [];
    });
  return configFromMaps(maps, []);
}

const podKey = (p: KubernetesObject): string => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

function nodeHandlers(nodes: Cache<KubernetesObject>, inv: GpuInventory): Handlers<KubernetesObject> {
  const upsert = (n: KubernetesObject): void => {
    const r = NodeSchema.safeParse({ apiVersion: 'v1', kind: 'Node', ...n });
    if (r.success) inv.upsertNode(nodeGpusOf(r.data));
  };
  return {
    upsert,
    remove: (n) => { inv.removeNode(n.metadata?.name ?? ''); },
    resync: () => {
      const live = new Set(nodes.list().map((n) => n.metadata?.name ?? ''));
      for (const name of inv.nodeNames()) if (!live.has(name)) inv.removeNode(name);
      for (const n of nodes.list()) upsert(n);
    },
  };
}

function podHandlers(pods: Cache<V1Pod>, inv: GpuInventory): Handlers<V1Pod> {
  const upsert = (p: V1Pod): void => { inv.upsertPod(podGpusOf(p)); };
  return {
    upsert,
    remove: (p) => { inv.removePod(podKey(p)); },
    resync: () => {
      const live = new Set(pods.list().map(podKey));
      for (const key of inv.podKeys()) if (!live.has(key)) inv.removePod(key);
      for (const p of pods.list()) upsert(p);
    },
  };
}

export async function startClusterView(kc: KubeConfig, opts: ViewOptions = {}): Promise<ClusterViewHandle> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const selector = Label.config;
  const home = opts.namespace ?? DefaultNamespace;
  const configMaps = makeInformer<KubernetesObject>(
    kc, `/api/v1/namespaces/${home}/configmaps`, () => core.listNamespacedConfigMap({ namespace: home, labelSelector: selector }), selector,
  );
  const nodes = makeInformer<KubernetesObject>(kc, '/api/v1/nodes', () => core.listNode());
  const pods = makeInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
  const optimizers = makeInformer<KubernetesObject>(
    kc,
    `/apis/${OptimizerApi.group}/${OptimizerApi.version}/${OptimizerApi.plural}`,
    () => custom.listClusterCustomObject({ group: OptimizerApi.group, version: OptimizerApi.version, plural: OptimizerApi.plural }) as Promise<KubernetesListObject<KubernetesObject>>,
  );
  let stopped = false;
  const isStopped = (): boolean => stopped;
  const inventory = new GpuInventory();
  let config: InfernoConfig | undefined;
  let snap: { version: number; config: InfernoConfig; value: ClusterSnapshot } | undefined;
  const configChanged = (): void => {
    config = undefined;
  };
  const configEvents: Handlers<KubernetesObject> = { upsert: configChanged, remove: configChanged, resync: configChanged };
  await Promise.all([
    keepWatching('configmaps', configMaps, opts, isStopped, configEvents),
    keepWatching('nodes', nodes, opts, isStopped, nodeHandlers(nodes, inventory)),
    keepWatching('pods', pods, opts, isStopped, podHandlers(pods, inventory)),
    keepWatching('optimizers', optimizers, opts, isStopped, { upsert: () => undefined, remove: () => undefined, resync: () => undefined }),
  ]);
  return {
    snapshot() {
      config ??= configOf(configMaps.list(), home);
      if (snap?.version !== inventory.version || snap.config !== config) snap = { version: inventory.version, config, value: snapshotOf(config, inventory) };
      return snap.value;
    },
    optimizer(namespace: string, name: string): OptimizerResource | undefined {
      const r = OptimizerSchema.safeParse(optimizers.get(name, namespace));
      return r.success ? r.data : undefined;
    },
    optimizers(): OptimizerResource[] {
      return optimizers.list()
        .flatMap((raw) => {
          const r = OptimizerSchema.safeParse({ apiVersion: OptimizerApi.apiVersion, kind: OptimizerApi.kind, ...raw });
          return r.success ? [r.data] : [];
        })
        .sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
    },
    // start() resolved for every informer: the caches hold a full list.
    ready: () => !stopped,
    stop() {
      stopped = true;
      for (const inf of [configMaps, nodes, pods, optimizers]) void inf.stop();
    },
  };
}
