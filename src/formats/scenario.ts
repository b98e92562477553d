// Our scenario format: the Kubernetes objects a user applies (Optimizers, inferno's ConfigMaps, optionally Nodes),
// with the observed load in each Optimizer's status.load: YAML documents → objects → the solver's system.
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { configFromMaps, roleOf } from '../cluster/config-maps.js';
import { inventoryOf, nodeGpusOf } from '../cluster/inventory.js';
import type { InputIssue, Where } from '../cluster/issues.js';
import { InputError, at, fromZod, issueLocation } from '../cluster/issues.js';
import { classOf, crossCheck, serverFromOptimizer } from '../cluster/optimizer.js';
import type { ConfigMapResource, DeploymentView, NodeResource, OptimizerResource } from '../cluster/resources.js';
import { ConfigMapSchema, DeploymentSchema, NodeSchema, OptimizerSchema } from '../cluster/resources.js';
import { ConfigRole, Label, OptimizerApi } from '../domain/keys.js';
import type { OptimizerOptions, Server, System } from '../domain/types.js';
import { defaultOptions } from '../domain/types.js';

interface Doc {
  readonly value: unknown;
  readonly where: Where;
}

function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return '';
  const o = v as { kind?: unknown; metadata?: { name?: unknown } };
  return typeof o.kind === 'string' ? ` (${o.kind}${typeof o.metadata?.name === 'string' ? ` ${o.metadata.name}` : ''})` : '';
}

/** The documents of a YAML file; a syntax error in one document is an issue, the others are still read. */
export function yamlDocuments(text: string, file: string): { docs: Doc[]; issues: InputIssue[] } {
  const issues: InputIssue[] = [];
  const docs: Doc[] = [];
  const parsed = parseAllDocuments(text);
  if (!Array.isArray(parsed)) return { docs, issues };
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
  return { docs, issues };
}

export function parseYamlDocuments(text: string, file: string): Doc[] {
  const { docs, issues } = yamlDocuments(text, file);
  if (issues.length > 0) throw new InputError(issues);
  return docs;
}

export interface ScenarioObjects {
  readonly optimizers: { readonly o: OptimizerResource; readonly where: Where }[];
  readonly configMaps: { readonly cm: ConfigMapResource; readonly where: Where }[];
  readonly nodes: NodeResource[];
  /** model-server Deployments kept beside their Optimizers (what `inferno scale --once` plans) */
  readonly deployments: { readonly d: DeploymentView; readonly where: Where }[];
  /** objects of other kinds (Services, …): skipped, and said so */
  readonly skipped: { readonly kind: string; readonly where: Where }[];
}

/** One input file's text. */
export interface Source {
  readonly file: string;
  readonly text: string;
}

const kindOf = (v: unknown): unknown => (v !== null && typeof v === 'object' ? (v as { kind?: unknown }).kind : undefined);

/** The items of Lists in their place, each with its own location. */
function flatten(docs: readonly Doc[]): Doc[] {
  return docs.flatMap((d) => {
    const kind = kindOf(d.value);
    const items = kind === 'List' || kind === 'NodeList' ? (d.value as { items?: unknown }).items : undefined;
    if (!Array.isArray(items)) return [d];
    return flatten((items as unknown[]).map((v, i) => ({ value: v, where: { ...d.where, document: `${d.where.document ?? ''} items[${i}]` } })));
  });
}

/**
 * The same object (kind, namespace, name) twice, in one file or two, is an error naming both places; the second is
 * left out, so that it does not cause more errors ("service class defined twice").
 */
function withoutDuplicates(docs: readonly Doc[], issues: InputIssue[]): Doc[] {
  const first = new Map<string, Where>();
  return docs.filter(({ value, where }) => {
    const kind = kindOf(value);
    const meta = value !== null && typeof value === 'object' ? (value as { metadata?: { name?: unknown; namespace?: unknown } }).metadata : undefined;
    if (typeof kind !== 'string' || typeof meta?.name !== 'string') return true;
    const id = `${typeof meta.namespace === 'string' ? `${meta.namespace}/` : ''}${meta.name}`;
    const seen = first.get(`${kind} ${id}`);
    if (seen === undefined) {
      first.set(`${kind} ${id}`, where);
      return true;
    }
    issues.push(at(where, 'metadata.name', `${kind} ${id} is defined twice: also in ${issueLocation({ ...seen, path: '' })}`));
    return false;
  });
}

function classify(docs: readonly Doc[], issues: InputIssue[]): ScenarioObjects {
  const out: ScenarioObjects = { optimizers: [], configMaps: [], nodes: [], deployments: [], skipped: [] };
  for (const { value, where } of docs) {
    const kind = kindOf(value);
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
    } else if (kind === 'Deployment') {
      const d = check(DeploymentSchema);
      if (d !== undefined) out.deployments.push({ d, where });
    } else if (typeof kind === 'string' && kind !== '') {
      out.skipped.push({ kind, where });
    } else {
      issues.push(at(where, 'kind', `no kind; expected Optimizer, ConfigMap, Node or Deployment (other kinds are skipped)`));
    }
  }
  return out;
}

