// Managed Deployments paired with their Optimizers, what each runs now, and the load the collector saw for it.
import type { OptimizerResource } from '../cluster/resources.js';
import { Annotation, Label } from '../domain/keys.js';
import type { Accelerator, Load } from '../domain/types.js';
import { BatchSizeEnv } from '../placement/pod-template.js';
import { containerIndex } from '../placement/target.js';
import type { LoadObservation, ManagedDeployment, Reading, Target } from './ports.js';
import type { CurrentState, Observed } from './types.js';

export interface Pairing {
  readonly targets: Target[];
  /** Deployments left alone this tick, with why */
  readonly skipped: { readonly namespace: string; readonly name: string; readonly reason: string }[];
}

/** Each managed Deployment with its Optimizer; a second Deployment naming the same Optimizer is skipped. */
export function pairTargets(deployments: readonly ManagedDeployment[], optimizers: readonly OptimizerResource[]): Pairing {
  const byKey = new Map(optimizers.map((o) => [`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));
  const taken = new Map<string, string>();
  const targets: Target[] = [];
  const skipped: Pairing['skipped'] = [];
  for (const d of [...deployments].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))) {
    const optName = d.view.metadata.annotations?.[Annotation.optimizer] ?? d.name;
    const key = `${d.namespace}/${optName}`;
    const optimizer = byKey.get(key);
    if (optimizer === undefined) {
      skipped.push({ namespace: d.namespace, name: d.name, reason: `Optimizer ${key} not found` });
      continue;
    }
    const first = taken.get(key);
    if (first !== undefined) {
      skipped.push({ namespace: d.namespace, name: d.name, reason: `Optimizer ${key} already plans Deployment ${first}` });
      continue;
    }
    taken.set(key, d.name);
    targets.push({ deployment: d, optimizer });
  }
  return { targets, skipped };
}

/** The batch size the template runs with: inferno's env var in the container it edits; 0 when unknown. */
export function batchOf(d: ManagedDeployment): number {
  const c = d.view.spec.template.spec.containers[containerIndex(d.view, [])];
  const env = c?.env?.find((e) => e.name === BatchSizeEnv) as { value?: unknown } | undefined;
  const n = Number(env?.value);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

export function currentState(t: Target, accelerators: readonly Accelerator[]): CurrentState {
  const d = t.deployment;
  const specReplicas = d.view.spec.replicas ?? 1;
  const accelerator = d.view.spec.template.metadata?.labels?.[Label.accelerator] ?? '';
  const acc = accelerators.find((a) => a.name === accelerator);
  const profile = t.optimizer.spec.modelProfile.accelerators.find((p) => p.acc === accelerator);
  return {
    specReplicas,
    readyReplicas: d.readyReplicas,
    // created but not ready: capacity on its way (a rollout's old pods are counted too, which only delays a scale-up)
    startingReplicas: Math.max(0, d.statusReplicas - d.readyReplicas),
    accelerator,
    maxBatch: batchOf(d),
    cost: acc !== undefined && profile !== undefined ? specReplicas * acc.cost * profile.accCount : 0,
  };
}

const known = (r: Reading | undefined): r is number => typeof r === 'number' && Number.isFinite(r);
const why = (r: Reading | undefined, what: string): string => `${what}: ${r === undefined ? 'no data' : typeof r === 'number' ? `not finite (${r})` : r.unknown}`;

export type LoadReading =
  | { readonly kind: 'known'; readonly load: Load; readonly sampleAgeMs: number }
  | { readonly kind: 'unknown'; readonly reason: string };

/**
 * The load to plan for, or why it is unknown. With no arrivals the token means are 0/0: the last known mix (the
 * Optimizer's status) stands in, since it only shapes a zero-load plan. With arrivals, unknown tokens are unknown load.
 */
export function loadReading(o: LoadObservation | undefined, failure: string | undefined, previous: Load | undefined): LoadReading {
  if (failure !== undefined) return { kind: 'unknown', reason: failure };
  if (o === undefined) return { kind: 'unknown', reason: 'no metrics for this model server' };
  if (!known(o.arrivalRpm)) return { kind: 'unknown', reason: why(o.arrivalRpm, 'arrival rate') };
  if (!known(o.sampleAgeS)) return { kind: 'unknown', reason: why(o.sampleAgeS, 'sample age') };
  const rpm = Math.max(0, o.arrivalRpm);
  const tokens = (r: Reading, fallback: number | undefined, what: string): number | string =>
    known(r) ? Math.max(0, Math.round(r)) : rpm === 0 ? (fallback ?? 0) : why(r, what);
  const inTok = tokens(o.avgInputTokens, previous?.avgInTokens, 'input tokens');
  const outTok = tokens(o.avgOutputTokens, previous?.avgOutTokens, 'output tokens');
  if (typeof inTok === 'string') return { kind: 'unknown', reason: inTok };
  if (typeof outTok === 'string') return { kind: 'unknown', reason: outTok };
  return { kind: 'known', load: { arrivalRate: rpm, avgInTokens: inTok, avgOutTokens: outTok }, sampleAgeMs: o.sampleAgeS * 1000 };
}

export const observedOf = (r: LoadReading): Observed =>
  r.kind === 'known' ? { kind: 'known', arrivalRate: r.load.arrivalRate, sampleAgeMs: r.sampleAgeMs } : { kind: 'unknown', reason: r.reason };
