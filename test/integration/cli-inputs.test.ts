// What the CLI reads, as a user gives it: several --file arguments and folders merged (the shipped configuration
// with one's own Optimizers), the command line over the files' controller ConfigMap, file-system problems as input
// errors naming the path, validate's account of what it checked, and the exact solver compared on what it serves.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inferno } from '../support/cli.js';

const repo = (p: string): string => new URL(`../../${p}`, import.meta.url).pathname;
const config = repo('deploy/base/config.yaml');
const models = repo('samples/models');

let dir = '';
let certs = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferno-inputs-'));
  certs = join(dir, 'certs');
  const r = await inferno('certs', '--out', certs);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const noStack = (s: string): void => {
  assert.doesNotMatch(s, /internal error|\n\s+at /, 'a user error, no stack trace');
};

const profile = '{acc: A100, accCount: 1, maxBatchSize: 32, atTokens: 512, alpha: 20.58, beta: 0.41, gamma: 164.64, delta: 0.0128125}';
const optimizer = (name: string, rpm: number, ns = 'team'): string => `---
apiVersion: llmd.ai/v1alpha1
kind: Optimizer
metadata: {name: ${name}, namespace: ${ns}}
spec:
  modelID: ibm-granite/granite-13b-instruct
  sloClassRef: {name: inferno-service-classes, key: premium}
  modelProfile: {accelerators: [${profile}]}
status: {load: {arrivalRate: ${rpm}, avgInTokens: 512, avgOutTokens: 256}}
`;

describe('plan --file, repeatable and a folder', () => {
  test('the shipped configuration and the samples/models folder merge; Deployments and Services are skipped with a note', async () => {
    const r = await inferno('plan', '--file', config, '--file', models, '--mode', 'unlimited', '--output', 'json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { allocations: Record<string, unknown>; solver: { mode: string } };
    assert.deepEqual(Object.keys(doc.allocations).sort(), ['granite-13b', 'llama-70b', 'llama-8b']);
    assert.equal(doc.solver.mode, 'unlimited');
    assert.equal(r.stderr, "inferno plan: skipped 3 Deployments and 3 Services (plan reads Optimizers, inferno's ConfigMaps and Nodes)\n");
  });

  test("a second --file adds to the first, and a folder's files are read in name order", async () => {
    const folder = join(dir, 'mine');
    await mkdir(folder);
    await writeFile(join(folder, 'b.yaml'), optimizer('b', 60));
    await writeFile(join(folder, 'a.yml'), optimizer('a', 60));
    await writeFile(join(folder, 'notes.txt'), 'not an input');
    const r = await inferno('plan', '-f', config, '-f', folder, '--mode', 'unlimited');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^team\/a\s+Premium\s/m);
    assert.match(r.stdout, /^team\/b\s+Premium\s/m);
    const v = await inferno('validate', '-f', folder);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const ok = v.stdout.split('\n').filter((l) => l.startsWith('ok'));
    assert.deepEqual(ok.map((l) => /\/(\w+\.ya?ml) /.exec(l)?.[1]), ['a.yml', 'b.yaml']);
  });

  test('the same object in two files is an error naming both files', async () => {
    const r = await inferno('plan', '-f', repo('samples/scenario.yaml'), '-f', config);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, /deploy\/base\/config\.yaml document 1 \(ConfigMap inferno-accelerators\): metadata\.name: ConfigMap inferno-system\/inferno-accelerators is defined twice: also in \S*samples\/scenario\.yaml document 1/);
    assert.doesNotMatch(r.stderr, /service class "Premium" is defined twice/, 'the duplicate map is left out, not read twice');
    const twice = join(dir, 'twice.yaml');
    await writeFile(twice, optimizer('x', 1));
    const o = await inferno('plan', '-f', config, '-f', twice, '-f', join(dir, 'mine', 'a.yml'), '-f', join(dir, 'mine', 'a.yml'), '--mode', 'unlimited');
    assert.equal(o.code, 0, `a file given twice counts once: ${o.stderr}`);
    const copy = join(dir, 'copy.yaml');
    await writeFile(copy, optimizer('x', 1));
    const d = await inferno('plan', '-f', config, '-f', twice, '-f', copy, '--mode', 'unlimited');
    assert.equal(d.code, 2);
    assert.match(d.stderr, /copy\.yaml document 1 \(Optimizer x\): metadata\.name: Optimizer team\/x is defined twice: also in \S*twice\.yaml document 1/);
  });

  test('serve --scenario and scale --scenario take folders too', async () => {
    const none = join(dir, 'empty');
    await mkdir(none);
    for (const args of [['serve', '--scenario', none, '--cert-dir', certs], ['scale', '--once', '--scenario', none], ['plan', '-f', none], ['validate', '-f', none]]) {
      const r = await inferno(...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /empty: no input files in this folder \(expected \*\.yaml, \*\.yml or \*\.json\)/, args.join(' '));
    }
    const scale = await inferno('scale', '--once', '--scenario', repo('samples/scaling'), '--scenario', config);
    assert.equal(scale.code, 0, scale.stderr);
    assert.match(scale.stdout, /^models\/granite-13b\s/m);
  });
});

