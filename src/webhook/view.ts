// What the admission decisions need to know about the cluster, as plain data. The kube adapter keeps it current
// from informers; tests build it by hand. Reads are synchronous: admission never waits on the API server.
import type { OptimizerResource } from '../config/resources.js';
import type { ClassIndex, ControllerSettings } from '../config/scenario.js';
import type { Accelerator, Capacity } from '../config/schema.js';

export interface ClusterSnapshot {
  readonly accelerators: readonly Accelerator[];
  readonly classes: ClassIndex;
  readonly controller: ControllerSettings;
  /** GPU units per accelerator type not yet requested by any pod, from the node inventory */
  readonly freeCapacity: Capacity;
}

export interface ClusterView {
  snapshot(): ClusterSnapshot;
  optimizer(namespace: string, name: string): OptimizerResource | undefined;
  /** true once the caches have synced */
  ready(): boolean;
}

export const emptySnapshot: ClusterSnapshot = {
  accelerators: [], classes: { byRef: new Map(), byName: new Map() }, controller: { options: {} }, freeCapacity: {},
};

/** A view over fixed objects: for `inferno validate`, tests, and serving without a cluster. */
export function staticView(snapshot: ClusterSnapshot, optimizers: readonly OptimizerResource[] = []): ClusterView {
  const byKey = new Map(optimizers.map((o) => [`${o.metadata.namespace ?? 'default'}/${o.metadata.name}`, o]));
  return { snapshot: () => snapshot, optimizer: (ns, name) => byKey.get(`${ns}/${name}`), ready: () => true };
}
