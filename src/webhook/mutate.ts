// Placement of opt-in model Deployments at admission time: the solver picks GPU type, batch size and (on CREATE)
// replicas for the load the Optimizer knows; the Deployment gets the matching nodeSelector, GPU resources, batch
// size and a record of the decision. Mutation is advisory: anything missing admits the object unchanged, with a
// warning saying why. What is admission-specific lives here: which Optimizer, which load, CREATE vs UPDATE.
import { classOf, observedLoad } from '../cluster/optimizer.js';
import type { DeploymentView, OptimizerResource } from '../cluster/resources.js';
import { DeploymentSchema } from '../cluster/resources.js';
import type { ClusterView } from '../cluster/snapshot.js';
import { Annotation, Label } from '../domain/keys.js';
import { Limits } from '../domain/limits.js';
import type { Load, Server, ServiceClass, System } from '../domain/types.js';
import { systemFor } from '../placement/decide.js';
import { diff } from '../placement/diff.js';
import { annotate, applyPlacement } from '../placement/pod-template.js';
import type { LoadSource } from '../placement/record.js';
import { decisionRecord, placementOf } from '../placement/record.js';
import { containerIndex, serverForDeployment } from '../placement/target.js';
import type { AnalyzerCache, Plan } from '../solver/index.js';
import { solve } from '../solver/index.js';
import type { AdmissionRequest, Verdict } from './types.js';
import { NotSynced, allow, patch } from './types.js';

/** Solves a system: in-process, or off the event loop (src/threads/). */
export type PlanSolver = (system: System) => Plan | Promise<Plan>;

interface LoadChoice {
  readonly load: Load | undefined;
  readonly source: LoadSource;
  readonly warnings: string[];
}

/** A number from an annotation, within [0, max] (whole when `integer`); otherwise a warning and undefined. */
function annotationNumber(text: string | undefined, key: string, warnings: string[], integer: boolean, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > max || (integer && !Number.isInteger(n))) {
    warnings.push(`annotation ${key}="${text.slice(0, 40)}" is not a ${integer ? 'whole ' : ''}number from 0 to ${max}; ignored`);
    return undefined;
  }
  return n;
}

/** The load to size for: what the scaler last observed, else the expected load the Deployment declares, else none. */
function chooseLoad(opt: OptimizerResource, annotations: Readonly<Record<string, string>>): LoadChoice {
  const observed = observedLoad(opt);
  if (observed !== undefined) return { load: observed, source: 'status', warnings: [] };
  const warnings: string[] = [];
  const rpm = annotationNumber(annotations[Annotation.expectedRpm], Annotation.expectedRpm, warnings, false, Limits.maxArrivalRate);
  const inTok = annotationNumber(annotations[Annotation.avgInputTokens], Annotation.avgInputTokens, warnings, true, Limits.maxTokens) ?? 0;
  const outTok = annotationNumber(annotations[Annotation.avgOutputTokens], Annotation.avgOutputTokens, warnings, true, Limits.maxTokens);
  if (rpm === undefined) return { load: undefined, source: 'none', warnings };
  if (rpm > 0 && outTok === undefined) {
    warnings.push(`${Annotation.expectedRpm} needs ${Annotation.avgOutputTokens} as well; sizing for zero load`);
    return { load: undefined, source: 'none', warnings };
  }
  return { load: { arrivalRate: rpm, avgInTokens: inTok, avgOutTokens: outTok ?? 0 }, source: 'annotation', warnings };
}

/** The batch size the Deployment pins for itself (inferno then leaves --max-num-seqs alone), if valid. */
function pinnedBatch(annotations: Readonly<Record<string, string>>, warnings: string[]): number | undefined {
  const text = annotations[Annotation.maxBatchSize];
  if (text === undefined) return undefined;
  const n = annotationNumber(text, Annotation.maxBatchSize, warnings, true, Limits.maxBatchSize);
  if (n === 0) {
    warnings.push(`annotation ${Annotation.maxBatchSize} must be at least 1; ignored`);
    return undefined;
  }
  return n;
}

interface Target {
  readonly d: DeploymentView;
  readonly namespace: string;
  readonly optName: string;
  readonly opt: OptimizerResource;
  readonly cls: ServiceClass;
}

/** The managed Deployment, its Optimizer and class — or the reason to leave it alone. */
function resolve(req: AdmissionRequest, view: ClusterView, classes: Parameters<typeof classOf>[1]): Target | Verdict {
  const parsed = DeploymentSchema.safeParse(req.object);
  if (!parsed.success) return allow([`inferno: not a Deployment it can place (${parsed.error.issues[0]?.message ?? 'invalid'}); admitted unchanged`]);
  const d = parsed.data;
  if (d.metadata.labels?.[Label.managed] !== 'true') return allow();
  const namespace = req.namespace ?? d.metadata.namespace ?? 'default';
  const optName = d.metadata.annotations?.[Annotation.optimizer] ?? d.metadata.name ?? req.name ?? '';
  const opt = view.optimizer(namespace, optName);
  if (opt === undefined) return allow([`inferno: Optimizer ${namespace}/${optName} not found; admitted unchanged`]);
  const { cls, problem } = classOf(opt, classes);
  if (cls === undefined) return allow([`inferno: Optimizer ${namespace}/${optName}: ${problem?.message ?? 'no service class'}; admitted unchanged`]);
  return { d, namespace, optName, opt, cls };
}

