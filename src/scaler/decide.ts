// What the scaler does to one managed Deployment on one tick: pure, the clock passed in (`input.now`).
//
// The caller (the tick) passes, per Deployment:
// - `current`: spec.replicas, ready and starting (created, not ready, not terminating) pods, and the accelerator,
//   batch size and cost of the current pod template (from its inferno labels / decision record);
// - `observed`: the collector's arrival rate and the age of its newest sample, or unknown with a reason;
// - `planned`: the solver's allocation for it from the joint plan of all Optimizers, with the GPU units one replica
//   takes and the units of that type free in the cluster right now; or why it was not allocated;
// - `stay`: what serving the current load on the current accelerator and batch size would take (the solver's
//   candidate for it); undefined when the current accelerator cannot serve it;
// - `policy`: min/max replicas, stabilization window, the solver's penalty factor, the staleness limit;
// - `memory`: what the previous call for this Deployment returned (EmptyMemory the first time, e.g. after a restart
//   or a Lease change, which restarts every stabilization window).
// It returns the action, a reason code and message, and the memory to pass next time. It never reads the cluster.
import type {
  DecideInput, DeploymentMemory, Direction, Planned, Recommendation, ScaleAction, ScalePolicy, ScaleReasonCode, TemplateChange,
} from './types.js';
import { ScaleReason } from './types.js';

/** Bounds the memory: far above window / interval for any sane configuration (5 min at a 1 s tick = 300). */
export const MaxRecommendations = 4096;

type Allocated = Extract<Planned, { kind: 'allocated' }>;

const templateKey = (accelerator: string, maxBatch: number): string => `${accelerator}/${maxBatch}`;
const secs = (ms: number): string => `${Math.round(ms / 1000)} s`;
const cents = (c: number): string => `${Math.round(c * 100) / 100} ¢/h`;
const clamp = (n: number, p: ScalePolicy): number => Math.min(Math.max(n, p.minReplicas), p.maxReplicas);
const directionOf = (from: number, to: number): Direction => (to > from ? 'up' : to < from ? 'down' : 'none');

/** Why the observation cannot drive a decision, or undefined when it can. */
function dataProblem(input: DecideInput): string | undefined {
  const o = input.observed;
  if (o.kind === 'unknown') return o.reason;
  if (!Number.isFinite(o.arrivalRate) || o.arrivalRate < 0) return `arrival rate is not a usable number (${o.arrivalRate})`;
  if (!Number.isFinite(o.sampleAgeMs) || o.sampleAgeMs > input.policy.maxSampleAgeMs) {
    return `metrics are stale: newest sample ${secs(o.sampleAgeMs)} old (limit ${secs(input.policy.maxSampleAgeMs)})`;
  }
  return undefined;
}

/** Keeps recommendations inside the window plus the one in force when the window began; drops future-dated ones. */
function pruned(recs: readonly Recommendation[], now: number, windowMs: number): Recommendation[] {
  const start = now - windowMs;
  const valid = recs.filter((r) => r.at <= now);
  let firstInside = valid.findIndex((r) => r.at > start);
  if (firstInside === -1) firstInside = valid.length;
  return valid.slice(Math.max(firstInside - 1, 0));
}

function remember(memory: DeploymentMemory, template: string, rec: Recommendation, windowMs: number): Recommendation[] {
  const kept = memory.template === template ? pruned(memory.recommendations, rec.at, windowMs) : [];
  kept.push(rec);
  return kept.length > MaxRecommendations ? kept.slice(kept.length - MaxRecommendations) : kept;
}

/** What a move only for its saving (the current template can serve) saves, against the switching surcharge. */
function savingOf(input: DecideInput, planned: Allocated): { saving: number; surcharge: number } | undefined {
  const { current, policy, stay } = input;
  if (stay === undefined) return undefined;
  const a = planned.allocation;
  return { saving: stay.cost - a.cost, surcharge: policy.penaltyFactor * (Math.max(current.cost, 0) + a.cost) };
}

/** Since when the plan has wanted a move only for its saving, if it does now. */
function savingSinceOf(input: DecideInput, planned: Allocated): number | undefined {
  const { now, memory } = input;
  const s = savingOf(input, planned);
  if (s === undefined || s.saving <= s.surcharge) return undefined;
  return memory.savingSince !== undefined && memory.savingSince <= now ? memory.savingSince : now;
}

