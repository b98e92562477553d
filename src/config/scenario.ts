// Our scenario format: the Kubernetes objects a user applies (Optimizers, inferno's ConfigMaps, optionally Nodes),
// with the observed load in each Optimizer's status.load. Also the conversion used for live cluster objects.
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { ConfigRole, GpuVendors, Label, OptimizerApi } from '../domain/keys.js';
import type { InputIssue } from './errors.js';
import { InputError, formatPath, fromZod } from './errors.js';
import type { ConfigMapResource, NodeResource, OptimizerResource } from './resources.js';
import {
  CapacityDocSchema, CatalogEntrySchema, ClassDocSchema, ConfigMapSchema, ControllerDataSchema, NodeSchema, OptimizerSchema,
} from './resources.js';
import type { Accelerator, Capacity, OptimizerOptions, Server, ServiceClass, System } from './schema.js';
import { OptimizerOptionsSchema } from './schema.js';

export interface Where {
  readonly file?: string;
  readonly document?: string;
}

const at = (w: Where, path: string, message: string): InputIssue => ({ ...w, path, message });

function parseEmbedded<T>(schema: z.ZodType<T>, text: string, w: Where, path: (string | number)[], issues: InputIssue[]): T | undefined {
  const docs = parseAllDocuments(text);
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  const err = doc?.errors[0];
  if (err !== undefined) {
    const line = err.linePos?.[0];
    issues.push(at(w, formatPath(path), `invalid YAML${line !== undefined ? ` at line ${line.line}, column ${line.col} of the value` : ''}: ${err.message.split('\n')[0] ?? ''}`));
    return undefined;
  }
  const r = schema.safeParse(doc?.toJS() ?? null);
  if (!r.success) {
    issues.push(...fromZod(r.error, { ...w, prefix: path }));
    return undefined;
  }
  return r.data;
}

/** Default node label key and extended resource of a GPU product name. */
export function vendorOf(device: string): { labelKey: string; resource: string } | undefined {
  return GpuVendors.find((v) => device.startsWith(v.prefix));
}

