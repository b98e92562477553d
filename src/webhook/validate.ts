// Validation of inferno's own objects at apply time: Optimizer resources (schema, references against the live
// catalog and service classes, SLO feasibility) and inferno's ConfigMaps. Every problem is listed, with its field
// path, in one denial; soft problems come back as warnings. Validation fails closed.
import type { InputIssue } from '../cluster/issues.js';
import { formatIssuesBounded, fromZod } from '../cluster/issues.js';
import type { OptimizerResource } from '../cluster/resources.js';
import { ConfigMapSchema, OptimizerSchema } from '../cluster/resources.js';
import type { ClassIndex } from '../cluster/config-maps.js';
import { acceleratorsFromConfigMap, classesFromConfigMap, controllerFromConfigMap } from '../cluster/config-maps.js';
import { classOf, crossCheck, serverFromOptimizer } from '../cluster/optimizer.js';
import type { Accelerator, AnalyzerKind, ServiceClass } from '../domain/types.js';
import { isZeroLoad } from '../solver/analyzers.js';
import { sloReachability } from '../solver/reachability.js';
import { ConfigRole, Label } from '../domain/keys.js';
import { ReportLimits } from '../domain/limits.js';
import type { AdmissionRequest, Verdict } from './types.js';
import { NotSynced, allow, deny } from './types.js';
import type { ClusterView } from '../cluster/snapshot.js';

const fmt = (v: number): string => String(Math.round(v * 1000) / 1000);

export interface Feasibility {
  readonly errors: InputIssue[];
  readonly warnings: string[];
}

/** The solver's own reachability test (src/solver/reachability.ts) on the server this Optimizer becomes. */
export function checkFeasibility(o: OptimizerResource, cls: ServiceClass, known: ReadonlySet<string>, kind: AnalyzerKind = 'v2'): Feasibility {
  const target = cls.targets.find((t) => t.model === o.spec.modelID);
  if (target === undefined) return { errors: [], warnings: [] };
  const server = serverFromOptimizer(o, cls);
  const when = isZeroLoad(server) ? 'even at zero load' : 'even at the lowest load';
  // The accelerators the solver would consider: keepAccelerator pins the current one.
  const keep = server.keepAccelerator ? server.current?.accelerator : undefined;
  const reach = server.profiles
    .filter((p) => known.has(p.accelerator) && (keep === undefined || p.accelerator === keep))
    .map((p) => ({ accelerator: p.accelerator, r: sloReachability(kind, server, p, target) }));
  if (reach.length === 0) return { errors: [], warnings: [] };
  const failing = reach.flatMap(({ accelerator, r }) => (r.reachable === false ? [{ accelerator, misses: r.misses }] : []));
  const miss = (f: (typeof failing)[number]): string => f.misses.map((m) => `${m.bound.toUpperCase()} ${fmt(m.best)} ms > ${fmt(m.target)} ms`).join(', ');
  if (failing.length < reach.length) {
    return { errors: [], warnings: failing.map((f) => `${f.accelerator} cannot meet the ${cls.name} SLO ${when} (${miss(f)})`) };
  }
  const parts: string[] = [];
  for (const bound of ['ttft', 'itl', 'ttw'] as const) {
    const on = failing.map((f) => ({ accelerator: f.accelerator, m: f.misses.find((m) => m.bound === bound) }));
    if (!on.every((x) => x.m !== undefined)) continue;
    const best = on.reduce((a, b) => ((b.m?.best ?? Infinity) < (a.m?.best ?? Infinity) ? b : a));
    parts.push(`${bound.toUpperCase()} target ${fmt(best.m?.target ?? 0)} ms is out of reach: the best accelerator, ${best.accelerator}, gives ${fmt(best.m?.best ?? 0)} ms ${isZeroLoad(server) ? 'for a lone request' : 'at the lowest load'}`);
  }
  if (parts.length === 0) {
    // Each accelerator misses a different target: list them all.
    parts.push(`no accelerator meets every target ${when}: ${failing.map((f) => `${f.accelerator} (${miss(f)})`).join('; ')}`);
  }
  return { errors: parts.map((message) => ({ path: 'spec.modelProfile.accelerators', message: `service class ${cls.name}, model ${o.spec.modelID}: ${message}` })), warnings: [] };
}

export interface OptimizerCheck {
  readonly errors: InputIssue[];
  readonly warnings: string[];
  readonly optimizer?: OptimizerResource;
}

/** Everything `inferno validate` and the webhook check on one Optimizer object. */
export function checkOptimizer(object: unknown, accelerators: readonly Accelerator[], classes: ClassIndex, kind: AnalyzerKind = 'v2'): OptimizerCheck {
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
    const f = checkFeasibility(o, cls, known, kind);
    errors.push(...f.errors);
    warnings.push(...f.warnings);
  }
  return { errors, warnings, optimizer: o };
}

// The first problems, then "and N more": a denial stays readable (and small) whatever the input holds.
const denial = (issues: readonly InputIssue[], what: string): string => `${what} is invalid:\n${formatIssuesBounded(issues, ReportLimits.maxIssues)}`;

export function validateOptimizer(req: AdmissionRequest, view: ClusterView): Verdict {
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return allow();
  // Checked against an empty catalog, every valid Optimizer would be denied with "(known: none)".
  if (!view.ready()) return deny(503, `${NotSynced}: the Optimizer cannot be checked yet; retry in a moment`);
  const snap = view.snapshot();
  const { errors, warnings } = checkOptimizer(req.object, snap.config.accelerators, snap.config.classes, snap.config.controller.options.analyzer ?? 'v2');
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
