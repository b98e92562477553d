// The HorizontalPodAutoscaler's algorithm (kube-controller-manager's podautoscaler, autoscaling/v2 with the default
// behavior), for the baselines: replicas from a per-pod metric (with its rules for pods without metrics) or from an
// external metric averaged per pod, the 10 % tolerance, the scale-down stabilization window, and the rate limits.
// Pure: the caller passes the time and the metric values.

export interface HpaBehavior {
  /** fraction; |ratio − 1| within it changes nothing */
  readonly tolerance: number;
  readonly upWindowMs: number;
  readonly downWindowMs: number;
  /** scale-up policies (selectPolicy Max): at most `pods` more, or `percent` % more, per period */
  readonly upPods: number;
  readonly upPercent: number;
  readonly upPeriodMs: number;
  /** scale-down policy: at most `percent` % fewer per period */
  readonly downPercent: number;
  readonly downPeriodMs: number;
}

/** autoscaling/v2 defaults (and kube-controller-manager's --horizontal-pod-autoscaler-tolerance). */
export const DefaultHpaBehavior: HpaBehavior = {
  tolerance: 0.1, upWindowMs: 0, downWindowMs: 300_000, upPods: 4, upPercent: 100, upPeriodMs: 15_000, downPercent: 100, downPeriodMs: 15_000,
};

/** A pod as the HPA groups it: pending pods are ignored; running pods without a metric are missing. */
export type PodSample = { readonly kind: 'pending' } | { readonly kind: 'missing' } | { readonly kind: 'ready'; readonly value: number };

/**
 * Replicas for a Pods metric with an AverageValue target (replica_calculator.go, calcPlainMetricReplicas): missing
 * pods count as at the target on a scale-down and as 0 on a scale-up, and a direction the missing pods reverse
 * means no change. `current` is spec.replicas.
 */
export function podMetricReplicas(pods: readonly PodSample[], target: number, current: number, tolerance: number): number {
  const ready = pods.filter((p): p is Extract<PodSample, { kind: 'ready' }> => p.kind === 'ready');
  const missing = pods.filter((p) => p.kind === 'missing').length;
  if (ready.length === 0) return current;
  const sum = ready.reduce((a, p) => a + p.value, 0);
  const ratio = sum / ready.length / target;
  if (missing === 0) {
    if (Math.abs(1 - ratio) <= tolerance) return current;
    return Math.ceil(ratio * ready.length);
  }
  const filled = sum + (ratio < 1 ? missing * target : 0);
  const n = ready.length + missing;
  const newRatio = filled / n / target;
  if (Math.abs(1 - newRatio) <= tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return current;
  const replicas = Math.ceil(newRatio * n);
  if ((newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current)) return current;
  return replicas;
}

/** Replicas for an External metric with an AverageValue target (GetExternalPerPodMetricReplicas). */
export function externalPerPodReplicas(total: number, target: number, statusReplicas: number, tolerance: number): number {
  if (statusReplicas <= 0) return Math.ceil(total / target);
  const ratio = total / (target * statusReplicas);
  return Math.abs(1 - ratio) > tolerance ? Math.ceil(total / target) : statusReplicas;
}

interface Stamped {
  readonly at: number;
  readonly value: number;
}

/** One HPA's memory: recommendations (stabilization) and scale events (rate limits). */
export class HpaState {
  readonly #behavior: HpaBehavior;
  #recommendations: Stamped[] = [];
  #ups: Stamped[] = [];
  #downs: Stamped[] = [];

  constructor(behavior: HpaBehavior = DefaultHpaBehavior) {
    this.#behavior = behavior;
  }

  /** normalizeDesiredReplicasWithBehaviors: stabilize, then limit the rate and clamp to [min, max]. */
  normalize(now: number, current: number, desired: number, min: number, max: number): number {
    const b = this.#behavior;
    if (this.#recommendations.length === 0 && b.downWindowMs > 0) this.#recommendations.push({ at: now, value: current });
    let up = desired;
    let down = desired;
    for (const r of this.#recommendations) {
      if (r.at > now - b.upWindowMs) up = Math.min(up, r.value);
      if (r.at > now - b.downWindowMs) down = Math.max(down, r.value);
    }
    // Older samples than both windows are dropped (the controller reuses one slot; the outcome is the same).
    this.#recommendations = this.#recommendations.filter((r) => r.at > now - Math.max(b.upWindowMs, b.downWindowMs));
    this.#recommendations.push({ at: now, value: desired });
    let stabilized = current;
    if (stabilized < up) stabilized = up;
    if (stabilized > down) stabilized = down;

    const changed = (events: readonly Stamped[], periodMs: number): number => events.filter((e) => e.at > now - periodMs).reduce((a, e) => a + e.value, 0);
    let out = stabilized;
    if (stabilized > current) {
      const start = (periodMs: number): number => current - changed(this.#ups, periodMs) + changed(this.#downs, periodMs);
      const limit = Math.max(start(b.upPeriodMs) + b.upPods, Math.ceil(start(b.upPeriodMs) * (1 + b.upPercent / 100)));
      out = Math.min(stabilized, Math.max(limit, current), max);
    } else if (stabilized < current) {
      const start = current - changed(this.#ups, b.downPeriodMs) + changed(this.#downs, b.downPeriodMs);
      const limit = Math.min(Math.trunc(start * (1 - b.downPercent / 100)), current);
      out = Math.max(stabilized, Math.max(limit, min));
    }
    out = Math.min(Math.max(out, min), max);
    const keep = Math.max(b.upPeriodMs, b.downPeriodMs);
    this.#ups = this.#ups.filter((e) => e.at > now - keep);
    this.#downs = this.#downs.filter((e) => e.at > now - keep);
    if (out > current) this.#ups.push({ at: now, value: out - current });
    if (out < current) this.#downs.push({ at: now, value: current - out });
    return out;
  }
}
