import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InputError } from '../../../src/cluster/issues.js';
import { loadInput } from '../../../src/io/load-input.js';
import { solve } from '../../../src/solver/index.js';
import { sharedSample } from '../../support/shared-data.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferno-loaders-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectIssues(path: string): Promise<string[]> {
  try {
    await loadInput(path);
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    return e.issues.map((i) => `${[i.file?.replace(`${dir}/`, ''), i.document].filter(Boolean).join(' ')}: ${i.path}: ${i.message}`);
  }
  assert.fail('expected an InputError');
}

describe('upstream data loader', () => {
  // Our own small upstream-format system, with the key spellings upstream's Go decoder accepts.
  const split = {
    'accelerator-data.json': { accelerators: [{ name: 'A100', type: 'A100', multiplicity: 1, cost: 40 }, { Name: '2xA100', TYPE: 'A100', Multiplicity: 2, cost: 80 }] },
    'model-data.json': { models: [
      { name: 'm', acc: 'A100', accCount: 1, maxBatchSize: 32, atTokens: 512, decodeParms: { alpha: 20.58, beta: 0.41 }, prefillParms: { gamma: 164.64, delta: 0.0128125 } },
      { name: 'm', acc: '2xA100', accCount: 1, maxBatchSize: 32, atTokens: 512, DecodeParms: { Alpha: 14.6, Beta: 0.29 }, PrefillParms: { Gamma: 116.8, Delta: 0.0090625 } },
    ] },
    'serviceclass-data.json': { serviceClasses: [{ name: 'Premium', priority: 1, modelTargets: [{ model: 'm', 'slo-itl': 40, 'slo-ttft': 1000 }] }] },
    'server-data.json': { servers: [
      { name: 'Premium-m', class: 'Premium', model: 'm', currentAlloc: { load: { arrivalRate: 60, AvgInTokens: 128, AvgOutTokens: 1024 } } },
      { name: 'NoClass-m', model: 'm', currentAlloc: { load: { arrivalRate: 60, avgintokens: 128, avgouttokens: 1024 } } },
    ] },
    'optimizer-data.json': { optimizer: { unlimited: false, milpsolver: false, saturationPolicy: 'Bogus' } },
    'capacity-data.json': { count: [{ type: 'A100', count: 16 }] },
  };

  test('reads split files with case-insensitive keys; empty class → Free; unknown policy → None', async () => {
    const d = join(dir, 'split');
    await mkdir(d);
    for (const [name, data] of Object.entries(split)) await writeFile(join(d, name), JSON.stringify(data));
    const sys = await loadInput(d);
    assert.equal(sys.options.analyzer, 'v2');
    assert.equal(sys.options.saturationPolicy, 'None');
    assert.deepEqual(sys.capacity, { A100: 16 });
    assert.equal(sys.accelerators[1]?.multiplicity, 2);
    assert.deepEqual(sys.servers.map((s) => [s.name, s.class, s.load.avgInTokens, s.load.avgOutTokens, s.profiles.length]), [['Premium-m', 'Premium', 128, 1024, 2], ['NoClass-m', 'Free', 128, 1024, 2]]);
    const plan = solve(sys);
    assert.deepEqual(plan.allocations.map((a) => [a.server, a.accelerator]), [['Premium-m', 'A100']]);
    const a = plan.allocations[0];
    assert.equal(a?.numReplicas, Math.ceil(60 / (a?.maxRPM ?? 1)), 'replicas = ⌈demand / per-replica rate⌉');
    assert.match(plan.unallocated[0]?.reasons.join() ?? '', /service class "Free" does not exist/);
  });

  test('reads a SystemData JSON file and names the field of every problem', async () => {
    const good = join(dir, 'system.json');
    const system = Object.fromEntries(Object.entries(split).map(([f, v]) => [({
      'accelerator-data.json': 'acceleratorData', 'model-data.json': 'modelData', 'serviceclass-data.json': 'serviceClassData',
      'server-data.json': 'serverData', 'optimizer-data.json': 'optimizerData', 'capacity-data.json': 'capacityData',
    } as Record<string, string>)[f] ?? f, v]));
    await writeFile(good, JSON.stringify({ System: system }));
    assert.equal((await loadInput(good)).servers.length, 2);
    const bad = join(dir, 'bad-system.json');
    const broken = structuredClone(system) as unknown as { modelData: { models: Record<string, unknown>[] }; acceleratorData: { accelerators: Record<string, unknown>[] } };
    (broken.modelData.models[0] ?? {})['maxBatchSize'] = -3;
    (broken.acceleratorData.accelerators[0] ?? {})['cost'] = 'cheap';
    await writeFile(bad, JSON.stringify({ system: broken }));
    const issues = await expectIssues(bad);
    assert.equal(issues.length, 2, issues.join('\n'));
    assert.ok(issues.some((i) => i.includes('system.acceleratordata.accelerators[0].cost')), issues.join('\n'));
    assert.ok(issues.some((i) => i.includes('system.modeldata.models[0].maxbatchsize')), issues.join('\n'));
  });

  test('reports unreadable files and invalid JSON with the file name', async () => {
    assert.match((await expectIssues(join(dir, 'missing.json')))[0] ?? '', /missing\.json.*cannot read: ENOENT/);
    const p = join(dir, 'broken.json');
    await writeFile(p, '{"system": ');
    assert.match((await expectIssues(p))[0] ?? '', /broken\.json.*invalid JSON/);
  });

  const { path: shared, skip } = sharedSample('v2/small');
  test('upstream v2 small loads to the same plan as our transcription', { skip }, async () => {
    const fromUpstream = solve(await loadInput(shared));
    const fromScenario = solve(await loadInput(new URL('../../fixtures/upstream/v2-small.yaml', import.meta.url).pathname));
    const k8s = (s: string): string => s.toLowerCase().replace(/_/g, '-');
    assert.deepEqual(fromUpstream.allocations.map((a) => ({ ...a, server: k8s(a.server) })), fromScenario.allocations);
  });
});

