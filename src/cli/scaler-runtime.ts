// The periodic scaler inside `inferno serve`: every replica campaigns for the Lease; the holder runs the tick loop
// (interval from the controller ConfigMap, re-read every tick); losing the Lease aborts the loop and every request
// in flight at once. Composition only: the tick is scaler/tick.ts, the writes kube/scaler-actuator.ts.
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterView } from '../cluster/snapshot.js';
import { defaultScalerSettings } from '../domain/types.js';
import { LeaderElector } from '../kube/lease.js';
import { ScalerActuator } from '../kube/scaler-actuator.js';
import { kubeScalerPorts } from '../kube/scaler-ports.js';
import type { ScalerMetrics } from '../metrics/scaler.js';
import { forgetVariant, observeTick, recordScaling, recordVariant } from '../metrics/scaler.js';
import type { LeaseTimings } from '../scaler/lease-logic.js';
import { runLoop } from '../scaler/loop.js';
import type { ScalerPorts } from '../scaler/ports.js';
import type { ScalerTelemetry } from '../scaler/tick.js';
import { Scaler } from '../scaler/tick.js';
import type { System } from '../domain/types.js';
import type { Plan } from '../solver/index.js';
import type { WebhookLog } from '../http/webhook-app.js';

export interface ScalerRuntimeOptions {
  readonly kubeConfig: KubeConfig;
  readonly view: ClusterView;
  /** inferno's namespace: the Lease lives there */
  readonly namespace: string;
  readonly identity?: string;
  readonly leaseTimings?: Partial<LeaseTimings>;
  readonly observe: ScalerPorts['observe'];
  readonly metrics: ScalerMetrics;
  readonly log: WebhookLog;
}

function telemetryOf(m: ScalerMetrics): ScalerTelemetry {
  return {
    variant: (s) => { recordVariant(m, s); },
    forget: (ns, v) => { forgetVariant(m, ns, v); },
    scaling: (s) => { recordScaling(m, s); },
    phase: (p, seconds) => { observeTick(m, p, seconds); },
  };
}

async function exactSolver(system: System): Promise<Plan> {
  const [{ createHighsBackend }, { prepare, solveExact }] = await Promise.all([import('../io/highs.js'), import('../solver/index.js')]);
  return solveExact(prepare(system), await createHighsBackend()).plan;
}

/** Campaigns and, while leading, scales; resolves after `stop` aborted and the last tick ended. */
export async function runScaler(o: ScalerRuntimeOptions, stop: AbortSignal): Promise<void> {
  const actuator = new ScalerActuator({ kubeConfig: o.kubeConfig, component: 'inferno-scaler', ...(o.identity !== undefined ? { instance: o.identity } : {}) });
  const telemetry = telemetryOf(o.metrics);
  const elector = new LeaderElector({
    kubeConfig: o.kubeConfig,
    namespace: o.namespace,
    ...(o.identity !== undefined ? { identity: o.identity } : {}),
    ...(o.leaseTimings !== undefined ? { timings: o.leaseTimings } : {}),
    log: (message) => { o.log('info', message); },
    onStartedLeading: async (signal) => {
      o.log('info', 'scaler started: this replica holds the Lease', { namespace: o.namespace });
      const ports = kubeScalerPorts({ kubeConfig: o.kubeConfig, view: o.view, actuator, observe: o.observe, solveExact: exactSolver, signal });
      // Windows start afresh with every term: the previous leader's memory is not ours to trust.
      const scaler = new Scaler(ports, () => performance.now(), telemetry);
      await runLoop({
        signal,
        intervalMs: () => defaultScalerSettings(o.view.snapshot().config.controller.scaler).intervalMs,
        tick: async (n) => {
          const r = await scaler.tick(Date.now());
          o.log('info', 'scaler tick', {
            tick: n, deployments: r.rows.length, changed: r.rows.filter((x) => x.action === 'scale' || x.action === 'switch').length,
            held: r.rows.filter((x) => x.action === 'hold').length, collectMs: Math.round(r.phasesMs.collect), solveMs: Math.round(r.phasesMs.solve), actuateMs: Math.round(r.phasesMs.actuate),
          });
        },
        onError: (err, n) => { o.log('warn', 'scaler tick failed; retrying next tick', { tick: n, err: (err instanceof Error ? err.message : String(err)).slice(0, 300) }); },
      });
    },
    onStoppedLeading: (why) => { o.log('info', 'scaler stopped', { why }); },
  });
  await elector.run(stop);
}
