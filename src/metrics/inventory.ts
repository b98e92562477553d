// What inferno's informers hold, as gauges read at scrape time: operators compare it with the API server to see
// whether inferno is behind, and tests wait on it instead of sleeping until a watch event has arrived.
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

export const InventoryMetricName = {
  gpusBound: 'inferno_inventory_gpus_bound',
} as const;

/** `bound` answers undefined while the caches have not synced: no sample then (unknown is not zero). */
export function collectInventoryMetrics(registry: Registry, bound: () => Readonly<Record<string, number>> | undefined): void {
  new Gauge({
    name: InventoryMetricName.gpusBound,
    help: 'GPU units held by pods bound to nodes, per resource, as inferno\'s pod informer sees them',
    labelNames: ['resource'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [resource, units] of Object.entries(bound() ?? {})) this.set({ resource }, units);
    },
  });
}
