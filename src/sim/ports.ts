// The scaler's ports over the simulated fleet, so that the `inferno` policy is the real tick (scaler/tick.ts): the
// Deployments as the API server would list them, the load as the collector would read it from the replicas' metrics
// over the scaler's window, and scale/re-template writes that change the simulated fleet.
import jsonpatch from 'fast-json-patch';
import type { InfernoConfig } from '../cluster/config-maps.js';
import type { DeploymentView, OptimizerResource } from '../cluster/resources.js';
import type { ClusterView } from '../cluster/snapshot.js';
import { snapshotOf } from '../cluster/snapshot.js';
import type { OptimizerOptions } from '../domain/types.js';
import type { LoadObservation, ManagedDeployment, ScalerPorts, WriteResult } from '../scaler/ports.js';
import { observationKey } from '../scaler/ports.js';
import type { SimDeployment, SimFleet } from './fleet.js';
import { withSloMargin } from './setup.js';
import { templateAccelerator, templateBatch } from './template.js';

export interface SimPortsOptions {
  /** overrides of the controller ConfigMap's options (the unlimited variant, wva) */
  readonly options?: Partial<OptimizerOptions>;
  /** Optimizer spec overrides per Deployment (wva pins the accelerator and batch size) */
  readonly optimizerSpec?: (d: SimDeployment) => Partial<OptimizerResource['spec']>;
  /** the clock of the tick: the run's virtual time, ms */
  readonly now: () => number;
}

type Obj = Record<string, unknown>;

function mergeStatus(target: Obj, patch: Readonly<Record<string, unknown>>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) Reflect.deleteProperty(target, k);
    else target[k] = v;
  }
}

export function simPorts(fleet: SimFleet, o: SimPortsOptions): ScalerPorts {
  const base = withSloMargin(fleet.setup.config, fleet.setup.settings.sloMargin);
  const config: InfernoConfig = o.options === undefined ? base : { ...base, controller: { ...base.controller, options: { ...base.controller.options, ...o.options } } };
  const optimizers = new Map<SimDeployment, OptimizerResource>(fleet.deployments.map((d) => {
    const src = d.setup.optimizer;
    const spec = { ...src.spec, ...(o.optimizerSpec?.(d) ?? {}) };
    return [d, { ...structuredClone(src), spec }];
  }));
  const byName = (ns: string, name: string): SimDeployment | undefined =>
    fleet.deployments.find((d) => d.setup.namespace === ns && d.setup.name === name);
  const list = [...optimizers.values()];
  const view: ClusterView = {
    snapshot: () => snapshotOf(config, fleet.inventory),
    optimizer: (ns, name) => list.find((x) => (x.metadata.namespace ?? 'default') === ns && x.metadata.name === name),
    optimizers: () => list,
    ready: () => true,
  };
  const done = (d: SimDeployment | undefined): WriteResult => (d === undefined ? 'gone' : 'done');

  return {
    view,
    listDeployments() {
      const out: ManagedDeployment[] = fleet.deployments.map((d) => {
        const raw = d.raw as { spec: Obj };
        raw.spec['replicas'] = d.specReplicas;
        const live = fleet.podsOf(d).filter((p) => p.phase !== 'draining');
        return {
          namespace: d.setup.namespace, name: d.setup.name, view: d.raw as DeploymentView,
          statusReplicas: live.length, readyReplicas: live.filter((p) => p.phase === 'ready').length,
        };
      });
      return Promise.resolve(out);
    },
    observe(servers, settings) {
      const t = o.now();
      fleet.advanceAll(t);
      const byServer = new Map<string, LoadObservation>();
      for (const s of servers) {
        const d = fleet.deployments.find((x) => x.setup.namespace === s.namespace && x.setup.model === s.model);
        if (d === undefined) continue;
        const serving = fleet.podsOf(d).some((p) => p.phase === 'ready' || p.phase === 'draining');
        const none = { unknown: 'no replica is serving, so no metrics' };
        const w = fleet.window(d, t, settings.metricsWindowS);
        const per = (sum: number, n: number, what: string): LoadObservation['ttftMs'] => (n > 0 ? sum / n : { unknown: `no ${what} in the window` });
        byServer.set(observationKey(s.namespace, s.model), serving
          ? {
              arrivalRpm: (w.arrivals * 60) / w.seconds,
              avgInputTokens: per(w.inputTokens, w.arrivals, 'arrivals'),
              avgOutputTokens: per(w.outputTokens, w.arrivals, 'arrivals'),
              ttftMs: per(w.ttftSum, w.ttftCount, 'first tokens'),
              itlMs: per(w.itlSum, w.itlCount, 'finished requests'),
              sampleAgeS: 0,
            }
          : { arrivalRpm: none, avgInputTokens: none, avgOutputTokens: none, ttftMs: none, itlMs: none, sampleAgeS: none });
      }
      return Promise.resolve({ byServer });
    },
    scale(namespace, name, replicas) {
      const d = byName(namespace, name);
      if (d !== undefined) fleet.setReplicas(d, replicas, o.now());
      return Promise.resolve(done(d));
    },
    retemplate(namespace, name, edit) {
      const d = byName(namespace, name);
      if (d === undefined) return Promise.resolve('gone' as const);
      const ops = edit(structuredClone(d.raw));
      if (ops.length === 0) return Promise.resolve('unchanged' as const);
      const next = jsonpatch.applyPatch(structuredClone(d.raw), ops as jsonpatch.Operation[], true, true).newDocument as DeploymentView;
      d.raw = next;
      const accelerator = templateAccelerator(next) ?? d.template.accelerator;
      const maxBatch = templateBatch(next) ?? d.template.maxBatch;
      fleet.setTemplate(d, { accelerator, maxBatch }, o.now());
      return Promise.resolve('done' as const);
    },
    writeStatus(namespace, name, status) {
      const opt = list.find((x) => (x.metadata.namespace ?? 'default') === namespace && x.metadata.name === name);
      if (opt === undefined) return Promise.resolve('gone' as const);
      const target = opt as unknown as { status?: Obj };
      target.status ??= {};
      mergeStatus(target.status, status);
      return Promise.resolve('done' as const);
    },
    event: () => Promise.resolve(),
  };
}
