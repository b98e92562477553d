// The vLLM emulator over real HTTP on loopback: OpenAI-compatible answers (streamed and not), vLLM's /metrics, the
// latency law it is timed by, bad input, overload and disconnects; and the load generator against it.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { VllmMetric } from '../../src/domain/keys.js';
import type { EngineParams } from '../../src/engine/engine.js';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/server.js';
import { startEmulator } from '../../src/emulator/server.js';
import { arrivalTimes, parseRate } from '../../src/engine/arrivals.js';
import { seededRandom } from '../../src/engine/random.js';
import type { PlannedRequest } from '../../src/loadgen/runner.js';
import { LoadError, runLoad } from '../../src/loadgen/runner.js';
import { Outcome, loadStats } from '../../src/loadgen/samples.js';

const exact: EngineParams = { alpha: 20, beta: 2, gamma: 30, delta: 0.1, maxNumSeqs: 4, maxWaiting: 100, kvCapacityTokens: 1_000_000, noiseSigma: 0 };

async function emulator(t: TestContext, o: Partial<EmulatorOptions> = {}): Promise<RunningEmulator> {
  const e = await startEmulator({ model: 'test/model-7b', maxModelLen: 4096, engine: exact, ...o });
  t.after(() => e.close());
  return e;
}

const post = (url: string, path: string, body: unknown): Promise<Response> =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const words = (n: number): string => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

