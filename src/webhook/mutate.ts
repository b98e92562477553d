// Placement of opt-in model Deployments at admission time: the solver picks GPU type, batch size and (on CREATE)
// replicas for the load the Optimizer knows; the Deployment gets the matching nodeSelector, GPU resources, batch
// size and a record of the decision. Mutation is advisory: anything missing admits the object unchanged, with a
// warning saying why.
import jsonpatch from 'fast-json-patch';
import type { OptimizerResource } from '../config/resources.js';
import { classOf, serverFromOptimizer } from '../config/scenario.js';
import type { Accelerator, Load, Server, System } from '../config/schema.js';
import { OptimizerOptionsSchema } from '../config/schema.js';
import { Annotation, Label } from '../domain/keys.js';
import { solve } from '../solver/index.js';
import type { Allocation, AnalyzerCache } from '../solver/index.js';
import type { DeploymentView, Placement } from './deployment.js';
import { DeploymentSchema, applyPlacement } from './deployment.js';
import type { AdmissionRequest, JsonPatchOp, Verdict } from './types.js';
import { allow, patch } from './types.js';
import type { ClusterSnapshot, ClusterView } from './view.js';

interface LoadChoice {
  readonly load: Load | undefined;
  readonly source: 'status' | 'annotation' | 'none';
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
  const observed = opt.status?.load;
  if (observed !== undefined) {
    return { load: { arrivalRate: observed.arrivalRate, avgInTokens: observed.avgInTokens, avgOutTokens: observed.avgOutTokens }, source: 'status', warnings: [] };
  }
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

/** GPU product pinned by a nodeSelector the user wrote (not ours): only accelerators of that product qualify. */
function userPinnedDevice(d: DeploymentView, accelerators: readonly Accelerator[]): { key: string; value: string } | undefined {
  if (d.spec.template.metadata?.labels?.[Label.accelerator] !== undefined) return undefined;
  const selector = d.spec.template.spec.nodeSelector ?? {};
  const keys = new Set(accelerators.flatMap((a) => (a.labelKey !== undefined ? [a.labelKey] : [])));
  const key = Object.keys(selector).sort().find((k) => keys.has(k));
  return key !== undefined ? { key, value: selector[key] ?? '' } : undefined;
}

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

function decisionRecord(a: Allocation, source: LoadChoice['source']): string {
  // No timestamps: the same inputs must give the same annotation, or a reinvocation would patch again.
  return JSON.stringify({
    accelerator: a.accelerator, maxBatch: a.maxBatch, replicas: a.numReplicas, costCentsPerHour: round(a.cost, 4),
    itlMs: round(a.itlAverage, 3), ttftMs: round(a.ttftAverage, 3), sloMet: a.sloMet,
    load: { arrivalRate: a.load.arrivalRate, avgInTokens: a.load.avgInTokens, avgOutTokens: a.load.avgOutTokens, source },
  });
}

interface Plan {
  readonly allocation?: Allocation;
  readonly reasons: readonly string[];
}

function planFor(server: Server, snap: ClusterSnapshot, cls: System['serviceClasses'][number], ignoreCapacity: boolean, cache: AnalyzerCache | undefined): Plan {
  const options = OptimizerOptionsSchema.parse({ ...snap.controller.options, algorithm: 'greedy' });
  const unlimited = ignoreCapacity || options.unlimited;
  const system: System = {
    accelerators: [...snap.accelerators], serviceClasses: [cls], servers: [server],
    options: { ...options, unlimited }, capacity: unlimited ? {} : snap.freeCapacity,
  };
  const plan = solve(system, cache);
  const allocation = plan.allocations[0];
  return allocation !== undefined ? { allocation, reasons: [] } : { reasons: plan.unallocated[0]?.reasons ?? ['no allocation'] };
}

interface Target {
  readonly d: DeploymentView;
  readonly namespace: string;
  readonly optName: string;
  readonly opt: OptimizerResource;
  readonly cls: System['serviceClasses'][number];
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
  const { cls, problem } = classOf(opt, snap.classes);
  if (cls === undefined) return allow([`inferno: Optimizer ${namespace}/${optName}: ${problem?.message ?? 'no service class'}; admitted unchanged`]);
  return { d, namespace, optName, opt, cls };
}

function containerIndex(d: DeploymentView, warnings: string[]): number {
  const containers = d.spec.template.spec.containers;
  const wanted = d.metadata.annotations?.[Annotation.container];
  if (wanted === undefined) return 0;
  const index = containers.findIndex((c) => c.name === wanted);
  if (index >= 0) return index;
  warnings.push(`inferno: container "${wanted}" not found; using "${containers[0]?.name ?? ''}"`);
  return 0;
}

/** The server to solve for: the Optimizer's, with the chosen load, limited to accelerators the Deployment allows. */
function serverFor(t: Target, snap: ClusterSnapshot, load: Load | undefined): { server: Server; kept: boolean; pinned?: { key: string; value: string } } {
  const base = serverFromOptimizer(t.opt, t.cls);
  const ours = t.d.spec.template.metadata?.labels?.[Label.accelerator];
  const kept = ours !== undefined && base.profiles.some((p) => p.accelerator === ours);
  const pinned = userPinnedDevice(t.d, snap.accelerators);
  const allowed = new Set(snap.accelerators.filter((a) => pinned === undefined || (a.labelKey === pinned.key && a.device === pinned.value)).map((a) => a.name));
  const server: Server = {
    ...base,
    load: load ?? { arrivalRate: 0, avgInTokens: base.load.avgInTokens, avgOutTokens: base.load.avgOutTokens },
    profiles: base.profiles.filter((p) => allowed.has(p.accelerator)),
    ...(kept ? { keepAccelerator: true, current: { accelerator: ours, numReplicas: t.d.spec.replicas ?? 1, maxBatch: 0, cost: 0 } } : {}),
  };
  return pinned !== undefined ? { server, kept, pinned } : { server, kept };
}

function placementOf(a: Allocation, server: Server, snap: ClusterSnapshot, source: LoadChoice['source'], create: boolean, warnings: string[]): Placement {
  const acc = snap.accelerators.find((x) => x.name === a.accelerator);
  const profile = server.profiles.find((p) => p.accelerator === a.accelerator);
  const selector = acc?.labelKey !== undefined && acc.device !== undefined ? { key: acc.labelKey, value: acc.device } : undefined;
  if (selector === undefined) warnings.push(`inferno: accelerator ${a.accelerator} has no device label in the catalog; no nodeSelector set`);
  return {
    ...(selector !== undefined ? { nodeSelector: selector } : {}),
    ...(acc?.resource !== undefined && profile !== undefined ? { gpu: { resource: acc.resource, count: profile.accCount * acc.multiplicity } } : {}),
    maxBatch: a.maxBatch,
    podLabels: { [Label.accelerator]: a.accelerator },
    annotations: { [Annotation.decision]: decisionRecord(a, source) },
    ...(create ? { replicas: a.numReplicas } : {}),
  };
}

/** `cache` keeps queueing-model results across requests (they depend on the profile and targets, not the load). */
export function mutateDeployment(req: AdmissionRequest, view: ClusterView, cache?: AnalyzerCache): Verdict {
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return allow();
  const snap = view.snapshot();
  const t = resolve(req, view, snap);
  if ('type' in t) return t;
  const { load, source, warnings } = chooseLoad(t.opt, t.d.metadata.annotations ?? {});
  const index = containerIndex(t.d, warnings);
  const { server, kept, pinned } = serverFor(t, snap, load);
  if (server.profiles.length === 0) {
    const why = pinned !== undefined ? `nodeSelector ${pinned.key}=${pinned.value} matches no profiled accelerator` : 'no profiled accelerator is in the catalog';
    return allow([...warnings, `inferno: ${why}; admitted unchanged`]);
  }
  // An UPDATE of a Deployment already placed refreshes its settings: its own pods hold the capacity, so it is not
  // counted again. A CREATE is planned against free capacity even on reinvocation, so both passes agree.
  const { allocation: a, reasons } = planFor(server, snap, t.cls, kept && req.operation === 'UPDATE', cache);
  if (a === undefined) return allow([...warnings, `inferno: no placement for ${t.namespace}/${t.optName}: ${reasons.slice(0, 2).join('; ')}; admitted unchanged`]);
  if (!a.sloMet) warnings.push(`inferno: ${a.numReplicas} of ${a.neededReplicas} replicas needed fit on ${a.accelerator}; the SLO will not be met`);
  const mutated: unknown = structuredClone(req.object);
  applyPlacement(mutated, index, placementOf(a, server, snap, source, req.operation === 'CREATE', warnings));
  const ops = jsonpatch.compare(req.object as object, mutated as object) as JsonPatchOp[];
  return patch(ops, warnings);
}
