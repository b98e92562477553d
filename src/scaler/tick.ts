// One scaler tick: list the managed Deployments and their Optimizers, collect their load, plan them all together,
// decide per Deployment, act (or only recommend), and tell users through the Optimizer status, Events and metrics.
// One Deployment's failure never stops the others; nothing here reads a clock or the network except via ports.
import jsonpatch from 'fast-json-patch';
import { observedLoad } from '../cluster/optimizer.js';
import type { ScalerSettings } from '../domain/types.js';
import { defaultScalerSettings } from '../domain/types.js';
import { applyPlacement } from '../placement/pod-template.js';
import { placementOf } from '../placement/record.js';
import { containerIndex } from '../placement/target.js';
import type { Allocation, AnalyzerCache, Plan } from '../solver/index.js';
import { createAnalyzerCache } from '../solver/index.js';
import { decide } from './decide.js';
import type { PlannedTarget } from './plan.js';
import { allocationFor, planTargets, solveTick, stayFits, stayOption, tickSystem, unallocatedReason, unitsPerReplica } from './plan.js';
import type { LoadObservation, ObservationSet, ScalerPorts, TemplateEdit, WriteResult } from './ports.js';
import { observationKey } from './ports.js';
import type { TickRow } from './report.js';
import { statusOf } from './report.js';
import type { LoadReading } from './targets.js';
import { loadReading, observedOf, pairTargets } from './targets.js';
import type { DeploymentMemory, Planned, ScaleAction } from './types.js';
import { EmptyMemory, ScaleReason } from './types.js';

/** Where the tick's numbers go (the composition root wires prom-client). */
export interface ScalerTelemetry {
  variant(s: { variant: string; namespace: string; accelerator: string; desiredReplicas: number; currentReplicas: number; predictedItlMs: number | undefined; predictedTtftMs: number | undefined; cost: number | undefined }): void;
  forget(namespace: string, variant: string): void;
  scaling(s: { variant: string; namespace: string; direction: 'up' | 'down' | 'none'; reason: string }): void;
  phase(phase: 'total' | 'collect' | 'solve' | 'actuate', seconds: number): void;
}

export interface TickResult {
  readonly at: number;
  readonly settings: ScalerSettings;
  readonly rows: readonly TickRow[];
  readonly skipped: readonly { readonly namespace: string; readonly name: string; readonly reason: string }[];
  readonly plan: Plan;
  readonly phasesMs: { readonly collect: number; readonly solve: number; readonly actuate: number };
}

/** Writes to the API server at once, per tick: enough to overlap round trips, few enough not to be throttled. */
const Concurrency = 16;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 300);

function metricsReason(r: LoadReading, failure: string | undefined): 'PrometheusError' | 'MetricsMissing' | 'MetricsStale' | undefined {
  if (r.kind === 'known') return undefined;
  if (failure !== undefined || r.reason.startsWith('prometheus-error')) return 'PrometheusError';
  return /stale/.test(r.reason) ? 'MetricsStale' : 'MetricsMissing';
}

/** A JSON patch that moves the template to the allocation (the same edit the webhook makes), diffed against the read. */
function moveTo(a: Allocation, p: PlannedTarget, accelerators: Parameters<typeof placementOf>[2]): TemplateEdit {
  return (deployment) => {
    const before = JSON.parse(JSON.stringify(deployment)) as object;
    const after = structuredClone(before);
    if (p.server === undefined) return [];
    applyPlacement(after, containerIndex(p.target.deployment.view, []), placementOf(a, p.server, accelerators, 'metrics', false, []));
    return jsonpatch.compare(before, after) as ReturnType<TemplateEdit>;
  };
}

export class Scaler {
  readonly #ports: ScalerPorts;
  readonly #telemetry: ScalerTelemetry | undefined;
  readonly #clock: () => number;
  readonly #memory = new Map<string, DeploymentMemory>();
  readonly #exported = new Set<string>();
  readonly #cache: AnalyzerCache = createAnalyzerCache();

  /** `clock`: a monotonic ms clock for phase durations (performance.now). */
  constructor(ports: ScalerPorts, clock: () => number, telemetry?: ScalerTelemetry) {
    this.#ports = ports;
    this.#clock = clock;
    this.#telemetry = telemetry;
  }

  /** Forgets every stabilization window: after a restart or a change of leader, windows start afresh. */
  reset(): void {
    this.#memory.clear();
  }

