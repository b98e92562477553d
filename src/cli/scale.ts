// `inferno scale --once`: one scaler tick offline, over a scenario file, printing what it would do. The same tick
// the in-cluster scaler runs (scaler/tick.ts); only the ports differ: the file's objects in, nothing written out.
import { resolve } from 'node:path';
import { configFromMaps } from '../cluster/config-maps.js';
import { inventoryOf, nodeGpusOf } from '../cluster/inventory.js';
import type { InputIssue } from '../cluster/issues.js';
import { InputError } from '../cluster/issues.js';
import { observedLoad } from '../cluster/optimizer.js';
import { snapshotOf, staticView } from '../cluster/snapshot.js';
import { scenarioObjectsOf } from '../formats/scenario.js';
import { readSources } from '../io/input-files.js';
import type { LoadObservation, ManagedDeployment, ScalerPorts } from '../scaler/ports.js';
import { observationKey } from '../scaler/ports.js';
import type { TickResult } from '../scaler/tick.js';
import { Scaler } from '../scaler/tick.js';
import { Label } from '../domain/keys.js';
import { renderTable } from './table.js';
import type { Io } from './usage.js';
import { UsageError, oneOf, parseCommandArgs } from './usage.js';

export const scaleHelp = `Usage: inferno scale --once --scenario FILE [--scenario FILE ...] [--output table|json]

Runs one tick of the periodic scaler offline and prints what it would do for every managed Deployment: the
observed load, the current and desired accelerator, replicas and batch size, the action and why. Nothing is
written anywhere. In a cluster the scaler runs inside 'inferno serve' (on the replica holding the Lease).

The scenario holds what the cluster would: the Optimizers (their status.load stands for the observed load), the
opt-in Deployments (labelled ${Label.managed}: "true", all their replicas counted as ready), inferno's
ConfigMaps and optionally Nodes for capacity. Other kinds are skipped.

Options:
      --once             run one tick and exit (the only mode offline)
      --scenario FILE    the objects to plan (repeatable, or a folder of YAML and JSON files: the objects are
                         merged; the same object in two files is an error)
  -o, --output FMT       table (default) or json
  -h, --help             this help

Exit codes: 0 done, 2 bad input or usage, 1 internal error.
`;

async function offlinePorts(files: readonly string[]): Promise<ScalerPorts> {
  const objs = scenarioObjectsOf(await readSources(files));
  const issues: InputIssue[] = [];
  const config = configFromMaps(objs.configMaps, issues);
  if (objs.deployments.length === 0) issues.push({ file: files.join(', '), path: '', message: 'no Deployments: add the opt-in Deployments the Optimizers plan' });
  if (issues.length > 0) throw new InputError(issues);
  const optimizers = objs.optimizers.map((o) => o.o);
  const view = staticView(snapshotOf(config, inventoryOf(objs.nodes.map(nodeGpusOf))), optimizers);
  const deployments: ManagedDeployment[] = objs.deployments.map(({ d }) => ({
    namespace: d.metadata.namespace ?? 'default', name: d.metadata.name ?? '', view: d,
    statusReplicas: d.spec.replicas ?? 1, readyReplicas: d.spec.replicas ?? 1,
  }));
  // The recorded load of each Optimizer, as if Prometheus had just reported it.
  const byServer = new Map<string, LoadObservation>();
  for (const o of optimizers) {
    const load = observedLoad(o);
    const missing = { unknown: 'no status.load in the scenario' };
    byServer.set(observationKey(o.metadata.namespace ?? 'default', o.spec.modelID), {
      arrivalRpm: load?.arrivalRate ?? missing, avgInputTokens: load?.avgInTokens ?? missing, avgOutputTokens: load?.avgOutTokens ?? missing,
      ttftMs: missing, itlMs: missing, sampleAgeS: load !== undefined ? 0 : missing,
    });
  }
  const done = (): Promise<'done'> => Promise.resolve('done');
  return {
    view,
    listDeployments: () => Promise.resolve(deployments.filter((d) => d.view.metadata.labels?.[Label.managed] === 'true')),
    observe: () => Promise.resolve({ byServer }),
    scale: done, retemplate: done, writeStatus: done, event: () => Promise.resolve(),
  };
}

const alloc = (a: { accelerator: string; replicas: number; maxBatch: number } | undefined): string =>
  a === undefined || a.accelerator === '' ? '-' : `${a.accelerator} ×${a.replicas} (batch ${a.maxBatch})`;

export function tickTable(r: TickResult): string {
  const rows = r.rows.map((x) => [
    `${x.namespace}/${x.deployment}`, x.observedRpm === undefined ? 'unknown' : x.observedRpm, alloc(x.current), alloc(x.desired), x.action, x.reason,
  ]);
  const out = [renderTable(['DEPLOYMENT', 'LOAD rpm', 'CURRENT', 'DESIRED', 'ACTION', 'REASON'], rows), ''];
  for (const x of r.rows) out.push(`${x.namespace}/${x.deployment}: ${x.message}`);
  for (const s of r.skipped) out.push(`skipped ${s.namespace}/${s.name}: ${s.reason}`);
  return `${out.join('\n')}\n`;
}

export async function scaleCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('scale', args, {
    once: { type: 'boolean' }, scenario: { type: 'string', multiple: true }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' },
  } as const);
  if (values.help === true) {
    io.stdout.write(scaleHelp);
    return 0;
  }
  const output = oneOf('scale', 'output', values.output, ['table', 'json'] as const) ?? 'table';
  if (values.once !== true) throw new UsageError('offline, the scaler runs one tick: add --once (in a cluster it runs inside inferno serve)', 'scale');
  const files = (values.scenario ?? []).map((f) => resolve(io.cwd, f));
  if (files.length === 0) throw new UsageError('give the objects to plan with --scenario FILE (repeatable)', 'scale');
  const ports = await offlinePorts(files);
  const result = await new Scaler(ports, () => performance.now()).tick(Date.now());
  if (output === 'json') {
    io.stdout.write(`${JSON.stringify({ at: new Date(result.at).toISOString(), mode: result.settings.mode, rows: result.rows, skipped: result.skipped, totalCost: result.plan.totalCost }, null, 2)}\n`);
  } else {
    io.stdout.write(tickTable(result));
  }
  return 0;
}
