// Our scenario format: the Kubernetes objects a user applies (Optimizers, inferno's ConfigMaps, optionally Nodes),
// with the observed load in each Optimizer's status.load: YAML documents → objects → the solver's system.
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { configFromMaps } from '../cluster/config-maps.js';
import { inventoryOf, nodeGpusOf } from '../cluster/inventory.js';
import type { InputIssue, Where } from '../cluster/issues.js';
import { InputError, at, fromZod } from '../cluster/issues.js';
import { classOf, crossCheck, serverFromOptimizer, serverName } from '../cluster/optimizer.js';
import type { ConfigMapResource, DeploymentView, NodeResource, OptimizerResource } from '../cluster/resources.js';
import { ConfigMapSchema, DeploymentSchema, NodeSchema, OptimizerSchema } from '../cluster/resources.js';
import { ConfigRole, Label, OptimizerApi } from '../domain/keys.js';
import type { Server, System } from '../domain/types.js';
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
  /** model-server Deployments kept beside their Optimizers (what `inferno scale --once` plans) */
  readonly deployments: { readonly d: DeploymentView; readonly where: Where }[];
  /** objects of other kinds (Services, …): skipped, and said so */
  readonly skipped: { readonly kind: string; readonly where: Where }[];
}

function classify(docs: readonly Doc[], issues: InputIssue[]): ScenarioObjects {
  const out: ScenarioObjects = { optimizers: [], configMaps: [], nodes: [], deployments: [], skipped: [] };
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
        out.deployments.push(...nested.deployments);
        out.skipped.push(...nested.skipped);
      }
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
  const capacity = controller.capacity ?? (objs.nodes.length > 0 ? inventoryOf(objs.nodes.map(nodeGpusOf)).byType(accelerators).total : undefined);
  const options = defaultOptions({ unlimited: capacity === undefined, ...controller.options });
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
