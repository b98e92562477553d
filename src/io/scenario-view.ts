// A cluster view read from scenario files instead of a live cluster: `inferno serve --scenario` for local trials
// and benchmarks of the full admission path without an API server.
import { configFromMaps } from '../cluster/config-maps.js';
import { inventoryOf, nodeGpusOf } from '../cluster/inventory.js';
import type { InputIssue } from '../cluster/issues.js';
import { InputError } from '../cluster/issues.js';
import type { ClusterView } from '../cluster/snapshot.js';
import { snapshotOf, staticView } from '../cluster/snapshot.js';
import { scenarioObjectsOf } from '../formats/scenario.js';
import { readSources } from './input-files.js';

/** The files' (and folders') objects merged into one view; other kinds (Deployments, Services, …) are skipped. */
export async function loadScenarioView(paths: readonly string[]): Promise<ClusterView> {
  const objs = scenarioObjectsOf(await readSources(paths));
  const issues: InputIssue[] = [];
  const config = configFromMaps(objs.configMaps, issues);
  if (issues.length > 0) throw new InputError(issues);
  return staticView(snapshotOf(config, inventoryOf(objs.nodes.map(nodeGpusOf))), objs.optimizers.map((o) => o.o));
}