/** Everything decided before solving: the system to solve and what finishing needs. */
export interface PreparedMutation {
  readonly system: System;
  readonly target: Target;
  readonly server: Server;
  readonly index: number;
  readonly source: LoadSource;
  readonly pinned: boolean;
  /** spec.schedulerName for the pods (the controller ConfigMap's schedulerName), if configured */
  readonly schedulerName: string | undefined;
  readonly warnings: string[];
}

export function prepareMutation(req: AdmissionRequest, view: ClusterView): PreparedMutation | Verdict {
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return allow();
  if (!view.ready()) return allow([`inferno: ${NotSynced}; admitted unchanged`]);
  const snap = view.snapshot();
  const t = resolve(req, view, snap.config.classes);
  if ('type' in t) return t;
  const annotations = t.d.metadata.annotations ?? {};
  const { load, source, warnings } = chooseLoad(t.opt, annotations);
  const pin = pinnedBatch(annotations, warnings);
  const index = containerIndex(t.d, warnings);
  const { server: base, kept, pinned } = serverForDeployment(t.opt, t.cls, t.d, snap.config.accelerators, load);
  if (base.profiles.length === 0) {
    const why = pinned !== undefined ? `nodeSelector ${pinned.key}=${pinned.value} matches no profiled accelerator` : 'no profiled accelerator is in the catalog';
    return allow([...warnings, `inferno: ${why}; admitted unchanged`]);
  }
  // A pinned batch size is the one to size replicas for; replicas stay within inferno's bound in any case.
  const server: Server = { ...base, maxReplicas: base.maxReplicas ?? Limits.maxReplicas, ...(pin !== undefined ? { maxBatchSize: pin } : {}) };
  // An UPDATE of a Deployment already placed refreshes its settings: its own pods hold the capacity, so it is not
  // counted again. A CREATE is planned against free capacity even on reinvocation, so both passes agree.
  const capacity = kept && req.operation === 'UPDATE' ? 'unlimited' : 'free';
  const system = systemFor([server], [t.cls], snap, { capacity, options: { algorithm: 'greedy' } });
  return { system, target: t, server, index, source, pinned: pin !== undefined, schedulerName: snap.config.controller.schedulerName, warnings };
}

export function finishMutation(req: AdmissionRequest, p: PreparedMutation, plan: Plan): Verdict {
  const { target: t, warnings } = p;
  const a = plan.allocations[0];
  if (a === undefined) {
    const reasons = plan.unallocated[0]?.reasons ?? ['no allocation'];
    return allow([...warnings, `inferno: no placement for ${t.namespace}/${t.optName}: ${reasons.slice(0, 2).join('; ')}; admitted unchanged`]);
  }
  if (!a.sloMet) warnings.push(`inferno: ${a.numReplicas} of ${a.neededReplicas} replicas needed fit on ${a.accelerator}; the SLO will not be met`);
  // Copy-on-write below the root: `raw` stays as received and shares every untouched subtree with `mutated`.
  const raw = req.object as Record<string, unknown>;
  const mutated: Record<string, unknown> = { ...raw };
  const schedulerName = p.schedulerName;
  const placement = { ...placementOf(a, p.server, p.system.accelerators, p.source, req.operation === 'CREATE', warnings), setBatch: !p.pinned, ...(schedulerName !== undefined ? { schedulerName } : {}) };
  const batch = applyPlacement(mutated, p.index, placement);
  if (batch?.problem !== undefined) warnings.push(`inferno: batch size ${batch.maxNumSeqs} may not apply: ${batch.problem}`);
  annotate(mutated, { [Annotation.decision]: decisionRecord(a, p.source, batch) });
  return patch(diff(raw, mutated), warnings);
}

/** `cache` keeps queueing-model results across requests (they depend on the profile and targets, not the load). */
export function mutateDeployment(req: AdmissionRequest, view: ClusterView, cache?: AnalyzerCache): Verdict {
  const p = prepareMutation(req, view);
  return 'type' in p ? p : finishMutation(req, p, solve(p.system, cache));
}

/** The same, with solving done by `solver` (the webhook server's runs heavy systems off the event loop). */
export async function mutateDeploymentWith(req: AdmissionRequest, view: ClusterView, solver: PlanSolver): Promise<Verdict> {
  const p = prepareMutation(req, view);
  return 'type' in p ? p : finishMutation(req, p, await solver(p.system));
}
