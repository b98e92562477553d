// What the scaler will see, measured against what was sent: a real Prometheus (1 s scrapes, file_sd targets with
// namespace and pod labels, as Kubernetes discovery adds them) scrapes three emulator replicas of one model — two
// in-process, one the real `inferno emulate` CLI — plus a second model server with an awkward name, while the load
// generator drives them: below capacity, then at 1.5× capacity. Then one replica is killed (SIGKILL) and finally
// Prometheus is stopped.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Collection } from '../../src/collector/collect.js';
import { collect } from '../../src/collector/collect.js';
import type { Observation, Reading, ServerKey } from '../../src/collector/interpret.js';
import { isKnown } from '../../src/collector/interpret.js';
import type { EngineParams } from '../../src/engine/engine.js';
import { createEngine } from '../../src/engine/engine.js';
import { seededRandom } from '../../src/engine/random.js';
import { runVirtual } from '../../src/engine/virtual.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { startEmulator } from '../../src/emulator/server.js';
import { arrivalTimes } from '../../src/engine/arrivals.js';
import type { PlannedRequest, RunResult } from '../../src/loadgen/runner.js';
import { runLoad } from '../../src/loadgen/runner.js';
import { loadStats } from '../../src/loadgen/samples.js';
import { parseTokens, sampleTokens } from '../../src/engine/tokens.js';
import type { PrometheusClient } from '../../src/prometheus/client.js';
import { createPrometheusClient } from '../../src/prometheus/client.js';
import { inferno } from '../support/cli.js';
import type { EmulatorProcess } from '../support/emulator-cli.js';
import { spawnEmulator } from '../support/emulator-cli.js';
import type { TestPrometheus } from '../support/prometheus.js';
import { havePrometheus, startPrometheus } from '../support/prometheus.js';

const W = 10; // rate window, s: ten 1 s scrapes
const staleAfterS = 3;
const opts = { windowS: W, staleAfterS, perPod: false, lookbackS: 60 };
const model = 'org/model-1.5b';
const oddModel = 'lab/odd "quoted" \\ name.v2';
const engine: EngineParams = { alpha: 40, beta: 2, gamma: 150, delta: 0.02, maxNumSeqs: 8, maxWaiting: 1000, kvCapacityTokens: 1_000_000, noiseSigma: 0.05 };
const servers: ServerKey[] = [
  { namespace: 'team-a', model },
  { namespace: 'team-b', model: oddModel },
  { namespace: 'team-c', model: 'never-deployed' },
];

/** Requests per second one replica completes at saturation (virtual time, same engine): the test's "capacity". */
function capacityPerReplica(inputTokens: number, outputTokens: number): number {
  const arrivals = Array.from({ length: 3000 }, () => ({ t: 0, inputTokens, outputTokens }));
  const ends = runVirtual(createEngine({ ...engine, maxWaiting: 10_000 }, seededRandom(7)), arrivals).map((r) => r.finished ?? Number.NaN).sort((a, b) => a - b);
  const perS = (2400 / (ends[2700]! - ends[300]!)) * 1000;
  assert.ok(perS > 1 && perS < 100, `capacity ${perS} req/s`);
  return perS;
}

function plan(rate: number, seconds: number, input: string, output: string, seed: number, process: 'poisson' | 'constant' = 'poisson'): PlannedRequest[] {
  const i = parseTokens(input, 0);
  const o = parseTokens(output, 1);
  assert.ok(typeof i !== 'string' && typeof o !== 'string');
  const tok = seededRandom(seed + 1);
  return [...arrivalTimes([{ seconds, from: rate, to: rate }], process, seededRandom(seed))].map((t) => ({ t, model: undefined, inputTokens: sampleTokens(i, tok, 0), outputTokens: sampleTokens(o, tok, 1) }));
}

const load = (targets: string[], p: PlannedRequest[], seconds: number, drainMs = 15_000): Promise<RunResult> =>
  runLoad({ targets, endpoint: 'completions', plan: p, durationS: seconds, maxInFlight: 5000, timeoutMs: 60_000, drainMs });

const num = (r: Reading, what: string): number => {
  assert.ok(isKnown(r), `${what} is unknown: ${JSON.stringify(r)}`);
  return r;
};

/** Measured pairs, printed as test diagnostics (the numbers behind the verdicts). */
const measured: string[] = [];

function within(actual: Reading, expected: number, rel: number, what: string): void {
  const a = num(actual, what);
  const line = `${what}: collected ${a.toFixed(3)}, expected ${expected.toFixed(3)} (${(((a - expected) / expected) * 100).toFixed(1)} %)`;
  measured.push(line);
  assert.ok(Math.abs(a - expected) <= rel * Math.abs(expected), `${line}, allowed ± ${(rel * 100).toFixed(0)} %`);
}

