// The e2e harness playing kubelet for emulated vLLM: kwok marks pods Running but runs nothing, so for every Running
// pod of the watched Deployments this starts one in-process emulator (src/emulator) with the Optimizer's profile for
// the pod's accelerator (its inferno.llmd.ai/accelerator label) and the pod's own --max-num-seqs (after kubelet's
// $(VAR) expansion from the container env), lists it in Prometheus's file_sd with the pod's namespace and name, and
// stops it when the pod goes away (deleted, terminating or not Running). Polls the API server; every loop bounded.
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';
import type { RunningEmulator } from '../../../src/emulator/server.js';
import { startEmulator } from '../../../src/emulator/server.js';
import type { OptimizerResource } from '../../../src/cluster/resources.js';
import { Label } from '../../../src/domain/keys.js';
import { MaxNumSeqsFlag } from '../../../src/placement/pod-template.js';
import type { Target } from '../../support/prometheus.js';

export interface PodEmulator {
  readonly namespace: string;
  readonly pod: string;
  /** the pod's app label: which "Service" it is behind */
  readonly app: string;
  readonly node: string;
  readonly accelerator: string;
  readonly maxNumSeqs: number;
  readonly url: string;
  readonly startedAt: number;
}

export interface PodEmulatorsOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** pods of these apps (label app=<name>) get emulators; the Optimizer gives the model and the profiles */
  readonly apps: ReadonlyMap<string, OptimizerResource>;
  /** the target list changed (Prometheus's file_sd) */
  readonly onTargets: (targets: readonly Target[]) => Promise<void>;
  /** the URLs serving an app changed (the "Service" in front of its pods) */
  readonly onEndpoints: (app: string, urls: readonly string[]) => void;
  readonly pollMs?: number;
  readonly maxModelLen?: number;
  readonly log?: (msg: string) => void;
}

/** `--max-num-seqs N` / `--max-num-seqs=N` of the first container, with $(VAR) expanded from its env as kubelet does. */
export function maxNumSeqsOf(pod: V1Pod): number | undefined {
  const c = pod.spec?.containers[0];
  if (c === undefined) return undefined;
  const env = new Map((c.env ?? []).flatMap((e) => (e.value !== undefined ? [[e.name, e.value] as const] : [])));
  const expand = (s: string): string => s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env.get(name) ?? m);
  const argv = [...(c.command ?? []), ...(c.args ?? [])].map(expand);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const v = a.startsWith(`${MaxNumSeqsFlag}=`) ? a.slice(MaxNumSeqsFlag.length + 1) : a === MaxNumSeqsFlag ? argv[i + 1] : undefined;
    if (v !== undefined) {
      const n = Number(v);
      return Number.isInteger(n) && n > 0 ? n : undefined;
    }
  }
  return undefined;
}

export class PodEmulators {
  readonly #o: PodEmulatorsOptions;
  readonly #core: CoreV1Api;
  readonly #running = new Map<string, { info: PodEmulator; emulator: RunningEmulator }>();
  /** every emulator ever started, in order (for assertions on what ran) */
  readonly history: PodEmulator[] = [];
  readonly problems: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #busy: Promise<void> = Promise.resolve();
  #lastTargets = '';

  constructor(o: PodEmulatorsOptions) {
    this.#o = o;
    this.#core = o.kubeConfig.makeApiClient(CoreV1Api);
  }

  start(): void {
    const loop = (): void => {
      if (this.#stopped) return;
      this.#busy = this.reconcile().catch((e: unknown) => {
        this.#o.log?.(`pod emulators: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300));
      }).finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(loop, this.#o.pollMs ?? 250);
      });
    };
    loop();
  }

  running(): PodEmulator[] {
    return [...this.#running.values()].map((r) => r.info).sort((a, b) => a.pod.localeCompare(b.pod));
  }

  /** One pass: emulators for Running pods, none for the rest. */
  async reconcile(): Promise<void> {
    const list = await this.#core.listNamespacedPod({ namespace: this.#o.namespace });
    const wanted = new Map<string, { pod: V1Pod; app: string; optimizer: OptimizerResource }>();
    for (const pod of list.items) {
      const app = pod.metadata?.labels?.['app'] ?? '';
      const optimizer = this.#o.apps.get(app);
      if (optimizer === undefined || pod.status?.phase !== 'Running' || pod.metadata?.deletionTimestamp !== undefined) continue;
      wanted.set(pod.metadata?.name ?? '', { pod, app, optimizer });
    }
    let changed = false;
    for (const [name, r] of [...this.#running]) {
      if (wanted.has(name)) continue;
      this.#running.delete(name);
      changed = true;
      await r.emulator.close();
    }
    for (const [name, w] of wanted) {
      if (this.#running.has(name) || this.#stopped) continue;
      if (await this.#startFor(name, w.pod, w.app, w.optimizer)) changed = true;
    }
    if (changed) await this.#publish();
  }

  async #startFor(name: string, pod: V1Pod, app: string, optimizer: OptimizerResource): Promise<boolean> {
    const accelerator = pod.metadata?.labels?.[Label.accelerator] ?? '';
    const profile = optimizer.spec.modelProfile.accelerators.find((p) => p.acc === accelerator);
    const maxNumSeqs = maxNumSeqsOf(pod);
    if (profile === undefined || maxNumSeqs === undefined) {
      const why = `pod ${name}: ${profile === undefined ? `no profile for accelerator "${accelerator}"` : 'no --max-num-seqs'}`;
      if (!this.problems.includes(why)) this.problems.push(why);
      return false;
    }
    const maxModelLen = this.#o.maxModelLen ?? 4096;
    const emulator = await startEmulator({
      model: optimizer.spec.modelID, maxModelLen, host: '127.0.0.1', port: 0, seed: this.history.length + 1,
      engine: { alpha: profile.alpha, beta: profile.beta, gamma: profile.gamma, delta: profile.delta, maxNumSeqs, maxWaiting: 1000, kvCapacityTokens: maxNumSeqs * maxModelLen, noiseSigma: 0 },
    });
    const info: PodEmulator = { namespace: this.#o.namespace, pod: name, app, node: pod.spec?.nodeName ?? '', accelerator, maxNumSeqs, url: emulator.url, startedAt: Date.now() };
    this.#running.set(name, { info, emulator });
    this.history.push(info);
    return true;
  }

  async #publish(): Promise<void> {
    const all = this.running();
    const targets = all.map((e) => ({ address: new URL(e.url).host, labels: { namespace: e.namespace, pod: e.pod } }));
    const text = JSON.stringify(targets);
    if (text !== this.#lastTargets) {
      this.#lastTargets = text;
      await this.#o.onTargets(targets);
    }
    for (const app of this.#o.apps.keys()) this.#o.onEndpoints(app, all.filter((e) => e.app === app).map((e) => e.url));
  }

  /** Stops polling and every emulator. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#busy;
    const all = [...this.#running.values()];
    this.#running.clear();
    await Promise.all(all.map((r) => r.emulator.close()));
  }
}
