// One scaler tick over in-memory ports (the real API server and Prometheus are the e2e tier's): what it plans,
// what it writes, and what it refuses to do without data.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { DeploymentSchema } from '../../../src/cluster/resources.js';
import type { ClusterSnapshot } from '../../../src/cluster/snapshot.js';
import { staticView } from '../../../src/cluster/snapshot.js';
import { Annotation, Label } from '../../../src/domain/keys.js';
import type { LoadObservation, ManagedDeployment, ObservationSet, ScalerPorts, TemplateEdit } from '../../../src/scaler/ports.js';
import { observationKey } from '../../../src/scaler/ports.js';
import type { OptimizerStatusWrite } from '../../../src/scaler/status.js';
import { Scaler } from '../../../src/scaler/tick.js';
import { mutateDeployment } from '../../../src/webhook/mutate.js';
import { BatchSizeEnv } from '../../../src/placement/pod-template.js';
import { graniteOptimizer, sampleRequest, snapshot, view } from '../../support/cluster.js';

const MODEL = 'ibm-granite/granite-13b-instruct';

/** The sample Deployment as the webhook placed it (so the scaler starts from a real placement). */
function placedDeployment(name = 'granite-13b', namespace = 'models'): Record<string, unknown> {
  const req = sampleRequest('deployment-create.json', (o, r) => {
    const meta = o['metadata'] as { name: string; namespace: string; annotations: Record<string, string> };
    meta.name = name;
    meta.namespace = namespace;
    meta.annotations[Annotation.optimizer] = name;
    r['namespace'] = namespace;
  });
  const v = mutateDeployment(req, view(snapshot(), [optimizerIn(namespace, graniteOptimizer({ name }))]));
  assert.ok(v.type === 'patch');
  return jsonpatch.applyPatch(structuredClone(req.object), v.ops as Operation[], true, false).newDocument as Record<string, unknown>;
}

const optimizerIn = (namespace: string, o: ReturnType<typeof graniteOptimizer>): ReturnType<typeof graniteOptimizer> => ({ ...o, metadata: { ...o.metadata, namespace } });

const managed = (raw: Record<string, unknown>, ready = 1): ManagedDeployment => {
  const v = DeploymentSchema.parse(raw);
  return { namespace: v.metadata.namespace ?? 'models', name: v.metadata.name ?? '', uid: `uid-${v.metadata.name ?? ''}`, view: v, statusReplicas: v.spec.replicas ?? 1, readyReplicas: ready };
};

const seen = (rpm: number, age = 5): LoadObservation => ({ arrivalRpm: rpm, avgInputTokens: 512, avgOutputTokens: 256, ttftMs: 200, itlMs: 25, sampleAgeS: age });

interface Recorded { scales: [string, number][]; edits: unknown[]; statuses: [string, OptimizerStatusWrite][]; events: string[] }

function ports(snap: ClusterSnapshot, names: string[] | ReturnType<typeof graniteOptimizer>[], obs: () => ObservationSet, deployments: Map<string, Record<string, unknown>>): { ports: ScalerPorts; rec: Recorded } {
  const rec: Recorded = { scales: [], edits: [], statuses: [], events: [] };
  const p: ScalerPorts = {
    view: staticView(snap, names.map((n) => (typeof n === 'string' ? graniteOptimizer({ name: n }) : n))),
    listDeployments: () => Promise.resolve([...deployments.values()].map((d) => managed(d))),
    observe: () => Promise.resolve(obs()),
    scale: (_ns, name, replicas) => {
      rec.scales.push([name, replicas]);
      const d = deployments.get(name);
      if (d === undefined) return Promise.resolve('gone');
      (d['spec'] as Record<string, unknown>)['replicas'] = replicas;
      return Promise.resolve('done');
    },
    retemplate: (_ns, name, edit: TemplateEdit) => {
      const d = deployments.get(name);
      if (d === undefined) return Promise.resolve('gone');
      const ops = edit(d);
      rec.edits.push(ops);
      deployments.set(name, jsonpatch.applyPatch(structuredClone(d), ops as Operation[], true, false).newDocument);
      return Promise.resolve('done');
    },
    writeStatus: (_ns, name, status) => {
      rec.statuses.push([name, status]);
      return Promise.resolve('done');
    },
    event: (e) => {
      rec.events.push(`${e.type} ${e.reason} ${e.name}`);
      return Promise.resolve();
    },
  };
  return { ports: p, rec };
}

const byServer = (entries: [string, LoadObservation][]): ObservationSet => ({ byServer: new Map(entries.map(([ns, o]) => [observationKey(ns, MODEL), o])) });
const conditions = (s: OptimizerStatusWrite | undefined): Record<string, string> =>
  Object.fromEntries((s?.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));
const clock = (): number => 0;

