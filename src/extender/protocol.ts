// The scheduler extender wire format (k8s.io/kube-scheduler/extender/v1): ExtenderArgs in, ExtenderFilterResult and
// HostPriorityList out. The Go structs carry no json tags, so the keys are the PascalCase field names: `Pod`,
// `Nodes`, `NodeNames`; answers are always PascalCase. Go's encoding/json matches keys case-insensitively, so
// requests are read the same way (old docs show `pod`, `nodes`, `nodenames`); two spellings of one key are refused
// as ambiguous. The nested Pod and Node objects are ordinary Kubernetes JSON (lowercase keys).
import { z } from 'zod';
import { nodeGpusOf, podGpusOf } from '../cluster/inventory.js';
import { fromZod } from '../cluster/issues.js';
import { NodeSchema } from '../cluster/resources.js';
import { Label } from '../domain/keys.js';
import type { Candidates, ExtenderArgs, FilterOutcome, HostScore, NodeObject } from './types.js';

/** Nodes in one request: Kubernetes supports 5,000 per cluster; beyond this a request is refused, not worked on. */
export const MaxCandidates = 20_000;

const Quantities = z.record(z.string(), z.unknown());
const PodSchema = z.looseObject({
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.looseObject({
    nodeName: z.string().optional(),
    nodeSelector: z.record(z.string(), z.string()).optional(),
    containers: z.array(z.looseObject({ resources: z.looseObject({ requests: Quantities.optional(), limits: Quantities.optional() }).optional() })).min(1),
  }),
  status: z.looseObject({ phase: z.string().optional() }).optional(),
});
const NodeNamesSchema = z.array(z.string().min(1)).max(MaxCandidates, { error: `more than ${MaxCandidates} nodes` });
const NodeListSchema = z.looseObject({ items: z.array(z.unknown()).max(MaxCandidates, { error: `more than ${MaxCandidates} nodes` }) });

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** obj's value for `key`, matched as Go does (exact, else case-insensitive); an error text when spelled twice. */
function field(obj: Record<string, unknown>, key: string): { value: unknown } | { error: string } {
  const spellings = Object.keys(obj).filter((k) => k.toLowerCase() === key.toLowerCase());
  if (spellings.length > 1) return { error: `ambiguous request: ${spellings.map((s) => JSON.stringify(s)).join(' and ')} both given; send ${key} once` };
  const k = spellings[0];
  return { value: k === undefined ? undefined : obj[k] };
}

const zodMessage = (error: z.ZodError, prefix: readonly PropertyKey[]): string =>
  fromZod(error, { prefix }).slice(0, 3).map((i) => `${i.path}: ${i.message}`).join('; ');

export type Parsed = { readonly ok: true; readonly args: ExtenderArgs } | { readonly ok: false; readonly message: string };
type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

function namesOf(value: unknown): Read<Candidates> {
  // The hot path (thousands of names per call) is checked by hand; zod only words the message when it fails.
  const plain = Array.isArray(value) && value.length <= MaxCandidates && value.every((v): v is string => typeof v === 'string' && v !== '');
  const n = plain ? { success: true as const, data: value } : NodeNamesSchema.safeParse(value);
  if (!n.success) return { ok: false, message: zodMessage(n.error, ['NodeNames']) };
  const seen = new Set<string>();
  for (const name of n.data) {
    if (seen.has(name)) return { ok: false, message: `NodeNames: node "${name.slice(0, 253)}" is listed twice` };
    seen.add(name);
  }
  return { ok: true, value: { form: 'names', names: n.data } };
}

