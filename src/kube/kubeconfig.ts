// Which cluster `inferno serve` talks to, said out loud. client-node's loadFromDefault falls back to
// http://localhost:8080 when it finds nothing, which then fails forever with a TLS message that never mentions a
// kubeconfig; here finding nothing is an input error that says where inferno looked.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { InputError } from '../cluster/issues.js';

/** Where a pod's service-account credentials are mounted (client-node's in-cluster config reads them). */
export const ServiceAccountToken = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface LoadedKubeConfig {
  readonly kc: KubeConfig;
  /** the kubeconfig file(s), or "in-cluster (service account)" */
  readonly source: string;
}

/**
 * --kubeconfig PATH, else $KUBECONFIG, else ~/.kube/config, else the pod's service account; a missing or unreadable
 * file is a file-system error naming it (reported as an input error by the CLI).
 */
export function loadKubeConfig(path: string | undefined, env: Readonly<Record<string, string | undefined>>): LoadedKubeConfig {
  const kc = new KubeConfig();
  if (path !== undefined) {
    kc.loadFromFile(path);
    return { kc, source: path };
  }
  const fromEnv = (env['KUBECONFIG'] ?? '').split(delimiter).filter((f) => f !== '');
  const home = env['HOME'] !== undefined && env['HOME'] !== '' ? join(env['HOME'], '.kube', 'config') : undefined;
  const inPod = env['KUBERNETES_SERVICE_HOST'] !== undefined && existsSync(ServiceAccountToken);
  if (fromEnv.length === 0 && (home === undefined || !existsSync(home)) && !inPod) {
    throw new InputError([{
      path: '',
      message: `no cluster to connect to: no --kubeconfig, $KUBECONFIG is not set, ${home ?? '~/.kube/config ($HOME is not set)'} does not exist, and this is not a pod `
        + `($KUBERNETES_SERVICE_HOST and ${ServiceAccountToken}). Give --kubeconfig PATH, or serve without a cluster with --no-kube or --scenario FILE`,
    }]);
  }
  kc.loadFromDefault();
  return { kc, source: fromEnv.length > 0 ? fromEnv.join(delimiter) : home !== undefined && existsSync(home) ? home : 'in-cluster (service account)' };
}
