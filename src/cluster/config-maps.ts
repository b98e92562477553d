// inferno's ConfigMaps → domain: the accelerator catalog, the service classes and the controller settings. Each
// entry is parsed on its own, so one broken entry is reported with its key (and YAML line) and the rest still count.
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { ConfigRole, GpuVendors, Label } from '../domain/keys.js';
import { Limits } from '../domain/limits.js';
import type { Accelerator, Capacity, OptimizerOptions, ScalerSettings, ServiceClass } from '../domain/types.js';
import type { InputIssue, Where } from './issues.js';
import { at, formatPath, fromZod } from './issues.js';
import type { ConfigMapResource } from './resources.js';
import { CapacityDocSchema, CatalogEntrySchema, ClassDocSchema, ControllerDataSchema } from './resources.js';

function parseEmbedded<T>(schema: z.ZodType<T>, text: string, w: Where, path: (string | number)[], issues: InputIssue[]): T | undefined {
  // Parsing YAML costs ~2 ms per KiB of dense flow collections: bound it before parsing.
  if (text.length > Limits.maxYamlBytes) {
    issues.push(at(w, formatPath(path), `the value is ${text.length} characters; at most ${Limits.maxYamlBytes} are allowed for one entry`));
    return undefined;
  }
  const docs = parseAllDocuments(text);
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  const err = doc?.errors[0];
  if (err !== undefined) {
    const line = err.linePos?.[0];
    issues.push(at(w, formatPath(path), `invalid YAML${line !== undefined ? ` at line ${line.line}, column ${line.col} of the value` : ''}: ${err.message.split('\n')[0] ?? ''}`));
    return undefined;
  }
  let value: unknown;
  try {
    value = doc?.toJS({ maxAliasCount: Limits.maxYamlAliases }) ?? null;
  } catch (e) {
    // The yaml library refuses alias expansion beyond maxAliasCount (a "billion laughs" bomb): bad input, not a bug.
    issues.push(at(w, formatPath(path), `YAML not accepted: ${(e instanceof Error ? e.message : String(e)).split('\n')[0] ?? ''} (at most ${Limits.maxYamlAliases} aliases)`));
    return undefined;
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    issues.push(...fromZod(r.error, { ...w, prefix: path }));
    return undefined;
  }
  return r.data;
}

const sortedEntries = (data: Readonly<Record<string, string>>): [string, string][] => Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1));

/**
 * The entries of a map whose values are YAML documents, within the bounds on their number and total size; a map
 * over a bound is reported once and contributes nothing (parsing part of it would give a misleading partial view).
 */
function yamlEntries(cm: ConfigMapResource, w: Where, issues: InputIssue[]): [string, string][] {
  const entries = sortedEntries(cm.data);
  if (entries.length > Limits.maxConfigEntries) {
    issues.push(at(w, 'data', `${entries.length} entries; at most ${Limits.maxConfigEntries} are allowed in one inferno ConfigMap`));
    return [];
  }
  const total = entries.reduce((n, [, text]) => n + text.length, 0);
  if (total > Limits.maxYamlBytesPerMap) {
    issues.push(at(w, 'data', `${total} characters of YAML; at most ${Limits.maxYamlBytesPerMap} are allowed in one inferno ConfigMap`));
    return [];
  }
  return entries;
}

/** Default node label key and extended resource of a GPU product name. */
export function vendorOf(device: string): { labelKey: string; resource: string } | undefined {
  return GpuVendors.find((v) => device.startsWith(v.prefix));
}

export function acceleratorsFromConfigMap(cm: ConfigMapResource, w: Where, issues: InputIssue[]): Accelerator[] {
  return yamlEntries(cm, w, issues).flatMap(([name, text]) => {
    const e = parseEmbedded(CatalogEntrySchema, text, w, ['data', name], issues);
    if (e === undefined) return [];
    const vendor = e.device !== undefined ? vendorOf(e.device) : undefined;
    const labelKey = e.labelKey ?? vendor?.labelKey;
    const resource = e.resource ?? vendor?.resource;
    return [{
      name, type: e.type ?? name, multiplicity: e.multiplicity, cost: e.cost,
      ...(e.memSize !== undefined ? { memSize: e.memSize } : {}),
      ...(e.device !== undefined ? { device: e.device } : {}),
      ...(labelKey !== undefined ? { labelKey } : {}),
      ...(resource !== undefined ? { resource } : {}),
    }];
  });
}

/** Service classes keyed by `${configMap}/${key}` (for sloClassRef) and by class name. */
export interface ClassIndex {
  readonly byRef: Map<string, ServiceClass>;
  readonly byName: Map<string, ServiceClass>;
}

export const emptyClassIndex = (): ClassIndex => ({ byRef: new Map(), byName: new Map() });