describe('scaler tick', () => {
  // keepAccelerator: with this catalog more than one A100 costs more than an MI300X, so any growth would move it.
  const pinned = (name: string) => graniteOptimizer({ name, spec: { keepAccelerator: true } });

  test('a load that grows is met at once: more replicas, status with observed and desired, an event', async () => {
    const deployments = new Map([['granite-13b', placedDeployment()]]);
    let rpm = 120;
    const { ports: p, rec } = ports(snapshot(), [pinned('granite-13b')], () => byServer([['models', seen(rpm)]]), deployments);
    const scaler = new Scaler(p, clock);
    const first = await scaler.tick(1_000_000);
    assert.equal(first.rows[0]?.action, 'steady', JSON.stringify(first.rows[0]));
    rpm = 1200;
    const second = await scaler.tick(1_030_000);
    const row = second.rows[0];
    assert.ok(row !== undefined);
    assert.equal(row.action, "scale", JSON.stringify(row));
    assert.ok(row.replicas > 1, `replicas ${row.replicas}`);
    assert.deepEqual(rec.scales, [['granite-13b', row.replicas]]);
    const status = rec.statuses.at(-1)?.[1];
    assert.ok(status !== undefined);
    assert.equal(status.load?.arrivalRate, 1200);
    assert.equal(status.desired?.replicas, row.replicas);
    assert.deepEqual(conditions(status), { Actuated: 'True/Scaled', MetricsAvailable: 'True/MetricsFound', OptimizationReady: 'True/OptimizationSucceeded' });
    assert.ok(rec.events.some((e) => e.startsWith('Normal LoadIncrease granite-13b')), rec.events.join('\n'));
  });

  test('Prometheus down: every Deployment holds, MetricsAvailable=False with the reason, nothing is scaled', async () => {
    const deployments = new Map([['granite-13b', placedDeployment()]]);
    const { ports: p, rec } = ports(snapshot(), ['granite-13b'], () => ({ byServer: new Map(), failure: 'prometheus-error: connect ECONNREFUSED 127.0.0.1:9090' }), deployments);
    const r = await new Scaler(p, clock).tick(1_000_000);
    assert.equal(r.rows[0]?.action, 'hold');
    assert.deepEqual(rec.scales, []);
    const c = conditions(rec.statuses[0]?.[1]);
    assert.equal(c['MetricsAvailable'], 'False/PrometheusError');
    assert.equal(c['OptimizationReady'], 'False/MetricsUnavailable');
    assert.match(rec.statuses[0]?.[1].conditions?.find((x) => x.type === 'MetricsAvailable')?.message ?? '', /ECONNREFUSED/);
    assert.equal(rec.statuses[0]?.[1].load, null, 'an unknown load is not shown as current');
  });

  test('one failed query (Prometheus answering 503 while it shuts down) is a Prometheus error, not missing metrics', async () => {
    const deployments = new Map([['granite-13b', placedDeployment()]]);
    const partial: LoadObservation = { ...seen(1200), arrivalRpm: { unknown: 'prometheus-error: http: HTTP 503 with a body that is not JSON: Service Unavailable' } };
    const { ports: p, rec } = ports(snapshot(), ['granite-13b'], () => byServer([['models', partial]]), deployments);
    const r = await new Scaler(p, clock).tick(1_000_000);
    assert.equal(r.rows[0]?.action, 'hold');
    assert.deepEqual(rec.scales, []);
    assert.equal(conditions(rec.statuses[0]?.[1])['MetricsAvailable'], 'False/PrometheusError');
  });

  test('one model server without metrics never blocks the others; stale series are named as stale', async () => {
    const deployments = new Map([['granite-13b', placedDeployment()], ['granite-b', placedDeployment('granite-b', 'team-b')]]);
    const optimizers = [pinned('granite-13b'), optimizerIn('team-b', pinned('granite-b'))];
    const { ports: p, rec } = ports(snapshot(), optimizers, () => byServer([['models', seen(1200)]]), deployments);
    const r = await new Scaler(p, clock).tick(1_000_000);
    assert.deepEqual(r.rows.map((x) => [x.namespace, x.action]), [['models', 'scale'], ['team-b', 'hold']]);
    assert.deepEqual(rec.scales.map(([n]) => n), ['granite-13b']);
    const held = rec.statuses.find(([n]) => n === 'granite-b')?.[1];
    assert.equal(conditions(held)['MetricsAvailable'], 'False/MetricsMissing');

    const { ports: p2, rec: rec2 } = ports(snapshot(), optimizers, () => byServer([['models', seen(1200, 600)], ['team-b', seen(1200)]]), deployments);
    const r2 = await new Scaler(p2, clock).tick(1_000_000);
    assert.deepEqual(r2.rows.map((x) => [x.namespace, x.action]), [['models', 'hold'], ['team-b', 'scale']]);
    assert.equal(conditions(rec2.statuses.find(([n]) => n === 'granite-13b')?.[1])['MetricsAvailable'], 'False/MetricsStale');
  });

  test('recommend mode publishes the decision and changes nothing', async () => {
    const deployments = new Map([['granite-13b', placedDeployment()]]);
    const snap = snapshot({ controller: { options: {}, scaler: { mode: 'recommend' } } });
    const { ports: p, rec } = ports(snap, [pinned('granite-13b')], () => byServer([['models', seen(1200)]]), deployments);
    const r = await new Scaler(p, clock).tick(1_000_000);
    assert.equal(r.rows[0]?.action, 'scale');
    assert.equal(r.rows[0].actuated, 'recommend');
    assert.deepEqual(rec.scales, []);
    assert.equal(conditions(rec.statuses[0]?.[1])['Actuated'], 'True/RecommendOnly');
    assert.equal(rec.statuses[0]?.[1].replicas, 1, 'current replicas stay what the Deployment has');
  });

  test('a Deployment deleted mid-tick is skipped: no status, no error', async () => {
    const deployments = new Map([['granite-13b', placedDeployment()]]);
    const { ports: p, rec } = ports(snapshot(), ['granite-13b'], () => byServer([['models', seen(1200)]]), deployments);
    const listed = await p.listDeployments();
    deployments.clear();
    const r = await new Scaler({ ...p, listDeployments: () => Promise.resolve(listed) }, clock).tick(1_000_000);
    assert.deepEqual(r.rows, []);
    assert.deepEqual(rec.statuses, []);
  });

  test('a load the current GPU type cannot carry cheaply moves it: nodeSelector, GPUs and batch size change together', async () => {
    // Only the A100s are nearly full: 1 replica fits there; the MI300X (cheaper per unit of work) has room.
    const deployments = new Map([['granite-13b', placedDeployment()]]);
    const snap = snapshot({ free: { A100: 1, H100: 0, MI300X: 16 }, controller: { options: { penaltyFactor: 0 } } });
    const { ports: p, rec } = ports(snap, ['granite-13b'], () => byServer([['models', seen(2400)]]), deployments);
    const r = await new Scaler(p, clock).tick(1_000_000);
    const row = r.rows[0];
    assert.equal(row?.action, 'switch', JSON.stringify(row));
    assert.equal(row.desired?.accelerator, 'MI300X');
    const paths = (rec.edits[0] as { path: string }[]).map((o) => o.path).sort();
    assert.ok(paths.some((x) => x.includes('nodeSelector')), paths.join('\n'));
    assert.ok(paths.some((x) => x.includes('resources')), paths.join('\n'));
    const after = DeploymentSchema.parse(deployments.get('granite-13b'));
    const c = after.spec.template.spec.containers[0];
    assert.equal(after.spec.template.metadata?.labels?.[Label.accelerator], 'MI300X');
    assert.equal(after.spec.template.spec.nodeSelector?.['amd.com/gpu.product-name'], 'AMD-Instinct-MI300X');
    assert.equal(after.spec.template.spec.nodeSelector['nvidia.com/gpu.product'], undefined, 'the old product selector goes');
    assert.equal((c?.env?.find((e) => e.name === BatchSizeEnv) as { value?: string } | undefined)?.value, String(row.desired.maxBatch));
    assert.equal(after.spec.replicas, row.replicas);
  });
});

