// The admission routes inferno serves: validation fails closed, mutation fails open (kubernetes-interfaces.md §2.4).
import { DefaultNamespace } from '../domain/keys.js';
import type { Offload } from '../threads/offload.js';
import { inlineOffload } from '../threads/offload.js';
import { mutateDeploymentWith } from '../webhook/mutate.js';
import type { AdmissionRoute } from '../webhook/types.js';
import { validateConfigMapWith, validateOptimizer } from '../webhook/validate.js';
import type { ClusterView } from '../cluster/snapshot.js';

export const WebhookPath = {
  validateOptimizer: '/validate-optimizer',
  validateConfig: '/validate-config',
  mutateDeployment: '/mutate-deployment',
} as const;

export interface RouteDeps {
  readonly view: ClusterView;
  /** the namespace inferno reads its ConfigMaps from (default inferno-system) */
  readonly namespace?: string;
  /** where solving and ConfigMap parsing run (default: inline; `inferno serve` moves heavy ones to a worker) */
  readonly offload?: Offload;
}

export function createAdmissionRoutes(deps: RouteDeps): AdmissionRoute[] {
  const offload = deps.offload ?? inlineOffload();
  const home = deps.namespace ?? DefaultNamespace;
  return [
    { path: WebhookPath.validateOptimizer, name: 'validate-optimizer', onError: 'closed', handler: (req) => validateOptimizer(req, deps.view) },
    { path: WebhookPath.validateConfig, name: 'validate-config', onError: 'closed', handler: (req) => validateConfigMapWith(req, home, (o) => offload.run('checkConfigMap', o)) },
    { path: WebhookPath.mutateDeployment, name: 'mutate-deployment', onError: 'open', handler: (req) => mutateDeploymentWith(req, deps.view, (s) => offload.run('solve', s)) },
  ];
}