export function classesFromConfigMap(cm: ConfigMapResource, w: Where, issues: InputIssue[], into: ClassIndex): void {
  for (const [key, text] of yamlEntries(cm, w, issues)) {
    const doc = parseEmbedded(ClassDocSchema, text, w, ['data', key], issues);
    if (doc === undefined) continue;
    const cls: ServiceClass = {
      name: doc.name,
      priority: doc.priority,
      targets: doc.data.map((t) => ({ model: t.model, itl: t['slo-itl'] ?? t['slo-tpot'] ?? 0, ttft: t['slo-ttft'] ?? 0, tps: t['slo-tps'] ?? 0, ttw: t['slo-ttw'] ?? 0 })),
    };
    const models = new Set<string>();
    cls.targets.forEach((t, i) => {
      if (models.has(t.model)) issues.push(at(w, formatPath(['data', key, 'data', i, 'model']), `duplicate target for model "${t.model}"`));
      models.add(t.model);
    });
    if (into.byName.has(cls.name)) issues.push(at(w, formatPath(['data', key, 'name']), `service class "${cls.name}" is defined twice`));
    into.byName.set(cls.name, cls);
    into.byRef.set(`${cm.metadata.name}/${key}`, cls);
  }
}

export interface ControllerSettings {
  readonly options: Partial<OptimizerOptions>;
  readonly capacity?: Capacity;
  readonly scaler?: Partial<ScalerSettings>;
  /** the scheduler placed pods go to (the webhook sets spec.schedulerName); absent: left as it is */
  readonly schedulerName?: string;
}

function scalerOf(d: z.infer<typeof ControllerDataSchema>): Partial<ScalerSettings> {
  return {
    ...(d.scalerInterval !== undefined ? { intervalMs: d.scalerInterval } : {}),
    ...(d.scaleDownStabilization !== undefined ? { stabilizationWindowMs: d.scaleDownStabilization } : {}),
    ...(d.scalerMode !== undefined ? { mode: d.scalerMode } : {}),
    ...(d.metricsMaxAge !== undefined ? { maxSampleAgeMs: d.metricsMaxAge } : {}),
    ...(d.metricsWindow !== undefined ? { metricsWindowS: Math.max(1, Math.round(d.metricsWindow / 1000)) } : {}),
    ...(d.defaultMaxReplicas !== undefined ? { defaultMaxReplicas: d.defaultMaxReplicas } : {}),
  };
}

export function controllerFromConfigMap(cm: ConfigMapResource, w: Where, issues: InputIssue[]): ControllerSettings {
  const r = ControllerDataSchema.safeParse(cm.data);
  if (!r.success) {
    issues.push(...fromZod(r.error, { ...w, prefix: ['data'] }));
    return { options: {} };
  }
  const d = r.data;
  const capacity = d.capacity !== undefined ? parseEmbedded(CapacityDocSchema, d.capacity, w, ['data', 'capacity'], issues) : undefined;
  const options: Partial<OptimizerOptions> = {
    ...(d.mode !== undefined ? { unlimited: d.mode === 'unlimited' } : {}),
    ...(d.solver !== undefined ? { algorithm: d.solver } : {}),
    ...(d.saturationPolicy !== undefined ? { saturationPolicy: d.saturationPolicy } : {}),
    ...(d.delayedBestEffort !== undefined ? { delayedBestEffort: d.delayedBestEffort } : {}),
    ...(d.penaltyFactor !== undefined ? { penaltyFactor: d.penaltyFactor } : {}),
    ...(d.analyzer !== undefined ? { analyzer: d.analyzer } : {}),
  };
  const scaler = scalerOf(d);
  return {
    options,
    ...(capacity !== undefined ? { capacity } : {}),
    ...(Object.keys(scaler).length > 0 ? { scaler } : {}),
    ...(d.schedulerName !== undefined ? { schedulerName: d.schedulerName } : {}),
  };
}

/** inferno's configuration: what changes rarely (on ConfigMap edits), as opposed to the GPU inventory. */
export interface InfernoConfig {
  readonly accelerators: readonly Accelerator[];
  readonly classes: ClassIndex;
  readonly controller: ControllerSettings;
}

export const emptyConfig = (): InfernoConfig => ({ accelerators: [], classes: emptyClassIndex(), controller: { options: {} } });

/** The role an inferno ConfigMap plays, by its label; undefined for maps that are not inferno's. */
export function roleOf(cm: ConfigMapResource): (typeof ConfigRole)[keyof typeof ConfigRole] | undefined {
  const role = cm.metadata.labels?.[Label.config];
  return Object.values(ConfigRole).find((r) => r === role);
}

/**
 * inferno's configuration from its ConfigMaps, told apart by the inferno.llmd.ai/config label; problems go to
 * `issues`, maps with another role to `onOther` (ignored when absent).
 */
export function configFromMaps(
  maps: readonly { readonly cm: ConfigMapResource; readonly where: Where }[],
  issues: InputIssue[],
  onOther?: (where: Where) => void,
): InfernoConfig {
  const accelerators: Accelerator[] = [];
  const classes = emptyClassIndex();
  let controller: ControllerSettings = { options: {} };
  for (const { cm, where } of maps) {
    const role = roleOf(cm);
    if (role === ConfigRole.accelerators) accelerators.push(...acceleratorsFromConfigMap(cm, where, issues));
    else if (role === ConfigRole.serviceClasses) classesFromConfigMap(cm, where, issues, classes);
    else if (role === ConfigRole.controller) controller = controllerFromConfigMap(cm, where, issues);
    else onOther?.(where);
  }
  return { accelerators, classes, controller };
}
