// Loader for upstream inferno/WVA optimizer data (model-and-solver.md §11): a SystemData JSON ({"system": …}) or a
// folder of split *-data.json files, v1 or v2. Go's decoder matches keys case-insensitively and the sample data
// relies on it (AvgInTokens, milpsolver), so every key is lower-cased before validation.
import { z } from 'zod';
import type { InputIssue } from '../cluster/issues.js';
import { InputError, fromZod } from '../cluster/issues.js';
import type { Accelerator, ModelTarget, OptimizerOptions, PerfProfile, SaturationPolicy, Server, ServiceClass, System } from '../domain/types.js';
import { SaturationPolicies } from '../domain/types.js';

const SaturationPolicySchema = z.enum(SaturationPolicies);

export function lowerKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(lowerKeys);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toLowerCase(), lowerKeys(x)]));
  }
  return v;
}

const int = z.number().int();
const numb = z.number();

const AcceleratorRow = z.looseObject({
  name: z.string().min(1), type: z.string().default(''), multiplicity: int.default(1), memsize: numb.optional(), cost: numb.nonnegative(),
});
const ModelRow = z.looseObject({
  name: z.string().min(1), acc: z.string().min(1), acccount: int.default(1), maxbatchsize: int.positive(), attokens: int.nonnegative().default(0),
  alpha: numb.optional(), beta: numb.optional(),
  decodeparms: z.looseObject({ alpha: numb, beta: numb }).optional(),
  prefillparms: z.looseObject({ gamma: numb.default(0), delta: numb.default(0) }).optional(),
});
const Target = z.looseObject({ model: z.string().min(1), 'slo-itl': numb.optional(), 'slo-tpot': numb.optional(), 'slo-ttft': numb.optional(), 'slo-ttw': numb.optional(), 'slo-tps': numb.optional() });
const ClassRow = z.looseObject({
  name: z.string().min(1), priority: int.default(0), model: z.string().optional(), modeltargets: z.array(Target).optional(),
  'slo-itl': numb.optional(), 'slo-ttw': numb.optional(), 'slo-tps': numb.optional(), 'slo-ttft': numb.optional(),
});
const LoadRow = z.looseObject({ arrivalrate: numb.nonnegative().default(0), avgintokens: numb.nonnegative().optional(), avgouttokens: numb.nonnegative().optional(), avglength: numb.nonnegative().optional() });
const AllocRow = z.looseObject({ accelerator: z.string().default(''), numreplicas: int.nonnegative().default(0), maxbatch: int.nonnegative().default(0), cost: numb.default(0), load: LoadRow.optional() });
const ServerRow = z.looseObject({
  name: z.string().min(1), class: z.string().default(''), model: z.string().min(1), keepaccelerator: z.boolean().default(false),
  minnumreplicas: int.nonnegative().default(0), maxbatchsize: int.nonnegative().default(0), currentalloc: AllocRow.optional(),
});
const OptimizerRow = z.looseObject({
  unlimited: z.boolean().default(false), milpsolver: z.boolean().default(false), delayedbesteffort: z.boolean().default(false),
  saturationpolicy: z.string().default('None'),
});
const CountRow = z.looseObject({ type: z.string().min(1), count: int.nonnegative() });

/** The member of SystemSpec each split file holds, and the part of it we read. */
export const UpstreamParts = {
  accelerators: { file: 'accelerator-data.json', member: 'acceleratordata', schema: z.looseObject({ accelerators: z.array(AcceleratorRow), count: z.array(CountRow).optional() }) },
  models: { file: 'model-data.json', member: 'modeldata', schema: z.looseObject({ models: z.array(ModelRow) }) },
  classes: { file: 'serviceclass-data.json', member: 'serviceclassdata', schema: z.looseObject({ serviceclasses: z.array(ClassRow) }) },
  servers: { file: 'server-data.json', member: 'serverdata', schema: z.looseObject({ servers: z.array(ServerRow) }) },
  optimizer: { file: 'optimizer-data.json', member: 'optimizerdata', schema: z.looseObject({ optimizer: OptimizerRow }) },
  capacity: { file: 'capacity-data.json', member: 'capacitydata', schema: z.looseObject({ count: z.array(CountRow) }) },
} as const;

