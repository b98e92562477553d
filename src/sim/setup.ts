// What one simulation starts from, as plain data: inferno's configuration and GPU nodes, the simulated model-server
// Deployments with their Optimizers and service-class targets, the simulator's settings and each model's traffic.
// scenario.ts builds it from a scenario's objects and checks every cross-reference.
import type { ClassIndex, InfernoConfig } from '../cluster/config-maps.js';
import type { NodeGpus } from '../cluster/inventory.js';
import type { DeploymentView, OptimizerResource } from '../cluster/resources.js';
import type { ModelTarget, ServiceClass } from '../domain/types.js';
import type { ArrivalSpec, TokenSpec } from './traffic.js';

/** What a replica runs: the GPU (catalog name) and vLLM's --max-num-seqs. */
export interface Template {
  readonly accelerator: string;
  readonly maxBatch: number;
}

export const templateKey = (t: Template): string => `${t.accelerator}/${t.maxBatch}`;

/** spec.strategy: a rolling update's surge and unavailability (whole pods or a percentage of spec.replicas), or Recreate. */
export type Strategy =
  | { readonly kind: 'RollingUpdate'; readonly maxSurge: number | { readonly percent: number }; readonly maxUnavailable: number | { readonly percent: number } }
  | { readonly kind: 'Recreate' };

export const DefaultStrategy: Strategy = { kind: 'RollingUpdate', maxSurge: { percent: 25 }, maxUnavailable: { percent: 25 } };

export interface DeploymentSetup {
  readonly namespace: string;
  readonly name: string;
  readonly model: string;
  readonly optimizer: OptimizerResource;
  readonly cls: ServiceClass;
  readonly target: ModelTarget;
  /** the Deployment object as given (the inferno policy edits a copy of it) */
  readonly raw: DeploymentView;
  readonly template: Template;
  readonly strategy: Strategy;
  readonly replicas: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

export type Router = 'round-robin' | 'least-loaded';

/** Settings of the HPA- and KEDA-style baselines (Kubernetes' defaults unless set). */
export interface BaselineSettings {
  /** hpa: target vllm:num_requests_running per replica; undefined: derived per Deployment (see policies.ts) */
  readonly hpaRunningTarget?: number;
  /** hpa-kv: target vllm:kv_cache_usage_perc per replica, 0–1; undefined: derived per Deployment */
  readonly hpaKvTarget?: number;
  /** keda-queue: target vllm:num_requests_waiting per replica */
  readonly kedaWaitingTarget: number;
  readonly kedaPollingMs: number;
  readonly kedaCooldownMs: number;
}

export interface SimSettings {
  readonly durationS: number;
  /** after the traffic ends, the fleet keeps serving what it holds for at most this long */
  readonly drainS: number;
  readonly seed: number;
  readonly router: Router;
  /** pod start-up (scheduled → ready), ms, per accelerator name; `default` for the others */
  readonly startupMs: Readonly<Record<string, number>> & { readonly default: number };
  /** σ of the engine's lognormal noise on every iteration and prefill */
  readonly noiseSigma: number;
  /** vLLM --max-model-len: with max-num-seqs it sizes each replica's KV cache */
  readonly maxModelLen: number;
  /** waiting requests a replica holds before it refuses more */
  readonly maxWaiting: number;
  /** time-series resolution of the report, s */
  readonly sampleS: number;
  /**
   * The model-based policies (inferno, wva, static-peak) plan for this fraction of each TTFT and ITL target, and
   * hpa's derived target aims at decode reaching this fraction of the ITL target: the plans are for mean latencies,
   * while the report counts each request against the full target.
   */
  readonly sloMargin: number;
  readonly baselines: BaselineSettings;
}

export interface TrafficSetup {
  /** index into SimSetup.deployments */
  readonly deployment: number;
  readonly arrivals: ArrivalSpec;
  readonly inputTokens: TokenSpec;
  readonly outputTokens: TokenSpec;
}

export interface SimSetup {
  readonly config: InfernoConfig;
  readonly nodes: readonly NodeGpus[];
  readonly deployments: readonly DeploymentSetup[];
  readonly traffic: readonly TrafficSetup[];
  readonly settings: SimSettings;
}

/** The configuration with every service class's TTFT and ITL targets scaled by `margin` (what a plan aims for). */
export function withSloMargin(config: InfernoConfig, margin: number): InfernoConfig {
  if (margin === 1) return config;
  const scaled = new Map<ServiceClass, ServiceClass>();
  const scale = (c: ServiceClass): ServiceClass => {
    let s = scaled.get(c);
    if (s === undefined) {
      s = { ...c, targets: c.targets.map((t) => ({ ...t, ttft: t.ttft * margin, itl: t.itl * margin })) };
      scaled.set(c, s);
    }
    return s;
  };
  const classes: ClassIndex = {
    byRef: new Map([...config.classes.byRef].map(([k, c]) => [k, scale(c)])),
    byName: new Map([...config.classes.byName].map(([k, c]) => [k, scale(c)])),
  };
  return { ...config, classes };
}

export const startupOf = (s: SimSettings, accelerator: string): number => s.startupMs[accelerator] ?? s.startupMs.default;
