// Process and runtime metrics for `inferno serve`: prom-client's defaults (CPU, resident memory, heap, GC, event-loop
// lag and its percentiles) and the work moved off the event loop. Separate from the admission metrics so tests
// that build many apps do not each start an event-loop monitor.
import { Gauge, collectDefaultMetrics } from 'prom-client';
import type { Registry } from 'prom-client';
import type { OffloadStats } from '../threads/offload.js';

export const ProcessMetricName = {
  /** from prom-client's defaults */
  eventLoopLag: 'nodejs_eventloop_lag_seconds',
  residentMemory: 'process_resident_memory_bytes',
  offload: 'inferno_offload_tasks',
} as const;

export function collectProcessMetrics(registry: Registry): void {
  // 10 ms resolution for the event-loop delay histogram: admission's whole budget is a few milliseconds.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
}

/** Tasks run inline or in the worker, and the worker's timeouts, refusals and restarts, since start. */
export function collectOffloadMetrics(registry: Registry, stats: () => OffloadStats): void {
  new Gauge({
    name: ProcessMetricName.offload,
    help: 'Solver and ConfigMap-parsing tasks since start: run inline, in the worker thread, stopped at their deadline, refused (queue full); worker restarts',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      const s = stats();
      this.set({ outcome: 'inline' }, s.inline);
      this.set({ outcome: 'worker' }, s.offloaded);
      this.set({ outcome: 'timeout' }, s.timeouts);
      this.set({ outcome: 'refused' }, s.rejected);
      this.set({ outcome: 'restart' }, s.restarts);
    },
  });
}
