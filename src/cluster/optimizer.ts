// Optimizer resource → the solver's server: one place for the load it is sized for, its defaults and its
// cross-checks against the catalog and the service classes.
import type { Load, Server, ServiceClass } from '../domain/types.js';
import type { ClassIndex } from './config-maps.js';
import type { InputIssue, Where } from './issues.js';
import { at } from './issues.js';
import type { OptimizerResource } from './resources.js';

export const DefaultMinReplicas = 1;

export const serverName = (o: OptimizerResource): string =>
  o.metadata.namespace !== undefined ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;

export const zeroLoad: Load = { arrivalRate: 0, avgInTokens: 0, avgOutTokens: 0 };

/** The service class an Optimizer refers to, or an issue. sloClassRef wins over serviceClass when both are set. */
export function classOf(o: OptimizerResource, classes: ClassIndex): { cls?: ServiceClass; problem?: { path: string; message: string } } {
  const ref = o.spec.sloClassRef;
  if (ref !== undefined) {
    const cls = classes.byRef.get(`${ref.name}/${ref.key}`);
    return cls !== undefined ? { cls } : { problem: { path: 'spec.sloClassRef', message: `no service class under key "${ref.key}" of ConfigMap "${ref.name}"` } };
  }
  const name = o.spec.serviceClass ?? '';
  const cls = classes.byName.get(name);
  return cls !== undefined ? { cls } : { problem: { path: 'spec.serviceClass', message: `service class "${name}" does not exist` } };
}

/** The allocation the scaler last recorded in status, if any. */
function currentOf(o: OptimizerResource): Pick<Server, 'current'> {
  const st = o.status;
  if (st?.accelerator === undefined || st.accelerator === '') return {};
  return { current: { accelerator: st.accelerator, numReplicas: st.replicas ?? 0, maxBatch: st.maxBatch ?? 0, cost: st.cost ?? 0 } };
}

/** The load the Optimizer's status records (what the scaler last observed), if any. */
export function observedLoad(o: OptimizerResource): Load | undefined {
  const l = o.status?.load;
  return l === undefined ? undefined : { arrivalRate: l.arrivalRate, avgInTokens: l.avgInTokens, avgOutTokens: l.avgOutTokens };
}

/** The solver's server for an Optimizer; `load` replaces the observed load (zero when neither is known). */
export function serverFromOptimizer(o: OptimizerResource, cls: ServiceClass | undefined, load?: Load): Server {
  const s = o.spec;
  return {
    name: serverName(o),
    class: cls?.name ?? s.serviceClass ?? s.sloClassRef?.key ?? '',
    model: s.modelID,
    load: load ?? observedLoad(o) ?? zeroLoad,
    minReplicas: s.minReplicas ?? DefaultMinReplicas,
    ...(s.maxReplicas !== undefined ? { maxReplicas: s.maxReplicas } : {}),
    maxBatchSize: s.maxBatchSize ?? 0,
    keepAccelerator: s.keepAccelerator ?? false,
    profiles: s.modelProfile.accelerators.map((p) => ({
      accelerator: p.acc, accCount: p.accCount, maxBatchSize: p.maxBatchSize, atTokens: p.atTokens, alpha: p.alpha, beta: p.beta, gamma: p.gamma, delta: p.delta,
    })),
    ...currentOf(o),
  };
}

/** Cross-checks that need the catalog and classes: known accelerators, a class target for the model. */
export function crossCheck(o: OptimizerResource, cls: ServiceClass | undefined, accelerators: ReadonlySet<string>, w: Where): InputIssue[] {
  const issues: InputIssue[] = [];
  o.spec.modelProfile.accelerators.forEach((p, i) => {
    if (!accelerators.has(p.acc)) {
      issues.push(at(w, `spec.modelProfile.accelerators[${i}].acc`, `accelerator "${p.acc}" is not in the accelerator catalog (known: ${[...accelerators].sort().join(', ') || 'none'})`));
    }
  });
  if (cls !== undefined && !cls.targets.some((t) => t.model === o.spec.modelID)) {
    issues.push(at(w, 'spec.modelID', `service class "${cls.name}" has no target for model "${o.spec.modelID}"`));
  }
  return issues;
}
