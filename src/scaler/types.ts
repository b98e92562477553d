// Inputs and outputs of the scaler's pure decision (decide.ts). Plain interfaces: no zod, no client-node, no clock.
// Times are milliseconds since the epoch, passed in by the caller.
import type { Allocation } from '../solver/plan.js';

/** What the Deployment runs now, as its spec and status say. */
export interface CurrentState {
  /** spec.replicas */
  readonly specReplicas: number;
  /** status.readyReplicas */
  readonly readyReplicas: number;
  /** pods created but not ready yet (Pending or starting), excluding terminating ones: capacity already on its way */
  readonly startingReplicas: number;
  /** accelerator of the current pod template ('' when inferno has never placed it) */
  readonly accelerator: string;
  /** batch size (--max-num-seqs) of the current pod template; 0 when unknown */
  readonly maxBatch: number;
  /** cents/hour of the current replicas on the current accelerator; 0 when unknown */
  readonly cost: number;
}

/**
 * What the collector knows about the Deployment's load. `unknown` covers Prometheus down, an empty result and
 * NaN: never zero. `sampleAgeMs` is the age of the newest sample the arrival rate was computed from.
 */
export type Observed =
  | { readonly kind: 'known'; readonly arrivalRate: number; readonly sampleAgeMs: number }
  | { readonly kind: 'unknown'; readonly reason: string };

/** The solver's allocation fields decide reads (an Allocation from solver/plan.ts fits). */
export type DesiredAllocation = Pick<Allocation, 'accelerator' | 'type' | 'numReplicas' | 'maxBatch' | 'cost' | 'itlAverage' | 'ttftAverage'>;

/** The solver's answer for this Deployment, with what a move to its accelerator needs. */
export type Planned =
  | {
      readonly kind: 'allocated';
      readonly allocation: DesiredAllocation;
      /** GPU units one replica of the allocation takes (accCount · multiplicity) */
      readonly unitsPerReplica: number;
      /**
       * Units of the allocation's accelerator type free in the cluster right now (allocatable minus every pod's
       * requests); Infinity when capacity is unlimited by configuration.
       */
      readonly freeUnits: number;
    }
  | { readonly kind: 'unallocated'; readonly reason: string };

/**
 * Serving the current load while keeping the current accelerator and batch size: the solver's candidate for the
 * current accelerator (replicas the load needs there and their cost). Undefined when the current accelerator cannot
 * serve the load (no profile, SLO unreachable, or not enough GPUs of its type: the caller decides) or the current
 * template is unknown.
 */
export interface StayOption {
  readonly replicas: number;
  /** cents/hour at `replicas` */
  readonly cost: number;
}

export interface ScalePolicy {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** scale-down (and scale-to-zero, and accelerator/batch changes) wait this long; default 5 min */
  readonly stabilizationWindowMs: number;
  /** switching surcharge as a fraction of old + new cost: the solver's penaltyFactor (model-and-solver.md §7.2) */
  readonly penaltyFactor: number;
  /** an observation whose newest sample is older than this is stale */
  readonly maxSampleAgeMs: number;
}

export const DefaultScalePolicy = {
  minReplicas: 1,
  stabilizationWindowMs: 5 * 60_000,
  penaltyFactor: 0.1,
  maxSampleAgeMs: 2 * 60_000,
} as const satisfies Partial<ScalePolicy>;

/** One replica recommendation (after min/max) made at `at`, for the template in DeploymentMemory.template. */
export interface Recommendation {
  readonly at: number;
  readonly replicas: number;
}

/** What decide remembers per Deployment between ticks; the caller stores the returned memory and passes it back. */
export interface DeploymentMemory {
  /** the pod template ("accelerator/maxBatch") the recommendations were made for */
  readonly template: string | undefined;
  /** oldest first; the oldest may predate the window: it is the recommendation in force when the window began */
  readonly recommendations: readonly Recommendation[];
  /** since when the observed load has been zero without a gap of unknown data */
  readonly zeroLoadSince: number | undefined;
  /** when decide last changed the accelerator or batch size */
  readonly lastTemplateChangeAt: number | undefined;
  /**
   * since when, without a break, the joint plan has preferred some cheaper template while the current one could
   * still serve the load: such a move waits until that has held for the window (the plan's choice may change
   * between cheaper templates meanwhile; the move goes to the one of the tick it happens on)
   */
  readonly savingSince: number | undefined;
}

export const EmptyMemory: DeploymentMemory = { template: undefined, recommendations: [], zeroLoadSince: undefined, lastTemplateChangeAt: undefined, savingSince: undefined };

export interface DecideInput {
  readonly now: number;
  readonly current: CurrentState;
  readonly observed: Observed;
  readonly planned: Planned;
  readonly stay: StayOption | undefined;
  /** why staying is not an option although the current accelerator could serve the load (e.g. no GPUs left) */
  readonly stayProblem?: string;
  readonly policy: ScalePolicy;
  readonly memory: DeploymentMemory;
}

export type Direction = 'up' | 'down' | 'none';

/**
 * Why decide chose what it did; a closed set, so it can label metrics (`inferno_replica_scaling_total{reason}`) and
 * serve as an Event reason.
 */
export const ScaleReason = {
  metricsUnavailable: 'MetricsUnavailable',
  notAllocated: 'NotAllocated',
  loadIncrease: 'LoadIncrease',
  loadDecrease: 'LoadDecrease',
  stabilizing: 'Stabilizing',
  replicasStarting: 'ReplicasStarting',
  minReplicas: 'MinReplicas',
  maxReplicas: 'MaxReplicas',
  scaleToZero: 'ScaleToZero',
  acceleratorChange: 'AcceleratorChange',
  batchSizeChange: 'BatchSizeChange',
  switchDeferred: 'SwitchDeferred',
  steady: 'Steady',
} as const;
export type ScaleReasonCode = (typeof ScaleReason)[keyof typeof ScaleReason];

export interface TemplateChange {
  readonly accelerator: string;
  readonly maxBatch: number;
}

export interface ScaleAction {
  /**
   * hold = no decision possible (no data, no allocation): keep everything as it is;
   * steady = decided that nothing changes; scale = set spec.replicas; switch = change the pod template (and replicas).
   */
  readonly kind: 'hold' | 'steady' | 'scale' | 'switch';
  /** spec.replicas to set; equals current.specReplicas for hold and steady */
  readonly replicas: number;
  /** set only for kind 'switch' */
  readonly template: TemplateChange | undefined;
  readonly direction: Direction;
  readonly reason: ScaleReasonCode;
  /** one or more sentences for status, Events and logs */
  readonly message: string;
  /** to pass to the next decide call for this Deployment */
  readonly memory: DeploymentMemory;
}
