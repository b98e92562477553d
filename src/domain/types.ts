// The domain as plain data: what the solver, placement and decisions work on. Parsers at the edges (formats/,
// cluster/) produce these types from their input; nothing here knows about zod, YAML or Kubernetes objects.

export interface Accelerator {
  readonly name: string;
  /** Capacity pool: accelerators of one type share the same physical GPUs (2xA100 is type A100, multiplicity 2). */
  readonly type: string;
  readonly multiplicity: number;
  /** cents per hour per unit */
  readonly cost: number;
  readonly memSize?: number;
  /** Node label value that identifies this GPU product, e.g. NVIDIA-A100-SXM4-80GB. */
  readonly device?: string;
  /** Node label key carrying `device`, e.g. nvidia.com/gpu.product. */
  readonly labelKey?: string;
  /** Extended resource a pod requests, e.g. nvidia.com/gpu. */
  readonly resource?: string;
}

export interface ModelTarget {
  readonly model: string;
  /** ms; 0 = not constrained */
  readonly itl: number;
  /** ms; 0 = not constrained */
  readonly ttft: number;
  /** tokens/s; a TPS target replaces the measured demand (upstream semantics) */
  readonly tps: number;
  /** v1 only: time to wait, ms */
  readonly ttw: number;
}

export interface ServiceClass {
  readonly name: string;
  /** 1 = highest … 100 = lowest */
  readonly priority: number;
  readonly targets: readonly ModelTarget[];
}

export interface PerfProfile {
  readonly accelerator: string;
  readonly accCount: number;
  readonly maxBatchSize: number;
  /** Token count at which maxBatchSize was measured; 0 = use maxBatchSize as is. */
  readonly atTokens: number;
  /** decode iteration time α + β·n (ms) */
  readonly alpha: number;
  readonly beta: number;
  /** prefill time γ + δ·I·n (ms) */
  readonly gamma: number;
  readonly delta: number;
}

export interface Load {
  /** requests per minute */
  readonly arrivalRate: number;
  readonly avgInTokens: number;
  readonly avgOutTokens: number;
}

export interface CurrentAllocation {
  readonly accelerator: string;
  readonly numReplicas: number;
  readonly maxBatch: number;
  readonly cost: number;
}

export interface Server {
  readonly name: string;
  readonly class: string;
  readonly model: string;
  readonly load: Load;
  readonly minReplicas: number;
  readonly maxReplicas?: number;
  /** Overrides the profile-derived batch size when > 0. */
  readonly maxBatchSize: number;
  readonly keepAccelerator: boolean;
  readonly current?: CurrentAllocation;
  readonly profiles: readonly PerfProfile[];
}

export const SaturationPolicies = ['None', 'PriorityExhaustive', 'PriorityRoundRobin', 'RoundRobin'] as const;
export type SaturationPolicy = (typeof SaturationPolicies)[number];
export const AnalyzerKinds = ['v2', 'v1'] as const;
/** v2 = prefill + decode model; v1 = decode-only model of seed-era data. */
export type AnalyzerKind = (typeof AnalyzerKinds)[number];
export const Algorithms = ['greedy', 'exact'] as const;
export type Algorithm = (typeof Algorithms)[number];

export interface OptimizerOptions {
  readonly unlimited: boolean;
  readonly saturationPolicy: SaturationPolicy;
  readonly delayedBestEffort: boolean;
  readonly algorithm: Algorithm;
  /** Switching surcharge, a fraction of old + new cost (upstream AccelPenaltyFactor). */
  readonly penaltyFactor: number;
  readonly analyzer: AnalyzerKind;
}

/** The options every input starts from; a file or ConfigMap overrides some of them. */
export function defaultOptions(over: Partial<OptimizerOptions> = {}): OptimizerOptions {
  return { unlimited: false, saturationPolicy: 'None', delayedBestEffort: false, algorithm: 'greedy', penaltyFactor: 0.1, analyzer: 'v2', ...over };
}

/** Units available per accelerator type. A type missing from the map has no capacity in limited mode. */
export type Capacity = Record<string, number>;

export interface System {
  readonly accelerators: readonly Accelerator[];
  readonly serviceClasses: readonly ServiceClass[];
  readonly servers: readonly Server[];
  readonly options: OptimizerOptions;
  readonly capacity: Capacity;
}

/** How the periodic scaler runs; from the controller ConfigMap, re-read every tick. */
export interface ScalerSettings {
  /** ms between the end of one tick and the start of the next */
  readonly intervalMs: number;
  /** a lower replica target must hold this long before replicas go down (also: scale to zero, GPU-type changes) */
  readonly stabilizationWindowMs: number;
  /** actuate: scale and re-template Deployments; recommend: only publish status and metrics (for HPA/KEDA) */
  readonly mode: 'actuate' | 'recommend';
  /** metrics whose newest sample is older than this are stale, ms */
  readonly maxSampleAgeMs: number;
  /** the PromQL rate window, s */
  readonly metricsWindowS: number;
  /** replicas when an Optimizer names no maxReplicas */
  readonly defaultMaxReplicas: number;
}

export function defaultScalerSettings(over: Partial<ScalerSettings> = {}): ScalerSettings {
  return { intervalMs: 30_000, stabilizationWindowMs: 300_000, mode: 'actuate', maxSampleAgeMs: 120_000, metricsWindowS: 60, defaultMaxReplicas: 64, ...over };
}