function objectsOf(value: unknown): Read<Candidates> {
  const list = NodeListSchema.safeParse(value);
  if (!list.success) return { ok: false, message: zodMessage(list.error, ['Nodes']) };
  const nodes: NodeObject[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of list.data.items.entries()) {
    // Items of a Go NodeList carry no apiVersion/kind: supply them for the schema.
    const r = NodeSchema.safeParse(isObj(raw) ? { apiVersion: 'v1', kind: 'Node', ...raw } : raw);
    if (!r.success) return { ok: false, message: zodMessage(r.error, ['Nodes', 'items', i]) };
    const gpus = nodeGpusOf(r.data);
    if (seen.has(gpus.name)) return { ok: false, message: `Nodes.items[${i}]: node "${gpus.name}" is listed twice` };
    seen.add(gpus.name);
    nodes.push({ gpus, raw });
  }
  return { ok: true, value: { form: 'objects', nodes } };
}

/** ExtenderArgs → plain data, or a message naming the field that is wrong. */
export function parseExtenderArgs(body: unknown): Parsed {
  if (!isObj(body)) {
    const got = Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body;
    return { ok: false, message: `expected ExtenderArgs (a JSON object with Pod and NodeNames or Nodes), got ${got}` };
  }
  const fields = [field(body, 'Pod'), field(body, 'Nodes'), field(body, 'NodeNames')] as const;
  const values: unknown[] = [];
  for (const f of fields) {
    if ('error' in f) return { ok: false, message: f.error };
    values.push(f.value ?? null); // null and absent mean the same (Go's nil pointer)
  }
  const [podValue, nodesValue, namesValue] = values;
  if (podValue === null) return { ok: false, message: 'Pod: missing (ExtenderArgs needs the pod being scheduled)' };
  const p = PodSchema.safeParse(podValue);
  if (!p.success) return { ok: false, message: zodMessage(p.error, ['Pod']) };
  if (namesValue !== null && nodesValue !== null) {
    return { ok: false, message: 'both NodeNames and Nodes given; the scheduler sends NodeNames with nodeCacheCapable: true, Nodes otherwise' };
  }
  if (namesValue === null && nodesValue === null) return { ok: false, message: 'neither NodeNames nor Nodes given: no candidate nodes' };
  const c = namesValue !== null ? namesOf(namesValue) : objectsOf(nodesValue);
  if (!c.ok) return c;
  const candidates = c.value;
  const size = candidates.form === 'names' ? candidates.names.length : candidates.nodes.length;
  if (size === 0) {
    return { ok: false, message: `${candidates.form === 'names' ? 'NodeNames' : 'Nodes.items'} is empty: no candidate nodes (the scheduler never sends an empty list)` };
  }
  // zod's optional fields are `T | undefined`, podGpusOf's are absent-or-T: the same values at run time.
  const gpus = podGpusOf(p.data as Parameters<typeof podGpusOf>[0]);
  return { ok: true, args: { pod: { gpus, uid: p.data.metadata.uid ?? '', accelerator: p.data.metadata.labels?.[Label.accelerator] }, candidates } };
}

/** ExtenderFilterResult in the form the request used: NodeNames for names, Nodes (the objects as received) otherwise. */
export function filterResult(args: ExtenderArgs, o: FilterOutcome): Record<string, unknown> {
  const c = args.candidates;
  let nodes: unknown = null;
  if (c.form === 'objects') {
    const kept = new Set(o.kept);
    nodes = { apiVersion: 'v1', kind: 'NodeList', metadata: {}, items: c.nodes.filter((n) => kept.has(n.gpus.name)).map((n) => n.raw) };
  }
  return {
    Nodes: nodes,
    NodeNames: c.form === 'names' ? o.kept : null,
    FailedNodes: o.failed,
    FailedAndUnresolvableNodes: o.unresolvable,
    Error: '',
  };
}

/** A filter answer that fails the call: the scheduler reports `message` and retries the pod later. */
export function filterError(message: string): Record<string, unknown> {
  return { Nodes: null, NodeNames: null, FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: message };
}

export function hostPriorityList(scores: readonly HostScore[]): { Host: string; Score: number }[] {
  return scores.map((s) => ({ Host: s.host, Score: s.score }));
}
