// The autoscaling policies a simulation compares, each driving the same simulated fleet on the same traffic:
// - inferno / inferno-unlimited: the real scaler tick (scaler/tick.ts) through ports over the fleet, limited to the
//   cluster's GPUs or not;
// - wva: upstream's behaviour through the same tick: unlimited, the accelerator and batch size of the Deployment's
//   template kept (replicas only);
// - hpa / hpa-kv: a HorizontalPodAutoscaler on vLLM's running requests per replica / KV-cache use, default behavior;
// - keda-queue: KEDA on vLLM's waiting requests (an External AverageValue metric polled every 30 s, HPA behind it);
// - static-peak: a fleet sized once for the trace's peak minute on the cheapest GPU that meets the SLOs (the
//   solver's choice at that load), never scaled.
import type { PerfProfile, Server } from '../domain/types.js';
import { defaultScalerSettings } from '../domain/types.js';
import { serverFromOptimizer } from '../cluster/optimizer.js';
import { decide as planFor } from '../placement/decide.js';
import { snapshotOf } from '../cluster/snapshot.js';
import { Scaler } from '../scaler/tick.js';
import type { SimDeployment, SimFleet } from './fleet.js';
import type { PodSample } from './hpa.js';
import { DefaultHpaBehavior, HpaState, externalPerPodReplicas, podMetricReplicas } from './hpa.js';
import { simPorts } from './ports.js';
import type { SimPortsOptions } from './ports.js';
import type { Template } from './setup.js';
import { withSloMargin } from './setup.js';
import type { Arrivals } from './traffic.js';
import { tokenMean } from './traffic.js';

export const PolicyNames = ['inferno', 'inferno-unlimited', 'hpa', 'hpa-kv', 'keda-queue', 'static-peak', 'wva'] as const;
export type PolicyName = (typeof PolicyNames)[number];

export interface Policy {
  readonly name: PolicyName;
  /** time of the first tick and the interval between ticks, ms; Infinity: never ticks */
  readonly firstTickMs: number;
  readonly intervalMs: number;
  /** the fleet at t = 0 by Deployment index; undefined: the scenario's Deployments as given */
  initial?(): ReadonlyMap<number, { readonly template: Template; readonly replicas: number }>;
  tick(now: number): Promise<void>;
}

/**
 * What hpa aims for per replica: the running requests at which decode reaches `margin` of the ITL target, at most
 * 70 % of the batch (a team's reading of the profile it measured).
 */
export function runningTarget(profile: PerfProfile | undefined, maxBatch: number, itlTargetMs: number, margin: number): number {
  const cap = Math.max(1, Math.floor(0.7 * maxBatch));
  if (profile === undefined || itlTargetMs <= 0 || profile.beta <= 0) return cap;
  return Math.max(1, Math.min(cap, Math.floor((margin * itlTargetMs - profile.alpha) / profile.beta)));
}

function scalerPolicy(name: PolicyName, fleet: SimFleet, over: Omit<SimPortsOptions, 'now'>): Policy {
  let now = 0;
  const ports = simPorts(fleet, { ...over, now: () => now });
  // No wall clock in a simulation: the tick's phase timings are not what is measured here.
  const scaler = new Scaler(ports, () => 0);
  const interval = defaultScalerSettings(fleet.setup.config.controller.scaler).intervalMs;
  return {
    name, firstTickMs: interval, intervalMs: interval,
    async tick(t) {
      now = t;
      await scaler.tick(t);
    },
  };
}

const live = (fleet: SimFleet, d: SimDeployment) => fleet.podsOf(d).filter((p) => p.phase !== 'draining');

function samples(fleet: SimFleet, d: SimDeployment, value: (s: { running: number; waiting: number; kvUsage: number }) => number): PodSample[] {
  return live(fleet, d).map((p): PodSample => {
    if (p.phase === 'pending') return { kind: 'pending' };
    if (p.engine === undefined) return { kind: 'missing' };
    return { kind: 'ready', value: value(p.engine.state()) };
  });
}

function hpaPolicy(name: 'hpa' | 'hpa-kv', fleet: SimFleet): Policy {
  const states = new Map<SimDeployment, HpaState>(fleet.deployments.map((d) => [d, new HpaState(DefaultHpaBehavior)]));
  const b = fleet.setup.settings.baselines;
  const targetOf = (d: SimDeployment): number => {
    const running = b.hpaRunningTarget ?? runningTarget(fleet.profileOf(d, d.template.accelerator), d.template.maxBatch, d.setup.target.itl, fleet.setup.settings.sloMargin);
    if (name === 'hpa') return running;
    // KV use at that many running requests of average size (half their output generated), as a team would read it.
    const traffic = fleet.setup.traffic.find((t) => t.deployment === d.index);
    const tokens = traffic === undefined ? 0.5 * fleet.setup.settings.maxModelLen : tokenMean(traffic.inputTokens) + tokenMean(traffic.outputTokens) / 2;
    return b.hpaKvTarget ?? Math.min(1, (running * tokens) / (d.template.maxBatch * fleet.setup.settings.maxModelLen));
  };
  return {
    name, firstTickMs: 15_000, intervalMs: 15_000,
    tick(now) {
      fleet.advanceAll(now);
      for (const d of fleet.deployments) {
        const current = d.specReplicas;
        const raw = podMetricReplicas(samples(fleet, d, (s) => (name === 'hpa' ? s.running : s.kvUsage)), targetOf(d), current, DefaultHpaBehavior.tolerance);
        const state = states.get(d);
        if (state === undefined) continue;
        fleet.setReplicas(d, state.normalize(now, current, raw, Math.max(1, d.setup.minReplicas), d.setup.maxReplicas), now);
      }
      return Promise.resolve();
    },
  };
}

