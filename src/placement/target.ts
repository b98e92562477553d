// A managed Deployment as a solver server: the Optimizer's profiles limited to what the Deployment allows (a GPU
// product the user pinned), and the accelerator it already runs on.
import type { DeploymentView, OptimizerResource } from '../cluster/resources.js';
import { serverFromOptimizer } from '../cluster/optimizer.js';
import { Annotation, Label } from '../domain/keys.js';
import type { Accelerator, Load, Server, ServiceClass } from '../domain/types.js';

/** GPU product pinned by a nodeSelector the user wrote (not ours): only accelerators of that product qualify. */
export function userPinnedDevice(d: DeploymentView, accelerators: readonly Accelerator[]): { key: string; value: string } | undefined {
  if (d.spec.template.metadata?.labels?.[Label.accelerator] !== undefined) return undefined;
  const selector = d.spec.template.spec.nodeSelector ?? {};
  const keys = new Set(accelerators.flatMap((a) => (a.labelKey !== undefined ? [a.labelKey] : [])));
  const key = Object.keys(selector).sort().find((k) => keys.has(k));
  return key !== undefined ? { key, value: selector[key] ?? '' } : undefined;
}

/** The container inferno edits: the one the annotation names, else the first. */
export function containerIndex(d: DeploymentView, warnings: string[]): number {
  const containers = d.spec.template.spec.containers;
  const wanted = d.metadata.annotations?.[Annotation.container];
  if (wanted === undefined) return 0;
  const index = containers.findIndex((c) => c.name === wanted);
  if (index >= 0) return index;
  warnings.push(`inferno: container "${wanted}" not found; using "${containers[0]?.name ?? ''}"`);
  return 0;
}

export interface DeploymentServer {
  readonly server: Server;
  /** the Deployment already runs on an accelerator inferno chose, and it is still profiled */
  readonly kept: boolean;
  readonly pinned?: { readonly key: string; readonly value: string };
}

/** The server to solve for: the Optimizer's, sized for `load` (zero when unknown), within what the Deployment allows. */
export function serverForDeployment(opt: OptimizerResource, cls: ServiceClass, d: DeploymentView, accelerators: readonly Accelerator[], load: Load | undefined): DeploymentServer {
  const base = serverFromOptimizer(opt, cls);
  const ours = d.spec.template.metadata?.labels?.[Label.accelerator];
  const kept = ours !== undefined && base.profiles.some((p) => p.accelerator === ours);
  const pinned = userPinnedDevice(d, accelerators);
  const allowed = new Set(accelerators.filter((a) => pinned === undefined || (a.labelKey === pinned.key && a.device === pinned.value)).map((a) => a.name));
  const server: Server = {
    ...base,
    load: load ?? { arrivalRate: 0, avgInTokens: base.load.avgInTokens, avgOutTokens: base.load.avgOutTokens },
    profiles: base.profiles.filter((p) => allowed.has(p.accelerator)),
    ...(kept ? { keepAccelerator: true, current: { accelerator: ours, numReplicas: d.spec.replicas ?? 1, maxBatch: 0, cost: 0 } } : {}),
  };
  return pinned !== undefined ? { server, kept, pinned } : { server, kept };
}