/** Mean tokens of the requests that finished in the window: the population vLLM's token histograms count. */
function finishedTokens(r: RunResult, from: number, to: number): { input: number; output: number } {
  const c = r.samples.cols;
  let n = 0;
  let inp = 0;
  let out = 0;
  for (let i = 0; i < r.samples.count; i += 1) {
    const last = c.lastTokenAt[i]!;
    if (last > from && last <= to) {
      n += 1;
      inp += c.inputTokens[i]!;
      out += c.outputTokens[i]!;
    }
  }
  return { input: inp / n, output: out / n };
}

const byServer = (c: Collection, namespace: string): Observation => {
  const o = c.observations.find((x) => x.namespace === namespace);
  assert.ok(o !== undefined, `no observation for ${namespace}`);
  return o;
};

describe('collector against a real Prometheus', { skip: !havePrometheus && 'no /usr/bin/prometheus (Debian package prometheus)', concurrency: false }, () => {
  let prom: TestPrometheus;
  let client: PrometheusClient;
  const local: RunningEmulator[] = [];
  let cli: EmulatorProcess;
  let odd: RunningEmulator;
  let dir = '';
  const capacity = capacityPerReplica(200, 16) * 3;
  let below: { run: RunResult; at: number } | undefined;
  let over: { run: RunResult; at: number; offered: number } | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inferno-collect-'));
    for (const seed of [1, 2]) local.push(await startEmulator({ model, engine, maxModelLen: 8192, seed }));
    cli = await spawnEmulator(['--model', model, '--alpha', '40', '--beta', '2', '--gamma', '150', '--delta', '0.02', '--max-num-seqs', '8', '--noise', '0.05', '--seed', '3', '--port', '0', '--max-model-len', '8192']);
    odd = await startEmulator({ model: oddModel, engine, maxModelLen: 8192, seed: 4 });
    const addr = (u: string): string => u.replace(/^http:\/\//, '');
    prom = await startPrometheus([
      ...[...local.map((e) => e.url), cli.url].map((u, i) => ({ address: addr(u), labels: { namespace: 'team-a', pod: `m-${i}` } })),
      { address: addr(odd.url), labels: { namespace: 'team-b', pod: 'odd-0' } },
    ]);
    client = await createPrometheusClient({ url: prom.url, timeoutMs: 5000 });
    // Scraping from here on: the first load's window starts two seconds in, when the "one window ago" side of the
    // arrival formula has a sample and the servers have reached their steady state.
    await prom.waitForTargets(4);
  });

  after(async () => {
    client.close();
    await prom.stop();
    await Promise.all([...local, odd].map((e) => e.close()));
    await cli.kill();
    await rm(dir, { recursive: true, force: true });
  });

  test('below capacity: arrivals, tokens, TTFT and ITL within 10 % of what the generator sent and measured', async (t) => {
    t.after(() => { for (const line of measured.splice(0)) t.diagnostic(line); });
    const seconds = W + 3;
    const team = [...local.map((e) => e.url), cli.url];
    const [run, oddRun] = await Promise.all([
      // Evenly spaced arrivals (random token lengths): with Poisson arrivals the count in a 10 s window shifts by a
      // few percent with the scrape phase alone, which would test the dice, not the collector.
      load(team, plan(0.5 * capacity, seconds, 'exp:200', 'hist:8=0.5,24=0.5', 11, 'constant'), seconds),
      load([odd.url], plan(3, seconds, '30', '4', 12, 'constant'), seconds),
    ]);
    const at = run.startedAtMs / 1000 + seconds - 1;
    below = { run, at };
    const c = await collect(client, servers, opts, at);
    assert.deepEqual(c.errors, []);
    const o = byServer(c, 'team-a');
    const from = at - W - run.startedAtMs / 1000;
    const to = at - run.startedAtMs / 1000;
    const sent = loadStats(run.samples, { from, to }, run.gaps);
    assert.ok(sent.sent > 60 && sent.completed > 60, `sent ${sent.sent}, completed ${sent.completed} in the window`);
    within(o.arrivalRpm, sent.sentRate * 60, 0.1, 'arrival rate (rpm)');
    const fin = finishedTokens(run, from, to);
    within(o.avgInputTokens, fin.input, 0.1, 'average input tokens');
    within(o.avgOutputTokens, fin.output, 0.1, 'average output tokens');
    within(o.ttftMs, sent.ttft.mean * 1000, 0.1, 'TTFT (ms)');
    within(o.itlMs, sent.itl.mean * 1000, 0.1, 'ITL (ms)');
    assert.equal(o.itlSource, 'inter_token_latency');
    assert.ok(num(o.waiting, 'waiting') >= 0 && num(o.running, 'running') >= 0);
    assert.ok(num(o.kvCacheUsage, 'KV') > 0 && num(o.kvCacheUsage, 'KV') < 0.05);
    assert.ok(num(o.sampleAgeS, 'age') <= 2.5);
    assert.deepEqual(o.stalePods, []);
    // The awkward name is selected exactly (quote, backslash, dot) and kept apart from team-a.
    const b = byServer(c, 'team-b');
    assert.equal(b.model, oddModel);
    const oddSent = loadStats(oddRun.samples, { from: at - W - oddRun.startedAtMs / 1000, to: at - oddRun.startedAtMs / 1000 });
    within(b.arrivalRpm, oddSent.sentRate * 60, 0.1, 'team-b arrival rate (rpm)');
    within(b.avgInputTokens, 30, 1e-9, 'team-b input tokens');
    const none = byServer(c, 'team-c');
    for (const k of ['arrivalRpm', 'avgInputTokens', 'ttftMs', 'itlMs', 'waiting', 'kvCacheUsage', 'sampleAgeS'] as const) assert.deepEqual(none[k], { unknown: 'no-data' }, k);
  });

  test('overload at 1.5× capacity: the collected arrival rate is within 10 % of the offered rate, completions are not', async (t) => {
    t.after(() => { for (const line of measured.splice(0)) t.diagnostic(line); });
    const seconds = W + 6;
    const offered = 1.5 * capacity;
    // Evenly spaced arrivals: the offered rate is then also exactly what any window of the run received.
    const run = await load([...local.map((e) => e.url), cli.url], plan(offered, seconds, '200', '16', 21, 'constant'), seconds, 500);
    const at = run.startedAtMs / 1000 + seconds - 1;
    over = { run, at, offered };
    const c = await collect(client, servers, opts, at);
    assert.deepEqual(c.errors, []);
    const o = byServer(c, 'team-a');
    const sent = loadStats(run.samples, { from: at - W - run.startedAtMs / 1000, to: at - run.startedAtMs / 1000 });
    assert.ok(sent.sent > 200, `sent ${sent.sent} in the window`);
    within(o.arrivalRpm, offered * 60, 0.1, 'arrival rate under overload vs offered (rpm)');
    within(o.arrivalRpm, sent.sentRate * 60, 0.1, 'arrival rate under overload vs sent in the window (rpm)');
    const completions = num(o.completionRpm, 'completions');
    within(completions, capacity * 60, 0.15, 'completions = capacity');
    assert.ok(completions < 0.8 * sent.sentRate * 60, `completions (${completions.toFixed(0)} rpm) understate the offered ${(sent.sentRate * 60).toFixed(0)} rpm`);
    assert.ok(num(o.waiting, 'waiting') > 20, 'queues are growing');
    // TTFT counts the time in the queue, as vLLM's does: seconds now, against ~0.2 s of prefill below capacity.
    assert.ok(num(o.ttftMs, 'TTFT') > 1000, `TTFT ${JSON.stringify(o.ttftMs)} ms includes queueing`);
  });

  test('a replica restarted between two scrapes (its counters reset, no staleness): the arrival rate holds', async (t) => {
    t.after(() => { for (const line of measured.splice(0)) t.diagnostic(line); });
    const seconds = W + 3;
    const team = [...local.map((e) => e.url), cli.url];
    const running = load(team, plan(0.5 * capacity, seconds, '200', '16', 41, 'constant'), seconds, 500);
    await new Promise((ok) => setTimeout(ok, 4000));
    const old = local[0]!;
    await old.close();
    local[0] = await startEmulator({ model, engine, maxModelLen: 8192, seed: 5, port: old.port });
    const run = await running;
    const at = run.startedAtMs / 1000 + seconds - 1;
    const c = await collect(client, servers, opts, at);
    const sent = loadStats(run.samples, { from: at - W - run.startedAtMs / 1000, to: at - run.startedAtMs / 1000 });
    // What no collector can see: requests sent while the replica was down (connection refused) and those lost
    // in flight with it (cut off, "incomplete": they never finish, so they leave the balance), plus the
    // completions of its last second before the restart, which no scrape saw. Without the increase() fallback
    // the reset replica's completions would be dropped altogether (about a third of the total).
    measured.push(`outcomes in the window: ${JSON.stringify(sent.outcomes)}`);
    const seen = sent.sent - (sent.outcomes['connection'] ?? 0) - (sent.outcomes['incomplete'] ?? 0);
    within(byServer(c, 'team-a').arrivalRpm, (seen / W) * 60, 0.1, 'arrival rate across a counter reset (rpm)');
  });

  test('an emulator killed mid-run: its series go stale and are reported as such; the others stay fresh', async () => {
    // Some load so the replicas are busy when one dies.
    const busy = load([...local.map((e) => e.url), cli.url], plan(0.5 * capacity, 3, '200', '16', 31), 3, 100);
    await new Promise((ok) => setTimeout(ok, 1000));
    await cli.kill('SIGKILL');
    await busy;
    await new Promise((ok) => setTimeout(ok, (staleAfterS + 2) * 1000));
    const at = Date.now() / 1000;
    const perPod = await collect(client, servers.slice(0, 1), { ...opts, perPod: true }, at);
    assert.deepEqual(perPod.observations.map((o) => o.pod), ['m-0', 'm-1', 'm-2']);
    const dead = perPod.observations.find((o) => o.pod === 'm-2')!;
    assert.ok(num(dead.sampleAgeS, 'age of the dead pod') > staleAfterS);
    for (const k of ['arrivalRpm', 'completionRpm', 'avgInputTokens', 'avgOutputTokens', 'ttftMs', 'itlMs', 'waiting', 'running', 'kvCacheUsage'] as const) {
      assert.deepEqual(dead[k], { unknown: 'stale' }, k);
    }
    for (const live of perPod.observations.filter((o) => o.pod !== 'm-2')) {
      assert.ok(num(live.sampleAgeS, `age of ${live.pod ?? ''}`) <= 2.5);
      assert.ok(isKnown(live.waiting) && isKnown(live.running), `${live.pod ?? ''} is fresh`);
    }
    const server = byServer(await collect(client, servers, opts, at), 'team-a');
    assert.deepEqual(server.stalePods, ['m-2']);
    assert.ok(num(server.sampleAgeS, 'server age') <= 2.5, 'the server as a whole is fresh');

    // The same through the CLI, as a user debugging it would see it.
    const file = join(dir, 'optimizers.yaml');
    await writeFile(file, servers.map((s, i) => [
      'apiVersion: llmd.ai/v1alpha1', 'kind: Optimizer', `metadata: {name: o${i}, namespace: ${s.namespace}}`,
      `spec: {modelID: ${JSON.stringify(s.model)}, serviceClass: Premium, modelProfile: {accelerators: [{acc: A100, maxBatchSize: 8, alpha: 40, beta: 2}]}}`,
    ].join('\n')).join('\n---\n'));
    const json = await inferno('collect', '-f', file, '--prometheus', prom.url, '--window', `${W}s`, '--stale-after', `${staleAfterS}s`, '--per-pod', '-o', 'json');
    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout) as { observations: (Observation & { optimizer: string })[]; errors: string[] };
    assert.deepEqual(doc.errors, []);
    assert.deepEqual(doc.observations.map((o) => `${o.optimizer} ${o.pod ?? ''}`), ['team-a/o0 m-0', 'team-a/o0 m-1', 'team-a/o0 m-2', 'team-b/o1 odd-0', 'team-c/o2 ']);
    assert.deepEqual(doc.observations[2]?.waiting, { unknown: 'stale' });
    const table = await inferno('collect', '-f', file, '--prometheus', prom.url, '--window', `${W}s`, '--stale-after', `${staleAfterS}s`);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^OPTIMIZER\s+MODEL\s+ARRIVALS rpm\s+COMPLETED rpm\s+IN tok\s+OUT tok\s+TTFT ms\s+ITL ms\s+WAITING\s+RUNNING\s+KV %\s+AGE s\s+STALE PODS$/m);
    assert.match(table.stdout, /^team-a\/o0\s+org\/model-1\.5b\s+.*\sm-2$/m);
    assert.match(table.stdout, /^team-c\/o2\s+never-deployed\s+no data\s+no data/m);
  });

  test('Prometheus stopped: every value is unknown, with the reason', async () => {
    assert.ok(below !== undefined && over !== undefined, 'the earlier tests ran');
    await prom.stop();
    const c = await collect(client, servers, opts, Date.now() / 1000);
    assert.equal(c.errors.length, c.queries);
    for (const o of c.observations) {
      for (const [k, v] of Object.entries(o)) {
        if (['namespace', 'model', 'at', 'windowS', 'stalePods'].includes(k)) continue;
        assert.ok(!isKnown(v as Reading), `${o.namespace} ${k} is known: ${JSON.stringify(v)}`);
        assert.match((v as { unknown: string }).unknown, /^prometheus-error: transport: .*ECONNREFUSED/, k);
      }
    }
    const r = await inferno('collect', '-f', join(dir, 'optimizers.yaml'), '--prometheus', prom.url, '-o', 'json');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /query failed: transport: .*ECONNREFUSED/);
    const doc = JSON.parse(r.stdout) as { observations: Observation[] };
    assert.match(JSON.stringify(doc.observations[0]?.arrivalRpm), /prometheus-error/);
  });
});
