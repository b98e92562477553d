// The real `inferno` binary as a user runs it: a child process, exit codes, stdout and stderr.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inferno } from '../support/cli.js';
import { sharedSample } from '../support/shared-data.js';

const fixture = (name: string): string => new URL(`../fixtures/upstream/${name}`, import.meta.url).pathname;


let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferno-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('inferno plan', () => {
  test('with no arguments plans the bundled sample and prints a table with totals and GPU usage', async () => {
    const r = await inferno('plan');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^SERVER\s+CLASS\s+MODEL\s+ACCELERATOR\s+REPLICAS\s+BATCH\s+COST ¢\/h\s+ITL ms\/SLO\s+TTFT ms\/SLO\s+UTIL$/m);
    assert.match(r.stdout, /^models\/granite-13b\s+Premium\s+ibm-granite\/granite-13b-instruct\s/m);
    // llama-70b-free gets 3 of the 6 replicas it needs: partial, not served in full.
    assert.match(r.stdout, /^models\/llama-70b-free\s.*\s3\/6\s/m);
    assert.match(r.stdout, /^Total: [\d.]+ ¢\/hour · 8 of 9 servers in full, 1 partial; 176\.4 req\/min unserved · limited capacity · greedy/m);
    assert.match(r.stdout, /^GPU TYPE\s+USED\s+CAPACITY\s+COST ¢\/h$/m);
    assert.equal(r.stderr, '');
  });

  test('--output json prints the documented object with upstream solution keys', async () => {
    const r = await inferno('plan', '--file', fixture('v2-small.yaml'), '--output', 'json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { allocations: Record<string, Record<string, unknown>>; unallocated: string[]; totalCost: number; solver: Record<string, unknown> };
    assert.equal(Object.keys(doc.allocations).length, 15);
    assert.deepEqual(Object.keys(doc.allocations['premium-granite-13b'] ?? {}), ['accelerator', 'numReplicas', 'maxBatch', 'cost', 'itlAverage', 'ttftAverage', 'rho', 'maxRPM', 'load']);
    assert.deepEqual(doc.unallocated, []);
    assert.equal(doc.totalCost, 43819);
    assert.equal(doc.solver['mode'], 'limited');
    assert.equal(doc.solver['algorithm'], 'greedy');
    assert.equal(typeof doc.solver['durationMs'], 'number');
    const stats = (JSON.parse(r.stdout) as { stats: Record<string, number> }).stats;
    assert.deepEqual(Object.keys(stats), ['candidates', 'chainEvals', 'analysisMs', 'optimisationMs']);
    assert.equal(stats['candidates'], 15 * 6, 'every server × accelerator of v2-small');
    assert.ok((stats['chainEvals'] ?? 0) > 0 && (stats['analysisMs'] ?? -1) >= 0 && (stats['optimisationMs'] ?? -1) >= 0);
  });

  test('--mode overrides the file and --solver exact reports its gap; yaml output parses', async () => {
    const r = await inferno('plan', '-f', fixture('v2-small.yaml'), '-o', 'yaml', '--mode', 'unlimited', '--solver', 'exact');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}mode: unlimited$/m);
    assert.match(r.stdout, /^ {2}algorithm: exact$/m);
    assert.match(r.stdout, /^ {2}gap: /m);
  });

  test('--solver exact with --time-limit says when the limit cut the search short; a bad limit is a usage error', async () => {
    const r = await inferno('plan', '-f', fixture('v2-small.yaml'), '--solver', 'exact', '--time-limit', '0.000001');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Total: .* · exact \(against greedy's 43819 ¢\/h with 15 of 15 servers in full: .*not proven optimal: time limit 0\.000001 s reached.*\) · .* ms \(90 candidates analysed in .* ms, optimisation .* ms\)$/m);
    const bad = await inferno('plan', '--time-limit', 'soon');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--time-limit must be a number of seconds in \(0, 3600\]; got "soon"/);
  });

  const { path: shared, skip } = sharedSample('v2/small');
  test('reads a folder of upstream split files', { skip }, async () => {
    const r = await inferno('plan', '--file', shared, '--output', 'json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { totalCost: number }).totalCost, 43819);
  });

  test('bad usage and bad input exit 2 with a message, never a stack trace', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'apiVersion: llmd.ai/v1alpha1\nkind: Optimizer\nmetadata: {name: x}\nspec: {modelID: m, serviceClass: Gold, modelProfile: {accelerators: [{acc: H9, maxBatchSize: 0, alpha: 1, beta: 1}]}}\n');
    const cases: [string[], RegExp][] = [
      [['plan', '--bogus'], /inferno plan: Unknown option '--bogus'\nRun 'inferno plan --help' for usage\./],
      [['plan', '--output', 'xml'], /--output must be one of table, json, yaml; got "xml"/],
      [['plan', '--file', join(dir, 'nope.yaml')], /nope\.yaml: cannot read: ENOENT/],
      [['plan', '--file', bad], /problems? in the input:\n {2}- .*bad\.yaml document 1 \(Optimizer x\): spec\.modelProfile\.accelerators\[0\]\.maxBatchSize: /],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    for (const [args, message] of cases) {
      const r = await inferno(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('--help on the command and on inferno itself', async () => {
    const plan = await inferno('plan', '--help');
    assert.equal(plan.code, 0);
    assert.match(plan.stdout, /^Usage: inferno plan \[--file PATH \.\.\.\]/);
    const top = await inferno('--help');
    assert.equal(top.code, 0);
    assert.match(top.stdout, /plan {6}choose GPU type/);
  });
});

describe('inferno validate', () => {
  test('passes the sample Optimizer against the deploy/ configuration', async () => {
    const r = await inferno('validate', '-f', new URL('../../samples/optimizer-granite.yaml', import.meta.url).pathname);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok {7}.*optimizer-granite\.yaml document 1 \(Optimizer granite-13b\)$/m);
    assert.match(r.stdout, /1 object checked, 0 invalid/);
  });

  test('exits 2 and names every field at fault', async () => {
    const bad = join(dir, 'invalid-optimizer.yaml');
    await writeFile(bad, `apiVersion: llmd.ai/v1alpha1
kind: Optimizer
metadata: {name: g}
spec:
  modelID: ibm-granite/granite-13b-instruct
  serviceClass: Premium
  modelProfile:
    accelerators:
      - {acc: B200, maxBatchSize: 8, alpha: 1, beta: 0.1}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, labels: {inferno.llmd.ai/config: service-classes}}
data:
  gold: "name: Gold\\npriority: 500\\ndata: []"
`);
    const r = await inferno('validate', '-f', bad, '--config', new URL('../../deploy/base/config.yaml', import.meta.url).pathname);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /invalid {2}.*document 1 \(Optimizer g\): spec\.modelProfile\.accelerators\[0\]\.acc: accelerator "B200" is not in the accelerator catalog/);
    assert.match(r.stdout, /invalid {2}.*document 2 \(ConfigMap c\): data\.gold\.priority: priority runs from 1 \(highest\) to 100/);
    assert.match(r.stdout, /2 objects checked, 2 invalid/);
  });
});

