// Admission webhook metrics on a registry the caller owns (one per app instance: no "already registered" clashes
// between tests, nothing on prom-client's global default registry).
import { Counter, Histogram, Registry } from 'prom-client';

export const AdmissionMetricName = {
  requests: 'inferno_admission_requests_total',
  duration: 'inferno_admission_duration_seconds',
  errors: 'inferno_admission_errors_total',
} as const;

/** How one admission request ended; `error` = the handler threw, `bad_request` = the input was not a usable review. */
export const AdmissionResults = ['allowed', 'denied', 'patched', 'error', 'bad_request'] as const;
export type AdmissionResult = (typeof AdmissionResults)[number];

// Admission runs on the API server's latency budget (p99 ≤ 1 s for the whole mutating call, webhooks typically
// a few ms): resolve sub-millisecond to 1 s. A coarse smallest bucket hides regressions (gatekeeper#3303).
const durationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export interface AdmissionMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'result'>;
  readonly duration: Histogram<'route' | 'result'>;
  readonly errors: Counter<'route'>;
}

export function createAdmissionMetrics(registry: Registry = new Registry()): AdmissionMetrics {
  return {
    registry,
    requests: new Counter({
      name: AdmissionMetricName.requests,
      help: 'Admission requests answered, by route and result',
      labelNames: ['route', 'result'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: AdmissionMetricName.duration,
      help: 'Time from receiving an admission request to sending its response, in seconds',
      labelNames: ['route', 'result'] as const,
      buckets: durationBuckets,
      registers: [registry],
    }),
    errors: new Counter({
      name: AdmissionMetricName.errors,
      help: 'Admission handlers that threw (answered by the route failure policy)',
      labelNames: ['route'] as const,
      registers: [registry],
    }),
  };
}

/** Counts one answered request. */
export function recordAdmission(m: AdmissionMetrics, route: string, result: AdmissionResult, seconds: number): void {
  m.requests.inc({ route, result });
  m.duration.observe({ route, result }, seconds);
}

/** Exposes every route's series at zero, so rate() and absent-series alerts work before the first request. */
export function initAdmissionRoute(m: AdmissionMetrics, route: string): void {
  for (const result of AdmissionResults) m.requests.inc({ route, result }, 0);
  m.errors.inc({ route }, 0);
}