describe('scenario loader', () => {
  const catalog = `apiVersion: v1
kind: ConfigMap
metadata: {name: acc, labels: {inferno.llmd.ai/config: accelerators}}
data:
  A100: '{device: NVIDIA-A100-SXM4-80GB, cost: 40}'
---
apiVersion: v1
kind: ConfigMap
metadata: {name: classes, labels: {inferno.llmd.ai/config: service-classes}}
data:
  premium: |
    name: Premium
    priority: 1
    data:
      - {model: granite, slo-tpot: 40, slo-ttft: 1000}
`;
  const optimizer = (name: string, spec: string): string => `---
apiVersion: llmd.ai/v1alpha1
kind: Optimizer
metadata: {name: ${name}, namespace: models}
spec:
${spec}`;

  test('accepts the seed\'s string-typed numbers, sloClassRef, and Nodes for capacity', async () => {
    const p = join(dir, 'ok.yaml');
    await writeFile(p, `${catalog}${optimizer('g', `  modelID: granite
  sloClassRef: {name: classes, key: premium}
  modelProfile:
    accelerators:
      - {acc: A100, accCount: 1, maxBatchSize: "32", atTokens: 512, alpha: "20.58", beta: "0.41", gamma: "164.64", delta: "0.0128125"}
status:
  load: {arrivalRate: 60, avgInTokens: 128, avgOutTokens: 1024}
`)}---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {nvidia.com/gpu.product: NVIDIA-A100-SXM4-80GB}}
status: {allocatable: {nvidia.com/gpu: "8"}}
---
apiVersion: v1
kind: Node
metadata: {name: n2, labels: {nvidia.com/gpu.product: NVIDIA-A100-SXM4-80GB}}
spec: {unschedulable: true}
status: {allocatable: {nvidia.com/gpu: "8"}}
`);
    const sys = await loadInput(p);
    assert.deepEqual(sys.capacity, { A100: 8 }, 'unschedulable nodes do not count');
    assert.equal(sys.options.unlimited, false, 'capacity known → limited by default');
    const s = sys.servers[0];
    assert.ok(s !== undefined);
    assert.deepEqual([s.name, s.class, s.profiles[0]?.alpha], ['models/g', 'Premium', 20.58]);
    const a = solve(sys).allocations[0];
    assert.ok(a !== undefined);
    assert.equal(a.numReplicas, Math.ceil(60 / a.maxRPM));
    assert.ok(a.numReplicas <= 8);
  });

  test('lists every problem with file, document and field path', async () => {
    const p = join(dir, 'bad.yaml');
    await writeFile(p, `${catalog}${optimizer('bad', `  modelID: granite
  serviceClass: Gold
  minReplicas: 5
  maxReplicas: 2
  modelProfile:
    accelerators:
      - {acc: H200, maxBatchSize: 8, alpha: 1, beta: 0.1}
      - {acc: A100, maxBatchSize: 8, alpha: fast, beta: -1}
      - {acc: H200, maxBatchSize: 8, alpha: 1, beta: 0.1}
`)}${optimizer('Not_A_Name', `  modelID: other
  serviceClass: Premium
  modelProfile: {accelerators: [{acc: A100, maxBatchSize: 8, alpha: 1, beta: 1}]}
`)}`);
    const issues = await expectIssues(p);
    const text = issues.join('\n');
    for (const expected of [
      /bad\.yaml document 3 \(Optimizer bad\): spec\.modelProfile\.accelerators\[1\]\.alpha: expected a number or a numeric string/,
      /document 3 \(Optimizer bad\): spec\.modelProfile\.accelerators\[1\]\.beta: must not be negative/,
      /document 3 \(Optimizer bad\): spec\.minReplicas: minReplicas 5 is greater than maxReplicas 2/,
      /document 3 \(Optimizer bad\): spec\.modelProfile\.accelerators\[2\]\.acc: duplicate profile for accelerator "H200"/,
      /document 4 \(Optimizer Not_A_Name\): metadata\.name: must be a lowercase RFC 1123 name/,
    ]) assert.match(text, expected);
    assert.ok(issues.length >= 5, text);
  });

  test('cross-checks references: unknown accelerator, unknown class, missing model target', async () => {
    const p = join(dir, 'refs.yaml');
    await writeFile(p, `${catalog}${optimizer('a', `  modelID: granite
  serviceClass: Gold
  modelProfile: {accelerators: [{acc: H200, maxBatchSize: 8, alpha: 1, beta: 0.1}]}
`)}${optimizer('b', `  modelID: llama
  serviceClass: Premium
  modelProfile: {accelerators: [{acc: A100, maxBatchSize: 8, alpha: 1, beta: 0.1}]}
`)}`);
    const text = (await expectIssues(p)).join('\n');
    assert.match(text, /\(Optimizer a\): spec\.serviceClass: service class "Gold" does not exist/);
    assert.match(text, /\(Optimizer a\): spec\.modelProfile\.accelerators\[0\]\.acc: accelerator "H200" is not in the accelerator catalog \(known: A100\)/);
    assert.match(text, /\(Optimizer b\): spec\.modelID: service class "Premium" has no target for model "llama"/);
  });

  test('YAML syntax errors give the line; a broken embedded class document names its key', async () => {
    const p = join(dir, 'syntax.yaml');
    await writeFile(p, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n');
    assert.match((await expectIssues(p))[0] ?? '', /syntax\.yaml: : YAML syntax error at line \d+/);
    const q = join(dir, 'embedded.yaml');
    await writeFile(q, catalog.replace('priority: 1', 'priority: 0').replace('name: Premium', 'name: Premium\n    bogus: [1'));
    const text = (await expectIssues(q)).join('\n');
    assert.match(text, /document 2 \(ConfigMap classes\): data\.premium: invalid YAML at line/);
  });
});
