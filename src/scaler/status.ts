// The Optimizer status the scaler writes (deploy/crd/optimizers.llmd.ai.yaml), and the condition bookkeeping
// (lastTransitionTime changes only when a condition's status does, as apimachinery's meta.SetStatusCondition).
// Pure: times are passed in.

export const ConditionType = {
  metricsAvailable: 'MetricsAvailable',
  optimizationReady: 'OptimizationReady',
  actuated: 'Actuated',
} as const;
export type ConditionTypeName = (typeof ConditionType)[keyof typeof ConditionType];

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  /** CamelCase, as the CRD's pattern requires */
  readonly reason: string;
  readonly message: string;
  /** RFC 3339 */
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'>;

/** `null` removes a field in the merge patch: a value that is unknown now must not stay visible as current. */
type Writable<T> = { readonly [K in keyof T]?: T[K] | null };

export interface ObservedLoad {
  /** requests per minute */
  readonly arrivalRate: number;
  readonly avgInTokens: number;
  readonly avgOutTokens: number;
}

export interface DesiredStatus {
  readonly accelerator: string;
  readonly replicas: number;
  readonly maxBatch: number;
  /** cents/hour */
  readonly cost: number;
  /** predicted mean ITL at the desired allocation, ms */
  readonly itlAverage: number;
  /** predicted mean TTFT at the desired allocation, ms */
  readonly ttftAverage: number;
}

export interface OptimizerStatusFields {
  readonly observedGeneration: number;
  /** current: accelerator, spec replicas, batch size, cost (cents/hour) */
  readonly accelerator: string;
  readonly replicas: number;
  readonly maxBatch: number;
  readonly cost: number;
  /** observed mean latencies, ms */
  readonly itlAverage: number;
  readonly ttftAverage: number;
  /** observed load */
  readonly load: ObservedLoad;
  readonly desired: DesiredStatus;
  /** RFC 3339 time of the scaler tick that wrote this status */
  readonly lastUpdate: string;
  readonly conditions: readonly Condition[];
}

export type OptimizerStatusWrite = Writable<OptimizerStatusFields>;

/** Message length cap: status stays small however long a solver reason gets. */
export const MaxConditionMessage = 1024;

/** Applies condition updates to the previous list: same status keeps its lastTransitionTime; others are kept. */
export function setConditions(previous: readonly Condition[], updates: readonly ConditionUpdate[], now: Date): Condition[] {
  const out = previous.filter((p) => !updates.some((u) => u.type === p.type));
  for (const u of updates) {
    const before = previous.find((p) => p.type === u.type);
    const message = u.message.length > MaxConditionMessage ? `${u.message.slice(0, MaxConditionMessage - 1)}…` : u.message;
    out.push({
      ...u,
      message,
      lastTransitionTime: before !== undefined && before.status === u.status ? before.lastTransitionTime : rfc3339(now),
    });
  }
  return out.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/** metav1.Time: RFC 3339 in whole seconds. */
export const rfc3339 = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;