describe('the command line over the controller ConfigMap', () => {
  test("--mode unlimited overrides the file's mode: limited; without it the error names the file and the field", async () => {
    const limited = await inferno('plan', '-f', config, '-f', models);
    assert.equal(limited.code, 2);
    assert.match(limited.stderr, /deploy\/base\/config\.yaml document 3 \(ConfigMap inferno-controller\): data\.mode: limited mode needs capacity: .*or plan with --mode unlimited/);
    const flag = await inferno('plan', '-f', repo('samples/simulate/scenario.yaml'), '-f', config, '--mode', 'limited');
    assert.equal(flag.code, 0, `the simulate sample has Nodes: ${flag.stderr}`);
    const asked = await inferno('plan', '-f', repo('samples/models/granite-13b.yaml'), '-f', config, '--mode', 'limited');
    assert.equal(asked.code, 2);
    assert.match(asked.stderr, /--mode limited needs capacity/);
  });

  test("--solver overrides the file's solver either way", async () => {
    const exactFile = join(dir, 'exact-config.yaml');
    const { readFile } = await import('node:fs/promises');
    await writeFile(exactFile, (await readFile(repo('samples/scenario.yaml'), 'utf8')).replace('solver: greedy', 'solver: exact'));
    const solverOf = async (...args: string[]): Promise<string> => {
      const r = await inferno('plan', '-f', exactFile, '-o', 'json', ...args);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { solver: { algorithm: string } }).solver.algorithm;
    };
    assert.equal(await solverOf(), 'exact', "the file's setting");
    assert.equal(await solverOf('--solver', 'greedy'), 'greedy');
    assert.equal(await solverOf('--mode', 'unlimited', '--solver', 'greedy'), 'greedy');
  });
});

describe('file-system problems are input errors naming the path (exit 2)', () => {
  test('certs, plan, validate, scale, serve', async () => {
    const missing = join(dir, 'missing.yaml');
    const cases: [string[], RegExp][] = [
      [['certs', '--out', '/etc/passwd/x'], /^inferno certs: \/etc\/passwd\/x: cannot create the folder: ENOTDIR \(a part of the path is not a directory\)\n$/],
      [['plan', '-f', config, '-f', missing], /missing\.yaml: cannot read: ENOENT \(no such file or directory\)/],
      [['validate', '-f', missing], /missing\.yaml: cannot read: ENOENT/],
      [['validate', '-f', config, '--config', missing], /missing\.yaml: cannot read: ENOENT/],
      [['scale', '--once', '--scenario', missing], /missing\.yaml: cannot read: ENOENT/],
      [['serve', '--scenario', missing, '--cert-dir', certs], /missing\.yaml: cannot read: ENOENT/],
      [['serve', '--kubeconfig', missing, '--cert-dir', certs], /missing\.yaml: cannot (open|read): ENOENT/],
    ];
    const runs = await Promise.all(cases.map(([args]) => inferno(...args)));
    runs.forEach((r, i) => {
      const [args, message] = cases[i] ?? [[], /./];
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      noStack(r.stderr);
    });
  });
});