type Parts = { -readonly [K in keyof typeof UpstreamParts]: z.infer<(typeof UpstreamParts)[K]['schema']> | undefined };

/** Raw (already JSON-parsed) part per key, with where it came from for messages. */
export type RawParts = { -readonly [K in keyof typeof UpstreamParts]?: { readonly data: unknown; readonly file: string; readonly prefix: readonly string[] } };

const clampPriority = (p: number): number => (p >= 1 && p <= 100 ? p : 100);

export function policyOf(s: string): SaturationPolicy {
  const r = SaturationPolicySchema.safeParse(s);
  return r.success ? r.data : 'None';
}

/** SystemData JSON ({"system": {...}}) → raw parts. */
export function partsOfSystemData(data: unknown, file: string): RawParts {
  const root = lowerKeys(data);
  const sys = root !== null && typeof root === 'object' && 'system' in root ? root.system : undefined;
  if (sys === null || typeof sys !== 'object') throw new InputError([{ file, path: 'system', message: 'expected an object with a "system" member (upstream SystemData)' }]);
  const get = (k: string): unknown => (sys as Record<string, unknown>)[k];
  const out: RawParts = {};
  for (const key of Object.keys(UpstreamParts) as (keyof typeof UpstreamParts)[]) {
    const member = UpstreamParts[key].member;
    const v = get(member);
    if (v !== undefined) out[key] = { data: v, file, prefix: ['system', member] };
  }
  return out;
}

type Parsed<K extends keyof typeof UpstreamParts> = z.infer<(typeof UpstreamParts)[K]['schema']>;

function parseParts(raw: RawParts): Parts {
  const issues: InputIssue[] = [];
  const parsed = {} as Parts;
  for (const key of Object.keys(UpstreamParts) as (keyof typeof UpstreamParts)[]) {
    const part = raw[key];
    if (part === undefined) {
      if (key !== 'capacity' && key !== 'optimizer') issues.push({ path: UpstreamParts[key].member, message: `missing ${UpstreamParts[key].file} (or system.${UpstreamParts[key].member})` });
      continue;
    }
    const r = UpstreamParts[key].schema.safeParse(lowerKeys(part.data));
    if (r.success) (parsed as Record<string, unknown>)[key] = r.data;
    else issues.push(...fromZod(r.error, { file: part.file, prefix: part.prefix }));
  }
  if (issues.length > 0) throw new InputError(issues);
  return parsed;
}

function profilesByModel(models: Parsed<'models'>, file: string, issues: InputIssue[]): Map<string, PerfProfile[]> {
  const profiles = new Map<string, PerfProfile[]>();
  models.models.forEach((m, i) => {
    const alpha = m.decodeparms?.alpha ?? m.alpha;
    const beta = m.decodeparms?.beta ?? m.beta;
    if (alpha === undefined || beta === undefined) {
      issues.push({ file, path: `models[${i}]`, message: 'needs decodeParms {alpha, beta} (v2) or alpha and beta (v1)' });
      return;
    }
    const list = profiles.get(m.name) ?? [];
    list.push({
      accelerator: m.acc, accCount: m.acccount > 0 ? m.acccount : 1, maxBatchSize: m.maxbatchsize, atTokens: m.attokens,
      alpha, beta, gamma: m.prefillparms?.gamma ?? 0, delta: m.prefillparms?.delta ?? 0,
    });
    profiles.set(m.name, list);
  });
  return profiles;
}

type SloRow = { 'slo-itl'?: number | undefined; 'slo-tpot'?: number | undefined; 'slo-ttft'?: number | undefined; 'slo-ttw'?: number | undefined; 'slo-tps'?: number | undefined };
const targetOf = (model: string, t: SloRow): ModelTarget => ({
  model, itl: t['slo-itl'] ?? t['slo-tpot'] ?? 0, ttft: t['slo-ttft'] ?? 0, tps: t['slo-tps'] ?? 0, ttw: t['slo-ttw'] ?? 0,
});

