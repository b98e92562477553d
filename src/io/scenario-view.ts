// A cluster view read from a scenario file instead of a live cluster: `inferno serve --scenario` for local trials
// and benchmarks of the full admission path without an API server.
import { readFile } from 'node:fs/promises';
import type { InputIssue } from '../config/errors.js';
import { InputError } from '../config/errors.js';
import { configFromMaps, scenarioObjects } from '../config/scenario.js';
import { freeCapacity } from '../kube/inventory.js';
import type { ClusterView } from '../webhook/view.js';
import { staticView } from '../webhook/view.js';

export async function loadScenarioView(path: string): Promise<ClusterView> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError([{ file: path, path: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
  const objs = scenarioObjects(text, path);
  const issues: InputIssue[] = [];
  const { accelerators, classes, controller } = configFromMaps(objs.configMaps, issues);
  if (issues.length > 0) throw new InputError(issues);
  return staticView({
    accelerators, classes, controller, freeCapacity: freeCapacity(objs.nodes, [], accelerators, controller.capacity),
  }, objs.optimizers.map((o) => o.o));
}
