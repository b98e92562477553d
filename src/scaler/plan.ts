// The joint plan of one tick: every managed Deployment whose load is known becomes a solver server on the GPUs that
// pods not managed by inferno leave; Deployments without data keep what they hold (it is taken out of the capacity
// the others are planned within), since acting on data one does not have is how fleets get scaled down in outages.
import { classOf } from '../cluster/optimizer.js';
import type { ClusterSnapshot } from '../cluster/snapshot.js';
import type { Accelerator, Capacity, Server, ServiceClass, System } from '../domain/types.js';
import { systemFor } from '../placement/decide.js';
import { serverForDeployment } from '../placement/target.js';
import type { Allocation, AnalyzerCache, Plan } from '../solver/index.js';
import { solve } from '../solver/index.js';
import type { Target } from './ports.js';
import type { LoadReading } from './targets.js';
import { currentState } from './targets.js';
import type { CurrentState, StayOption } from './types.js';

export interface TargetPlanInput {
  readonly target: Target;
  readonly reading: LoadReading;
}

export interface PlannedTarget {
  readonly target: Target;
  readonly current: CurrentState;
  readonly reading: LoadReading;
  /** undefined: not planned this tick (unknown load, or no service class) */
  readonly server?: Server;
  readonly cls?: ServiceClass;
  /** why it was not planned */
  readonly problem?: string;
}

const unitsOf = (accelerators: readonly Accelerator[], t: Target, acc: string): { type: string; units: number } | undefined => {
  const a = accelerators.find((x) => x.name === acc);
  const p = t.optimizer.spec.modelProfile.accelerators.find((x) => x.acc === acc);
  return a !== undefined && p !== undefined ? { type: a.type, units: p.accCount * a.multiplicity } : undefined;
};

/** Servers for the targets with a known load; the others are kept as they are. */
export function planTargets(inputs: readonly TargetPlanInput[], snap: ClusterSnapshot): PlannedTarget[] {
  const accelerators = snap.config.accelerators;
  return inputs.map(({ target, reading }) => {
    const current = currentState(target, accelerators);
    const { cls, problem } = classOf(target.optimizer, snap.config.classes);
    if (cls === undefined) return { target, current, reading, problem: problem?.message ?? 'no service class' };
    if (reading.kind === 'unknown') return { target, current, reading, cls, problem: reading.reason };
    const { server: base } = serverForDeployment(target.optimizer, cls, target.deployment.view, accelerators, reading.load);
    const server: Server = {
      ...base,
      // The scaler may move a Deployment off its GPU type (the webhook's UPDATE keeps it); the surcharge prices that.
      keepAccelerator: target.optimizer.spec.keepAccelerator ?? false,
      ...(current.accelerator !== '' ? { current: { accelerator: current.accelerator, numReplicas: current.specReplicas, maxBatch: current.maxBatch, cost: current.cost } } : {}),
    };
    if (server.profiles.length === 0) return { target, current, reading, cls, problem: 'no profiled accelerator is allowed for this Deployment' };
    return { target, current, reading, server, cls };
  });
}

/** GPU units per type that Deployments left out of the plan hold now. */
export function heldUnits(planned: readonly PlannedTarget[], accelerators: readonly Accelerator[]): Capacity {
  const held: Capacity = {};
  for (const p of planned) {
    if (p.server !== undefined || p.current.accelerator === '') continue;
    const u = unitsOf(accelerators, p.target, p.current.accelerator);
    if (u !== undefined) held[u.type] = (held[u.type] ?? 0) + u.units * p.current.specReplicas;
  }
  return held;
}

export function tickSystem(planned: readonly PlannedTarget[], snap: ClusterSnapshot): System {
  const servers = planned.flatMap((p) => (p.server !== undefined ? [p.server] : []));
  const classes = [...new Map(planned.flatMap((p) => (p.server !== undefined && p.cls !== undefined ? [[p.cls.name, p.cls] as const] : []))).values()];
  const base = systemFor(servers, classes, snap, { capacity: 'managed' });
  if (base.options.unlimited) return base;
  const held = heldUnits(planned, snap.config.accelerators);
  const capacity: Capacity = Object.fromEntries(Object.entries(base.capacity).map(([type, units]) => [type, Math.max(0, units - (held[type] ?? 0))]));
  return { ...base, capacity };
}

/** What keeping the current accelerator and batch size would take for the current load (unlimited capacity). */
export function stayOption(p: PlannedTarget, system: System, cache?: AnalyzerCache): StayOption | undefined {
  const s = p.server;
  if (s === undefined || p.cls === undefined) return undefined;
  const profile = s.profiles.find((x) => x.accelerator === p.current.accelerator);
  if (profile === undefined) return undefined;
  const alone: System = {
    ...system, servers: [{ ...s, profiles: [profile], keepAccelerator: true, ...(p.current.maxBatch > 0 ? { maxBatchSize: p.current.maxBatch } : {}) }],
    serviceClasses: [p.cls], options: { ...system.options, unlimited: true, algorithm: 'greedy' }, capacity: {},
  };
  const a = solve(alone, cache).allocations[0];
  return a?.sloMet === true ? { replicas: a.numReplicas, cost: a.cost } : undefined;
}

/**
 * Whether the current GPU type has room for the stay option: the units the Deployment's pods hold now (bound or
 * pending, which the inventory counts as used) plus the units free. Without it, a Deployment whose type is full
 * would be scaled up there into pods that never schedule (and, starting for ever, would block every later move).
 */
export function stayFits(stay: StayOption, p: PlannedTarget, accelerators: readonly Accelerator[], free: Capacity): boolean {
  const u = unitsOf(accelerators, p.target, p.current.accelerator);
  if (u === undefined) return false;
  return stay.replicas * u.units <= p.target.deployment.statusReplicas * u.units + (free[u.type] ?? 0);
}

export async function solveTick(system: System, exact: ((s: System) => Promise<Plan>) | undefined, cache?: AnalyzerCache): Promise<Plan> {
  return system.options.algorithm === 'exact' && exact !== undefined ? exact(system) : solve({ ...system, options: { ...system.options, algorithm: 'greedy' } }, cache);
}

export const allocationFor = (plan: Plan, server: string): Allocation | undefined => plan.allocations.find((a) => a.server === server);
export const unallocatedReason = (plan: Plan, server: string): string =>
  plan.unallocated.find((u) => u.server === server)?.reasons.slice(0, 2).join('; ') ?? 'not in the plan';
export const unitsPerReplica = (accelerators: readonly Accelerator[], t: Target, acc: string): number => unitsOf(accelerators, t, acc)?.units ?? 0;
