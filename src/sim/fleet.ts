// The simulated fleet: per model-server Deployment, its pods — each a vLLM replica driven by the batching engine in
// virtual time — a router in front of them, a Deployment controller that rolls pods to a new template, a scheduler
// that binds pods to GPU nodes (the shared GPU inventory counts what they hold), pod start-up delays, and
// per-second cost accounting. Policies change spec.replicas and the template; the fleet does the rest.
//
// Pods are advanced lazily: an engine runs its iterations when a request reaches it, when metrics are read and when
// it drains, so the cost of a run is the engine's own work plus O(pods) per arrival, not one heap event per
// iteration. Every event keeps its exact time either way.
import type { NodeGpus, PodGpus } from '../cluster/inventory.js';
import { inventoryOf } from '../cluster/inventory.js';
import type { GpuInventory } from '../cluster/inventory.js';
import type { Engine, EngineEvent } from '../engine/engine.js';
import { createEngine } from '../engine/engine.js';
import { seededRandom } from '../engine/random.js';
import type { Accelerator, PerfProfile } from '../domain/types.js';
import type { EventQueue } from './events.js';
import type { DeploymentSetup, SimSetup, Template } from './setup.js';
import { startupOf, templateKey } from './setup.js';
import type { Arrivals } from './traffic.js';
import { subSeed } from './traffic.js';

export type PodPhase = 'pending' | 'starting' | 'ready' | 'draining' | 'gone';

export interface SimPod {
  readonly id: number;
  /** index of its Deployment */
  readonly dep: number;
  readonly key: string;
  readonly template: Template;
  readonly templateKey: string;
  readonly accelerator: Accelerator;
  readonly units: number;
  /** cents per hour while the pod holds its GPUs (bound until gone) */
  readonly costPerHour: number;
  readonly createdAt: number;
  phase: PodPhase;
  node: string | undefined;
  boundAt: number;
  readyAt: number;
  endAt: number;
  engine: Engine | undefined;
}

/** Per-second sums of one Deployment's traffic, for metric windows and the report's time series. */
export interface Bins {
  readonly arrivals: Float64Array;
  readonly inputTokens: Float64Array;
  readonly outputTokens: Float64Array;
  /** by first-token time */
  readonly ttftSum: Float64Array;
  readonly ttftCount: Float64Array;
  /** by finish time: time between first and last token, and the gaps it spans */
  readonly itlSum: Float64Array;
  readonly itlCount: Float64Array;
}

export interface SimDeployment {
  readonly index: number;
  readonly setup: DeploymentSetup;
  /** spec.replicas */
  specReplicas: number;
  template: Template;
  /** the Deployment object the inferno policy reads and patches */
  raw: unknown;
  /** pods that are not gone, oldest first */
  pods: SimPod[];
  /** requests that arrived while no replica was ready (the gateway holds them) */
  backlog: number[];
  backlogHead: number;
  rr: number;
  readonly bins: Bins;
  scaleEvents: number;
  templateChanges: number;
}

/** What happened to each request, column by column; NaN: did not happen (yet). */
export interface RequestLog {
  readonly firstToken: Float64Array;
  readonly finished: Float64Array;
  readonly tokens: Uint32Array;
  /** 1: refused (queue full, or longer than the KV cache) */
  readonly rejected: Uint8Array;
}

export interface WindowSums {
  readonly seconds: number;
  readonly arrivals: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly ttftSum: number;
  readonly ttftCount: number;
  readonly itlSum: number;
  readonly itlCount: number;
}

/** GPU time and cost over [0, until], by accelerator type. */
export interface Usage {
  readonly costCents: number;
  readonly gpuMsByType: Readonly<Record<string, number>>;
}

const binOf = (t: number): number => Math.max(0, Math.ceil(t / 1000) - 1);

const newBins = (n: number): Bins => ({
  arrivals: new Float64Array(n), inputTokens: new Float64Array(n), outputTokens: new Float64Array(n),
  ttftSum: new Float64Array(n), ttftCount: new Float64Array(n), itlSum: new Float64Array(n), itlCount: new Float64Array(n),
});

export class SimFleet {
  readonly setup: SimSetup;
  readonly deployments: SimDeployment[];
  readonly inventory: GpuInventory;
  readonly log: RequestLog;
  readonly #arrivals: Arrivals;
  readonly #queue: EventQueue;
  readonly #accelerators: ReadonlyMap<string, Accelerator>;
  /** eligible nodes per accelerator name, sorted */
  readonly #nodesFor = new Map<string, readonly NodeGpus[]>();
  readonly #costUntil: number;
  #nextPod = 0;
  #closedCost = 0;
  readonly #closedGpuMs: Record<string, number> = {};
  readonly #draining = new Set<SimPod>();
  #pending: SimPod[] = [];
  #inFlight = 0;

