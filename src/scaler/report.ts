// What a tick tells users: the Optimizer status it writes (observed, current, desired, conditions) and one row per
// Deployment for `inferno scale --once` and logs.
import type { Load } from '../domain/types.js';
import type { Allocation } from '../solver/index.js';
import type { LoadObservation } from './ports.js';
import type { Condition, ConditionUpdate, OptimizerStatusWrite } from './status.js';
import { ConditionType, rfc3339, setConditions } from './status.js';
import type { ScaleAction } from './types.js';

export interface TickRow {
  readonly namespace: string;
  readonly deployment: string;
  readonly optimizer: string;
  /** observed arrivals, req/min; undefined when unknown */
  readonly observedRpm: number | undefined;
  readonly current: { readonly accelerator: string; readonly replicas: number; readonly maxBatch: number };
  readonly desired: { readonly accelerator: string; readonly replicas: number; readonly maxBatch: number; readonly itlMs: number; readonly ttftMs: number; readonly cost: number } | undefined;
  readonly action: ScaleAction['kind'];
  readonly replicas: number;
  readonly reason: string;
  readonly message: string;
  /** what actuation did: done, unchanged, recommend-only, gone, failed: … */
  readonly actuated: string;
}

const finite = (r: LoadObservation[keyof LoadObservation] | undefined): number | null => (typeof r === 'number' && Number.isFinite(r) ? r : null);
const round2 = (v: number): number => Math.round(v * 100) / 100;

/** Conditions as the CRD lists them; anything unreadable in the previous status is dropped. */
export function previousConditions(status: unknown): Condition[] {
  const list = status !== null && typeof status === 'object' ? (status as { conditions?: unknown }).conditions : undefined;
  if (!Array.isArray(list)) return [];
  return list.filter((c): c is Condition => c !== null && typeof c === 'object'
    && typeof (c as Condition).type === 'string' && typeof (c as Condition).status === 'string' && typeof (c as Condition).lastTransitionTime === 'string');
}

export interface StatusInput {
  readonly now: number;
  readonly generation: number | undefined;
  readonly previous: unknown;
  readonly observation: LoadObservation | undefined;
  readonly load: Load | undefined;
  /** why the metrics are unusable, or undefined */
  readonly metricsProblem: string | undefined;
  readonly metricsReason: 'PrometheusError' | 'MetricsMissing' | 'MetricsStale' | undefined;
  readonly allocation: Allocation | undefined;
  readonly planProblem: string | undefined;
  readonly action: ScaleAction;
  readonly current: { readonly accelerator: string; readonly replicas: number; readonly maxBatch: number; readonly cost: number };
  readonly actuated: { readonly ok: boolean; readonly reason: string; readonly message: string };
}

export function statusOf(i: StatusInput): OptimizerStatusWrite {
  const updates: ConditionUpdate[] = [
    i.metricsProblem === undefined
      ? { type: ConditionType.metricsAvailable, status: 'True', reason: 'MetricsFound', message: 'vLLM metrics are current' }
      : { type: ConditionType.metricsAvailable, status: 'False', reason: i.metricsReason ?? 'MetricsMissing', message: i.metricsProblem },
    i.allocation !== undefined
      ? { type: ConditionType.optimizationReady, status: 'True', reason: 'OptimizationSucceeded', message: `${i.allocation.numReplicas} × ${i.allocation.accelerator}, batch ${i.allocation.maxBatch}` }
      : { type: ConditionType.optimizationReady, status: 'False', reason: i.metricsProblem !== undefined ? 'MetricsUnavailable' : 'OptimizationFailed', message: i.planProblem ?? i.metricsProblem ?? 'no allocation' },
    { type: ConditionType.actuated, status: i.actuated.ok ? 'True' : 'False', reason: i.actuated.reason, message: i.actuated.message },
  ];
  const generation = i.generation !== undefined ? { observedGeneration: i.generation } : {};
  const a = i.allocation;
  return {
    ...generation,
    accelerator: i.current.accelerator === '' ? null : i.current.accelerator,
    replicas: i.current.replicas,
    maxBatch: i.current.maxBatch,
    cost: round2(i.current.cost),
    itlAverage: finite(i.observation?.itlMs),
    ttftAverage: finite(i.observation?.ttftMs),
    load: i.load ?? null,
    desired: a !== undefined
      ? { accelerator: a.accelerator, replicas: i.action.replicas, maxBatch: a.maxBatch, cost: round2(a.cost), itlAverage: round2(a.itlAverage), ttftAverage: round2(a.ttftAverage) }
      : null,
    lastUpdate: rfc3339(new Date(i.now)),
    conditions: setConditions(previousConditions(i.previous), updates, new Date(i.now)),
  };
}
