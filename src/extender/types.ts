// The scheduler extender's inputs and outputs as plain data: what protocol.ts makes of an ExtenderArgs request, and
// what filter.ts and prioritize.ts answer before protocol.ts puts it back into the scheduler's PascalCase shapes.
import type { NodeGpus, PodGpus } from '../cluster/inventory.js';

/** The pod being scheduled. */
export interface ExtenderPod {
  readonly gpus: PodGpus;
  /** metadata.uid; '' when absent (the scheduler always sends one) */
  readonly uid: string;
  /** the value of inferno's accelerator label, undefined for pods inferno did not place */
  readonly accelerator: string | undefined;
}

/** One candidate node of a request that carried full Node objects (`nodeCacheCapable: false`). */
export interface NodeObject {
  readonly gpus: NodeGpus;
  /** the object as received: echoed back in the filter result */
  readonly raw: unknown;
}

/** The candidates as sent: names only (`nodeCacheCapable: true`) or full objects; the answer uses the same form. */
export type Candidates =
  | { readonly form: 'names'; readonly names: readonly string[] }
  | { readonly form: 'objects'; readonly nodes: readonly NodeObject[] };

export interface ExtenderArgs {
  readonly pod: ExtenderPod;
  readonly candidates: Candidates;
}

export interface FilterOutcome {
  /** names of the nodes kept, in request order */
  readonly kept: readonly string[];
  /** rejected nodes where waiting can help (GPUs in use, node not known yet): node → reason */
  readonly failed: Readonly<Record<string, string>>;
  /** rejected nodes where it cannot (wrong GPU product, too few GPUs in all): node → reason */
  readonly unresolvable: Readonly<Record<string, string>>;
}

export interface HostScore {
  readonly host: string;
  /** 0–10 (the scheduler's MinExtenderPriority..MaxExtenderPriority) */
  readonly score: number;
}

export const MinScore = 0;
export const MaxScore = 10;
