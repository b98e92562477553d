// Placement of opt-in model Deployments at admission time: the solver picks GPU type, batch size and (on CREATE)
// replicas for the load the Optimizer knows; the Deployment gets the matching nodeSelector, GPU resources, batch
// size and a record of the decision. Mutation is advisory: anything missing admits the object unchanged, with a
// warning saying why. What is admission-specific lives here: which Optimizer, which load, CREATE vs UPDATE.
import jsonpatch from 'fast-json-patch';
import { classOf, observedLoad } from '../cluster/optimizer.js';
import type { DeploymentView, OptimizerResource } from '../cluster/resources.js';
import { DeploymentSchema } from '../cluster/resources.js';
import type { ClusterSnapshot, ClusterView } from '../cluster/snapshot.js';
import { Annotation, Label } from '../domain/keys.js';
import type { Load, ServiceClass } from '../domain/types.js';
import { decide } from '../placement/decide.js';
import { applyPlacement } from '../placement/pod-template.js';
import type { LoadSource } from '../placement/record.js';
import { placementOf } from '../placement/record.js';
import { containerIndex, serverForDeployment } from '../placement/target.js';
import type { AnalyzerCache } from '../solver/index.js';
import type { AdmissionRequest, JsonPatchOp, Verdict } from './types.js';
import { allow, patch } from './types.js';

interface LoadChoice {
  readonly load: Load | undefined;
  readonly source: LoadSource;
  readonly warnings: string[];
}

function nonNegative(text: string | undefined, key: string, warnings: string[], integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    warnings.push(`annotation ${key}="${text}" is not a ${integer ? 'whole ' : ''}number ≥ 0; ignored`);
    return undefined;
  }
  return n;
}

/** The load to size for: what the scaler last observed, else the expected load the Deployment declares, else none. */
function chooseLoad(opt: OptimizerResource, annotations: Readonly<Record<string, string>>): LoadChoice {
  const observed = observedLoad(opt);
  if (observed !== undefined) return { load: observed, source: 'status', warnings: [] };
  const warnings: string[] = [];
  const rpm = nonNegative(annotations[Annotation.expectedRpm], Annotation.expectedRpm, warnings, false);
  const inTok = nonNegative(annotations[Annotation.avgInputTokens], Annotation.avgInputTokens, warnings, true) ?? 0;
  const outTok = nonNegative(annotations[Annotation.avgOutputTokens], Annotation.avgOutputTokens, warnings, true);
  if (rpm === undefined) return { load: undefined, source: 'none', warnings };
  if (rpm > 0 && outTok === undefined) {
    warnings.push(`${Annotation.expectedRpm} needs ${Annotation.avgOutputTokens} as well; sizing for zero load`);
    return { load: undefined, source: 'none', warnings };
  }
  return { load: { arrivalRate: rpm, avgInTokens: inTok, avgOutTokens: outTok ?? 0 }, source: 'annotation', warnings };
}

interface Target {
  readonly d: DeploymentView;
  readonly namespace: string;
  readonly optName: string;
  readonly opt: OptimizerResource;
  readonly cls: ServiceClass;
}

/** The managed Deployment, its Optimizer and class — or the reason to leave it alone. */
function resolve(req: AdmissionRequest, view: ClusterView, snap: ClusterSnapshot): Target | Verdict {
  const parsed = DeploymentSchema.safeParse(req.object);
  if (!parsed.success) return allow([`inferno: not a Deployment it can place (${parsed.error.issues[0]?.message ?? 'invalid'}); admitted unchanged`]);
  const d = parsed.data;
  if (d.metadata.labels?.[Label.managed] !== 'true') return allow();
  const namespace = req.namespace ?? d.metadata.namespace ?? 'default';
  const optName = d.metadata.annotations?.[Annotation.optimizer] ?? d.metadata.name ?? req.name ?? '';
  const opt = view.optimizer(namespace, optName);
  if (opt === undefined) return allow([`inferno: Optimizer ${namespace}/${optName} not found; admitted unchanged`]);
  const { cls, problem } = classOf(opt, snap.config.classes);
  if (cls === undefined) return allow([`inferno: Optimizer ${namespace}/${optName}: ${problem?.message ?? 'no service class'}; admitted unchanged`]);
  return { d, namespace, optName, opt, cls };
}

/** `cache` keeps queueing-model results across requests (they depend on the profile and targets, not the load). */
export function mutateDeployment(req: AdmissionRequest, view: ClusterView, cache?: AnalyzerCache): Verdict {
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return allow();
  const snap = view.snapshot();
  const t = resolve(req, view, snap);
  if ('type' in t) return t;
  const { load, source, warnings } = chooseLoad(t.opt, t.d.metadata.annotations ?? {});
  const index = containerIndex(t.d, warnings);
  const accelerators = snap.config.accelerators;
  const { server, kept, pinned } = serverForDeployment(t.opt, t.cls, t.d, accelerators, load);
  if (server.profiles.length === 0) {
    const why = pinned !== undefined ? `nodeSelector ${pinned.key}=${pinned.value} matches no profiled accelerator` : 'no profiled accelerator is in the catalog';
    return allow([...warnings, `inferno: ${why}; admitted unchanged`]);
  }
  // An UPDATE of a Deployment already placed refreshes its settings: its own pods hold the capacity, so it is not
  // counted again. A CREATE is planned against free capacity even on reinvocation, so both passes agree.
  const plan = decide([server], [t.cls], snap, { capacity: kept && req.operation === 'UPDATE' ? 'unlimited' : 'free' }, cache);
  const a = plan.allocations[0];
  if (a === undefined) {
    const reasons = plan.unallocated[0]?.reasons ?? ['no allocation'];
    return allow([...warnings, `inferno: no placement for ${t.namespace}/${t.optName}: ${reasons.slice(0, 2).join('; ')}; admitted unchanged`]);
  }
  if (!a.sloMet) warnings.push(`inferno: ${a.numReplicas} of ${a.neededReplicas} replicas needed fit on ${a.accelerator}; the SLO will not be met`);
  const mutated: unknown = structuredClone(req.object);
  const schedulerName = snap.config.controller.schedulerName;
  applyPlacement(mutated, index, { ...placementOf(a, server, accelerators, source, req.operation === 'CREATE', warnings), ...(schedulerName !== undefined ? { schedulerName } : {}) });
  const ops = jsonpatch.compare(req.object as object, mutated as object) as JsonPatchOp[];
  return patch(ops, warnings);
}
