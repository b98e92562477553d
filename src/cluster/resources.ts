// Schemas of the Kubernetes objects inferno reads: the Optimizer resource and its ConfigMaps' entries.
import { z } from 'zod';
import { OptimizerApi } from '../domain/keys.js';
import { Limits } from '../domain/limits.js';

/** Numbers may arrive as strings: the seed CRD typed alpha/beta as numeric strings ("20.58"). */
const numeric = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const numberish = z.preprocess(
  (v) => (typeof v === 'string' && numeric.test(v.trim()) ? Number(v) : v),
  z.number({ error: 'expected a number or a numeric string' }),
);
const nonNeg = numberish.pipe(z.number().nonnegative({ error: 'must not be negative' }));
const intish = numberish.pipe(z.number().int({ error: 'must be a whole number' }));

/** A whole number in [min, max]; the message states the bound and why it exists. */
const count = (min: number, max: number, why: string) =>
  intish.pipe(z.number().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max} (${why})` }));
const batch = count(1, Limits.maxBatchSize, "vLLM's practical --max-num-seqs ceiling");
const tokens = count(0, Limits.maxTokens, 'the longest context window');
const replicasWhy = "inferno's bound on replicas of one model server";
const replicas = (min: number) => count(min, Limits.maxReplicas, replicasWhy);
const list = <T extends z.ZodType>(item: T, max: number, what: string) =>
  z.array(item).max(max, { error: `at most ${max} ${what}` });

const dns1123 = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
  error: 'must be a lowercase RFC 1123 name (a-z, 0-9, "-", ".")',
});

export const ProfileEntrySchema = z.strictObject({
  acc: z.string().min(1),
  accCount: count(1, Limits.maxAccCount, 'GPUs of eight 8-GPU nodes').default(1),
  maxBatchSize: batch,
  atTokens: tokens.default(0),
  alpha: nonNeg,
  beta: nonNeg,
  gamma: nonNeg.default(0),
  delta: nonNeg.default(0),
});

export const LoadStatusSchema = z.looseObject({
  arrivalRate: nonNeg.pipe(z.number().max(Limits.maxArrivalRate, { error: `must be at most ${Limits.maxArrivalRate} requests per minute` })),
  avgInTokens: tokens.default(0),
  avgOutTokens: tokens,
});

export const OptimizerSpecSchema = z.strictObject({
  modelID: z.string().min(1),
  serviceClass: z.string().min(1).optional(),
  sloClassRef: z.strictObject({ name: z.string().min(1), key: z.string().min(1) }).optional(),
  minReplicas: replicas(0).optional(),
  maxReplicas: replicas(1).optional(),
  keepAccelerator: z.boolean().optional(),
  /** fixes the batch size instead of deriving it from the profile */
  maxBatchSize: batch.optional(),
  modelProfile: z.strictObject({ accelerators: list(ProfileEntrySchema, Limits.maxProfiles, 'accelerator profiles').min(1) }),
}).superRefine((raw, ctx) => {
  // Runs even when fields failed (`when`), so one answer lists every problem: read defensively.
  const value: unknown = raw;
  if (value === null || typeof value !== 'object') return;
  const spec = value as { serviceClass?: unknown; sloClassRef?: unknown; minReplicas?: unknown; maxReplicas?: unknown; modelProfile?: { accelerators?: unknown } };
  if (spec.serviceClass === undefined && spec.sloClassRef === undefined) {
    ctx.addIssue({ code: 'custom', path: ['serviceClass'], message: 'set spec.serviceClass or spec.sloClassRef' });
  }
  const min = Number(spec.minReplicas);
  const max = Number(spec.maxReplicas);
  if (spec.minReplicas !== undefined && spec.maxReplicas !== undefined && min > max) {
    ctx.addIssue({ code: 'custom', path: ['minReplicas'], message: `minReplicas ${min} is greater than maxReplicas ${max}` });
  }
  const accs = spec.modelProfile?.accelerators;
  const seen = new Map<string, number>();
  // Over the bound the list is already denied: do not add one issue per duplicate of thousands.
  (Array.isArray(accs) && accs.length <= Limits.maxProfiles ? (accs as unknown[]) : []).forEach((p, i) => {
    const acc = p !== null && typeof p === 'object' ? (p as { acc?: unknown }).acc : undefined;
    if (typeof acc !== 'string') return;
    const first = seen.get(acc);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['modelProfile', 'accelerators', i, 'acc'], message: `duplicate profile for accelerator "${acc}" (first at accelerators[${first}])` });
    else seen.set(acc, i);
  });
}, { when: () => true });

export const OptimizerStatusSchema = z.looseObject({
  load: LoadStatusSchema.optional(),
  accelerator: z.string().optional(),
  replicas: replicas(0).optional(),
  maxBatch: count(0, Limits.maxBatchSize, "vLLM's practical --max-num-seqs ceiling").optional(),
  cost: nonNeg.optional(),
});

export const OptimizerSchema = z.looseObject({
  apiVersion: z.literal(OptimizerApi.apiVersion),
  kind: z.literal(OptimizerApi.kind),
  metadata: z.looseObject({ name: dns1123, namespace: dns1123.optional() }),
  spec: OptimizerSpecSchema,
  status: OptimizerStatusSchema.optional(),
});

/** One entry of the accelerator catalog ConfigMap (key = accelerator name). */
export const CatalogEntrySchema = z.strictObject({
  type: z.string().min(1).optional(),
  multiplicity: count(1, Limits.maxMultiplicity, 'GPU units one entry stands for').default(1),
  cost: nonNeg,
  memSize: nonNeg.optional(),
  device: z.string().min(1).optional(),
  labelKey: z.string().min(1).optional(),
  resource: z.string().min(1).optional(),
});

export const ClassTargetSchema = z.strictObject({
  model: z.string().min(1),
  'slo-itl': nonNeg.optional(),
  'slo-tpot': nonNeg.optional(),
  'slo-ttft': nonNeg.optional(),
  'slo-tps': nonNeg.optional(),
  'slo-ttw': nonNeg.optional(),
});

/** One entry of the service-class ConfigMap: a YAML document per key (upstream's shape). */
export const ClassDocSchema = z.strictObject({
  name: z.string().min(1),
  priority: intish.pipe(z.number().min(1, { error: 'priority runs from 1 (highest) to 100' }).max(100, { error: 'priority runs from 1 (highest) to 100' })),
  data: list(ClassTargetSchema, Limits.maxClassTargets, 'model targets per service class'),
});

const boolString = z.enum(['true', 'false']).transform((s) => s === 'true');

/** The controller ConfigMap's data (all values are strings in a ConfigMap). */
const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/** A Go-style duration ("30s", "5m", "1.5h", "250ms") within [min, max], as milliseconds. */
const duration = (minMs: number, maxMs: number) => z.string().transform((text, ctx) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  const ms = m !== null ? Number(m[1]) * units[m[2] as keyof typeof units] : Number.NaN;
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as "30s" or "5m" from ${minMs / 1000} s to ${maxMs / 3_600_000} h; got "${text}"` });
    return z.NEVER;
  }
  return Math.round(ms);
});

