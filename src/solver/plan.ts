// What the solver returns: one allocation per allocated server, the rest with reasons, usage per capacity pool.
import type { Load } from '../domain/types.js';

export interface Allocation {
  readonly server: string;
  readonly class: string;
  readonly model: string;
  readonly priority: number;
  readonly accelerator: string;
  readonly type: string;
  readonly numReplicas: number;
  /** replicas the SLO needs; more than numReplicas for best-effort or maxReplicas-capped allocations */
  readonly neededReplicas: number;
  readonly maxBatch: number;
  /** cents/hour */
  readonly cost: number;
  /** transition penalty used for ranking; not a cost (R7) */
  readonly value: number;
  /** predicted mean latencies at the allocated size, ms */
  readonly itlAverage: number;
  readonly ttftAverage: number;
  readonly waitAverage: number;
  readonly rho: number;
  /** per-replica request rate that meets the SLO, req/min */
  readonly maxRPM: number;
  readonly load: Load;
  readonly slo: { readonly itl: number; readonly ttft: number; readonly tps: number; readonly ttw: number };
  /** a partial allocation handed out by the saturation policy */
  readonly bestEffort: boolean;
  /** fewer replicas than the SLO needs (best effort or maxReplicas) */
  readonly sloMet: boolean;
  /** demand the allocated replicas cannot take at all, req/min */
  readonly unservedRPM: number;
}

export interface Unallocated {
  readonly server: string;
  readonly class: string;
  readonly model: string;
  readonly priority: number;
  readonly reasons: readonly string[];
  /** its whole demand, req/min: nothing serves it */
  readonly unservedRPM: number;
}

export interface TypeUsage {
  readonly type: string;
  /** units in use: replicas · accCount · multiplicity */
  readonly used: number;
  /** units available; null in unlimited mode when the type has no configured capacity */
  readonly capacity: number | null;
  readonly cost: number;
}

export interface AllocationChange {
  readonly server: string;
  readonly fromAccelerator: string;
  readonly toAccelerator: string;
  readonly fromReplicas: number;
  readonly toReplicas: number;
  readonly costDiff: number;
}

/** How much of the demand a plan serves: what to compare before cost. */
export interface Coverage {
  readonly servers: number;
  /** allocated with the replicas their SLO needs */
  readonly full: number;
  /** allocated with fewer (best effort, or capped by maxReplicas) */
  readonly partial: number;
  readonly unallocated: number;
  /** demand no replica can take, req/min: of partial and unallocated servers */
  readonly unservedRPM: number;
}

export function coverageOf(plan: Pick<Plan, 'allocations' | 'unallocated'>): Coverage {
  const partial = plan.allocations.filter((a) => !a.sloMet).length;
  return {
    servers: plan.allocations.length + plan.unallocated.length,
    full: plan.allocations.length - partial,
    partial,
    unallocated: plan.unallocated.length,
    unservedRPM: [...plan.allocations, ...plan.unallocated].reduce((t, a) => t + a.unservedRPM, 0),
  };
}

export interface Plan {
  readonly mode: 'unlimited' | 'limited';
  readonly algorithm: 'greedy' | 'exact';
  /** sorted by server name */
  readonly allocations: readonly Allocation[];
  readonly unallocated: readonly Unallocated[];
  readonly usage: readonly TypeUsage[];
  readonly totalCost: number;
  readonly changes: readonly AllocationChange[];
}
