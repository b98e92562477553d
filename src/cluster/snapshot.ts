// What the webhook, scaler and extender know about the cluster, as plain data: inferno's configuration (changes on
// ConfigMap edits) and the GPU inventory (changes with every pod). The kube adapter keeps both current from
// informers; files and tests build them by hand. Reads are synchronous: admission never waits on the API server.
import type { InfernoConfig } from './config-maps.js';
import { emptyConfig } from './config-maps.js';
import type { GpuInventory, NodeInventory, PodGpus, TypeCapacity } from './inventory.js';
import { inventoryOf } from './inventory.js';
import type { OptimizerResource } from './resources.js';

export interface ClusterSnapshot {
  readonly config: InfernoConfig;
  /** GPU units per accelerator type, from the inventory within the controller's budget */
  readonly capacity: TypeCapacity;
  /** per-node GPUs (the extender's view) */
  node(name: string): NodeInventory | undefined;
  nodeNames(): readonly string[];
  /** a GPU-holding pod by namespace/name (the extender's check that a pod it saw scheduled is now bound) */
  pod(key: string): PodGpus | undefined;
  /** GPU units bound pods hold, per resource name */
  boundUnits(): Readonly<Record<string, number>>;
}

export interface ClusterView {
  snapshot(): ClusterSnapshot;
  optimizer(namespace: string, name: string): OptimizerResource | undefined;
  /** every valid Optimizer, by namespace and name */
  optimizers(): readonly OptimizerResource[];
  /** true once the caches have synced */
  ready(): boolean;
}

export function snapshotOf(config: InfernoConfig, inventory: GpuInventory): ClusterSnapshot {
  return {
    config,
    // On first use (byType caches per inventory version): the extender reads nodes, not totals, and must not pay
    // for a pass over every node and pod on each pod event during a burst of bindings.
    get capacity() {
      return inventory.byType(config.accelerators, config.controller.capacity);
    },
    node: (name) => inventory.node(name),
    nodeNames: () => inventory.nodeNames(),
    pod: (key) => inventory.pod(key),
    boundUnits: () => inventory.boundUnits(),
  };
}

export const emptySnapshot: ClusterSnapshot = snapshotOf(emptyConfig(), inventoryOf([]));

/** A view over fixed objects: for `inferno validate`, tests, and serving without a cluster. */
export function staticView(snapshot: ClusterSnapshot, optimizers: readonly OptimizerResource[] = []): ClusterView {
  const byKey = new Map(optimizers.map((o) => [`${o.metadata.namespace ?? 'default'}/${o.metadata.name}`, o]));
  const sorted = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, o]) => o);
  return { snapshot: () => snapshot, optimizer: (ns, name) => byKey.get(`${ns}/${name}`), optimizers: () => sorted, ready: () => true };
}