function kedaPolicy(fleet: SimFleet): Policy {
  const b = fleet.setup.settings.baselines;
  const states = new Map<SimDeployment, HpaState>(fleet.deployments.map((d) => [d, new HpaState(DefaultHpaBehavior)]));
  const polled = new Map<SimDeployment, number>();
  let lastPoll = -Infinity;
  return {
    name: 'keda-queue', firstTickMs: 15_000, intervalMs: 15_000,
    tick(now) {
      fleet.advanceAll(now);
      if (now - lastPoll >= b.kedaPollingMs) {
        lastPoll = now;
        for (const d of fleet.deployments) polled.set(d, samples(fleet, d, (s) => s.waiting).reduce((a, s) => a + (s.kind === 'ready' ? s.value : 0), 0));
      }
      for (const d of fleet.deployments) {
        const waiting = polled.get(d);
        const state = states.get(d);
        if (waiting === undefined || state === undefined) continue;
        const current = d.specReplicas;
        const raw = externalPerPodReplicas(waiting, b.kedaWaitingTarget, live(fleet, d).length, DefaultHpaBehavior.tolerance);
        // KEDA's cooldown governs 1 → 0 only; with vLLM's metrics a fleet at zero has none to wake it, so ≥ 1.
        fleet.setReplicas(d, state.normalize(now, current, raw, Math.max(1, d.setup.minReplicas), d.setup.maxReplicas), now);
      }
      return Promise.resolve();
    },
  };
}

/** The trace's peak minute per Deployment (req/min) and its mean token counts. */
export function peakLoads(arrivals: Arrivals, deployments: number): { rpm: number; avgIn: number; avgOut: number }[] {
  const perMinute = Array.from({ length: deployments }, () => new Map<number, number>());
  const sums = Array.from({ length: deployments }, () => ({ n: 0, i: 0, o: 0 }));
  for (let k = 0; k < arrivals.count; k += 1) {
    const d = arrivals.deployment[k] ?? 0;
    const m = Math.floor((arrivals.t[k] ?? 0) / 60_000);
    const bins = perMinute[d];
    const s = sums[d];
    if (bins === undefined || s === undefined) continue;
    bins.set(m, (bins.get(m) ?? 0) + 1);
    s.n += 1;
    s.i += arrivals.inputTokens[k] ?? 0;
    s.o += arrivals.outputTokens[k] ?? 0;
  }
  return perMinute.map((bins, d) => {
    const s = sums[d] ?? { n: 0, i: 0, o: 0 };
    return { rpm: Math.max(0, ...bins.values()), avgIn: s.n > 0 ? Math.round(s.i / s.n) : 0, avgOut: s.n > 0 ? Math.max(1, Math.round(s.o / s.n)) : 1 };
  });
}

function staticPeakPolicy(fleet: SimFleet, arrivals: Arrivals): Policy {
  return {
    name: 'static-peak', firstTickMs: Infinity, intervalMs: Infinity,
    initial() {
      const peaks = peakLoads(arrivals, fleet.deployments.length);
      const servers: Server[] = fleet.deployments.map((d) => {
        const p = peaks[d.index] ?? { rpm: 0, avgIn: 0, avgOut: 1 };
        return { ...serverFromOptimizer(d.setup.optimizer, d.setup.cls, { arrivalRate: p.rpm, avgInTokens: p.avgIn, avgOutTokens: p.avgOut }), keepAccelerator: false };
      });
      const config = withSloMargin(fleet.setup.config, fleet.setup.settings.sloMargin);
      const classes = [...new Set(fleet.deployments.map((d) => config.classes.byName.get(d.setup.cls.name) ?? d.setup.cls))];
      const snap = snapshotOf(config, fleet.inventory);
      // The whole peak fleet within the cluster's GPUs; what does not fit is sized as if GPUs were unlimited.
      const limited = planFor(servers, classes, snap, { capacity: 'managed' });
      const unlimited = planFor(servers, classes, snap, { capacity: 'unlimited' });
      const out = new Map<number, { template: Template; replicas: number }>();
      fleet.deployments.forEach((d, i) => {
        const name = servers[i]?.name;
        const a = limited.allocations.find((x) => x.server === name && x.sloMet) ?? unlimited.allocations.find((x) => x.server === name);
        if (a !== undefined) out.set(d.index, { template: { accelerator: a.accelerator, maxBatch: a.maxBatch }, replicas: Math.max(a.numReplicas, 1) });
      });
      return out;
    },
    tick: () => Promise.resolve(),
  };
}

export function createPolicy(name: PolicyName, fleet: SimFleet, arrivals: Arrivals): Policy {
  switch (name) {
    case 'inferno': return scalerPolicy(name, fleet, {});
    case 'inferno-unlimited': return scalerPolicy(name, fleet, { options: { unlimited: true } });
    case 'wva': return scalerPolicy(name, fleet, {
      options: { unlimited: true },
      optimizerSpec: (d) => ({ keepAccelerator: true, maxBatchSize: d.setup.template.maxBatch }),
    });
    case 'hpa':
    case 'hpa-kv': return hpaPolicy(name, fleet);
    case 'keda-queue': return kedaPolicy(fleet);
    case 'static-peak': return staticPeakPolicy(fleet, arrivals);
    default: {
      const never: never = name;
      return never;
    }
  }
}