  constructor(setup: SimSetup, arrivals: Arrivals, queue: EventQueue) {
    this.setup = setup;
    this.#arrivals = arrivals;
    this.#queue = queue;
    this.#costUntil = setup.settings.durationS * 1000;
    this.#accelerators = new Map(setup.config.accelerators.map((a) => [a.name, a]));
    this.inventory = inventoryOf(setup.nodes);
    const n = arrivals.count;
    this.log = { firstToken: new Float64Array(n).fill(Number.NaN), finished: new Float64Array(n).fill(Number.NaN), tokens: new Uint32Array(n), rejected: new Uint8Array(n) };
    const bins = Math.ceil(setup.settings.durationS + setup.settings.drainS) + 2;
    this.deployments = setup.deployments.map((d, index) => ({
      index, setup: d, specReplicas: d.replicas, template: d.template, raw: structuredClone(d.raw), pods: [], backlog: [], backlogHead: 0, rr: 0,
      bins: newBins(bins), scaleEvents: 0, templateChanges: 0,
    }));
  }

  /** Requests that arrived and are neither finished nor refused. */
  get inFlight(): number {
    return this.#inFlight;
  }

  profileOf(d: SimDeployment, accelerator: string): PerfProfile | undefined {
    const p = d.setup.optimizer.spec.modelProfile.accelerators.find((x) => x.acc === accelerator);
    return p === undefined ? undefined : { accelerator: p.acc, accCount: p.accCount, maxBatchSize: p.maxBatchSize, atTokens: p.atTokens, alpha: p.alpha, beta: p.beta, gamma: p.gamma, delta: p.delta };
  }