export const ControllerDataSchema = z.looseObject({
  mode: z.enum(['limited', 'unlimited']).optional(),
  solver: z.enum(['greedy', 'exact']).optional(),
  saturationPolicy: z.enum(['None', 'PriorityExhaustive', 'PriorityRoundRobin', 'RoundRobin']).optional(),
  delayedBestEffort: boolString.optional(),
  penaltyFactor: nonNeg.optional(),
  analyzer: z.enum(['v1', 'v2']).optional(),
  /** YAML map: accelerator type → units; a budget that overrides node inventory */
  capacity: z.string().optional(),
  /** spec.schedulerName the webhook sets on placed pod templates, e.g. inferno-scheduler (deploy/scheduler/) */
  schedulerName: dns1123.optional(),
  /** the periodic scaler (re-read every tick) */
  scalerInterval: duration(1000, 3_600_000).optional(),
  scaleDownStabilization: duration(0, 86_400_000).optional(),
  scalerMode: z.enum(['actuate', 'recommend']).optional(),
  metricsMaxAge: duration(1000, 86_400_000).optional(),
  metricsWindow: duration(1000, 3_600_000).optional(),
  defaultMaxReplicas: intish.pipe(z.number().min(1).max(1024, { error: 'at most 1024 replicas' })).optional(),
});

export const CapacityDocSchema = z.record(z.string().min(1), intish.pipe(z.number().min(0)));

export const ConfigMapSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().optional(), labels: z.record(z.string(), z.string()).optional() }),
  data: z.record(z.string(), z.string()).default({}),
});

export const NodeSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Node'),
  metadata: z.looseObject({ name: z.string().min(1), labels: z.record(z.string(), z.string()).default({}) }),
  spec: z.looseObject({ unschedulable: z.boolean().optional() }).optional(),
  status: z.looseObject({
    allocatable: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    capacity: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  }).optional(),
});

/** The parts of a raw Deployment inferno reads; the raw object itself is what gets edited and diffed. */
const ContainerSchema = z.looseObject({
  name: z.string(),
  args: z.array(z.string()).optional(),
  command: z.array(z.string()).optional(),
  env: z.array(z.looseObject({ name: z.string() })).optional(),
  resources: z.looseObject({
    requests: z.record(z.string(), z.unknown()).optional(),
    limits: z.record(z.string(), z.unknown()).optional(),
  }).optional(),
});

export const DeploymentSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal('Deployment'),
  metadata: z.looseObject({
    name: z.string().optional(),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.looseObject({
    replicas: z.number().int().nonnegative().optional(),
    template: z.looseObject({
      metadata: z.looseObject({ labels: z.record(z.string(), z.string()).optional() }).optional(),
      spec: z.looseObject({
        nodeSelector: z.record(z.string(), z.string()).optional(),
        containers: z.array(ContainerSchema).min(1),
      }),
    }),
  }),
});

export type DeploymentView = z.infer<typeof DeploymentSchema>;

export type OptimizerResource = z.infer<typeof OptimizerSchema>;
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;
export type ClassDoc = z.infer<typeof ClassDocSchema>;
export type ConfigMapResource = z.infer<typeof ConfigMapSchema>;
export type NodeResource = z.infer<typeof NodeSchema>;