/** v2 classes carry modelTargets; v1 has one flat row per (class, model). */
function serviceClassesOf(classes: Parsed<'classes'>): ServiceClass[] {
  const byName = new Map<string, { priority: number; targets: ModelTarget[] }>();
  for (const c of classes.serviceclasses) {
    const entry = byName.get(c.name) ?? { priority: clampPriority(c.priority), targets: [] };
    if (c.modeltargets !== undefined) entry.targets.push(...c.modeltargets.map((t) => targetOf(t.model, t)));
    if (c.model !== undefined) entry.targets.push(targetOf(c.model, c));
    byName.set(c.name, entry);
  }
  return [...byName].map(([name, c]) => ({ name, priority: c.priority, targets: c.targets }));
}

function serverOf(s: Parsed<'servers'>['servers'][number], v1: boolean, profiles: ReadonlyMap<string, PerfProfile[]>): Server {
  const alloc = s.currentalloc;
  const load = alloc?.load;
  const out = v1 ? load?.avglength : load?.avgouttokens;
  const current = alloc !== undefined && alloc.accelerator !== ''
    ? { current: { accelerator: alloc.accelerator, numReplicas: alloc.numreplicas, maxBatch: alloc.maxbatch, cost: alloc.cost } }
    : {};
  return {
    name: s.name,
    class: s.class === '' ? 'Free' : s.class,
    model: s.model,
    // Go truncated token counts to int; v1 has no input tokens, its avgLength plays the output's role.
    load: { arrivalRate: load?.arrivalrate ?? 0, avgInTokens: v1 ? 0 : Math.trunc(load?.avgintokens ?? 0), avgOutTokens: Math.trunc(out ?? 0) },
    minReplicas: s.minnumreplicas,
    maxBatchSize: s.maxbatchsize,
    keepAccelerator: s.keepaccelerator,
    profiles: profiles.get(s.model) ?? [],
    ...current,
  };
}

function optionsOf(opt: Parsed<'optimizer'>['optimizer'] | undefined, v1: boolean): OptimizerOptions {
  return {
    unlimited: opt?.unlimited ?? false,
    saturationPolicy: policyOf(opt?.saturationpolicy ?? 'None'),
    delayedBestEffort: opt?.delayedbesteffort ?? false,
    algorithm: opt?.milpsolver === true ? 'exact' : 'greedy',
    penaltyFactor: 0.1,
    analyzer: v1 ? 'v1' : 'v2',
  };
}

export function systemFromUpstream(raw: RawParts): System {
  const { accelerators: accs, models, classes, servers, optimizer, capacity } = parseParts(raw);
  if (accs === undefined || models === undefined || classes === undefined || servers === undefined) throw new InputError([]);
  const issues: InputIssue[] = [];
  const v1 = models.models.some((m) => m.decodeparms === undefined) || servers.servers.some((s) => s.currentalloc?.load?.avglength !== undefined);
  const accelerators: Accelerator[] = accs.accelerators.map((a) => ({
    name: a.name, type: a.type === '' ? a.name : a.type, multiplicity: a.multiplicity > 0 ? a.multiplicity : 1, cost: a.cost,
    ...(a.memsize !== undefined ? { memSize: a.memsize } : {}),
  }));
  const profiles = profilesByModel(models, raw.models?.file ?? '', issues);
  // v1's combined system-data.json nests the counts under acceleratorData.
  const cap: Record<string, number> = {};
  for (const c of capacity?.count ?? accs.count ?? []) cap[c.type] = (cap[c.type] ?? 0) + c.count;
  if (issues.length > 0) throw new InputError(issues);
  return {
    accelerators,
    serviceClasses: serviceClassesOf(classes),
    servers: servers.servers.map((s) => serverOf(s, v1, profiles)),
    options: optionsOf(optimizer?.optimizer, v1),
    capacity: cap,
  };
}