describe('inferno validate reports everything it found, and when it checked nothing', () => {
  test('a file with nothing of inferno in it: said so, exit 0; --strict makes it exit 2', async () => {
    const capture = repo('samples/admission/deployment-create.json');
    const r = await inferno('validate', '-f', capture);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^0 objects checked, 0 invalid; skipped 1 AdmissionReview/m);
    assert.match(r.stderr, /nothing checked: no Optimizer or inferno ConfigMap \(labelled inferno\.llmd\.ai\/config\) in \S*deployment-create\.json \(--strict makes this an error\)/);
    const strict = await inferno('validate', '--strict', '-f', capture);
    assert.equal(strict.code, 2);
    assert.match(strict.stderr, /nothing checked/);
    const found = await inferno('validate', '--strict', '-f', repo('samples/models'));
    assert.equal(found.code, 0, found.stdout + found.stderr);
    assert.match(found.stdout, /^3 objects checked, 0 invalid; skipped 3 Deployments and 3 Services/m);
  });

  test('a syntax error, a schema error and a reference error in one file are all reported', async () => {
    const file = join(dir, 'all-problems.yaml');
    await writeFile(file, `apiVersion: llmd.ai/v1alpha1
kind: Optimizer
metadata: {name: bad-field}
spec: {modelID: m, serviceClass: Premium, replicas: 3, modelProfile: {accelerators: [{acc: A100, maxBatchSize: 0, alpha: 1, beta: 0.1}]}}
---
apiVersion: llmd.ai/v1alpha1
kind: Optimizer
metadata: {name: unknown-acc}
spec: {modelID: ibm-granite/granite-13b-instruct, serviceClass: Premium, modelProfile: {accelerators: [{acc: B200, maxBatchSize: 8, alpha: 1, beta: 0.1}]}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: costs, labels: {inferno.llmd.ai/config: accelerators}}
data: {B200: 5}
---
a: [
---
apiVersion: v1
kind: List
items:
  - {apiVersion: llmd.ai/v1alpha1, kind: Optimizer, metadata: {name: in-list}, spec: {modelID: m, serviceClass: Gold, modelProfile: {accelerators: [{acc: A100, maxBatchSize: 8, alpha: 1, beta: 0.1}]}}}
`);
    const r = await inferno('validate', '-f', file, '--config', config);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /document 1 \(Optimizer bad-field\): spec\.modelProfile\.accelerators\[0\]\.maxBatchSize: must be at least 1/);
    assert.match(r.stdout, /document 1 \(Optimizer bad-field\): spec: Unrecognized key: "replicas"/);
    assert.match(r.stdout, /document 2 \(Optimizer unknown-acc\): spec\.modelProfile\.accelerators\[0\]\.acc: accelerator "B200" is not in the accelerator catalog/);
    assert.match(r.stdout, /document 3 \(ConfigMap costs\): data\.B200: Invalid input: expected string, received number/);
    assert.match(r.stdout, /all-problems\.yaml: YAML syntax error at line 17/);
    assert.match(r.stdout, /document 5 \(List\) items\[0\]: spec\.serviceClass: service class "Gold" does not exist/);
    assert.match(r.stdout, /^4 objects checked, 4 invalid, 1 YAML syntax error/m);
  });
});

describe('the summary counts what is served, not only what it costs', () => {
  // Four A100s; one server needs all four, two need two each (same class): greedy places the big one first and
  // serves one server, the exact solver serves the two small ones in full, for the same 400 ¢/h.
  const scenario = `apiVersion: v1
kind: ConfigMap
metadata: {name: acc, labels: {inferno.llmd.ai/config: accelerators}}
data:
  A100: '{device: NVIDIA-A100-SXM4-80GB, cost: 100}'
---
apiVersion: v1
kind: ConfigMap
metadata: {name: inferno-service-classes, labels: {inferno.llmd.ai/config: service-classes}}
data:
  premium: |
    name: Premium
    priority: 1
    data: [{model: ibm-granite/granite-13b-instruct, slo-itl: 40, slo-ttft: 1000}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ctl, labels: {inferno.llmd.ai/config: controller}}
data:
  capacity: '{A100: 4}'
${optimizer('a-big', 900)}${optimizer('b-small', 500)}${optimizer('c-small', 500)}`;

  interface Doc {
    allocations: Record<string, { numReplicas: number }>;
    unallocated: string[];
    totalCost: number;
    coverage: { servers: number; full: number; partial: number; unallocated: number; unservedRPM: number };
    solver: { greedyCost?: number; gap?: number; greedyCoverage?: Doc['coverage'] };
  }

  test('exact against greedy: servers in full and unserved demand, then cost', async () => {
    const file = join(dir, 'knapsack.yaml');
    await writeFile(file, scenario);
    const greedy = await inferno('plan', '-f', file, '-o', 'json');
    assert.equal(greedy.code, 0, greedy.stderr);
    const g = JSON.parse(greedy.stdout) as Doc;
    assert.deepEqual(g.allocations['team/a-big']?.numReplicas, 4, 'the premise: the big server takes every A100');
    assert.deepEqual(g.unallocated, ['team/b-small', 'team/c-small']);
    assert.deepEqual(g.coverage, { servers: 3, full: 1, partial: 0, unallocated: 2, unservedRPM: 1000 });

    const exact = await inferno('plan', '-f', file, '-o', 'json', '--solver', 'exact');
    assert.equal(exact.code, 0, exact.stderr);
    const e = JSON.parse(exact.stdout) as Doc;
    assert.deepEqual(Object.keys(e.allocations).sort(), ['team/b-small', 'team/c-small']);
    assert.deepEqual(e.coverage, { servers: 3, full: 2, partial: 0, unallocated: 1, unservedRPM: 900 });
    assert.deepEqual(e.solver.greedyCoverage, g.coverage);
    assert.equal(e.solver.gap, 0);
    assert.equal(e.totalCost, g.totalCost);

    const table = await inferno('plan', '-f', file, '--solver', 'exact');
    assert.match(table.stdout, /^Total: 400 ¢\/hour · 2 of 3 servers in full, 1 not allocated; 900 req\/min unserved · limited capacity · exact \(against greedy's 400 ¢\/h with 1 of 3 servers in full: 1 more in full, 100 req\/min less unserved, same cost\) · /m);
    assert.doesNotMatch(table.stdout, /saves 0/);
  });
});
