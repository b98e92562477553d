// Validation of inferno's own objects at apply time: Optimizer resources (schema, references against the live
// catalog and service classes, SLO feasibility) and inferno's ConfigMaps. Every problem is listed, with its field
// path, in one denial; soft problems come back as warnings. Validation fails closed.
import type { InputIssue } from '../cluster/issues.js';
import { formatIssuesBounded, fromZod } from '../cluster/issues.js';
import type { OptimizerResource } from '../cluster/resources.js';
import { ConfigMapSchema, OptimizerSchema } from '../cluster/resources.js';
import type { ClassIndex } from '../cluster/config-maps.js';
import { acceleratorsFromConfigMap, classesFromConfigMap, controllerFromConfigMap } from '../cluster/config-maps.js';
import { classOf, crossCheck } from '../cluster/optimizer.js';
import type { Accelerator, ServiceClass } from '../domain/types.js';
import { ConfigRole, Label } from '../domain/keys.js';
import { ReportLimits } from '../domain/limits.js';
import type { AdmissionRequest, Verdict } from './types.js';
import { allow, deny } from './types.js';
import type { ClusterView } from '../cluster/snapshot.js';

const fmt = (v: number): string => String(Math.round(v * 1000) / 1000);

interface Reach {
  readonly accelerator: string;
  readonly itl: number;
  readonly ttft: number;
}

/**
 * Best latencies each profile can give: a lone request (zero load) decodes at α + β and waits γ + δ·I for its first
 * token. I is the observed prompt length, else 1 token (a lower bound). No load makes these better.
 */
function zeroLoadReach(o: OptimizerResource): Reach[] {
  const inTokens = Math.max(o.status?.load?.avgInTokens ?? 1, 1);
  return o.spec.modelProfile.accelerators.map((p) => ({ accelerator: p.acc, itl: p.alpha + p.beta, ttft: p.gamma + p.delta * inTokens }));
}

export interface Feasibility {
  readonly errors: InputIssue[];
  readonly warnings: string[];
}

export function checkFeasibility(o: OptimizerResource, cls: ServiceClass, known: ReadonlySet<string>): Feasibility {
  const target = cls.targets.find((t) => t.model === o.spec.modelID);
  if (target === undefined) return { errors: [], warnings: [] };
  const reach = zeroLoadReach(o).filter((r) => known.has(r.accelerator));
  if (reach.length === 0) return { errors: [], warnings: [] };
  const miss = (r: Reach): string[] => [
    ...(target.itl > 0 && r.itl > target.itl ? [`ITL ${fmt(r.itl)} ms > ${fmt(target.itl)} ms`] : []),
    ...(target.ttft > 0 && r.ttft > target.ttft ? [`TTFT ${fmt(r.ttft)} ms > ${fmt(target.ttft)} ms`] : []),
  ];
  const failing = reach.filter((r) => miss(r).length > 0);
  if (failing.length < reach.length) {
    return { errors: [], warnings: failing.map((r) => `${r.accelerator} cannot meet the ${cls.name} SLO even at zero load (${miss(r).join(', ')})`) };
  }
  const parts: string[] = [];
  if (target.itl > 0 && reach.every((r) => r.itl > target.itl)) {
    const best = reach.reduce((a, b) => (b.itl < a.itl ? b : a));
    parts.push(`ITL target ${fmt(target.itl)} ms is out of reach: the best accelerator, ${best.accelerator}, gives ${fmt(best.itl)} ms for a lone request`);
  }
  if (target.ttft > 0 && reach.every((r) => r.ttft > target.ttft)) {
    const best = reach.reduce((a, b) => (b.ttft < a.ttft ? b : a));
    parts.push(`TTFT target ${fmt(target.ttft)} ms is out of reach: the best accelerator, ${best.accelerator}, gives ${fmt(best.ttft)} ms for a lone request`);
  }
  if (parts.length === 0) {
    // Each accelerator misses a different target: list them all.
    parts.push(`no accelerator meets every target even at zero load: ${failing.map((r) => `${r.accelerator} (${miss(r).join(', ')})`).join('; ')}`);
  }
  return { errors: parts.map((message) => ({ path: 'spec.modelProfile.accelerators', message: `service class ${cls.name}, model ${o.spec.modelID}: ${message}` })), warnings: [] };
}

export interface OptimizerCheck {
  readonly errors: InputIssue[];
  readonly warnings: string[];
  readonly optimizer?: OptimizerResource;
}

