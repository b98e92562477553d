// One simulation run: a policy driving the simulated fleet through the arrivals, in virtual time. The timeline is
// the arrival stream merged with a heap of timed events (pod start-ups, once-a-second housekeeping, report samples)
// and the policy's ticks; the engines advance lazily in between. After the traffic ends the fleet keeps serving
// what it holds (the policy still ticking) until it is empty or the drain time is up.
import { EventQueue } from './events.js';
import type { Usage } from './fleet.js';
import { SimFleet } from './fleet.js';
import type { PolicyName } from './policies.js';
import { createPolicy } from './policies.js';
import type { SimSetup } from './setup.js';
import type { Arrivals } from './traffic.js';

export interface Sample {
  /** ms */
  readonly t: number;
  /** pods holding GPUs (starting, serving or draining) by accelerator name */
  readonly replicas: Readonly<Record<string, number>>;
  /** cumulative cost, cents */
  readonly costCents: number;
}

export interface RunResult {
  readonly policy: PolicyName;
  readonly fleet: SimFleet;
  readonly samples: readonly Sample[];
  /** over the traffic's duration */
  readonly usage: Usage;
  /** virtual time the run stopped at, ms */
  readonly endedAt: number;
  /** requests still held (queued or running) when the run stopped */
  readonly unfinished: number;
}

export interface RunOptions {
  /** fraction of virtual time done, 0–1; called once per report sample */
  readonly onProgress?: (fraction: number) => void;
  /** called at every report sample with the fleet as it is (tests and debugging look inside) */
  readonly onSample?: (t: number, fleet: SimFleet) => void;
}

/** Bounds the policy's ticks, so that a policy with a tiny interval cannot make a run loop for ever. */
const MaxTicks = 1_000_000;

export async function runPolicy(setup: SimSetup, arrivals: Arrivals, name: PolicyName, options: RunOptions = {}): Promise<RunResult> {
  const s = setup.settings;
  const queue = new EventQueue();
  const fleet = new SimFleet(setup, arrivals, queue);
  const policy = createPolicy(name, fleet, arrivals);
  fleet.start(policy.initial?.());
  const trafficEnd = s.durationS * 1000;
  const end = trafficEnd + s.drainS * 1000;
  const samples: Sample[] = [];
  const every = (first: number, interval: number, fn: (t: number) => void): void => {
    const step = (t: number): void => {
      fn(t);
      if (t + interval <= end) queue.at(t + interval, step);
    };
    queue.at(first, step);
  };
  every(1000, 1000, (t) => { fleet.housekeep(t); });
  const sampleMs = s.sampleS * 1000;
  every(0, sampleMs, (t) => {
    if (t > trafficEnd) return;
    fleet.advanceAll(t);
    const replicas: Record<string, number> = {};
    for (const d of fleet.deployments) {
      for (const p of fleet.podsOf(d)) if (p.phase !== 'pending') replicas[p.template.accelerator] = (replicas[p.template.accelerator] ?? 0) + 1;
    }
    samples.push({ t, replicas, costCents: fleet.usage(t).costCents });
    options.onSample?.(t, fleet);
    options.onProgress?.(t / trafficEnd);
  });

  let nextTick = policy.firstTickMs;
  let ticks = 0;
  let i = 0;
  let now = 0;
  for (;;) {
    const ta = i < arrivals.count ? (arrivals.t[i] ?? Infinity) : Infinity;
    const tq = queue.nextTime();
    const t = Math.min(ta, tq, nextTick);
    if (t > end) break;
    if (t >= trafficEnd && i >= arrivals.count && fleet.inFlight === 0) break;
    now = t;
    if (nextTick <= ta && nextTick <= tq) {
      fleet.advanceAll(t);
      await policy.tick(t);
      ticks += 1;
      nextTick = ticks >= MaxTicks ? Infinity : t + policy.intervalMs;
    } else if (tq <= ta) {
      queue.pop()?.run(tq);
    } else {
      fleet.arrive(i, ta);
      i += 1;
    }
  }
  const stop = Math.max(now, trafficEnd);
  fleet.advanceAll(Math.min(stop, end));
  return { policy: name, fleet, samples, usage: fleet.usage(trafficEnd), endedAt: Math.min(stop, end), unfinished: fleet.inFlight };
}