  async tick(now: number, over: Partial<ScalerSettings> = {}): Promise<TickResult> {
    const t0 = this.#clock();
    const view = this.#ports.view;
    const snap = view.snapshot();
    const settings = defaultScalerSettings({ ...snap.config.controller.scaler, ...over });
    const pairing = pairTargets(await this.#ports.listDeployments(), view.optimizers());
    const servers = [...new Map(pairing.targets.map((t) => [observationKey(t.deployment.namespace, t.optimizer.spec.modelID), { namespace: t.deployment.namespace, model: t.optimizer.spec.modelID }])).values()];
    let observations: ObservationSet;
    try {
      observations = await this.#ports.observe(servers, settings);
    } catch (e) {
      observations = { byServer: new Map(), failure: `collecting metrics failed: ${errText(e)}` };
    }
    const t1 = this.#clock();
    const inputs = pairing.targets.map((target) => {
      const o = observations.byServer.get(observationKey(target.deployment.namespace, target.optimizer.spec.modelID));
      let reading = loadReading(o, observations.failure, observedLoad(target.optimizer));
      if (reading.kind === 'known' && reading.sampleAgeMs > settings.maxSampleAgeMs) {
        reading = { kind: 'unknown', reason: `metrics are stale: newest sample ${Math.round(reading.sampleAgeMs / 1000)} s old (limit ${Math.round(settings.maxSampleAgeMs / 1000)} s)` };
      }
      return { target, reading, observation: o };
    });
    const planned = planTargets(inputs, snap);
    const system = tickSystem(planned, snap);
    const plan = await solveTick(system, this.#ports.solveExact, this.#cache);
    const t2 = this.#clock();
    const rows = await mapLimit(planned, Concurrency, (p) => this.#act(p, inputs.find((i) => i.target === p.target)?.observation, observations.failure, plan, system, settings, now));
    const t3 = this.#clock();
    this.#forgetGone(planned);
    const phasesMs = { collect: t1 - t0, solve: t2 - t1, actuate: t3 - t2 };
    this.#telemetry?.phase('collect', phasesMs.collect / 1000);
    this.#telemetry?.phase('solve', phasesMs.solve / 1000);
    this.#telemetry?.phase('actuate', phasesMs.actuate / 1000);
    this.#telemetry?.phase('total', (t3 - t0) / 1000);
    return { at: now, settings, rows: rows.flatMap((r) => (r === undefined ? [] : [r])), skipped: pairing.skipped, plan, phasesMs };
  }

  #forgetGone(planned: readonly PlannedTarget[]): void {
    const live = new Set(planned.map((p) => `${p.target.deployment.namespace}/${p.target.deployment.name}`));
    for (const key of [...this.#memory.keys()]) if (!live.has(key)) this.#memory.delete(key);
    for (const key of [...this.#exported]) {
      if (live.has(key)) continue;
      const [namespace = '', name = ''] = key.split('/');
      this.#telemetry?.forget(namespace, name);
      this.#exported.delete(key);
    }
  }

  #decide(p: PlannedTarget, plan: Plan, system: Parameters<typeof stayOption>[1], settings: ScalerSettings, now: number): { action: ScaleAction; allocation: Allocation | undefined; planProblem: string | undefined } {
    const d = p.target.deployment;
    const key = `${d.namespace}/${d.name}`;
    const accelerators = system.accelerators;
    const allocation = p.server !== undefined ? allocationFor(plan, p.server.name) : undefined;
    const planProblem = p.server === undefined ? p.problem : allocation === undefined ? unallocatedReason(plan, p.server.name) : undefined;
    const planned: Planned = allocation !== undefined
      ? {
          kind: 'allocated', allocation, unitsPerReplica: unitsPerReplica(accelerators, p.target, allocation.accelerator),
          freeUnits: system.options.unlimited ? Number.POSITIVE_INFINITY : (this.#ports.view.snapshot().capacity.free[allocation.type] ?? 0),
        }
      : { kind: 'unallocated', reason: planProblem ?? 'not planned' };
    const spec = p.target.optimizer.spec;
    const option = stayOption(p, system, this.#cache);
    // Staying is no option when the current type has no GPUs for it (decide then moves, as "cannot serve the load").
    const stay = option !== undefined && !system.options.unlimited && !stayFits(option, p, accelerators, this.#ports.view.snapshot().capacity.free) ? undefined : option;
    const action = decide({
      now, current: p.current, observed: observedOf(p.reading), planned, stay,
      policy: {
        minReplicas: spec.minReplicas ?? 1, maxReplicas: Math.max(spec.minReplicas ?? 1, spec.maxReplicas ?? settings.defaultMaxReplicas),
        stabilizationWindowMs: settings.stabilizationWindowMs, penaltyFactor: system.options.penaltyFactor, maxSampleAgeMs: settings.maxSampleAgeMs,
      },
      memory: this.#memory.get(key) ?? EmptyMemory,
    });
    this.#memory.set(key, action.memory);
    return { action, allocation, planProblem };
  }

  async #actuate(p: PlannedTarget, action: ScaleAction, allocation: Allocation | undefined, settings: ScalerSettings, accelerators: Parameters<typeof placementOf>[2]): Promise<{ ok: boolean; reason: string; message: string; result: WriteResult | 'failed' | 'recommend' }> {
    const d = p.target.deployment;
    if (action.kind === 'hold' || action.kind === 'steady') return { ok: true, reason: 'NoChange', message: action.message, result: 'unchanged' };
    if (settings.mode === 'recommend') return { ok: true, reason: 'RecommendOnly', message: `recommend mode: ${action.message}`, result: 'recommend' };
    try {
      if (action.kind === 'switch' && allocation !== undefined) {
        const r = await this.#ports.retemplate(d.namespace, d.name, moveTo(allocation, p, accelerators));
        if (r === 'gone') return { ok: false, reason: 'DeploymentGone', message: 'the Deployment was deleted', result: 'gone' };
      }
      const r = await this.#ports.scale(d.namespace, d.name, action.replicas);
      if (r === 'gone') return { ok: false, reason: 'DeploymentGone', message: 'the Deployment was deleted', result: 'gone' };
      return { ok: true, reason: action.kind === 'switch' ? 'Switched' : 'Scaled', message: action.message, result: r };
    } catch (e) {
      return { ok: false, reason: 'ActuationFailed', message: errText(e), result: 'failed' };
    }
  }

  async #act(p: PlannedTarget, observation: LoadObservation | undefined, failure: string | undefined, plan: Plan, system: Parameters<typeof stayOption>[1], settings: ScalerSettings, now: number): Promise<TickRow | undefined> {
    const d = p.target.deployment;
    const opt = p.target.optimizer;
    const { action, allocation, planProblem } = this.#decide(p, plan, system, settings, now);
    const actuated = await this.#actuate(p, action, allocation, settings, system.accelerators);
    if (actuated.result === 'gone') return undefined;
    const moved = actuated.ok && actuated.result !== 'recommend' && action.kind === 'switch' && allocation !== undefined;
    const current = moved
      ? { accelerator: allocation.accelerator, replicas: action.replicas, maxBatch: allocation.maxBatch, cost: allocation.cost }
      : { accelerator: p.current.accelerator, replicas: actuated.ok && actuated.result !== 'recommend' ? action.replicas : p.current.specReplicas, maxBatch: p.current.maxBatch, cost: p.current.cost };
    const metricsProblem = p.reading.kind === 'unknown' ? p.reading.reason : undefined;
    const status = statusOf({
      now, generation: (opt.metadata as { generation?: unknown }).generation as number | undefined, previous: opt.status, observation,
      load: p.reading.kind === 'known' ? p.reading.load : undefined, metricsProblem, metricsReason: metricsReason(p.reading, failure),
      allocation, planProblem, action, current, actuated,
    });
    const ns = opt.metadata.namespace ?? d.namespace;
    await this.#ports.writeStatus(ns, opt.metadata.name, status).catch(() => 'failed');
    await this.#tell(p, action, actuated, allocation);
    return {
      namespace: d.namespace, deployment: d.name, optimizer: opt.metadata.name,
      observedRpm: p.reading.kind === 'known' ? p.reading.load.arrivalRate : undefined,
      current: { accelerator: p.current.accelerator, replicas: p.current.specReplicas, maxBatch: p.current.maxBatch },
      desired: allocation !== undefined ? { accelerator: allocation.accelerator, replicas: action.replicas, maxBatch: allocation.maxBatch, itlMs: allocation.itlAverage, ttftMs: allocation.ttftAverage, cost: allocation.cost } : undefined,
      action: action.kind, replicas: action.replicas, reason: action.reason, message: action.message,
      actuated: actuated.result === 'failed' ? `failed: ${actuated.message}` : actuated.result,
    };
  }

  async #tell(p: PlannedTarget, action: ScaleAction, actuated: { ok: boolean; reason: string; message: string; result: string }, allocation: Allocation | undefined): Promise<void> {
    const d = p.target.deployment;
    const t = this.#telemetry;
    if (t !== undefined) {
      const accelerator = allocation?.accelerator ?? p.current.accelerator;
      t.variant({
        variant: d.name, namespace: d.namespace, accelerator, desiredReplicas: action.replicas, currentReplicas: p.current.specReplicas,
        predictedItlMs: allocation?.itlAverage, predictedTtftMs: allocation?.ttftAverage, cost: allocation?.cost,
      });
      this.#exported.add(`${d.namespace}/${d.name}`);
      if (actuated.ok && actuated.result !== 'unchanged') t.scaling({ variant: d.name, namespace: d.namespace, direction: action.direction, reason: action.reason });
    }
    const changed = actuated.ok && (actuated.result === 'done');
    // kubectl describe finds Events by the object's uid: without one (a file, not a cluster) there is no Event.
    const uid = d.uid ?? '';
    const optUid = (p.target.optimizer.metadata as { uid?: unknown }).uid;
    if (changed && uid !== '') await this.#ports.event({ kind: 'Deployment', namespace: d.namespace, name: d.name, uid, type: 'Normal', reason: action.reason, message: action.message }).catch(() => undefined);
    if (!actuated.ok && uid !== '') await this.#ports.event({ kind: 'Deployment', namespace: d.namespace, name: d.name, uid, type: 'Warning', reason: actuated.reason, message: actuated.message }).catch(() => undefined);
    if (action.reason === ScaleReason.metricsUnavailable && typeof optUid === 'string') {
      await this.#ports.event({ kind: 'Optimizer', namespace: d.namespace, name: p.target.optimizer.metadata.name, uid: optUid, type: 'Warning', reason: action.reason, message: action.message }).catch(() => undefined);
    }
  }
}
