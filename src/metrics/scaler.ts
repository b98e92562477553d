// The scaler's metrics on a registry the caller owns. The first four keep upstream WVA's names and labels
// (kubernetes-interfaces.md §6.1) so HPA (External metric) and KEDA (prometheus trigger) recipes work unchanged;
// inferno_replica_scaling_total is actually incremented here (upstream defined it and never did).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ScalerMetric, ScalerMetricLabel as L } from '../domain/keys.js';

const variantLabels = [L.variant, L.namespace, L.accelerator] as const;
type VariantLabel = (typeof variantLabels)[number];

/** Parts of a tick whose duration is observed; `total` is the whole tick. */
export const TickPhases = ['total', 'collect', 'solve', 'actuate'] as const;
export type TickPhase = (typeof TickPhases)[number];

// A tick lists, queries Prometheus, solves and writes: tens of ms for a few models, seconds for hundreds (the
// goal for 500 is < 5 s), so resolve 5 ms … 60 s.
const tickBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface ScalerMetrics {
  readonly registry: Registry;
  readonly desiredReplicas: Gauge<VariantLabel>;
  readonly currentReplicas: Gauge<VariantLabel>;
  readonly desiredRatio: Gauge<VariantLabel>;
  readonly predictedItl: Gauge<VariantLabel>;
  readonly predictedTtft: Gauge<VariantLabel>;
  readonly cost: Gauge<VariantLabel>;
  readonly tickDuration: Histogram<'phase'>;
  readonly replicaScaling: Counter<'variant_name' | 'namespace' | 'direction' | 'reason'>;
  /** accelerator label currently exported per variant, so a change of accelerator drops the old series */
  readonly exported: Map<string, string>;
}

export function createScalerMetrics(registry: Registry = new Registry()): ScalerMetrics {
  const gauge = (name: string, help: string): Gauge<VariantLabel> => new Gauge({ name, help, labelNames: variantLabels, registers: [registry] });
  return {
    registry,
    desiredReplicas: gauge(ScalerMetric.desiredReplicas, 'Replicas the scaler wants for the variant (Deployment); accelerator_type is the desired accelerator'),
    currentReplicas: gauge(ScalerMetric.currentReplicas, 'Replicas the variant (Deployment) has: spec.replicas'),
    desiredRatio: gauge(ScalerMetric.desiredRatio, 'Desired over current replicas; equals desired when current is 0'),
    predictedItl: gauge(ScalerMetric.predictedItl, 'Predicted mean inter-token latency at the desired allocation, ms'),
    predictedTtft: gauge(ScalerMetric.predictedTtft, 'Predicted mean time to first token at the desired allocation, ms'),
    cost: gauge(ScalerMetric.cost, 'Cost of the desired allocation, cents per hour'),
    tickDuration: new Histogram({
      name: ScalerMetric.tickDuration,
      help: 'Duration of scaler ticks (phase=total) and of their collect, solve and actuate parts, in seconds',
      labelNames: ['phase'] as const,
      buckets: tickBuckets,
      registers: [registry],
    }),
    replicaScaling: new Counter({
      name: ScalerMetric.replicaScaling,
      help: 'Replica changes the scaler made (or recommended), by direction and reason',
      labelNames: [L.variant, L.namespace, L.direction, L.reason] as const,
      registers: [registry],
    }),
    exported: new Map(),
  };
}

export interface VariantSample {
  /** the Deployment's name */
  readonly variant: string;
  readonly namespace: string;
  /** the desired accelerator */
  readonly accelerator: string;
  readonly desiredReplicas: number;
  readonly currentReplicas: number;
  /** undefined = not predicted this tick (no allocation): the series is removed rather than left stale */
  readonly predictedItlMs: number | undefined;
  readonly predictedTtftMs: number | undefined;
  readonly cost: number | undefined;
}

const variantKey = (namespace: string, variant: string): string => `${namespace}/${variant}`;

/** Sets one variant's gauges; a new accelerator replaces the series of the previous one. */
export function recordVariant(m: ScalerMetrics, s: VariantSample): void {
  const key = variantKey(s.namespace, s.variant);
  const before = m.exported.get(key);
  if (before !== undefined && before !== s.accelerator) forgetVariant(m, s.namespace, s.variant);
  m.exported.set(key, s.accelerator);
  const labels = { [L.variant]: s.variant, [L.namespace]: s.namespace, [L.accelerator]: s.accelerator };
  m.desiredReplicas.set(labels, s.desiredReplicas);
  m.currentReplicas.set(labels, s.currentReplicas);
  m.desiredRatio.set(labels, s.currentReplicas === 0 ? s.desiredReplicas : s.desiredReplicas / s.currentReplicas);
  const optional: [Gauge<VariantLabel>, number | undefined][] = [[m.predictedItl, s.predictedItlMs], [m.predictedTtft, s.predictedTtftMs], [m.cost, s.cost]];
  for (const [g, v] of optional) {
    if (v === undefined || !Number.isFinite(v)) g.remove(labels);
    else g.set(labels, v);
  }
}

/** Drops every gauge series of a variant (its Deployment or Optimizer is gone, or its accelerator changed). */
export function forgetVariant(m: ScalerMetrics, namespace: string, variant: string): void {
  const key = variantKey(namespace, variant);
  const accelerator = m.exported.get(key);
  if (accelerator === undefined) return;
  const labels = { [L.variant]: variant, [L.namespace]: namespace, [L.accelerator]: accelerator };
  for (const g of [m.desiredReplicas, m.currentReplicas, m.desiredRatio, m.predictedItl, m.predictedTtft, m.cost]) g.remove(labels);
  m.exported.delete(key);
}

/** Counts one replica change; `none` directions are not changes and are not counted. */
export function recordScaling(m: ScalerMetrics, s: { variant: string; namespace: string; direction: 'up' | 'down' | 'none'; reason: string }): void {
  if (s.direction === 'none') return;
  m.replicaScaling.inc({ [L.variant]: s.variant, [L.namespace]: s.namespace, [L.direction]: s.direction, [L.reason]: s.reason });
}

export function observeTick(m: ScalerMetrics, phase: TickPhase, seconds: number): void {
  m.tickDuration.observe({ phase }, seconds);
}