/** What the command line sets over the files' controller ConfigMap. */
export interface Overrides {
  readonly unlimited?: boolean;
  readonly algorithm?: OptimizerOptions['algorithm'];
}

/** Builds the solver input from cluster objects; throws InputError listing every problem. */
export function systemFromObjects(objs: ScenarioObjects, overrides: Overrides = {}): System {
  const issues: InputIssue[] = [];
  const { accelerators, classes, controller } = configFromMaps(objs.configMaps, issues, (where) => {
    issues.push(at(where, `metadata.labels["${Label.config}"]`, `a ConfigMap in a scenario needs this label: ${Object.values(ConfigRole).join(', ')}`));
  });
  if (accelerators.length === 0) issues.push({ path: '', message: `no accelerator catalog: add a ConfigMap labelled ${Label.config}: ${ConfigRole.accelerators}` });
  if (classes.byName.size === 0) issues.push({ path: '', message: `no service classes: add a ConfigMap labelled ${Label.config}: ${ConfigRole.serviceClasses}` });
  const known = new Set(accelerators.map((a) => a.name));
  const servers: Server[] = [];
  for (const { o, where } of objs.optimizers) {
    const { cls, problem } = classOf(o, classes);
    if (problem !== undefined) issues.push(at(where, problem.path, problem.message));
    issues.push(...crossCheck(o, cls, known, where));
    servers.push(serverFromOptimizer(o, cls));
  }
  if (objs.optimizers.length === 0) issues.push({ path: '', message: 'no Optimizer resources: nothing to plan' });
  const capacity = controller.capacity ?? (objs.nodes.length > 0 ? inventoryOf(objs.nodes.map(nodeGpusOf)).byType(accelerators).total : undefined);
  const options = defaultOptions({ unlimited: capacity === undefined, ...controller.options, ...definedOf(overrides) });
  if (!options.unlimited && capacity === undefined) {
    const fix = 'add Nodes or a capacity entry to the controller ConfigMap';
    const ctl = objs.configMaps.find((m) => roleOf(m.cm) === ConfigRole.controller);
    issues.push(overrides.unlimited === false || ctl === undefined
      ? { path: '', message: `--mode limited needs capacity: ${fix}` }
      : at(ctl.where, 'data.mode', `limited mode needs capacity: ${fix}, or plan with --mode unlimited`));
  }
  if (issues.length > 0) throw new InputError(issues);
  return { accelerators, serviceClasses: [...classes.byName.values()], servers, options, capacity: capacity ?? {} };
}

const definedOf = (o: Overrides): Partial<OptimizerOptions> => ({
  ...(o.unlimited !== undefined ? { unlimited: o.unlimited } : {}),
  ...(o.algorithm !== undefined ? { algorithm: o.algorithm } : {}),
});

interface Read {
  readonly objects: ScenarioObjects;
  /** syntax errors, duplicates and schema errors: every object that could be read is in `objects` */
  readonly issues: InputIssue[];
}

function readSources(sources: readonly Source[]): Read {
  const issues: InputIssue[] = [];
  const docs = flatten(sources.flatMap(({ file, text }) => {
    const r = yamlDocuments(text, file);
    issues.push(...r.issues);
    return r.docs;
  }));
  return { objects: classify(withoutDuplicates(docs, issues), issues), issues };
}

/** The objects of scenario files, validated one by one and merged; throws InputError listing every problem. */
export function scenarioObjectsOf(sources: readonly Source[]): ScenarioObjects {
  const { objects, issues } = readSources(sources);
  if (issues.length > 0) throw new InputError(issues);
  return objects;
}

export function scenarioObjects(text: string, file: string): ScenarioObjects {
  return scenarioObjectsOf([{ file, text }]);
}

/** The solver input from scenario files, merged, and the objects it was built from. */
export function scenarioFrom(sources: readonly Source[], overrides: Overrides = {}): { system: System; objects: ScenarioObjects } {
  const { objects, issues } = readSources(sources);
  if (issues.length === 0) return { system: systemFromObjects(objects, overrides), objects };
  // Report structural problems together with whatever the cross-checks find in the valid objects.
  try {
    systemFromObjects(objects, overrides);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    // Only object-level findings: "nothing to plan" would be wrong when the objects merely failed validation.
    issues.push(...e.issues.filter((i) => i.document !== undefined));
  }
  throw new InputError(issues);
}

export function systemFromScenarioText(text: string, file: string): System {
  return scenarioFrom([{ file, text }]).system;
}
