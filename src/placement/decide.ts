// Servers + cluster snapshot → the solver's system → a plan. The webhook plans one Deployment against the GPUs
// still free; the scaler plans every managed Deployment together against what unmanaged pods leave.
import type { ClusterSnapshot } from '../cluster/snapshot.js';
import type { OptimizerOptions, Server, ServiceClass, System } from '../domain/types.js';
import { defaultOptions } from '../domain/types.js';
import type { AnalyzerCache, Plan } from '../solver/index.js';
import { solve } from '../solver/index.js';

export interface PlanScope {
  /**
   * free: units no pod holds (admission: other Deployments keep theirs); managed: units that pods not placed by
   * inferno leave (the scaler re-decides every managed Deployment); unlimited: ignore capacity.
   */
  readonly capacity: 'free' | 'managed' | 'unlimited';
  /** overrides of the controller ConfigMap's options */
  readonly options?: Partial<OptimizerOptions>;
}

export function systemFor(servers: readonly Server[], classes: readonly ServiceClass[], snap: ClusterSnapshot, scope: PlanScope): System {
  const options = defaultOptions({ ...snap.config.controller.options, ...scope.options });
  const unlimited = scope.capacity === 'unlimited' || options.unlimited;
  const capacity = unlimited ? {} : scope.capacity === 'managed' ? snap.capacity.freeForManaged : snap.capacity.free;
  return { accelerators: snap.config.accelerators, serviceClasses: classes, servers, options: { ...options, unlimited }, capacity };
}

/** The greedy plan for these servers (exact plans need a MILP backend: solve `systemFor(…)` with it). */
export function decide(servers: readonly Server[], classes: readonly ServiceClass[], snap: ClusterSnapshot, scope: PlanScope, cache?: AnalyzerCache): Plan {
  return solve(systemFor(servers, classes, snap, { ...scope, options: { ...scope.options, algorithm: 'greedy' } }), cache);
}
