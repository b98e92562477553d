// The scaler's ports over the real API server: managed Deployments listed once per tick (a plain list: simple and
// deterministic, as the style guide suggests for the loop), writes through the ScalerActuator (scale subresource,
// generation-guarded template patches, Optimizer status, aggregated Events).
import { AppsV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1Deployment } from '@kubernetes/client-node';
import { DeploymentSchema } from '../cluster/resources.js';
import type { ClusterView } from '../cluster/snapshot.js';
import { Label } from '../domain/keys.js';
import type { ManagedDeployment, ScalerPorts, WriteResult } from '../scaler/ports.js';
import type { ScalerActuator } from './scaler-actuator.js';
import { requestOptions } from './request.js';

/** The Deployment's parts inferno reads, from client-node's typed object (its Dates serialise to strings). */
export function managedDeploymentOf(d: V1Deployment): ManagedDeployment | undefined {
  const plain = JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
  const r = DeploymentSchema.safeParse({ apiVersion: 'apps/v1', kind: 'Deployment', ...plain });
  if (!r.success) return undefined;
  return {
    namespace: d.metadata?.namespace ?? '',
    name: d.metadata?.name ?? '',
    ...(d.metadata?.uid !== undefined ? { uid: d.metadata.uid } : {}),
    view: r.data,
    statusReplicas: d.status?.replicas ?? 0,
    readyReplicas: d.status?.readyReplicas ?? 0,
  };
}

export interface KubeScalerPortsOptions {
  readonly kubeConfig: KubeConfig;
  readonly view: ClusterView;
  readonly actuator: ScalerActuator;
  readonly observe: ScalerPorts['observe'];
  readonly solveExact?: ScalerPorts['solveExact'];
  /** aborts every request when leadership ends */
  readonly signal: AbortSignal;
  readonly requestTimeoutMs?: number;
}

export function kubeScalerPorts(o: KubeScalerPortsOptions): ScalerPorts {
  const apps = o.kubeConfig.makeApiClient(AppsV1Api);
  const timeout = o.requestTimeoutMs ?? 10_000;
  const signal = (): AbortSignal => AbortSignal.any([o.signal, AbortSignal.timeout(timeout)]);
  const mapResult = (kind: string): WriteResult => (kind === 'gone' ? 'gone' : kind === 'unchanged' ? 'unchanged' : 'done');
  return {
    view: o.view,
    ...(o.solveExact !== undefined ? { solveExact: o.solveExact } : {}),
    async listDeployments() {
      const list = await apps.listDeploymentForAllNamespaces({ labelSelector: `${Label.managed}=true` }, requestOptions({ signal: signal() }));
      return list.items.flatMap((d) => {
        const m = managedDeploymentOf(d);
        return m !== undefined ? [m] : [];
      });
    },
    observe: o.observe,
    async scale(namespace, name, replicas) {
      return mapResult((await o.actuator.scale(namespace, name, replicas, o.signal)).kind);
    },
    async retemplate(namespace, name, edit) {
      return mapResult((await o.actuator.patchTemplate(namespace, name, (d) => edit(d), o.signal)).kind);
    },
    async writeStatus(namespace, name, status) {
      return mapResult((await o.actuator.writeStatus(namespace, name, status, o.signal)).kind);
    },
    async event(e) {
      await o.actuator.event({ involved: { kind: e.kind, namespace: e.namespace, name: e.name, uid: e.uid }, type: e.type, reason: e.reason, message: e.message }, o.signal);
    },
  };
}
