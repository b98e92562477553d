// A plan's allocation → the pod-template change that realises it, and the decision record kept on the Deployment.
import type { Accelerator, Server } from '../domain/types.js';
import { Annotation, Label } from '../domain/keys.js';
import type { Allocation } from '../solver/index.js';
import type { BatchOutcome, Placement } from './pod-template.js';

/** Where the load the allocation was sized for came from. */
export type LoadSource = 'status' | 'annotation' | 'metrics' | 'none';

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

/** `batch`: what became of the batch size on the pod template (see applyPlacement), when it is known. */
export function decisionRecord(a: Allocation, source: LoadSource, batch?: BatchOutcome): string {
  // No timestamps: the same inputs must give the same annotation, or a reinvocation would patch again.
  return JSON.stringify({
    accelerator: a.accelerator, maxBatch: a.maxBatch, replicas: a.numReplicas, costCentsPerHour: round(a.cost, 4),
    itlMs: round(a.itlAverage, 3), ttftMs: round(a.ttftAverage, 3), sloMet: a.sloMet,
    load: { arrivalRate: a.load.arrivalRate, avgInTokens: a.load.avgInTokens, avgOutTokens: a.load.avgOutTokens, source },
    ...(batch !== undefined ? { batch: { maxNumSeqs: batch.maxNumSeqs, appliedBy: batch.by, at: batch.at, ...(batch.problem !== undefined ? { problem: batch.problem } : {}) } } : {}),
  });
}

/** `setReplicas`: admission sets replicas on CREATE only; afterwards the scaler owns them (through /scale). */
export function placementOf(a: Allocation, server: Server, accelerators: readonly Accelerator[], source: LoadSource, setReplicas: boolean, warnings: string[]): Placement {
  const acc = accelerators.find((x) => x.name === a.accelerator);
  const profile = server.profiles.find((p) => p.accelerator === a.accelerator);
  const selector = acc?.labelKey !== undefined && acc.device !== undefined ? { key: acc.labelKey, value: acc.device } : undefined;
  if (selector === undefined) warnings.push(`inferno: accelerator ${a.accelerator} has no device label in the catalog; no nodeSelector set`);
  return {
    ...(selector !== undefined ? { nodeSelector: selector } : {}),
    ...(acc?.resource !== undefined && profile !== undefined ? { gpu: { resource: acc.resource, count: profile.accCount * acc.multiplicity } } : {}),
    maxBatch: a.maxBatch,
    podLabels: { [Label.accelerator]: a.accelerator },
    annotations: { [Annotation.decision]: decisionRecord(a, source) },
    ...(setReplicas ? { replicas: a.numReplicas } : {}),
    clear: {
      labelKeys: [...new Set(accelerators.flatMap((x) => (x.labelKey !== undefined ? [x.labelKey] : [])))],
      resources: [...new Set(accelerators.flatMap((x) => (x.resource !== undefined ? [x.resource] : [])))],
    },
  };
}
