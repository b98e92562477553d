// Transition penalty (model-and-solver.md §7.2): what a server pays to move from its current allocation to a
// candidate. Selection minimises it, i.e. cost plus a switching surcharge. It is a ranking value, never a cost.

export interface Priced {
  readonly accelerator: string;
  readonly numReplicas: number;
  /** cents/hour */
  readonly cost: number;
}

/** No current allocation: accelerator "" at cost 0, so every candidate counts as a switch. */
export const NoAllocation: Priced = { accelerator: '', numReplicas: 0, cost: 0 };

export function transitionPenalty(from: Priced, to: Priced, factor: number): number {
  if (from.accelerator === to.accelerator) {
    return from.numReplicas === to.numReplicas ? 0 : to.cost - from.cost;
  }
  return factor * (from.cost + to.cost) + (to.cost - from.cost);
}