/** The value of one series in a Prometheus text exposition, by name and a label subset. */
function series(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

const metricsOf = async (e: RunningEmulator): Promise<string> => (await fetch(`${e.url}/metrics`)).text();

describe('emulator endpoints', () => {
  test('/v1/models, /health and /metrics with vLLM names, types and the model_name label', async (t) => {
    const e = await emulator(t);
    const models = await (await fetch(`${e.url}/v1/models`)).json() as { data: { id: string; max_model_len: number }[] };
    assert.deepEqual(models.data.map((m) => [m.id, m.max_model_len]), [['test/model-7b', 4096]]);
    assert.equal((await fetch(`${e.url}/health`)).status, 200);
    const text = await metricsOf(e);
    const types: Record<string, string> = {
      [VllmMetric.running]: 'gauge', [VllmMetric.waiting]: 'gauge', [VllmMetric.kvCacheUsage]: 'gauge',
      [VllmMetric.requestSuccess]: 'counter', [VllmMetric.promptTokens]: 'counter', [VllmMetric.generationTokens]: 'counter',
      [VllmMetric.timeToFirstToken]: 'histogram', [VllmMetric.interTokenLatency]: 'histogram', [VllmMetric.timePerOutputToken]: 'histogram',
      [VllmMetric.e2eLatency]: 'histogram', [VllmMetric.queueTime]: 'histogram', [VllmMetric.requestPromptTokens]: 'histogram',
      [VllmMetric.requestGenerationTokens]: 'histogram',
    };
    for (const [name, type] of Object.entries(types)) {
      assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), name);
      const sample = type === 'histogram' ? `${name}_count` : name;
      assert.equal(series(text, sample, { model_name: 'test/model-7b', engine: '0' }), 0, `${sample} starts at 0`);
    }
    for (const reason of ['stop', 'length', 'abort']) assert.equal(series(text, VllmMetric.requestSuccess, { finished_reason: reason }), 0);
    assert.match(text, /^vllm:time_to_first_token_seconds_bucket\{le="2560",model_name="test\/model-7b",engine="0"\} 0$/m);
  });

  test('a non-streamed completion: exactly max_tokens tokens, usage counts prompt words, timing from the profile', async (t) => {
    const e = await emulator(t);
    const start = performance.now();
    const r = await post(e.url, '/v1/completions', { model: 'test/model-7b', prompt: words(100), max_tokens: 5 });
    const took = performance.now() - start;
    assert.equal(r.status, 200);
    const body = await r.json() as { object: string; choices: { text: string; finish_reason: string }[]; usage: Record<string, number> };
    assert.equal(body.object, 'text_completion');
    const choice = body.choices[0];
    assert.equal(choice?.finish_reason, 'length');
    assert.equal(choice.text.trim().split(/\s+/).length, 5);
    assert.deepEqual(body.usage, { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105 });
    // prefill 30 + 0.1·100·1 = 40 ms, then 4 iterations of 20 + 2·1 = 22 ms: 128 ms, plus HTTP and timer slack.
    assert.ok(took >= 127 && took < 400, `took ${took} ms`);
    const m = await metricsOf(e);
    assert.equal(series(m, VllmMetric.requestSuccess, { finished_reason: 'length' }), 1);
    assert.equal(series(m, VllmMetric.promptTokens), 100);
    assert.equal(series(m, VllmMetric.generationTokens), 5);
    assert.equal(series(m, `${VllmMetric.interTokenLatency}_count`), 4);
    assert.ok(Math.abs((series(m, `${VllmMetric.interTokenLatency}_sum`) ?? 0) - 0.088) < 1e-9, 'ITL sum = 4 × 22 ms exactly (engine time)');
    assert.ok(Math.abs((series(m, `${VllmMetric.timeToFirstToken}_sum`) ?? 0) - 0.04) < 1e-9, 'TTFT = prefill 40 ms');
    assert.equal(series(m, `${VllmMetric.timePerOutputToken}_count`), 4);
    assert.equal(series(m, `${VllmMetric.requestPromptTokens}_sum`), 100);
    assert.equal(series(m, `${VllmMetric.requestGenerationTokens}_sum`), 5);
  });

  test('streaming SSE: one chunk per token, finish_reason on the last, a usage chunk, [DONE]; chat too', async (t) => {
    const e = await emulator(t);
    for (const [path, body, text] of [
      ['/v1/completions', { model: 'test/model-7b', prompt: words(10), max_tokens: 6, stream: true, stream_options: { include_usage: true } }, (c: Record<string, unknown>) => (c['choices'] as { text?: string }[])[0]?.text],
      ['/v1/chat/completions', { model: 'test/model-7b', messages: [{ role: 'system', content: words(3) }, { role: 'user', content: [{ type: 'text', text: words(7) }] }], max_completion_tokens: 6, stream: true, stream_options: { include_usage: true } }, (c: Record<string, unknown>) => (c['choices'] as { delta?: { content?: string } }[])[0]?.delta?.content],
    ] as const) {
      const r = await post(e.url, path, body);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
      const events = (await r.text()).split('\n\n').filter((x) => x !== '');
      assert.equal(events.at(-1), 'data: [DONE]');
      const chunks = events.slice(0, -1).map((ev) => JSON.parse(ev.replace(/^data: /, '')) as Record<string, unknown>);
      const tokens = chunks.filter((c) => (text(c) ?? '') !== '');
      assert.equal(tokens.length, 6, path);
      const finish = chunks.map((c) => (c['choices'] as { finish_reason?: string | null }[])[0]?.finish_reason ?? null);
      assert.deepEqual(finish.slice(0, 6), [null, null, null, null, null, 'length']);
      assert.deepEqual(chunks.at(-1)?.['usage'], { prompt_tokens: 10, completion_tokens: 6, total_tokens: 16 });
    }
  });

  test('bad input gets vLLM-style errors and the server keeps serving', async (t) => {
    const e = await emulator(t);
    const cases: [string, unknown, number, RegExp][] = [
      ['/v1/completions', '{"model": ', 400, /not JSON/],
      ['/v1/completions', { model: 'other', prompt: 'x' }, 404, /The model `other` does not exist/],
      ['/v1/completions', { model: 'test/model-7b' }, 400, /prompt/],
      ['/v1/completions', { model: 'test/model-7b', prompt: 'x', max_tokens: 0 }, 400, /max_tokens/],
      ['/v1/completions', { model: 'test/model-7b', prompt: ['a', 'b'] }, 400, /batched prompts/],
      ['/v1/completions', { model: 'test/model-7b', prompt: words(4000), max_tokens: 100 }, 400, /maximum context length is 4096 tokens\. However, you requested 4100 tokens/],
      ['/v1/chat/completions', { model: 'test/model-7b', messages: [] }, 400, /messages/],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await post(e.url, path, body);
      assert.equal(r.status, status, JSON.stringify(body).slice(0, 80));
      const err = await r.json() as { object: string; message: string; code: number };
      assert.equal(err.object, 'error');
      assert.equal(err.code, status);
      assert.match(err.message, message);
    }
    const big = await post(e.url, '/v1/completions', { model: 'test/model-7b', prompt: 'x'.repeat(5 * 1024 * 1024) }).catch((x: unknown) => x);
    // Either the 413 answer arrives, or the server cut the upload short after answering: both refuse it.
    if (big instanceof Response) assert.equal(big.status, 413);
    assert.equal((await fetch(`${e.url}/v1/completions`)).status, 405);
    assert.equal((await fetch(`${e.url}/nope`)).status, 404);
    assert.equal((await post(e.url, '/v1/completions', { model: 'test/model-7b', prompt: 'still fine', max_tokens: 1 })).status, 200);
  });

  test('during the start-up delay /health and completions answer 503', async (t) => {
    const e = await emulator(t, { startupMs: 300 });
    assert.equal((await fetch(`${e.url}/health`)).status, 503);
    assert.equal((await post(e.url, '/v1/completions', { model: 'test/model-7b', prompt: 'x', max_tokens: 1 })).status, 503);
    await new Promise((ok) => setTimeout(ok, 320));
    assert.equal((await fetch(`${e.url}/health`)).status, 200);
  });
});

