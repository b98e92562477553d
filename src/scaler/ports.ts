// What one scaler tick needs from the outside world, as ports the adapters implement (kube/, collector over
// prometheus/) and tests or `inferno scale --once` fill in from files. Plain data in and out.
import type { DeploymentView, OptimizerResource } from '../cluster/resources.js';
import type { ClusterView } from '../cluster/snapshot.js';
import type { ScalerSettings, System } from '../domain/types.js';
import type { Plan } from '../solver/index.js';
import type { OptimizerStatusWrite } from './status.js';

/** A Deployment that opted in to inferno (label inferno.llmd.ai/managed=true), as read this tick. */
export interface ManagedDeployment {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
  /** the parts inferno reads (pod template, replicas, annotations) */
  readonly view: DeploymentView;
  /** status.replicas and status.readyReplicas */
  readonly statusReplicas: number;
  readonly readyReplicas: number;
}

/** A collector reading: a finite number, or unknown with the reason (never 0 for "no data"). */
export type Reading = number | { readonly unknown: string };

/** What the collector saw for one model server (namespace + model); the collector's Observation fits. */
export interface LoadObservation {
  readonly arrivalRpm: Reading;
  readonly avgInputTokens: Reading;
  readonly avgOutputTokens: Reading;
  readonly ttftMs: Reading;
  readonly itlMs: Reading;
  /** age of the newest sample, s */
  readonly sampleAgeS: Reading;
}

export const observationKey = (namespace: string, model: string): string => `${namespace}\u0000${model}`;

export interface ObservationSet {
  /** by observationKey(namespace, model) */
  readonly byServer: ReadonlyMap<string, LoadObservation>;
  /** set when the whole collection failed (Prometheus down, timed out): every server is unknown for this reason */
  readonly failure?: string;
}

export type WriteResult = 'done' | 'unchanged' | 'gone';

/** A JSON patch against the Deployment as the actuator read it. */
export type TemplateEdit = (deployment: unknown) => readonly { readonly op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test'; readonly path: string; readonly value?: unknown }[];

export interface ScalerPorts {
  /** the shared cluster view: configuration, GPU inventory, Optimizers */
  readonly view: ClusterView;
  listDeployments(): Promise<readonly ManagedDeployment[]>;
  observe(servers: readonly { readonly namespace: string; readonly model: string }[], settings: ScalerSettings): Promise<ObservationSet>;
  scale(namespace: string, name: string, replicas: number): Promise<WriteResult>;
  retemplate(namespace: string, name: string, edit: TemplateEdit): Promise<WriteResult>;
  writeStatus(namespace: string, name: string, status: OptimizerStatusWrite): Promise<WriteResult>;
  event(e: { readonly kind: 'Optimizer' | 'Deployment'; readonly namespace: string; readonly name: string; readonly uid: string; readonly type: 'Normal' | 'Warning'; readonly reason: string; readonly message: string }): Promise<void>;
  /** exact plans (a MILP backend); greedy when absent */
  readonly solveExact?: (system: System) => Promise<Plan>;
}

/** The Optimizer a Deployment is planned by: the annotation's name, else the Deployment's own, in its namespace. */
export interface Target {
  readonly deployment: ManagedDeployment;
  readonly optimizer: OptimizerResource;
}