export function acceleratorsFromConfigMap(cm: ConfigMapResource, w: Where, issues: InputIssue[]): Accelerator[] {
  return Object.entries(cm.data).sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([name, text]) => {
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

export function classesFromConfigMap(cm: ConfigMapResource, w: Where, issues: InputIssue[], into: ClassIndex): void {
  for (const [key, text] of Object.entries(cm.data).sort(([a], [b]) => (a < b ? -1 : 1))) {
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
    const other = into.byName.get(cls.name);
    if (other !== undefined) issues.push(at(w, formatPath(['data', key, 'name']), `service class "${cls.name}" is defined twice`));
    into.byName.set(cls.name, cls);
    into.byRef.set(`${cm.metadata.name}/${key}`, cls);
  }
}

export interface ControllerSettings {
  readonly options: Partial<OptimizerOptions>;
  readonly capacity?: Capacity;
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
  return capacity !== undefined ? { options, capacity } : { options };
}

export const serverName = (o: OptimizerResource): string =>
  o.metadata.namespace !== undefined ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;

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

function loadOf(o: OptimizerResource): Server['load'] {
  const l = o.status?.load;
  return l === undefined ? { arrivalRate: 0, avgInTokens: 0, avgOutTokens: 0 } : { arrivalRate: l.arrivalRate, avgInTokens: l.avgInTokens, avgOutTokens: l.avgOutTokens };
}

export function serverFromOptimizer(o: OptimizerResource, cls: ServiceClass | undefined): Server {
  const s = o.spec;
  return {
    name: serverName(o),
    class: cls?.name ?? s.serviceClass ?? s.sloClassRef?.key ?? '',
    model: s.modelID,
    load: loadOf(o),
    minReplicas: s.minReplicas ?? 1,
    ...(s.maxReplicas !== undefined ? { maxReplicas: s.maxReplicas } : {}),
    maxBatchSize: s.maxBatchSize ?? 0,
    keepAccelerator: s.keepAccelerator ?? false,
    profiles: s.modelProfile.accelerators.map((p) => ({
      accelerator: p.acc, accCount: p.accCount, maxBatchSize: p.maxBatchSize, atTokens: p.atTokens, alpha: p.alpha, beta: p.beta, gamma: p.gamma, delta: p.delta,
    })),
    ...currentOf(o),
  };
}

/** Whole GPUs of a Kubernetes quantity ("8", 8); fractional or unparsable counts give 0. */
export function gpuCount(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const n = typeof q === 'number' ? q : /^\d+$/.test(q.trim()) ? Number(q.trim()) : 0;
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** Units per accelerator type from the nodes that carry its product label (each node counted once per type). */
export function capacityFromNodes(nodes: readonly NodeResource[], accelerators: readonly Accelerator[]): Capacity {
  const cap: Capacity = {};
  const types = [...new Set(accelerators.map((a) => a.type))];
  for (const type of types) {
    const kinds = accelerators.filter((a) => a.type === type && a.device !== undefined && a.labelKey !== undefined && a.resource !== undefined);
    let units = 0;
    for (const node of nodes) {
      if (node.spec?.unschedulable === true) continue;
      const match = kinds.find((a) => a.labelKey !== undefined && node.metadata.labels[a.labelKey] === a.device);
      if (match?.resource === undefined) continue;
      units += gpuCount(node.status?.allocatable?.[match.resource] ?? node.status?.capacity?.[match.resource]);
    }
    if (kinds.length > 0) cap[type] = units;
  }
  return cap;
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

interface Doc {
  readonly value: unknown;
  readonly where: Where;
}

function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return '';
  const o = v as { kind?: unknown; metadata?: { name?: unknown } };
  return typeof o.kind === 'string' ? ` (${o.kind}${typeof o.metadata?.name === 'string' ? ` ${o.metadata.name}` : ''})` : '';
}

export function parseYamlDocuments(text: string, file: string): Doc[] {
  const issues: InputIssue[] = [];
  const docs: Doc[] = [];
  const parsed = parseAllDocuments(text);
  if (!Array.isArray(parsed)) return [];
  parsed.forEach((d, i) => {
    const where: Where = { file, document: `document ${i + 1}` };
    for (const e of d.errors) {
      const pos = e.linePos?.[0];
      issues.push(at({ file }, '', `YAML syntax error${pos !== undefined ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${e.message.split('\n')[0] ?? ''}`));
    }
    if (d.errors.length > 0) return;
    const value: unknown = d.toJS();
    if (value === null || value === undefined) return;
    docs.push({ value, where: { ...where, document: `document ${i + 1}${describe(value)}` } });
  });
  if (issues.length > 0) throw new InputError(issues);
  return docs;
}

export interface ScenarioObjects {
  readonly optimizers: { readonly o: OptimizerResource; readonly where: Where }[];
  readonly configMaps: { readonly cm: ConfigMapResource; readonly where: Where }[];
  readonly nodes: NodeResource[];
}

function classify(docs: readonly Doc[], issues: InputIssue[]): ScenarioObjects {
  const out: ScenarioObjects = { optimizers: [], configMaps: [], nodes: [] };
  for (const { value, where } of docs) {
    const kind = value !== null && typeof value === 'object' ? (value as { kind?: unknown }).kind : undefined;
    const check = <T>(schema: z.ZodType<T>): T | undefined => {
      const r = schema.safeParse(value);
      if (!r.success) issues.push(...fromZod(r.error, where));
      return r.success ? r.data : undefined;
    };
    if (kind === OptimizerApi.kind) {
      const o = check(OptimizerSchema);
      if (o !== undefined) out.optimizers.push({ o, where });
    } else if (kind === 'ConfigMap') {
      const cm = check(ConfigMapSchema);
      if (cm !== undefined) out.configMaps.push({ cm, where });
    } else if (kind === 'Node') {
      const n = check(NodeSchema);
      if (n !== undefined) out.nodes.push(n);
    } else if (kind === 'List' || kind === 'NodeList') {
      const items = (value as { items?: unknown }).items;
      if (Array.isArray(items)) {
        const nested = classify((items as unknown[]).map((v, i) => ({ value: v, where: { ...where, document: `${where.document ?? ''} items[${i}]` } })), issues);
        out.optimizers.push(...nested.optimizers);
        out.configMaps.push(...nested.configMaps);
        out.nodes.push(...nested.nodes);
      }
    } else {
      issues.push(at(where, 'kind', `unsupported kind ${JSON.stringify(kind)}; expected Optimizer, ConfigMap or Node`));
    }
  }
  return out;
}

export interface InfernoConfig {
  readonly accelerators: Accelerator[];
  readonly classes: ClassIndex;
  readonly controller: ControllerSettings;
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
  const classes: ClassIndex = { byRef: new Map(), byName: new Map() };
  let controller: ControllerSettings = { options: {} };
  for (const { cm, where } of maps) {
    const role = cm.metadata.labels?.[Label.config];
    if (role === ConfigRole.accelerators) accelerators.push(...acceleratorsFromConfigMap(cm, where, issues));
    else if (role === ConfigRole.serviceClasses) classesFromConfigMap(cm, where, issues, classes);
    else if (role === ConfigRole.controller) controller = controllerFromConfigMap(cm, where, issues);
    else onOther?.(where);
  }
  return { accelerators, classes, controller };
}

/** Builds the solver input from cluster objects; throws InputError listing every problem. */
export function systemFromObjects(objs: ScenarioObjects): System {
  const issues: InputIssue[] = [];
  const { accelerators, classes, controller } = configFromMaps(objs.configMaps, issues, (where) => {
    issues.push(at(where, `metadata.labels["${Label.config}"]`, `a ConfigMap in a scenario needs this label: ${Object.values(ConfigRole).join(', ')}`));
  });
  if (accelerators.length === 0) issues.push({ path: '', message: `no accelerator catalog: add a ConfigMap labelled ${Label.config}: ${ConfigRole.accelerators}` });
  if (classes.byName.size === 0) issues.push({ path: '', message: `no service classes: add a ConfigMap labelled ${Label.config}: ${ConfigRole.serviceClasses}` });
  const known = new Set(accelerators.map((a) => a.name));
  const seen = new Set<string>();
  const servers: Server[] = [];
  for (const { o, where } of objs.optimizers) {
    const { cls, problem } = classOf(o, classes);
    if (problem !== undefined) issues.push(at(where, problem.path, problem.message));
    issues.push(...crossCheck(o, cls, known, where));
    const name = serverName(o);
    if (seen.has(name)) issues.push(at(where, 'metadata.name', `Optimizer "${name}" appears twice`));
    seen.add(name);
    servers.push(serverFromOptimizer(o, cls));
  }
  if (objs.optimizers.length === 0) issues.push({ path: '', message: 'no Optimizer resources: nothing to plan' });
  const capacity = controller.capacity ?? (objs.nodes.length > 0 ? capacityFromNodes(objs.nodes, accelerators) : undefined);
  const options = OptimizerOptionsSchema.parse({ unlimited: capacity === undefined, ...controller.options });
  if (!options.unlimited && capacity === undefined) {
    issues.push({ path: 'data.mode', message: 'limited mode needs capacity: add Nodes or a capacity entry to the controller ConfigMap' });
  }
  if (issues.length > 0) throw new InputError(issues);
  return { accelerators, serviceClasses: [...classes.byName.values()], servers, options, capacity: capacity ?? {} };
}

/** The objects of a scenario file, validated one by one; throws InputError listing every problem. */
export function scenarioObjects(text: string, file: string): ScenarioObjects {
  const issues: InputIssue[] = [];
  const objs = classify(parseYamlDocuments(text, file), issues);
  if (issues.length > 0) throw new InputError(issues);
  return objs;
}

export function systemFromScenarioText(text: string, file: string): System {
  const issues: InputIssue[] = [];
  const objs = classify(parseYamlDocuments(text, file), issues);
  if (issues.length > 0) {
    // Report structural problems together with whatever the cross-checks find in the valid objects.
    try {
      systemFromObjects(objs);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      // Only object-level findings: "nothing to plan" would be wrong when the objects merely failed validation.
      issues.push(...e.issues.filter((i) => i.document !== undefined));
    }
    throw new InputError(issues);
  }
  return systemFromObjects(objs);
}
