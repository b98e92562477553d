// Scheduler extender metrics, on the registry the admission metrics use (one /metrics for the whole server).
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { Extender } from '../domain/keys.js';

export const ExtenderMetricName = {
  requests: 'inferno_extender_requests_total',
  duration: 'inferno_extender_duration_seconds',
  assumed: 'inferno_extender_assumed_pods',
} as const;

/** ok: answered; error: answered with an Error (or 503) the scheduler reports; bad_request: HTTP 4xx. */
export const ExtenderResults = ['ok', 'error', 'bad_request'] as const;
export type ExtenderResult = (typeof ExtenderResults)[number];
export const ExtenderVerbs = [Extender.filterVerb, Extender.prioritizeVerb] as const;
export type ExtenderVerb = (typeof ExtenderVerbs)[number];

// Each call sits on the scheduling cycle of a pod: resolve 0.1 ms to 1 s.
const durationBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export interface ExtenderMetrics {
  readonly requests: Counter<'verb' | 'result'>;
  readonly duration: Histogram<'verb'>;
  readonly assumed: Gauge;
}

export function createExtenderMetrics(registry: Registry): ExtenderMetrics {
  const m: ExtenderMetrics = {
    requests: new Counter({ name: ExtenderMetricName.requests, help: 'Scheduler extender calls answered, by verb and result', labelNames: ['verb', 'result'] as const, registers: [registry] }),
    duration: new Histogram({ name: ExtenderMetricName.duration, help: 'Time from receiving an extender call (body read) to answering it, in seconds', labelNames: ['verb'] as const, buckets: durationBuckets, registers: [registry] }),
    assumed: new Gauge({ name: ExtenderMetricName.assumed, help: 'Pods the scheduler is binding that inferno holds GPUs for until its informer sees them bound', registers: [registry] }),
  };
  for (const verb of ExtenderVerbs) for (const result of ExtenderResults) m.requests.inc({ verb, result }, 0);
  return m;
}