/** Why the move to the solver's template must wait or is not worth it, or undefined when it may happen now. */
function switchBlocker(input: DecideInput, planned: Allocated, replicas: number, savingSince: number | undefined): string | undefined {
  const { now, current, policy, memory, stay } = input;
  const a = planned.allocation;
  const s = savingOf(input, planned);
  if (s !== undefined && s.saving <= s.surcharge) return `it saves ${cents(s.saving)}, not more than the ${cents(s.surcharge)} switching surcharge`;
  if (memory.lastTemplateChangeAt !== undefined && now - memory.lastTemplateChangeAt < policy.stabilizationWindowMs) {
    return `the last accelerator or batch-size change was ${secs(now - memory.lastTemplateChangeAt)} ago (at most one per ${secs(policy.stabilizationWindowMs)})`;
  }
  if (current.startingReplicas > 0) return `${current.startingReplicas} replica(s) are still starting`;
  const needed = replicas * planned.unitsPerReplica;
  if (needed > planned.freeUnits) return `${a.type} has ${planned.freeUnits} free GPU unit(s), the move needs ${needed}`;
  // A move the current template does not need restarts every pod: it waits until one tick's plan has become the
  // plan of the whole window, so a burst, a dip or a new leader's first tick cannot send a model back and forth.
  const held = now - (savingSince ?? now);
  if (stay !== undefined && held < policy.stabilizationWindowMs) {
    return `the plan has preferred a cheaper template for ${secs(held)}; a move the current one does not need waits until that has held for ${secs(policy.stabilizationWindowMs)}`;
  }
  return undefined;
}

function zeroHeld(input: DecideInput, zeroLoadSince: number | undefined): boolean {
  return input.policy.minReplicas === 0 && zeroLoadSince !== undefined && zeroLoadSince <= input.now - input.policy.stabilizationWindowMs;
}

function switchAction(input: DecideInput, planned: Allocated, replicas: number, zeroLoadSince: number | undefined): ScaleAction {
  const { now, current, stay } = input;
  const a = planned.allocation;
  const template: TemplateChange = { accelerator: a.accelerator, maxBatch: a.maxBatch };
  const wanted = replicas === 0 && !zeroHeld(input, zeroLoadSince) ? 1 : replicas;
  // A move to fewer replicas keeps the current count while the new pods start: a Deployment cuts its old pods to the
  // new spec.replicas at once, so a few old pods would carry the whole load through the start-up (the simulator
  // showed minutes of missed SLOs at every such move). The scale-down follows through the usual window.
  const cur = current.specReplicas;
  const keep = wanted > 0 && cur > wanted && cur <= input.policy.maxReplicas && cur * planned.unitsPerReplica <= planned.freeUnits;
  const target = keep ? cur : wanted;
  const why = (stay === undefined
    ? input.stayProblem ?? 'the current accelerator and batch size cannot serve the load'
    : `saves ${cents(stay.cost - a.cost)}, more than the switching surcharge`)
    + (keep ? `; keeping ${cur} replica(s) while the new ones start, ${wanted} once the load has needed no more for ${secs(input.policy.stabilizationWindowMs)}` : '');
  return {
    kind: 'switch',
    replicas: target,
    template,
    direction: directionOf(current.specReplicas, target),
    reason: a.accelerator !== current.accelerator ? ScaleReason.acceleratorChange : ScaleReason.batchSizeChange,
    message: `moving from ${current.accelerator || '(none)'} ×${current.specReplicas} (batch ${current.maxBatch}) to ${a.accelerator} ×${target} (batch ${a.maxBatch}): ${why}`,
    memory: {
      template: templateKey(a.accelerator, a.maxBatch),
      recommendations: [{ at: now, replicas }],
      zeroLoadSince,
      lastTemplateChangeAt: now,
      savingSince: undefined,
    },
  };
}

interface Outcome {
  readonly replicas: number;
  readonly reason: ScaleReasonCode;
  readonly message: string;
}