  /** The fleet at t = 0: every Deployment's replicas on its template, started before the run (ready at once). */
  start(templates?: ReadonlyMap<number, { template: Template; replicas: number }>): void {
    for (const d of this.deployments) {
      const over = templates?.get(d.index);
      if (over !== undefined) {
        d.template = over.template;
        d.specReplicas = over.replicas;
      }
      for (let i = 0; i < d.specReplicas; i += 1) this.#createPod(d, 0);
    }
    for (const p of this.#schedule(0, true)) this.#ready(p, 0);
  }

  // ---- what policies do ----

  setReplicas(d: SimDeployment, replicas: number, t: number): void {
    const n = Math.max(0, Math.round(replicas));
    if (n === d.specReplicas) return;
    d.specReplicas = n;
    d.scaleEvents += 1;
    this.#reconcile(d, t);
  }

  /** A new pod template: pods roll to it (maxSurge 25 %, maxUnavailable 25 %, as a Deployment does by default). */
  setTemplate(d: SimDeployment, template: Template, t: number): void {
    if (templateKey(template) === templateKey(d.template)) return;
    d.template = template;
    d.templateChanges += 1;
    this.#reconcile(d, t);
  }

  /** Pods of `d` that are not gone. */
  podsOf(d: SimDeployment): readonly SimPod[] {
    return d.pods;
  }

  /** Brings every engine up to t, so that what policies read is what the replicas hold at t. */
  advanceAll(t: number): void {
    for (const d of this.deployments) for (const p of d.pods) if (p.engine !== undefined) this.#advance(p, t);
    this.#reapDrained(t);
  }

  /** Once a second: drained pods release their GPUs, pending pods bind to what is free. */
  housekeep(t: number): void {
    for (const p of this.#draining) this.#advance(p, t);
    this.#reapDrained(t);
  }

  window(d: SimDeployment, t: number, seconds: number): WindowSums {
    const b = d.bins;
    const end = binOf(t);
    const start = Math.max(0, end - Math.round(seconds) + 1);
    let arrivals = 0, inputTokens = 0, outputTokens = 0, ttftSum = 0, ttftCount = 0, itlSum = 0, itlCount = 0;
    for (let i = start; i <= end && i < b.arrivals.length; i += 1) {
      arrivals += b.arrivals[i] ?? 0;
      inputTokens += b.inputTokens[i] ?? 0;
      outputTokens += b.outputTokens[i] ?? 0;
      ttftSum += b.ttftSum[i] ?? 0;
      ttftCount += b.ttftCount[i] ?? 0;
      itlSum += b.itlSum[i] ?? 0;
      itlCount += b.itlCount[i] ?? 0;
    }
    return { seconds: end - start + 1, arrivals, inputTokens, outputTokens, ttftSum, ttftCount, itlSum, itlCount };
  }

  /** Cost and GPU time so far, counted up to min(t, the end of the traffic). */
  usage(t: number): Usage {
    const until = Math.min(t, this.#costUntil);
    let cost = this.#closedCost;
    const gpu: Record<string, number> = { ...this.#closedGpuMs };
    for (const d of this.deployments) {
      for (const p of d.pods) {
        if (Number.isNaN(p.boundAt)) continue;
        const ms = Math.max(0, until - Math.min(p.boundAt, until));
        cost += (ms * p.costPerHour) / 3_600_000;
        gpu[p.accelerator.type] = (gpu[p.accelerator.type] ?? 0) + ms * p.units;
      }
    }
    return { costCents: cost, gpuMsByType: gpu };
  }

  // ---- traffic ----

  arrive(id: number, t: number): void {
    const a = this.#arrivals;
    const d = this.deployments[a.deployment[id] ?? 0];
    if (d === undefined) return;
    const b = binOf(t);
    d.bins.arrivals[b] = (d.bins.arrivals[b] ?? 0) + 1;
    d.bins.inputTokens[b] = (d.bins.inputTokens[b] ?? 0) + (a.inputTokens[id] ?? 0);
    d.bins.outputTokens[b] = (d.bins.outputTokens[b] ?? 0) + (a.outputTokens[id] ?? 0);
    this.#inFlight += 1;
    // vLLM refuses a prompt plus completion longer than --max-model-len.
    if ((a.inputTokens[id] ?? 0) + (a.outputTokens[id] ?? 0) > this.setup.settings.maxModelLen) {
      this.log.rejected[id] = 1;
      this.#inFlight -= 1;
      return;
    }
    this.#route(d, id, t);
  }

  #route(d: SimDeployment, id: number, t: number): void {
    const pod = this.#pick(d, t);
    if (pod?.engine === undefined) {
      d.backlog.push(id);
      return;
    }
    const a = this.#arrivals;
    this.#apply(d, pod, pod.engine.submit(t, { id, inputTokens: a.inputTokens[id] ?? 0, outputTokens: a.outputTokens[id] ?? 1 }));
  }

  #pick(d: SimDeployment, t: number): SimPod | undefined {
    let best: SimPod | undefined;
    let bestLoad = Infinity;
    let ready = 0;
    for (const p of d.pods) if (p.phase === 'ready') ready += 1;
    if (ready === 0) return undefined;
    if (this.setup.settings.router === 'round-robin') {
      let k = d.rr++ % ready;
      for (const p of d.pods) {
        if (p.phase !== 'ready') continue;
        if (k === 0) return p;
        k -= 1;
      }
      return undefined;
    }
    // least-loaded: fewest requests held (running + waiting); ties go round the replicas
    const offset = d.rr++ % ready;
    let k = 0;
    for (const p of d.pods) {
      if (p.phase !== 'ready' || p.engine === undefined) continue;
      this.#advance(p, t);
      const s = p.engine.state();
      const load = s.running + s.waiting + ((k - offset + ready) % ready) / (ready + 1);
      if (load < bestLoad) { best = p; bestLoad = load; }
      k += 1;
    }
    return best;
  }

  #advance(p: SimPod, t: number): void {
    const e = p.engine;
    if (e === undefined) return;
    const next = e.nextEventTime();
    if (next === undefined || next > t) return;
    const d = this.deployments[p.dep];
    if (d !== undefined) this.#apply(d, p, e.advance(t));
  }

  #apply(d: SimDeployment, p: SimPod, events: readonly EngineEvent[]): void {
    const log = this.log;
    const b = d.bins;
    for (const e of events) {
      if (e.kind === 'token') {
        if (e.index !== 0) continue;
        log.firstToken[e.id] = e.t;
        const i = binOf(e.t);
        b.ttftSum[i] = (b.ttftSum[i] ?? 0) + e.t - (this.#arrivals.t[e.id] ?? e.t);
        b.ttftCount[i] = (b.ttftCount[i] ?? 0) + 1;
      } else if (e.kind === 'finished') {
        log.finished[e.id] = e.t;
        log.tokens[e.id] = e.outputTokens;
        this.#inFlight -= 1;
        const first = log.firstToken[e.id] ?? Number.NaN;
        if (e.outputTokens > 1 && !Number.isNaN(first)) {
          const i = binOf(e.t);
          b.itlSum[i] = (b.itlSum[i] ?? 0) + e.t - first;
          b.itlCount[i] = (b.itlCount[i] ?? 0) + e.outputTokens - 1;
        }
        if (p.phase === 'draining') p.endAt = Math.max(Number.isNaN(p.endAt) ? 0 : p.endAt, e.t);
      } else if (e.kind === 'rejected') {
        log.rejected[e.id] = 1;
        this.#inFlight -= 1;
      }
    }
  }

  // ---- pods ----

  #createPod(d: SimDeployment, t: number): SimPod {
    const acc = this.#accelerators.get(d.template.accelerator);
    const profile = this.profileOf(d, d.template.accelerator);
    if (acc === undefined || profile === undefined) throw new RangeError(`${d.setup.namespace}/${d.setup.name}: no catalog entry or profile for accelerator ${d.template.accelerator}`);
    const id = this.#nextPod++;
    const pod: SimPod = {
      id, dep: d.index, key: `${d.setup.namespace}/${d.setup.name}-${id}`, template: d.template, templateKey: templateKey(d.template), accelerator: acc,
      units: profile.accCount * acc.multiplicity, costPerHour: acc.cost * profile.accCount, createdAt: t,
      phase: 'pending', node: undefined, boundAt: Number.NaN, readyAt: Number.NaN, endAt: Number.NaN, engine: undefined,
    };
    d.pods.push(pod);
    this.#pending.push(pod);
    this.inventory.upsertPod(this.#podGpus(pod));
    return pod;
  }

  #podGpus(p: SimPod): PodGpus {
    const a = p.accelerator;
    return {
      key: p.key, nodeName: p.node,
      nodeSelector: a.labelKey !== undefined && a.device !== undefined ? { [a.labelKey]: a.device } : {},
      requests: a.resource !== undefined ? { [a.resource]: p.units } : {},
      finished: p.phase === 'gone', managed: true,
    };
  }

