// The scaler's eyes: one batched collection per tick over the Prometheus client (a query per quantity for all model
// servers, never one per server), keyed the way the tick looks observations up.
import { collect } from '../collector/collect.js';
import type { PrometheusClient } from '../prometheus/client.js';
import type { ObservationSet, ScalerPorts } from '../scaler/ports.js';
import { observationKey } from '../scaler/ports.js';

export function prometheusObserver(client: PrometheusClient, clock: () => number = Date.now): ScalerPorts['observe'] {
  return async (servers, settings): Promise<ObservationSet> => {
    const c = await collect(client, servers, { windowS: settings.metricsWindowS, staleAfterS: settings.maxSampleAgeMs / 1000, perPod: false }, clock() / 1000);
    const byServer = new Map(c.observations.map((o) => [observationKey(o.namespace, o.model), o]));
    // Every query failed: Prometheus is down or refusing; say so once for all rather than "no data" per server.
    const failure = c.queries > 0 && c.errors.length === c.queries ? `prometheus-error: ${c.errors[0] ?? 'every query failed'}` : undefined;
    return failure !== undefined ? { byServer, failure } : { byServer };
  };
}

/** No Prometheus configured: every server is unknown, and the status says why. */
export const noPrometheus: ScalerPorts['observe'] = () =>
  Promise.resolve({ byServer: new Map(), failure: 'no Prometheus configured (inferno serve --prometheus URL)' });
