// Editing a raw Deployment object (as received in an AdmissionReview, or read by the scaler) without round-tripping
// it: only the fields inferno owns are touched, so a diff against the original yields exactly inferno's changes.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** obj[k] as an object, created when missing. */
function child(obj: Obj, key: string): Obj {
  const v = obj[key];
  if (isObj(v)) return v;
  const fresh: Obj = {};
  obj[key] = fresh;
  return fresh;
}

function list(obj: Obj, key: string): unknown[] {
  const v = obj[key];
  if (Array.isArray(v)) return v;
  const fresh: unknown[] = [];
  obj[key] = fresh;
  return fresh;
}

export const MaxNumSeqsFlag = '--max-num-seqs';
export const BatchSizeEnv = 'INFERNO_MAX_BATCH_SIZE';

export interface Placement {
  readonly nodeSelector?: { readonly key: string; readonly value: string };
  readonly gpu?: { readonly resource: string; readonly count: number };
  readonly maxBatch: number;
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

/** Replaces `--max-num-seqs=N` / `--max-num-seqs N` in a vLLM argument list; false when absent. */
function replaceFlag(argv: unknown[], value: string): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (typeof a !== 'string') continue;
    if (a.startsWith(`${MaxNumSeqsFlag}=`)) {
      argv[i] = `${MaxNumSeqsFlag}=${value}`;
      return true;
    }
    if (a === MaxNumSeqsFlag) {
      argv.splice(i, 2, `${MaxNumSeqsFlag}=${value}`);
      return true;
    }
  }
  return false;
}

/** The pod spec's part of a placement: the GPU product selector (the old products' removed) and the scheduler. */
function placePodSpec(podSpec: Obj, p: Placement): void {
  const selector = podSpec['nodeSelector'];
  for (const key of p.clear?.labelKeys ?? []) if (isObj(selector) && key !== p.nodeSelector?.key) Reflect.deleteProperty(selector, key);
  if (p.nodeSelector !== undefined) child(podSpec, 'nodeSelector')[p.nodeSelector.key] = p.nodeSelector.value;
  if (p.schedulerName !== undefined) podSpec['schedulerName'] = p.schedulerName;
}

/** Applies a placement to `raw` (a structuredClone the caller owns), container `index`. */
export function applyPlacement(raw: unknown, index: number, p: Placement): void {
  if (!isObj(raw)) return;
  const spec = child(raw, 'spec');
  if (p.replicas !== undefined) spec['replicas'] = p.replicas;
  const meta = child(raw, 'metadata');
  if (Object.keys(p.annotations).length > 0) Object.assign(child(meta, 'annotations'), p.annotations);
  const template = child(spec, 'template');
  Object.assign(child(child(template, 'metadata'), 'labels'), p.podLabels);
  const podSpec = child(template, 'spec');
  placePodSpec(podSpec, p);
  const container = list(podSpec, 'containers')[index];
  if (!isObj(container)) return;
  const held = container['resources'];
  for (const r of p.clear?.resources ?? []) {
    if (r === p.gpu?.resource || !isObj(held)) continue;
    for (const part of ['requests', 'limits']) if (isObj(held[part])) Reflect.deleteProperty(held[part], r);
  }
  if (p.gpu !== undefined) {
    const resources = child(container, 'resources');
    child(resources, 'requests')[p.gpu.resource] = String(p.gpu.count);
    child(resources, 'limits')[p.gpu.resource] = String(p.gpu.count);
  }
  const env = list(container, 'env');
  const existing = env.find((e) => isObj(e) && e['name'] === BatchSizeEnv);
  const value = String(p.maxBatch);
  // `value` replaces a valueFrom the user may have set: the batch size is inferno's decision.
  if (isObj(existing)) {
    delete existing['valueFrom'];
    existing['value'] = value;
  } else {
    env.push({ name: BatchSizeEnv, value });
  }
  // vLLM has no environment variable for the batch size: reference ours from the arguments (Kubernetes expands it).
  const ref = `$(${BatchSizeEnv})`;
  const args = container['args'];
  const command = container['command'];
  if (Array.isArray(args) && replaceFlag(args, ref)) return;
  if (Array.isArray(command) && replaceFlag(command, ref)) return;
  list(container, 'args').push(`${MaxNumSeqsFlag}=${ref}`);
}
