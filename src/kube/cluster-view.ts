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
  /**
   * called instead of onError (when given) with the failure in words, once per distinct failure: the same problem
   * retried, or shared by several resources (an unreachable server), is not reported again until it changes
   */
  readonly onProblem?: (problem: WatchProblem) => void;
  /** called once, when every resource has been listed */
  readonly onSynced?: () => void;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** the namespace inferno's ConfigMaps are read from (default inferno-system) */
  readonly namespace?: string;
}

export interface WatchProblem {
  /** the resource: configmaps, nodes, pods, optimizers */
  readonly what: string;
  readonly message: string;
  /** when the next attempt is */
  readonly retryInMs: number;
}

interface Handlers<T> {
  readonly upsert: (obj: T) => void;
  readonly remove: (obj: T) => void;
  /** after a (re)list: the cache holds the full state again */
  readonly resync: () => void;
}

interface Reporter {
  failed(what: string, err: unknown, retryInMs: number): void;
  recovered(what: string): void;
}

interface Watched {
  /** listed at least once: the cache holds a full state */
  synced(): boolean;
}

function parsedBody(body: unknown): { message?: unknown; reason?: unknown } {
  let v: unknown = body;
  if (typeof body === 'string') {
    try {
      v = JSON.parse(body) as unknown;
    } catch {
      return { message: body };
    }
  }
  return v !== null && typeof v === 'object' ? v : {};
}

