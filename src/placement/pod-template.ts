// Editing a raw Deployment object (as received in an AdmissionReview, or read by the scaler) without round-tripping
// it: only the fields inferno owns are touched, and every object or array on the way to them is replaced by a
// shallow copy first (copy-on-write). So `applyPlacement({ ...raw }, …)` leaves `raw` as it was and shares every
// untouched subtree with it, and a diff (./diff.ts) against the original yields exactly inferno's changes at a
// cost that does not grow with the rest of the object.
import { BatchSizeEnv, batchFlagLocations, editBatchFlags } from './batch-flags.js';

export { BatchSizeArg, BatchSizeEnv, MaxNumSeqsFlag } from './batch-flags.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** obj[key] replaced by a shallow copy of itself (a fresh object when missing), ready to edit. */
function own(obj: Obj, key: string): Obj {
  const v = obj[key];
  const copy: Obj = isObj(v) ? { ...v } : {};
  obj[key] = copy;
  return copy;
}

function ownList(obj: Obj, key: string): unknown[] {
  const v = obj[key];
  const copy = Array.isArray(v) ? [...(v as unknown[])] : [];
  obj[key] = copy;
  return copy;
}

export interface Placement {
  readonly nodeSelector?: { readonly key: string; readonly value: string };
  readonly gpu?: { readonly resource: string; readonly count: number };
  readonly maxBatch: number;
  /** false: the Deployment pins its own batch size (command, args and env are left alone) */
  readonly setBatch?: boolean;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** set on CREATE only: the scaler owns replicas afterwards */
  readonly replicas?: number;
  /** spec.schedulerName of the pods, e.g. inferno-scheduler (the extender's second scheduler) */
  readonly schedulerName?: string;
  /**
   * GPU product label keys and GPU resources of the catalog other than the chosen ones: removed, so a move from one
   * vendor's GPUs to another's leaves no selector or request for the old product behind.
   */
  readonly clear?: { readonly labelKeys: readonly string[]; readonly resources: readonly string[] };
}

/** What happened to the batch size: this goes into the decision record, so it states what was really applied. */
export interface BatchOutcome {
  readonly maxNumSeqs: number;
  /** inferno: through INFERNO_MAX_BATCH_SIZE and the flags; deployment: pinned by the Deployment itself */
  readonly by: 'inferno' | 'deployment';
  /** where --max-num-seqs is, e.g. ["args[5]"] */
  readonly at: readonly string[];
  /** why the value may not reach vLLM; absent when it does */
  readonly problem?: string;
}

/** Sets the batch size variable: one entry, its value inferno's (a user's valueFrom or duplicate would win otherwise). */
function setBatchEnv(container: Obj, value: string): void {
  const env = ownList(container, 'env');
  const first = env.findIndex((e) => isObj(e) && e['name'] === BatchSizeEnv);
  if (first < 0) {
    env.push({ name: BatchSizeEnv, value });
    return;
  }
  const entry: Obj = { ...(env[first] as Obj), value };
  delete entry['valueFrom'];
  env[first] = entry;
  // Kubernetes takes the last of duplicate names: collapse them into the first.
  for (let i = env.length - 1; i > first; i--) {
    const e = env[i];
    if (isObj(e) && e['name'] === BatchSizeEnv) env.splice(i, 1);
  }
}

function applyBatch(container: Obj, p: Placement): BatchOutcome {
  const command = Array.isArray(container['command']) ? (container['command'] as unknown[]) : undefined;
  const args = Array.isArray(container['args']) ? (container['args'] as unknown[]) : undefined;
  if (p.setBatch === false) {
    const at = batchFlagLocations(command, args);
    return at.length > 0
      ? { maxNumSeqs: p.maxBatch, by: 'deployment', at }
      : { maxNumSeqs: p.maxBatch, by: 'deployment', at, problem: 'the batch size is pinned, but the container sets no --max-num-seqs: vLLM uses its default' };
  }
  setBatchEnv(container, String(p.maxBatch));
  const edit = editBatchFlags(command, args);
  if (edit.command !== command) container['command'] = edit.command;
  if (edit.args !== args) container['args'] = edit.args;
  return { maxNumSeqs: p.maxBatch, by: 'inferno', at: edit.at, ...(edit.problem !== undefined ? { problem: edit.problem } : {}) };
}

/** Sets annotations on a raw object (copy-on-write, like applyPlacement). */
export function annotate(raw: unknown, annotations: Readonly<Record<string, string>>): void {
  if (!isObj(raw) || Object.keys(annotations).length === 0) return;
  Object.assign(own(own(raw, 'metadata'), 'annotations'), annotations);
}

/**
 * Applies a placement to `raw` (edited in place, copy-on-write below it), container `index`. Returns what became of
 * the batch size, or undefined when the object has no such container.
 */
/** Removes `keys` other than `keep` from obj[field] (copied first), when it holds any of them. */
function clearOthers(obj: Obj, field: string, keys: readonly string[], keep: string | undefined): void {
  const v = obj[field];
  if (!isObj(v) || !keys.some((k) => k !== keep && k in v)) return;
  const copy = own(obj, field);
  for (const k of keys) if (k !== keep) Reflect.deleteProperty(copy, k);
}

export function applyPlacement(raw: unknown, index: number, p: Placement): BatchOutcome | undefined {
  if (!isObj(raw)) return undefined;
  const spec = own(raw, 'spec');
  if (p.replicas !== undefined) spec['replicas'] = p.replicas;
  annotate(raw, p.annotations);
  const template = own(spec, 'template');
  Object.assign(own(own(template, 'metadata'), 'labels'), p.podLabels);
  const podSpec = own(template, 'spec');
  clearOthers(podSpec, 'nodeSelector', p.clear?.labelKeys ?? [], p.nodeSelector?.key);
  if (p.nodeSelector !== undefined) own(podSpec, 'nodeSelector')[p.nodeSelector.key] = p.nodeSelector.value;
  if (p.schedulerName !== undefined) podSpec['schedulerName'] = p.schedulerName;
  const containers = ownList(podSpec, 'containers');
  const c = containers[index];
  if (!isObj(c)) return undefined;
  const container: Obj = { ...c };
  containers[index] = container;
  if (isObj(container['resources'])) {
    const resources = own(container, 'resources');
    for (const part of ['requests', 'limits']) clearOthers(resources, part, p.clear?.resources ?? [], p.gpu?.resource);
  }
  if (p.gpu !== undefined) {
    const resources = own(container, 'resources');
    own(resources, 'requests')[p.gpu.resource] = String(p.gpu.count);
    own(resources, 'limits')[p.gpu.resource] = String(p.gpu.count);
  }
  return applyBatch(container, p);
}
