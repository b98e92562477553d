// Free GPU units per accelerator type: node allocatable minus what pods already request (pure).
import type { NodeResource } from '../config/resources.js';
import { capacityFromNodes, gpuCount } from '../config/scenario.js';
import type { Accelerator, Capacity } from '../config/schema.js';

export interface PodUsage {
  readonly nodeName: string | undefined;
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** summed over containers (limits where requests are absent, as Kubernetes defaults them) */
  readonly requests: Readonly<Record<string, string | number>>;
  readonly finished: boolean;
}

/** The accelerator type a GPU-requesting pod consumes: by the node it runs on, else by its nodeSelector. */
function typeOf(pod: PodUsage, nodeLabels: ReadonlyMap<string, Readonly<Record<string, string>>>, accelerators: readonly Accelerator[]): Accelerator | undefined {
  const labels = pod.nodeName !== undefined ? nodeLabels.get(pod.nodeName) : pod.nodeSelector;
  if (labels === undefined) return undefined;
  return accelerators.find((a) => a.labelKey !== undefined && a.device !== undefined && labels[a.labelKey] === a.device);
}

export function freeCapacity(nodes: readonly NodeResource[], pods: readonly PodUsage[], accelerators: readonly Accelerator[], budget?: Capacity): Capacity {
  const total = capacityFromNodes(nodes, accelerators);
  const used: Record<string, number> = {};
  const nodeLabels = new Map(nodes.map((n) => [n.metadata.name, n.metadata.labels]));
  for (const pod of pods) {
    if (pod.finished) continue;
    const acc = typeOf(pod, nodeLabels, accelerators);
    if (acc?.resource === undefined) continue;
    used[acc.type] = (used[acc.type] ?? 0) + gpuCount(pod.requests[acc.resource]);
  }
  const free: Capacity = {};
  for (const type of new Set([...Object.keys(total), ...Object.keys(budget ?? {})])) {
    const fromNodes = (total[type] ?? 0) - (used[type] ?? 0);
    const fromBudget = budget?.[type] !== undefined ? budget[type] - (used[type] ?? 0) : Number.POSITIVE_INFINITY;
    free[type] = Math.max(0, Math.min(fromNodes, fromBudget));
  }
  return free;
}