  #eligibleNodes(a: Accelerator): readonly NodeGpus[] {
    let nodes = this.#nodesFor.get(a.name);
    if (nodes === undefined) {
      nodes = this.setup.nodes
        .filter((n) => !n.unschedulable && a.labelKey !== undefined && n.labels[a.labelKey] === a.device && a.resource !== undefined && (n.allocatable[a.resource] ?? 0) > 0)
        .sort((x, y) => (x.name < y.name ? -1 : 1));
      this.#nodesFor.set(a.name, nodes);
    }
    return nodes;
  }

  /**
   * Binds pending pods, oldest first, to the first node with room, and returns them; `now` skips the start-up (the
   * t = 0 fleet: the caller makes them ready).
   */
  #schedule(t: number, now = false): SimPod[] {
    const bound: SimPod[] = [];
    if (this.#pending.length === 0) return bound;
    const still: SimPod[] = [];
    for (const p of this.#pending) {
      if (p.phase !== 'pending') continue;
      const resource = p.accelerator.resource;
      const node = resource === undefined ? undefined : this.#eligibleNodes(p.accelerator).find((n) => {
        const used = this.inventory.node(n.name)?.used[resource] ?? 0;
        return (n.allocatable[resource] ?? 0) - used >= p.units;
      });
      if (node === undefined) {
        still.push(p);
        continue;
      }
      p.node = node.name;
      p.boundAt = t;
      p.phase = 'starting';
      this.inventory.upsertPod(this.#podGpus(p));
      bound.push(p);
      if (!now) this.#queue.at(t + startupOf(this.setup.settings, p.template.accelerator), (at) => { this.#ready(p, at); });
    }
    this.#pending = still;
    return bound;
  }

  #ready(p: SimPod, t: number): void {
    if (p.phase !== 'starting') return;
    const d = this.deployments[p.dep];
    const profile = d === undefined ? undefined : this.profileOf(d, p.template.accelerator);
    if (d === undefined || profile === undefined) return;
    const s = this.setup.settings;
    p.phase = 'ready';
    p.readyAt = t;
    p.engine = createEngine({
      alpha: profile.alpha, beta: profile.beta, gamma: profile.gamma, delta: profile.delta, maxNumSeqs: p.template.maxBatch,
      maxWaiting: s.maxWaiting, kvCapacityTokens: p.template.maxBatch * s.maxModelLen, noiseSigma: s.noiseSigma,
    }, seededRandom(subSeed(s.seed, 1_000_003 + p.id)), { tokenEvents: 'ends' });
    this.#reconcile(d, t);
    // The gateway hands what it held to the replicas now serving.
    const held = d.backlog.slice(d.backlogHead);
    d.backlog = [];
    d.backlogHead = 0;
    for (const id of held) this.#route(d, id, t);
  }

  /** Stops a pod: one not yet serving goes at once; a serving one stops taking requests and finishes what it holds. */
  #stop(d: SimDeployment, p: SimPod, t: number): void {
    if (p.phase === 'ready') {
      p.phase = 'draining';
      this.#draining.add(p);
      this.#advance(p, t);
      const s = p.engine?.state();
      if (s === undefined || (s.running === 0 && s.waiting === 0)) this.#gone(d, p, Number.isNaN(p.endAt) ? t : p.endAt);
      return;
    }
    if (p.phase === 'pending' || p.phase === 'starting') this.#gone(d, p, t);
  }

  #gone(d: SimDeployment, p: SimPod, t: number): void {
    const wasBound = !Number.isNaN(p.boundAt);
    p.phase = 'gone';
    p.endAt = Number.isNaN(p.endAt) ? t : p.endAt;
    this.#draining.delete(p);
    d.pods = d.pods.filter((x) => x !== p);
    this.inventory.removePod(p.key);
    if (wasBound) {
      const until = this.#costUntil;
      const ms = Math.max(0, Math.min(p.endAt, until) - Math.min(p.boundAt, until));
      this.#closedCost += (ms * p.costPerHour) / 3_600_000;
      this.#closedGpuMs[p.accelerator.type] = (this.#closedGpuMs[p.accelerator.type] ?? 0) + ms * p.units;
    }
  }

  #reapDrained(t: number): void {
    const done: SimPod[] = [];
    for (const p of this.#draining) {
      const s = p.engine?.state();
      if (s === undefined || (s.running === 0 && s.waiting === 0)) done.push(p);
    }
    const touched = new Set<SimDeployment>();
    for (const p of done) {
      const d = this.deployments[p.dep];
      if (d === undefined) continue;
      this.#gone(d, p, Number.isNaN(p.endAt) ? t : p.endAt);
      touched.add(d);
    }
    for (const d of touched) this.#reconcile(d, t);
    this.#schedule(t);
  }

  /**
   * The Deployment controller: pods on the current template up to spec.replicas (within maxSurge), old-template pods
   * stopped as new ones become ready (keeping spec − maxUnavailable available; Recreate stops them all first), extras
   * stopped newest and least ready first, as a ReplicaSet picks them.
   */
  #reconcile(d: SimDeployment, t: number): void {
    const key = templateKey(d.template);
    const spec = d.specReplicas;
    const live = (p: SimPod): boolean => p.phase !== 'draining' && p.phase !== 'gone';
    const rank = { pending: 0, starting: 1, ready: 2, draining: 3, gone: 4 } as const;
    const stopOrder = (a: SimPod, b: SimPod): number => rank[a.phase] - rank[b.phase] || b.createdAt - a.createdAt || b.id - a.id;
    const extra = d.pods.filter((p) => live(p) && p.templateKey === key);
    if (extra.length > spec) for (const p of extra.sort(stopOrder).slice(0, extra.length - spec)) this.#stop(d, p, t);
    const current = d.pods.filter((p) => live(p) && p.templateKey === key);
    const old = d.pods.filter((p) => live(p) && p.templateKey !== key);
    if (old.length > 0) {
      // Old pods that are not serving go first: they are not available anyway.
      for (const p of old) if (p.phase !== 'ready') this.#stop(d, p, t);
      const oldReady = old.filter((x) => x.phase === 'ready').sort(stopOrder);
      const st = d.setup.strategy;
      const amount = (v: number | { percent: number }, round: (x: number) => number): number => (typeof v === 'number' ? v : round((v.percent / 100) * spec));
      const maxSurge = st.kind === 'Recreate' ? 0 : amount(st.maxSurge, Math.ceil);
      const unavailable = st.kind === 'Recreate' ? spec : amount(st.maxUnavailable, Math.floor);
      // Kubernetes lets a rollout progress when both round to 0 by allowing one unavailable pod.
      const maxUnavailable = maxSurge === 0 && unavailable === 0 ? 1 : unavailable;
      const create = Math.max(0, Math.min(spec - current.length, spec + maxSurge - current.length - oldReady.length));
      for (let i = 0; i < create; i += 1) this.#createPod(d, t);
      const readyNew = current.filter((p) => p.phase === 'ready').length;
      const removable = spec === 0 ? oldReady.length : Math.max(0, readyNew + oldReady.length - (spec - maxUnavailable));
      for (const p of oldReady.slice(0, removable)) this.#stop(d, p, t);
    } else if (current.length < spec) {
      for (let i = current.length; i < spec; i += 1) this.#createPod(d, t);
    }
    this.#schedule(t);
  }
}
