// The single source of inferno's configuration and solver-input types. The pure core (model/, solver/) sees only
// the inferred types (type-only imports through domain/types.ts), never zod at run time.
import { z } from 'zod';

const name = z.string().min(1);
/** Kubernetes-style resource names also appear as accelerator names; keep them printable and short. */
const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const nonNeg = z.number().nonnegative();

export const AcceleratorSchema = z.strictObject({
  name,
  /** Capacity pool: accelerators of one type share the same physical GPUs (2xA100 is type A100, multiplicity 2). */
  type: name,
  multiplicity: posInt.default(1),
  /** cents per hour per unit */
  cost: nonNeg,
  memSize: nonNeg.optional(),
  /** Node label value that identifies this GPU product, e.g. NVIDIA-A100-SXM4-80GB. */
  device: z.string().min(1).optional(),
  /** Node label key carrying `device`, e.g. nvidia.com/gpu.product. */
  labelKey: z.string().min(1).optional(),
  /** Extended resource a pod requests, e.g. nvidia.com/gpu. */
  resource: z.string().min(1).optional(),
});

export const ModelTargetSchema = z.strictObject({
  model: name,
  /** ms; 0 = not constrained */
  itl: nonNeg.default(0),
  /** ms; 0 = not constrained */
  ttft: nonNeg.default(0),
  /** tokens/s; a TPS target replaces the measured demand (upstream semantics) */
  tps: nonNeg.default(0),
  /** v1 only: time to wait, ms */
  ttw: nonNeg.default(0),
});

export const ServiceClassSchema = z.strictObject({
  name,
  /** 1 = highest … 100 = lowest */
  priority: z.number().int().min(1).max(100),
  targets: z.array(ModelTargetSchema),
});

export const PerfProfileSchema = z.strictObject({
  accelerator: name,
  accCount: posInt.default(1),
  maxBatchSize: posInt,
  /** Token count at which maxBatchSize was measured; 0 = use maxBatchSize as is. */
  atTokens: nonNegInt.default(0),
  /** decode iteration time α + β·n (ms) */
  alpha: nonNeg,
  beta: nonNeg,
  /** prefill time γ + δ·I·n (ms) */
  gamma: nonNeg.default(0),
  delta: nonNeg.default(0),
});

export const LoadSchema = z.strictObject({
  /** requests per minute */
  arrivalRate: nonNeg,
  avgInTokens: nonNegInt,
  avgOutTokens: nonNegInt,
});

export const CurrentAllocationSchema = z.strictObject({
  accelerator: name,
  numReplicas: nonNegInt,
  maxBatch: nonNegInt.default(0),
  cost: nonNeg,
});

export const ServerSchema = z.strictObject({
  name,
  class: name,
  model: name,
  load: LoadSchema,
  minReplicas: nonNegInt.default(1),
  maxReplicas: posInt.optional(),
  /** Overrides the profile-derived batch size when > 0. */
  maxBatchSize: nonNegInt.default(0),
  keepAccelerator: z.boolean().default(false),
  current: CurrentAllocationSchema.optional(),
  profiles: z.array(PerfProfileSchema),
});

export const SaturationPolicySchema = z.enum(['None', 'PriorityExhaustive', 'PriorityRoundRobin', 'RoundRobin']);
export const AnalyzerKindSchema = z.enum(['v2', 'v1']);
export const AlgorithmSchema = z.enum(['greedy', 'exact']);

export const OptimizerOptionsSchema = z.strictObject({
  unlimited: z.boolean().default(false),
  saturationPolicy: SaturationPolicySchema.default('None'),
  delayedBestEffort: z.boolean().default(false),
  algorithm: AlgorithmSchema.default('greedy'),
  /** Switching surcharge, a fraction of old + new cost (upstream AccelPenaltyFactor). */
  penaltyFactor: nonNeg.default(0.1),
  /** v2 = prefill + decode model; v1 = decode-only model of seed-era data. */
  analyzer: AnalyzerKindSchema.default('v2'),
});

/** Units available per accelerator type. A type missing from the map has no capacity in limited mode. */
export const CapacitySchema = z.record(z.string(), nonNegInt);

export const SystemSchema = z.strictObject({
  accelerators: z.array(AcceleratorSchema),
  serviceClasses: z.array(ServiceClassSchema),
  servers: z.array(ServerSchema),
  options: OptimizerOptionsSchema,
  capacity: CapacitySchema,
});

export type Accelerator = z.infer<typeof AcceleratorSchema>;
export type ModelTarget = z.infer<typeof ModelTargetSchema>;
export type ServiceClass = z.infer<typeof ServiceClassSchema>;
export type PerfProfile = z.infer<typeof PerfProfileSchema>;
export type Load = z.infer<typeof LoadSchema>;
export type CurrentAllocation = z.infer<typeof CurrentAllocationSchema>;
export type Server = z.infer<typeof ServerSchema>;
export type SaturationPolicy = z.infer<typeof SaturationPolicySchema>;
export type AnalyzerKind = z.infer<typeof AnalyzerKindSchema>;
export type Algorithm = z.infer<typeof AlgorithmSchema>;
export type OptimizerOptions = z.infer<typeof OptimizerOptionsSchema>;
export type Capacity = z.infer<typeof CapacitySchema>;
export type System = z.infer<typeof SystemSchema>;
