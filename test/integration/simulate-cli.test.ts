// `inferno simulate` as a user runs it (the built binary as a child process) on a short scenario: the table and
// JSON, the same numbers for the same seed, the report files, trace replay, and bad input (exit code 2, the field).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inferno } from '../support/cli.js';
import { catalog, nodes, server } from '../support/sim.js';

const scenario = `${catalog}${nodes(1, 1)}${server('m1')}${server('m2', { replicas: 2 })}---
kind: Simulation
spec:
  duration: 15m
  drain: 2m
  seed: 3
  traffic:
    - {model: m1, arrivals: {step: [{rate: 1, for: 5m}, {rate: 6}]}, inputTokens: lognormal:256:0.5, outputTokens: exp:64}
    - {model: m2, arrivals: {bursty: {low: 1, high: 5, meanLow: 3m, meanHigh: 1m}}, outputTokens: 64}
`;

describe('inferno simulate', () => {
  let dir = '';
  let file = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inferno-sim-'));
    file = join(dir, 'scenario.yaml');
    await writeFile(file, scenario);
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('--help lists the policies and the Simulation document', async () => {
    const r = await inferno('simulate', '--help');
    assert.equal(r.code, 0);
    for (const p of ['inferno-unlimited', 'hpa-kv', 'keda-queue', 'static-peak', 'wva', 'kind Simulation', 'lognormal:MEAN:SIGMA']) assert.ok(r.stdout.includes(p), p);
  });

  test('a table per policy and class, and the same JSON for the same seed', async () => {
    const t = await inferno('simulate', '-f', file, '--policies', 'hpa,inferno');
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^POLICY +CLASS \(SLO TTFT\/ITL\) +REQUESTS +SLO MET/m);
    assert.match(t.stdout, /^inferno +Premium \(1000\/40 ms\) +\d+ +\d+\.\d %/m);
    assert.match(t.stdout, /^hpa +\d+\.\d % +\d+\.\d\d +A100 /m);
    assert.match(t.stderr, /simulated inferno \(2\/2\)/);
    const a = await inferno('simulate', '-f', file, '--policies', 'hpa,inferno', '--output', 'json');
    const b = await inferno('simulate', '-f', file, '--policies', 'hpa,inferno', '--output', 'json');
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    const j = JSON.parse(a.stdout) as { seed: number; requests: number; policies: { policy: string; attainment: number; cost: number; classes: { requests: number }[] }[] };
    assert.equal(j.seed, 3);
    assert.deepEqual(j.policies.map((p) => p.policy), ['hpa', 'inferno']);
    for (const p of j.policies) assert.equal(p.classes.reduce((n, c) => n + c.requests, 0), j.requests);
    const c = JSON.parse((await inferno('simulate', '-f', file, '--policies', 'hpa,inferno', '--output', 'json', '--seed', '4')).stdout) as { requests: number };
    assert.notEqual(c.requests, j.requests);
  });

  test('--report writes one self-contained page, --charts the SVGs', async () => {
    const r = await inferno('simulate', '-f', file, '--policies', 'static-peak,keda-queue', '--duration', '5m', '--report', join(dir, 'out/report.html'), '--charts', join(dir, 'charts'));
    assert.equal(r.code, 0, r.stderr);
    const html = await readFile(join(dir, 'out/report.html'), 'utf8');
    assert.match(html, /^<!doctype html>/);
    assert.equal((html.match(/<svg /g) ?? []).length, 4);
    assert.deepEqual((await readdir(join(dir, 'charts'))).sort(), ['cost.svg', 'latency.svg', 'load.svg', 'replicas.svg']);
  });

  test('--trace replays a CSV instead of the traffic section', async () => {
    const rows = ['timestamp,model,input_tokens,output_tokens', ...Array.from({ length: 600 }, (_, i) => `${(i * 0.5).toFixed(1)},${i % 3 === 0 ? 'm2' : 'm1'},200,${20 + (i % 40)}`)];
    await writeFile(join(dir, 'trace.csv'), `${rows.join('\n')}\n`);
    const r = await inferno('simulate', '-f', file, '--trace', join(dir, 'trace.csv'), '--policies', 'hpa', '--duration', '5m', '--output', 'json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { requests: number }).requests, 600);
    await writeFile(join(dir, 'bad.csv'), '0,m1,5,5\n1,m9,5,5\n0.5,m1,5,x\n');
    const bad = await inferno('simulate', '-f', file, '--trace', join(dir, 'bad.csv'));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /line 3: .*earlier than the line before/);
    assert.match(bad.stderr, /line 3: output_tokens "x"/);
  });

  test('bad input: exit code 2, the flag or the field, no stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['--policies', 'inferno,magic'], /unknown policy "magic"/],
      [['--duration', '10 years'], /--duration must be a duration/],
      [['--seed', '1.5'], /--seed must be a whole number/],
      [['--output', 'xml'], /--output must be one of table, json/],
      [['-f', join(dir, 'missing.yaml')], /missing\.yaml: cannot read: ENOENT/],
    ];
    for (const [args, message] of cases) {
      const r = await inferno('simulate', ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
    }
    await writeFile(join(dir, 'nosim.yaml'), `${catalog}${nodes(1)}${server('m1')}`);
    const none = await inferno('simulate', '-f', join(dir, 'nosim.yaml'));
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no Simulation document/);
    await writeFile(join(dir, 'badsim.yaml'), scenario.replace('duration: 15m', 'duration: soon').replace('exp:64}', 'exp:0}'));
    const bad = await inferno('simulate', '-f', join(dir, 'badsim.yaml'));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /document \d+ \(Simulation\): spec\.duration: expected a duration/);
    assert.match(bad.stderr, /spec\.traffic\[0\]\.outputTokens/);
  });
});