/** An API server's answer: "403 Forbidden: nodes is forbidden: User … cannot list resource "nodes" …". */
function httpFailure(code: number, body: unknown): string {
  const b = parsedBody(body);
  const reason = typeof b.reason === 'string' ? b.reason : ({ 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound' } as Record<number, string>)[code];
  return `${code}${reason !== undefined ? ` ${reason}` : ''}${typeof b.message === 'string' && b.message !== '' ? `: ${b.message}` : ''}`.slice(0, 500);
}

const networkCodes = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|CERT_[A-Z_]+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_[A-Z_]+)\b/;

/** What went wrong, for a person: the HTTP status and the API server's own message, or why it was unreachable. */
export function describeFailure(err: unknown, server: string | undefined): string {
  const e = err as { code?: unknown; body?: unknown; message?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof e?.code === 'number') return httpFailure(e.code, e.body);
  const text = typeof e?.message === 'string' ? e.message : String(err);
  const code = networkCodes.exec(text)?.[1] ?? [e?.code, e?.cause?.code].find((c): c is string => typeof c === 'string' && /^E[A-Z]+$/.test(c));
  // node-fetch says "request to URL failed, reason: …": the URL is per resource, the reason is the problem.
  const reason = /^request to \S+ failed, reason: (.*)$/s.exec(text)?.[1];
  const at = `cannot reach the API server${server !== undefined ? ` ${server}` : ''}`;
  if (code !== undefined) return `${at}: ${code}`;
  if (reason !== undefined) return `${at}: ${reason.split('\n')[0] ?? ''}`.slice(0, 300);
  return (text.split('\n')[0] ?? '').slice(0, 300);
}

/**
 * Restarts an informer whose list or watch failed, with capped exponential backoff (client-node leaves that to the
 * caller). The backoff starts again only after a list succeeds: client-node announces 'connect' before every
 * attempt, so resetting there retried an unreachable server every half second forever.
 */
function keepWatching<T extends KubernetesObject>(
  what: string, inf: Cache<T>, opts: ViewOptions, stopped: () => boolean, h: Handlers<T>, report: Reporter, listed: { count: number },
): { started: Promise<void>; watched: Watched } {
  const first = opts.initialBackoffMs ?? 500;
  let backoff = first;
  let seen = listed.count;
  const max = opts.maxBackoffMs ?? 30_000;
  inf.on('add', h.upsert);
  inf.on('update', h.upsert);
  inf.on('delete', h.remove);
  const afterStart = (): void => {
    // A list during this start: the cache is whole again.
    if (listed.count > seen) {
      seen = listed.count;
      backoff = first;
      report.recovered(what);
      h.resync();
    }
  };
  inf.on('error', (err) => {
    // stop() aborts the watches, which informers report as errors: not a failure to log
    if (stopped()) return;
    report.failed(what, err, backoff);
    setTimeout(() => {
      if (!stopped()) inf.start().then(afterStart, (e: unknown) => { report.failed(what, e, backoff); });
    }, backoff).unref();
    backoff = Math.min(backoff * 2, max);
  });
  return { started: inf.start().then(afterStart), watched: { synced: () => listed.count > 0 } };
}

/** A list function that counts its successes (client-node's informers do not say whether a start listed). */
function counted<R>(list: () => Promise<R>, listed: { count: number }): () => Promise<R> {
  return async () => {
    const r = await list();
    listed.count += 1;
    return r;
  };
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
  const listed = { configmaps: { count: 0 }, nodes: { count: 0 }, pods: { count: 0 }, optimizers: { count: 0 } };
  const configMaps = makeInformer<KubernetesObject>(
    kc, `/api/v1/namespaces/${home}/configmaps`, counted(() => core.listNamespacedConfigMap({ namespace: home, labelSelector: selector }), listed.configmaps), selector,
  );
  const nodes = makeInformer<KubernetesObject>(kc, '/api/v1/nodes', counted(() => core.listNode(), listed.nodes));
  const pods = makeInformer<V1Pod>(kc, '/api/v1/pods', counted(() => core.listPodForAllNamespaces(), listed.pods));
  const optimizers = makeInformer<KubernetesObject>(
    kc,
    `/apis/${OptimizerApi.group}/${OptimizerApi.version}/${OptimizerApi.plural}`,
    counted(() => custom.listClusterCustomObject({ group: OptimizerApi.group, version: OptimizerApi.version, plural: OptimizerApi.plural }) as Promise<KubernetesListObject<KubernetesObject>>, listed.optimizers),
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
  const report = problemReporter(opts, kc.getCurrentCluster()?.server);
  const watches = [
    keepWatching(`list/watch configmaps in namespace ${home}`, configMaps, opts, isStopped, configEvents, report, listed.configmaps),
    keepWatching('list/watch nodes', nodes, opts, isStopped, nodeHandlers(nodes, inventory), report, listed.nodes),
    keepWatching('list/watch pods in all namespaces', pods, opts, isStopped, podHandlers(pods, inventory), report, listed.pods),
    keepWatching(`list/watch ${OptimizerApi.plural}.${OptimizerApi.group} in all namespaces`, optimizers, opts, isStopped, { upsert: () => undefined, remove: () => undefined, resync: () => undefined }, report, listed.optimizers),
  ];
  await Promise.all(watches.map((w) => w.started));
  // Ready once every cache holds a full list: until then admission would decide on an empty cluster.
  let synced = false;
  const ready = (): boolean => {
    if (!synced && watches.every((w) => w.watched.synced())) {
      synced = true;
      opts.onSynced?.();
    }
    return synced && !stopped;
  };
  const poll = setInterval(() => { if (ready() || stopped) clearInterval(poll); }, 200);
  poll.unref();
  ready();
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
    ready,
    stop() {
      stopped = true;
      clearInterval(poll);
      for (const inf of [configMaps, nodes, pods, optimizers]) void inf.stop();
    },
  };
}

/**
 * onProblem once per distinct failure since the last successful list: a retry failing the same way, or another
 * resource failing the same way (four informers against an unreachable server are one problem), is not reported
 * again. Without onProblem, every failure goes to onError.
 */
function problemReporter(opts: ViewOptions, server: string | undefined): Reporter {
  const reported = new Set<string>();
  return {
    failed(what, err, retryInMs) {
      if (opts.onProblem === undefined) {
        opts.onError?.(what, err);
        return;
      }
      const message = describeFailure(err, server);
      if (reported.has(message)) return;
      reported.add(message);
      opts.onProblem({ what, message, retryInMs });
    },
    recovered() {
      // Something changed: the next failure is news.
      reported.clear();
    },
  };
}
