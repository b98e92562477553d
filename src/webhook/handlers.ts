// The admission routes inferno serves: validation fails closed, mutation fails open (kubernetes-interfaces.md §2.4).
import { createAnalyzerCache } from '../solver/index.js';
import { mutateDeployment } from './mutate.js';
import type { AdmissionRoute } from './types.js';
import { validateConfigMap, validateOptimizer } from './validate.js';
import type { ClusterView } from '../cluster/snapshot.js';

export const WebhookPath = {
  validateOptimizer: '/validate-optimizer',
  validateConfig: '/validate-config',
  mutateDeployment: '/mutate-deployment',
} as const;

/** Queueing-model results kept across admission requests; a few thousand entries cover a large catalog. */
const AnalyzerCacheEntries = 4096;

export function createAdmissionRoutes(deps: { readonly view: ClusterView }): AdmissionRoute[] {
  const cache = createAnalyzerCache(AnalyzerCacheEntries);
  return [
    { path: WebhookPath.validateOptimizer, name: 'validate-optimizer', onError: 'closed', handler: (req) => validateOptimizer(req, deps.view) },
    { path: WebhookPath.validateConfig, name: 'validate-config', onError: 'closed', handler: (req) => validateConfigMap(req) },
    { path: WebhookPath.mutateDeployment, name: 'mutate-deployment', onError: 'open', handler: (req) => mutateDeployment(req, deps.view, cache) },
  ];
}