/** Everything `inferno validate` and the webhook check on one Optimizer object. */
export function checkOptimizer(object: unknown, accelerators: readonly Accelerator[], classes: ClassIndex): OptimizerCheck {
  const parsed = OptimizerSchema.safeParse(object);
  if (!parsed.success) return { errors: fromZod(parsed.error), warnings: [] };
  const o = parsed.data;
  const known = new Set(accelerators.map((a) => a.name));
  const { cls, problem } = classOf(o, classes);
  const errors: InputIssue[] = [...(problem !== undefined ? [problem] : []), ...crossCheck(o, cls, known, {})];
  const warnings: string[] = [];
  if (o.spec.serviceClass !== undefined && o.spec.sloClassRef !== undefined && cls !== undefined && cls.name !== o.spec.serviceClass) {
    warnings.push(`spec.serviceClass "${o.spec.serviceClass}" differs from the class "${cls.name}" that spec.sloClassRef names; sloClassRef wins`);
  }
  if (cls !== undefined && errors.length === 0) {
    const f = checkFeasibility(o, cls, known);
    errors.push(...f.errors);
    warnings.push(...f.warnings);
  }
  return { errors, warnings, optimizer: o };
}

// The first problems, then "and N more": a denial stays readable (and small) whatever the input holds.
const denial = (issues: readonly InputIssue[], what: string): string => `${what} is invalid:\n${formatIssuesBounded(issues, ReportLimits.maxIssues)}`;

export function validateOptimizer(req: AdmissionRequest, view: ClusterView): Verdict {
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return allow();
  const snap = view.snapshot();
  const { errors, warnings } = checkOptimizer(req.object, snap.config.accelerators, snap.config.classes);
  if (errors.length > 0) return deny(422, denial(errors, 'Optimizer'), warnings);
  return allow(warnings);
}

export interface ConfigMapCheck {
  /** the map carries one of inferno's roles */
  readonly ours: boolean;
  readonly errors: InputIssue[];
}

/** Problems in one of inferno's ConfigMaps, or none when the map is not one of ours. */
export function checkConfigMap(object: unknown): ConfigMapCheck {
  const parsed = ConfigMapSchema.safeParse(object);
  if (!parsed.success) return { ours: false, errors: [] };
  const cm = parsed.data;
  const role = cm.metadata.labels?.[Label.config];
  const errors: InputIssue[] = [];
  if (role === ConfigRole.accelerators) acceleratorsFromConfigMap(cm, {}, errors);
  else if (role === ConfigRole.serviceClasses) classesFromConfigMap(cm, {}, errors, { byRef: new Map(), byName: new Map() });
  else if (role === ConfigRole.controller) controllerFromConfigMap(cm, {}, errors);
  else return { ours: false, errors: [] };
  return { ours: true, errors };
}

/**
 * The verdicts decided before looking at the data: nothing to check on DELETE/CONNECT, and a labelled map outside
 * `home` (the namespace inferno reads its configuration from) is denied, since the cluster view would ignore it.
 */
function configPrecheck(req: AdmissionRequest, home: string): Verdict | undefined {
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return allow();
  const parsed = ConfigMapSchema.safeParse(req.object);
  if (!parsed.success || parsed.data.metadata.labels?.[Label.config] === undefined) return allow();
  const namespace = req.namespace ?? parsed.data.metadata.namespace ?? '';
  if (namespace === home) return undefined;
  return deny(403, `inferno reads its configuration only from ConfigMaps in namespace "${home}"; this one is in "${namespace}", where the label ${Label.config} `
    + `would be ignored. Create the ConfigMap in "${home}" or remove the label.`);
}

const configVerdict = ({ ours, errors }: ConfigMapCheck): Verdict =>
  (!ours || errors.length === 0 ? allow() : deny(422, denial(errors, `inferno ConfigMap (${Label.config})`)));

/** Validation of a ConfigMap sent to /validate-config; `home` is the namespace inferno reads its ConfigMaps from. */
export function validateConfigMap(req: AdmissionRequest, home: string): Verdict {
  return configPrecheck(req, home) ?? configVerdict(checkConfigMap(req.object));
}

/** The same, with the check (YAML parsing, the costly part) run by `check`, e.g. off the event loop. */
export async function validateConfigMapWith(req: AdmissionRequest, home: string, check: (object: unknown) => Promise<ConfigMapCheck>): Promise<Verdict> {
  return configPrecheck(req, home) ?? configVerdict(await check(req.object));
}
