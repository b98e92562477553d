// A cluster view read from a scenario file instead of a live cluster: `inferno serve --scenario` for local trials
// and benchmarks of the full admission path without an API server.
import { readFile } from 'node:fs/promises';
import { configFromMaps } from '../cluster/config-maps.js';
import { inventoryOf, nodeGpusOf } from '../cluster/inventory.js';
import type { InputIssue } from '../cluster/issues.js';
import { InputError } from '../cluster/issues.js';
import type { ClusterView } from '../cluster/snapshot.js';
import { snapshotOf, staticView } from '../cluster/snapshot.js';
import { scenarioObjects } from '../formats/scenario.js';

export async function loadScenarioView(path: string): Promise<ClusterView> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError([{ file: path, path: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
  const objs = scenarioObjects(text, path);
  const issues: InputIssue[] = [];
  const config = configFromMaps(objs.configMaps, issues);
  if (issues.length > 0) throw new InputError(issues);
  return staticView(snapshotOf(config, inventoryOf(objs.nodes.map(nodeGpusOf))), objs.optimizers.map((o) => o.o));
}
