// The admission routes inferno serves: validation fails closed, mutation fails open (kubernetes-interfaces.md §2.4).
import { mutateDeployment } from './mutate.js';
import type { AdmissionRoute } from './types.js';
import { validateConfigMap, validateOptimizer } from './validate.js';
import type { ClusterView } from './view.js';

export const WebhookPath = {
  validateOptimizer: '/validate-optimizer',
  validateConfig: '/validate-config',
  mutateDeployment: '/mutate-deployment',
} as const;

export function createAdmissionRoutes(deps: { readonly view: ClusterView }): AdmissionRoute[] {
  return [
    { path: WebhookPath.validateOptimizer, name: 'validate-optimizer', onError: 'closed', handler: (req) => validateOptimizer(req, deps.view) },
    { path: WebhookPath.validateConfig, name: 'validate-config', onError: 'closed', handler: (req) => validateConfigMap(req) },
    { path: WebhookPath.mutateDeployment, name: 'mutate-deployment', onError: 'open', handler: (req) => mutateDeployment(req, deps.view) },
  ];
}