/** Replicas on the template in force, given this tick's recommendation `rec` (already within min/max). */
function replicaOutcome(input: DecideInput, raw: number, rec: number, recs: readonly Recommendation[], zeroLoadSince: number | undefined): Outcome {
  const { now, current, policy } = input;
  const cur = current.specReplicas;
  if (rec > cur) {
    const reason = raw < policy.minReplicas ? ScaleReason.minReplicas : ScaleReason.loadIncrease;
    return { replicas: rec, reason, message: `scaling up from ${cur} to ${rec}: ${reason === ScaleReason.minReplicas ? `minReplicas is ${policy.minReplicas}` : `the load needs ${raw}`}` };
  }
  if (rec === cur) {
    if (current.startingReplicas > 0) {
      return { replicas: cur, reason: ScaleReason.replicasStarting, message: `the load needs ${rec}; ${current.startingReplicas} of ${cur} are still starting and count as capacity` };
    }
    return { replicas: cur, reason: ScaleReason.steady, message: `${cur} replica(s) match the load` };
  }
  // rec < cur: load-driven scale-down waits until the window is known and takes its highest recommendation (as
  // HPA's scale-down stabilization does); a lowered maxReplicas applies at once.
  const covered = (recs[0]?.at ?? now) <= now - policy.stabilizationWindowMs;
  let target = covered ? Math.max(...recs.map((r) => r.replicas)) : cur;
  if (target === 0 && !zeroHeld(input, zeroLoadSince)) target = 1;
  if (target > policy.maxReplicas) {
    return { replicas: policy.maxReplicas, reason: ScaleReason.maxReplicas, message: `scaling down from ${cur} to ${policy.maxReplicas}: maxReplicas is ${policy.maxReplicas}` };
  }
  if (target < cur) {
    if (target === 0) return { replicas: 0, reason: ScaleReason.scaleToZero, message: `scaling ${cur} to zero: no load for ${secs(policy.stabilizationWindowMs)}` };
    return { replicas: target, reason: ScaleReason.loadDecrease, message: `scaling down from ${cur} to ${target}: the load has needed at most ${target} for ${secs(policy.stabilizationWindowMs)}` };
  }
  const since = recs[0]?.at ?? now;
  return {
    replicas: cur,
    reason: ScaleReason.stabilizing,
    message: covered
      ? `the load needs ${rec}, but needed ${target} within the last ${secs(policy.stabilizationWindowMs)}; keeping ${cur}`
      : `the load needs ${rec}; scaling down waits until that has held for ${secs(policy.stabilizationWindowMs)} (known for ${secs(now - since)})`,
  };
}

export function decide(input: DecideInput): ScaleAction {
  const { now, current, observed, planned, policy, memory } = input;
  const cur = current.specReplicas;
  const hold = (reason: ScaleReasonCode, message: string, next: DeploymentMemory): ScaleAction => ({
    kind: 'hold', replicas: cur, template: undefined, direction: 'none', reason, message, memory: next,
  });

  const problem = dataProblem(input);
  if (problem !== undefined || observed.kind === 'unknown') {
    // A gap of unknown load restarts the windows: a scale-down or scale-to-zero needs the whole window known.
    return hold(ScaleReason.metricsUnavailable, `holding ${cur} replica(s): ${problem ?? 'no data'}`, { ...memory, recommendations: [], zeroLoadSince: undefined, savingSince: undefined });
  }
  const zeroLoadSince = observed.arrivalRate === 0 ? (memory.zeroLoadSince ?? now) : undefined;
  if (planned.kind === 'unallocated') {
    return hold(ScaleReason.notAllocated, `holding ${cur} replica(s): the solver allocated nothing (${planned.reason})`, { ...memory, zeroLoadSince, savingSince: undefined });
  }

  const a = planned.allocation;
  const currentKey = templateKey(current.accelerator, current.maxBatch);
  const desiredKey = templateKey(a.accelerator, a.maxBatch);
  let deferred: string | undefined;
  let savingSince: number | undefined;
  if (desiredKey !== currentKey) {
    const replicas = clamp(a.numReplicas, policy);
    savingSince = savingSinceOf(input, planned);
    const blocker = switchBlocker(input, planned, replicas, savingSince);
    if (blocker === undefined) return switchAction(input, planned, replicas, zeroLoadSince);
    deferred = `moving to ${a.accelerator} (batch ${a.maxBatch}) is deferred: ${blocker}`;
  }

  const raw = deferred === undefined ? a.numReplicas : input.stay?.replicas;
  if (raw === undefined) {
    return hold(ScaleReason.switchDeferred, `holding ${cur} replica(s): ${deferred ?? ''}, and ${input.stayProblem ?? 'the current accelerator cannot serve the load'}`, { ...memory, zeroLoadSince, savingSince });
  }
  const rec = clamp(raw, policy);
  const recs = remember(memory, currentKey, { at: now, replicas: rec }, policy.stabilizationWindowMs);
  const out = replicaOutcome(input, raw, rec, recs, zeroLoadSince);
  const changed = out.replicas !== cur;
  const reason = !changed && deferred !== undefined ? ScaleReason.switchDeferred : out.reason;
  return {
    kind: changed ? 'scale' : 'steady',
    replicas: out.replicas,
    template: undefined,
    direction: directionOf(cur, out.replicas),
    reason,
    message: deferred === undefined ? out.message : `${out.message}; ${deferred}`,
    memory: { template: currentKey, recommendations: recs, zeroLoadSince, lastTemplateChangeAt: memory.lastTemplateChangeAt, savingSince },
  };
}