describe('emulator under load', () => {
  test('a full queue answers 503 and counts the request as aborted; gauges show running and waiting', async (t) => {
    const e = await emulator(t, { engine: { ...exact, maxNumSeqs: 1, maxWaiting: 2 } });
    const slow = { model: 'test/model-7b', prompt: 'x', max_tokens: 30 };
    const inFlight = [post(e.url, '/v1/completions', slow), post(e.url, '/v1/completions', slow), post(e.url, '/v1/completions', slow)];
    await new Promise((ok) => setTimeout(ok, 50));
    assert.deepEqual({ running: e.state().running, waiting: e.state().waiting }, { running: 1, waiting: 2 });
    const m = await metricsOf(e);
    assert.equal(series(m, VllmMetric.running), 1);
    assert.equal(series(m, VllmMetric.waiting), 2);
    const rejected = await post(e.url, '/v1/completions', slow);
    assert.equal(rejected.status, 503);
    assert.match((await rejected.json() as { message: string }).message, /waiting queue is full/);
    const streamed = await post(e.url, '/v1/completions', { ...slow, stream: true });
    assert.equal(streamed.status, 503, 'a streaming request is refused with an HTTP error too');
    assert.match((await streamed.json() as { message: string }).message, /waiting queue is full/);
    assert.equal(series(await metricsOf(e), VllmMetric.requestSuccess, { finished_reason: 'abort' }), 2);
    assert.deepEqual((await Promise.all(inFlight)).map((r) => r.status), [200, 200, 200]);
  });

  test('a client that disconnects aborts its request and frees the slot', async (t) => {
    const e = await emulator(t, { engine: { ...exact, maxNumSeqs: 1 } });
    const body = JSON.stringify({ model: 'test/model-7b', prompt: 'x', max_tokens: 1000, stream: true });
    await new Promise<void>((ok, fail) => {
      const req = request(`${e.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.once('data', () => { req.destroy(); ok(); });
      });
      req.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'ECONNRESET') fail(err); });
      req.end(body);
    });
    for (let i = 0; i < 50 && e.state().running > 0; i += 1) await new Promise((ok) => setTimeout(ok, 10));
    assert.equal(e.state().running, 0);
    assert.equal(series(await metricsOf(e), VllmMetric.requestSuccess, { finished_reason: 'abort' }), 1);
    assert.equal((await post(e.url, '/v1/completions', { model: 'test/model-7b', prompt: 'x', max_tokens: 2 })).status, 200);
  });

  test('a client that stops reading a stream is cut off before the server buffers without bound', async (t) => {
    // A long model name makes every chunk ~400 bytes: 131 000 tokens would be ~50 MB if the server kept them all.
    const model = `big/${'m'.repeat(200)}`;
    const e = await emulator(t, { model, maxModelLen: 131_072, engine: { ...exact, alpha: 0.001, beta: 0, gamma: 0, delta: 0 } });
    const body = JSON.stringify({ model, prompt: 'x', max_tokens: 131_000, stream: true });
    const received = await new Promise<{ bytes: number; text: string }>((ok) => {
      let bytes = 0;
      let tail = '';
      const req = request(`${e.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.pause();
        const done = (): void => { ok({ bytes, text: tail }); };
        res.on('data', (d: Buffer) => { bytes += d.length; tail = (tail + d.toString('utf8')).slice(-200); });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
        setTimeout(() => res.resume(), 500);
      });
      req.on('error', () => { ok({ bytes: 0, text: '' }); });
      req.end(body);
    });
    assert.ok(received.bytes > 1000 && received.bytes < 40_000_000, `received ${received.bytes} bytes`);
    assert.equal((await fetch(`${e.url}/health`)).status, 200, "still serving");
    assert.doesNotMatch(received.text, /\[DONE\]/, 'the stream was cut, not completed');
    assert.equal(e.state().running, 0);
  });

  test('the load generator: round-robin over replicas, what it sent matches what the servers counted, latencies match', async (t) => {
    const engine = { ...exact, noiseSigma: 0.05, maxNumSeqs: 8 };
    const [a, b] = [await emulator(t, { engine, seed: 1 }), await emulator(t, { engine, seed: 2 })];
    const segments = parseRate('40', 2);
    assert.ok(typeof segments !== 'string');
    const plan: PlannedRequest[] = [...arrivalTimes(segments, 'poisson', seededRandom(5))].map((at, i) => ({ t: at, model: undefined, inputTokens: 50 + (i % 3) * 50, outputTokens: 8 }));
    const r = await runLoad({ targets: [a.url, b.url], endpoint: 'completions', plan, durationS: 2, maxInFlight: 1000, timeoutMs: 10_000, drainMs: 10_000 });
    const s = loadStats(r.samples, { from: -Infinity, to: Infinity }, r.gaps);
    assert.equal(s.sent, plan.length);
    assert.deepEqual(s.outcomes, { ok: plan.length });
    const perTarget = [0, 0];
    for (let i = 0; i < r.samples.count; i += 1) perTarget[r.samples.cols.target[i]!]! += 1;
    assert.ok(Math.abs(perTarget[0]! - perTarget[1]!) <= 1, `round-robin ${perTarget.join('/')}`);
    const [ma, mb] = [await metricsOf(a), await metricsOf(b)];
    const total = (name: string): number => (series(ma, name) ?? 0) + (series(mb, name) ?? 0);
    assert.equal(total(`${VllmMetric.requestPromptTokens}_count`), plan.length);
    assert.equal(total(VllmMetric.promptTokens), plan.reduce((x, p) => x + p.inputTokens, 0));
    assert.equal(total(VllmMetric.generationTokens), plan.length * 8);
    // Server-side means (engine time) against client-side (wall clock, HTTP included): a few ms apart.
    const serverTtft = total(`${VllmMetric.timeToFirstToken}_sum`) / total(`${VllmMetric.timeToFirstToken}_count`);
    const serverItl = total(`${VllmMetric.interTokenLatency}_sum`) / total(`${VllmMetric.interTokenLatency}_count`);
    assert.ok(Math.abs(s.ttft.mean - serverTtft) < 0.005 + 0.05 * serverTtft, `TTFT client ${s.ttft.mean} server ${serverTtft}`);
    assert.ok(Math.abs(s.itl.mean - serverItl) < 0.002 + 0.05 * serverItl, `ITL client ${s.itl.mean} server ${serverItl}`);
    assert.equal(s.itl.count, plan.length * 7);
  });

  test('the load generator refuses unusable targets before sending, and counts in-flight drops', async (t) => {
    const e = await emulator(t, { engine: { ...exact, maxNumSeqs: 1 } });
    const one: PlannedRequest[] = [{ t: 0, model: undefined, inputTokens: 1, outputTokens: 1 }];
    const base = { endpoint: 'completions' as const, durationS: 0, maxInFlight: 10, timeoutMs: 2000, drainMs: 2000 };
    await assert.rejects(runLoad({ ...base, targets: ['http://127.0.0.1:1'], plan: one }), (err: unknown) => err instanceof LoadError && /127\.0\.0\.1:1/.test(err.message));
    await assert.rejects(runLoad({ ...base, targets: [e.url], plan: one, model: 'other' }), /no target serves model "other" \(they serve test\/model-7b\)/);
    const burst: PlannedRequest[] = Array.from({ length: 5 }, () => ({ t: 0, model: undefined, inputTokens: 1, outputTokens: 20 }));
    const r = await runLoad({ ...base, targets: [e.url], plan: burst, maxInFlight: 2 });
    const outcomes = Array.from(r.samples.cols.outcome.slice(0, r.samples.count));
    assert.deepEqual(outcomes, [Outcome.ok, Outcome.ok, Outcome.dropped, Outcome.dropped, Outcome.dropped]);
  });
});
