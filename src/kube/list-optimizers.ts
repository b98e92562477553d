// One list of the Optimizer resources (all namespaces or one), for commands that need them once rather than a
// watch. Items that fail the schema are returned as problems, not dropped silently.
import type { KubeConfig } from '@kubernetes/client-node';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { OptimizerResource } from '../cluster/resources.js';
import { OptimizerSchema } from '../cluster/resources.js';
import { OptimizerApi } from '../domain/keys.js';

export async function listOptimizers(kc: KubeConfig, namespace?: string): Promise<{ optimizers: OptimizerResource[]; problems: string[] }> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const base = { group: OptimizerApi.group, version: OptimizerApi.version, plural: OptimizerApi.plural };
  const list = (namespace === undefined ? await api.listClusterCustomObject(base) : await api.listNamespacedCustomObject({ ...base, namespace })) as { items?: unknown[] };
  const optimizers: OptimizerResource[] = [];
  const problems: string[] = [];
  for (const item of list.items ?? []) {
    // Items of a list may omit apiVersion and kind.
    const r = OptimizerSchema.safeParse({ apiVersion: OptimizerApi.apiVersion, kind: OptimizerApi.kind, ...(item as object) });
    if (r.success) optimizers.push(r.data);
    else {
      const m = (item as { metadata?: { namespace?: string; name?: string } }).metadata;
      problems.push(`Optimizer ${m?.namespace ?? ''}/${m?.name ?? '?'}: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
  }
  return { optimizers, problems };
}
