// `inferno emulate`, `inferno load` and `inferno collect` as a user runs them: exit codes, stdout and stderr; a
// real emulator process answering real load runs. Most usage cases go through main() in-process (the same code
// path as the binary, minus a second of start-up each); a few run the binary itself.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import type { Run } from '../support/cli.js';
import { inferno } from '../support/cli.js';
import type { EmulatorProcess } from '../support/emulator-cli.js';
import { spawnEmulator } from '../support/emulator-cli.js';

/** The CLI in this process: main() with captured output. */
async function cli(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: { write: (x: string) => { stdout += x; } }, stderr: { write: (x: string) => { stderr += x; } }, cwd: process.cwd() });
  return { code, stdout, stderr };
}

let dir = '';
before(async () => { dir = await mkdtemp(join(tmpdir(), 'inferno-load-cli-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

describe('inferno emulate, load and collect: usage', () => {
  test('--help of each command exits 0', async () => {
    for (const cmd of ['emulate', 'load', 'collect']) {
      const r = await cli(cmd, '--help');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: inferno ${cmd} `));
    }
    assert.match((await cli('--help')).stdout, /^ {2}emulate {3}run an emulated vLLM replica/m);
  });

  test('bad input exits 2 with the flag or field named, never a stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['emulate', '--model', 'm', '--alpha', '1', '--beta', '1', '--max-num-seqs', '5000'], /--max-num-seqs must be a whole number from 1 to 4096; got "5000"/],
      [['emulate', '--model', 'm', '--alpha', 'fast', '--beta', '1'], /--alpha must be a number from 0 to 1000000; got "fast"/],
      [['emulate', '--model', 'm', '--alpha', '0', '--beta', '0'], /--alpha \+ --beta must be positive/],
      [['emulate', '--model', 'm', '--alpha', '1', '--beta', '1', '--noise', '3'], /--noise must be a number from 0 to 2/],
      [['emulate', '--optimizer', 'samples/models/granite-13b.yaml', '--accelerator', 'TPU'], /no profile for accelerator "TPU" \(it has L4, A100, G2, H100, MI300X\)/],
      [['emulate', '--optimizer', 'nope.yaml', '--accelerator', 'A100'], /nope\.yaml: cannot read: ENOENT/],
      [['emulate', '--accelerator', 'A100'], /--optimizer-name and --accelerator need --optimizer/],
      [['load'], /--url is required/],
      [['load', '--url', 'localhost:8000', '--rate', '1', '--duration', '1s'], /--url must be an http:\/\/ or https:\/\/ URL/],
      [['load', '--url', 'http://127.0.0.1:1', '--rate', 'lots', '--duration', '1s'], /--rate: the rate must be a rate from 0 to 100000 req\/s; got "lots"/],
      [['load', '--url', 'http://127.0.0.1:1', '--rate', '1'], /--rate: a constant rate needs --duration/],
      [['load', '--url', 'http://127.0.0.1:1', '--rate', '100000', '--duration', '24h'], /about 8640000000 requests; at most 1000000/],
      [['load', '--url', 'http://127.0.0.1:1', '--rate', '1', '--duration', '1s', '--output-tokens', 'exp:x'], /--output-tokens: an exponential mean/],
      [['load', '--url', 'http://127.0.0.1:1', '--trace', 'missing.csv'], /cannot read the trace .*missing\.csv: ENOENT/],
      [['load', '--url', 'http://127.0.0.1:1', '--trace', 'x.csv', '--rate', '1'], /--trace replaces --rate/],
      [['collect', '-f', 'samples/models/granite-13b.yaml', '--window', '1s'], /--window must be a duration from 2 s to 3600 s/],
      [['collect', '-f', 'samples/models/granite-13b.yaml', '--ca-file', 'no-ca.pem', '--prometheus', 'https://127.0.0.1:1'], /cannot read the CA file .*no-ca\.pem: ENOENT/],
      [['collect', '-f', 'samples/models/granite-13b.yaml', '--prometheus', 'ftp://x'], /"ftp:\/\/x" is not an http\(s\) URL/],
      [['collect', '-f', 'samples/admission/../scenario.yaml', '--kubeconfig', 'k'], /--file and --kubeconfig exclude each other/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const binary = await inferno('load', '--url', 'http://127.0.0.1:1', '--rate', 'lots', '--duration', '1s');
    assert.equal(binary.code, 2);
    assert.equal(binary.stderr, 'inferno load: --rate: the rate must be a rate from 0 to 100000 req/s; got "lots" (or use "ramp:FROM:TO", "step:RATE@SECONDS,…")\nRun \'inferno load --help\' for usage.\n');
  });

  test('a trace with problems is listed line by line; an Optimizer file with a broken Optimizer names the field', async () => {
    const trace = join(dir, 'bad.csv');
    await writeFile(trace, 'timestamp,model,input_tokens,output_tokens\n0,m,10,1\n1,m,ten,1\n');
    const r = await cli('load', '--url', 'http://127.0.0.1:1', '--trace', trace);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /line 3: input_tokens "ten" must be a whole number/);
    const file = join(dir, 'broken.yaml');
    await writeFile(file, 'apiVersion: llmd.ai/v1alpha1\nkind: Optimizer\nmetadata: {name: x}\nspec: {modelID: m, serviceClass: P, modelProfile: {accelerators: [{acc: A100, maxBatchSize: 8, alpha: -1, beta: 1}]}}\n');
    const c = await cli('collect', '-f', file);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /broken\.yaml document 1 \(Optimizer x\): spec\.modelProfile\.accelerators\[0\]\.alpha: must not be negative/);
  });

  test('load against a URL that does not answer: exit 1 before sending anything', async () => {
    const r = await cli('load', '--url', 'http://127.0.0.1:1', '--rate', '1', '--duration', '1s');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^inferno load: GET http:\/\/127\.0\.0\.1:1\/v1\/models: .*ECONNREFUSED/m);
  });
});

describe('inferno emulate answering inferno load', () => {
  let em: EmulatorProcess;
  before(async () => {
    em = await spawnEmulator(['--model', 'demo/model', '--alpha', '10', '--beta', '1', '--gamma', '20', '--delta', '0.01', '--max-num-seqs', '16', '--port', '0']);
  });
  after(async () => {
    // SIGTERM is a clean stop: exit code 0.
    const code = new Promise<number | null>((ok) => { em.child.once('exit', (c) => { ok(c); }); });
    em.child.kill('SIGTERM');
    assert.equal(await code, 0);
    await em.kill();
  });

  test('a constant-rate run: what was sent and what was measured, as JSON', async () => {
    const r = await inferno('load', '--url', em.url, '--rate', '20', '--process', 'constant', '--duration', '2s', '--input-tokens', '100', '--output-tokens', '8', '--output', 'json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no progress line for a 2 s run');
    const doc = JSON.parse(r.stdout) as { sent: number; sentRate: number; outcomes: Record<string, number>; avgInputTokens: number; avgOutputTokens: number; ttftMs: { mean: number; p99: number }; itlMs: { mean: number }; models: Record<string, string[]> };
    assert.equal(doc.sent, 40);
    assert.equal(doc.sentRate, 20);
    assert.deepEqual(doc.outcomes, { ok: 40 });
    assert.deepEqual([doc.avgInputTokens, doc.avgOutputTokens], [100, 8]);
    assert.deepEqual(doc.models, { 'demo/model': [em.url] });
    // Prefill 20 + 0.01·100·n ms with n ≈ 1–3; decode 10 + n ms: loose bounds, wall clock and HTTP included.
    assert.ok(doc.ttftMs.mean > 20 && doc.ttftMs.mean < 80, `TTFT ${doc.ttftMs.mean}`);
    assert.ok(doc.itlMs.mean > 10 && doc.itlMs.mean < 30, `ITL ${doc.itlMs.mean}`);
  });

  test('a trace run, the table output, and a model the server does not serve', async () => {
    const trace = join(dir, 'trace.csv');
    await writeFile(trace, 'timestamp,model,input_tokens,output_tokens\n0,demo/model,5,3\n0.1,,5,3\n0.2,demo/model,50,2\n');
    const r = await inferno('load', '--url', em.url, '--trace', trace);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Sent 3 requests in [\d.]+ s \([\d.]+ req\/s\), avg 20 input \/ 2\.67 output tokens; send lag p99 [\d.]+ ms$/m);
    assert.match(r.stdout, /^Outcomes: ok 3$/m);
    assert.match(r.stdout, /^LATENCY ms\s+MEAN\s+P50\s+P90\s+P99$/m);
    assert.match(r.stdout, /^TTFT\s+[\d.]+\s+[\d.]+/m);
    await writeFile(trace, '0,other/model,5,3\n');
    const bad = await cli('load', '--url', em.url, '--trace', trace);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /no target serves model "other\/model" \(they serve demo\/model\)/);
  });
});
