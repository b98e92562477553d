// A hand-built cluster view for admission tests: catalog, classes and Optimizers as a platform team would apply.
import type { OptimizerResource } from '../../src/cluster/resources.js';
import { OptimizerSchema } from '../../src/cluster/resources.js';
import type { ClassIndex } from '../../src/cluster/config-maps.js';
import type { Accelerator, Capacity, ServiceClass } from '../../src/domain/types.js';
import type { ClusterSnapshot, ClusterView } from '../../src/cluster/snapshot.js';
import { snapshotOf, staticView } from '../../src/cluster/snapshot.js';
import { inventoryOf } from '../../src/cluster/inventory.js';
import type { ControllerSettings } from '../../src/cluster/config-maps.js';

export const catalog: Accelerator[] = [
  { name: 'A100', type: 'A100', multiplicity: 1, cost: 180, device: 'NVIDIA-A100-SXM4-80GB', labelKey: 'nvidia.com/gpu.product', resource: 'nvidia.com/gpu' },
  { name: '2xA100', type: 'A100', multiplicity: 2, cost: 360, device: 'NVIDIA-A100-SXM4-80GB', labelKey: 'nvidia.com/gpu.product', resource: 'nvidia.com/gpu' },
  { name: 'H100', type: 'H100', multiplicity: 1, cost: 300, device: 'NVIDIA-H100-80GB-HBM3', labelKey: 'nvidia.com/gpu.product', resource: 'nvidia.com/gpu' },
  { name: 'MI300X', type: 'MI300X', multiplicity: 1, cost: 250, device: 'AMD-Instinct-MI300X', labelKey: 'amd.com/gpu.product-name', resource: 'amd.com/gpu' },
];

export const premium: ServiceClass = { name: 'Premium', priority: 1, targets: [{ model: 'ibm-granite/granite-13b-instruct', itl: 40, ttft: 1000, tps: 0, ttw: 0 }] };

export const classIndex = (...classes: ServiceClass[]): ClassIndex => ({
  byName: new Map(classes.map((c) => [c.name, c])),
  byRef: new Map(classes.map((c) => [`inferno-service-classes/${c.name.toLowerCase()}`, c])),
});

/** granite-13b profiles (upstream sample data rows) on three accelerators. */
export function graniteOptimizer(overrides: { status?: Record<string, unknown>; spec?: Record<string, unknown>; name?: string } = {}): OptimizerResource {
  return OptimizerSchema.parse({
    apiVersion: 'llmd.ai/v1alpha1',
    kind: 'Optimizer',
    metadata: { name: overrides.name ?? 'granite-13b', namespace: 'models' },
    spec: {
      modelID: 'ibm-granite/granite-13b-instruct',
      serviceClass: 'Premium',
      modelProfile: {
        accelerators: [
          { acc: 'A100', accCount: 1, maxBatchSize: 32, atTokens: 512, alpha: 20.58, beta: 0.41, gamma: 164.64, delta: 0.0128125 },
          { acc: 'H100', accCount: 1, maxBatchSize: 32, atTokens: 512, alpha: 12.25, beta: 0.24, gamma: 98, delta: 0.0075 },
          { acc: 'MI300X', accCount: 1, maxBatchSize: 76, atTokens: 512, alpha: 7.77, beta: 0.15, gamma: 62.16, delta: 0.0046875 },
        ],
      },
      ...overrides.spec,
    },
    ...(overrides.status !== undefined ? { status: overrides.status } : { status: { load: { arrivalRate: 120, avgInTokens: 512, avgOutTokens: 256 } } }),
  });
}

export interface SnapshotParts {
  readonly accelerators?: readonly Accelerator[];
  readonly classes?: ClassIndex;
  readonly controller?: ControllerSettings;
  /** free GPU units per accelerator type: one node per type with that many, no pods */
  readonly free?: Capacity;
}

/** A snapshot as the cluster view builds it, from a catalog and a node per GPU type. */
export function snapshot(over: SnapshotParts = {}): ClusterSnapshot {
  const accelerators = over.accelerators ?? catalog;
  const free = over.free ?? { A100: 32, H100: 16, MI300X: 16 };
  const nodes = Object.entries(free).flatMap(([type, units]) => {
    const acc = accelerators.find((a) => a.type === type && a.device !== undefined && a.labelKey !== undefined && a.resource !== undefined);
    return acc?.labelKey !== undefined && acc.device !== undefined && acc.resource !== undefined
      ? [{ name: `node-${type.toLowerCase()}`, labels: { [acc.labelKey]: acc.device }, unschedulable: false, allocatable: units > 0 ? { [acc.resource]: units } : {} }]
      : [];
  });
  return snapshotOf({ accelerators, classes: over.classes ?? classIndex(premium), controller: over.controller ?? { options: {} } }, inventoryOf(nodes));
}

export const view = (snap: ClusterSnapshot = snapshot(), optimizers: OptimizerResource[] = [graniteOptimizer()]): ClusterView => staticView(snap, optimizers);

export { sampleRequest } from './admission.js';