describe('inferno plan, impossible SLOs', () => {
  test('an SLO no listed accelerator can meet at any load is bad input: exit 2 with the server and the best value', async () => {
    const scenario = (await import('node:fs')).readFileSync(new URL('../../samples/scenario.yaml', import.meta.url), 'utf8')
      .replace('- {model: ibm-granite/granite-13b-instruct, slo-itl: 40, slo-ttft: 1000}', '- {model: ibm-granite/granite-13b-instruct, slo-itl: 1, slo-ttft: 1000}');
    const file = join(dir, 'impossible.yaml');
    await writeFile(file, scenario);
    const r = await inferno('plan', '-f', file);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /server models\/granite-13b: no accelerator can meet the Premium SLO for ibm-granite\/granite-13b-instruct: .*A100: ITL target 1 ms is out of reach: even at the lowest load the model gives 20\.99 ms.*; and 6 more accelerators$/m);
    assert.doesNotMatch(r.stderr, /granite-13b-standard/);
  });
});

describe('inferno scale --once (the README command)', () => {
  const config = new URL('../../deploy/base/config.yaml', import.meta.url).pathname;
  const cluster = new URL('../../samples/scaling/cluster.yaml', import.meta.url).pathname;

  test('prints what one tick would do: the grown load moves or grows, the fallen one waits for its window', async () => {
    const r = await inferno('scale', '--once', '--scenario', config, '--scenario', cluster);
    assert.equal(r.code, 0, r.stderr);
    const row = (name: string): string => r.stdout.split('\n').find((l) => l.startsWith(`models/${name} `)) ?? '';
    assert.match(row('granite-13b'), /\b1500\b.*A100 ×1 \(batch 64\).*\b(switch|scale)\b/);
    assert.match(row('llama-8b'), /\b20\b.*A100 ×4 \(batch 32\).*\bsteady\b.*Stabilizing/);
    assert.match(r.stdout, /models\/llama-8b: the load needs \d+; scaling down waits until that has held for 300 s/);
  });

  test('JSON for machines; nothing to plan or no --once is a usage or input error (exit 2)', async () => {
    const r = await inferno('scale', '--once', '--scenario', config, '--scenario', cluster, '--output', 'json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { mode: string; rows: { deployment: string; action: string; desired?: { replicas: number } }[] };
    assert.equal(doc.mode, 'actuate');
    assert.deepEqual(doc.rows.map((x) => x.deployment), ['granite-13b', 'llama-8b']);
    assert.equal((await inferno('scale', '--scenario', cluster)).code, 2);
    const none = await inferno('scale', '--once', '--scenario', config);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no Deployments/);
  });
});

describe('inferno and a reader that stops early', () => {
  test('`inferno plan | head -1`: the closed pipe ends the command quietly, exit 0, no stack trace', async () => {
    const { spawn } = await import('node:child_process');
    const { infernoBin } = await import('../support/cli.js');
    // Output well past a pipe's buffer (64 KiB), so writes go on after the reader has gone: 900 copies of the sample's servers.
    const sample = (await import('node:fs')).readFileSync(new URL('../../samples/scenario.yaml', import.meta.url), 'utf8');
    const docs = sample.split(/^---$/m);
    const many = docs.flatMap((d) => (/^kind: Optimizer$/m.test(d) ? Array.from({ length: 100 }, (_, i) => d.replace(/^( {2}name: )(\S+)$/m, `$1$2-${i}`)) : [d]));
    const file = join(dir, 'many.yaml');
    await writeFile(file, many.join('---'));
    const child = spawn(process.execPath, [infernoBin, 'plan', '--mode', 'unlimited', '--output', 'json', '--file', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.stdout.once('data', () => { child.stdout.destroy(); });
    const code = await new Promise<number | null>((ok) => child.on('exit', ok));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|at .*\.js:\d+/);
  });
});