describe('scaler tick: the current GPU type has no room to grow', () => {
  test('moves to a type with room, even at a higher cost, instead of asking for GPUs that are not there', async () => {
    // MI300X as fast as A100 but dearer: staying would be cheaper, if the A100s had room for a 2nd replica.
    const base = graniteOptimizer();
    const a100 = base.spec.modelProfile.accelerators.find((p) => p.acc === 'A100');
    assert.ok(a100 !== undefined);
    const opt = { ...base, spec: { ...base.spec, modelProfile: { accelerators: [a100, { ...a100, acc: 'MI300X' }] } } };
    const deployments = new Map([['granite-13b', placedDeployment()]]);
    // one A100 in the cluster, held by the Deployment's own replica
    const snap = snapshot({ free: { A100: 1, H100: 0, MI300X: 16 } });
    const { ports: p, rec } = ports(snap, [opt], () => byServer([['models', seen(600)]]), deployments);
    const r = await new Scaler(p, clock).tick(1_000_000);
    const row = r.rows[0];
    assert.ok(row !== undefined);
    assert.equal(row.current.accelerator, 'A100');
    assert.equal(row.action, 'switch', JSON.stringify(row));
    assert.equal(row.desired?.accelerator, 'MI300X');
    assert.match(row.message, /A100 ×\d+ needs \d+ A100 GPU unit\(s\); 1 is there/);
    assert.ok(row.replicas >= 2);
    // template and replicas in one write
    assert.deepEqual(rec.scales, []);
    assert.deepEqual((rec.edits[0] as { path: string; value: unknown }[]).find((o) => o.path === '/spec/replicas')?.value, row.replicas);
    assert.equal(DeploymentSchema.parse(deployments.get('granite-13b')).spec.replicas, row.replicas);
  });
});
