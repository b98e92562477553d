// From query results to observations: units, the join by labels, and every way a value becomes unknown (NaN,
// infinity, no series, a failed query, stale data) — never zero.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { QueryPort } from '../../../src/collector/collect.js';
import { collect } from '../../../src/collector/collect.js';
import { interpret } from '../../../src/collector/interpret.js';
import type { QueryName } from '../../../src/collector/promql.js';
import { QueryNames } from '../../../src/collector/promql.js';
import type { QueryResult } from '../../../src/prometheus/response.js';

const at = 1_700_000_000;
const vector = (rows: [Record<string, string>, number][]): QueryResult => ({ ok: true, warnings: [], data: { resultType: 'vector', samples: rows.map(([metric, value]) => ({ metric, t: at, value })) } });
const a = { namespace: 'ns', model_name: 'm' };
const b = { namespace: 'ns2', model_name: 'm' };
const opts = { at, windowS: 10, staleAfterS: 30 };

function healthy(over: Partial<Record<QueryName, QueryResult>> = {}): Partial<Record<QueryName, QueryResult>> {
  return {
    // arrivals = completions + (running + waiting − in system a window ago) / W: a 1.5 + (8 + 3 − 6) / 10 = 2 req/s
    inSystemAgo: vector([[a, 6], [b, 1]]),
    completions: vector([[a, 1.5], [b, 0.5]]),
    inputTokens: vector([[a, 512], [b, 100]]),
    outputTokens: vector([[a, 128], [b, 10]]),
    ttft: vector([[a, 0.25], [b, 0.1]]),
    itl: vector([[{ ...a, inferno_source: 'inter_token_latency' }, 0.02], [{ ...b, inferno_source: 'time_per_output_token' }, 0.03]]),
    waiting: vector([[a, 3], [b, 0]]),
    running: vector([[a, 8], [b, 1]]),
    kvCache: vector([[a, 0.42], [b, 0.01]]),
    lastSample: vector([[{ ...a, pod: 'p0' }, at - 2], [{ ...a, pod: 'p1' }, at - 5], [{ ...b, pod: 'q0' }, at - 1]]),
    ...over,
  };
}

const keys = [{ namespace: 'ns', model: 'm' }, { namespace: 'ns2', model: 'm' }];

describe('interpret', () => {
  test('units (rpm, ms), the join by namespace and model, the ITL source, the newest sample', () => {
    const [x, y] = interpret(healthy(), keys, opts);
    assert.deepEqual(x, {
      namespace: 'ns', model: 'm', at, windowS: 10, arrivalRpm: 120, completionRpm: 90, avgInputTokens: 512, avgOutputTokens: 128,
      ttftMs: 250, itlMs: 20, itlSource: 'inter_token_latency', waiting: 3, running: 8, kvCacheUsage: 0.42, sampleAgeS: 2, stalePods: [],
    });
    assert.equal(y?.itlSource, 'time_per_output_token');
    assert.equal(y?.itlMs, 30);
    assert.equal(y?.arrivalRpm, 30);
  });

  test('NaN, infinities and missing series are unknown with their reason, field by field', () => {
    const [x] = interpret(healthy({
      inputTokens: vector([[a, Number.NaN]]),
      ttft: vector([[a, Infinity]]),
      itl: vector([[a, -Infinity]]),
      waiting: vector([[b, 1]]),
    }), keys, opts);
    assert.deepEqual(x?.avgInputTokens, { unknown: 'nan' });
    assert.deepEqual(x?.ttftMs, { unknown: 'inf' });
    assert.deepEqual(x?.itlMs, { unknown: 'inf' });
    assert.deepEqual(x?.waiting, { unknown: 'no-data' });
    assert.equal(x?.running, 8);
    assert.equal(x?.itlSource, undefined);
  });

  test('a failed query makes its field unknown with the error; a failed freshness query makes everything unknown', () => {
    const failed: QueryResult = { ok: false, errorType: 'execution', error: 'boom (HTTP 422)', warnings: [] };
    const [x] = interpret(healthy({ kvCache: failed }), keys, opts);
    assert.deepEqual(x?.kvCacheUsage, { unknown: 'prometheus-error: execution: boom (HTTP 422)' });
    assert.equal(x?.arrivalRpm, 120);
    const [y] = interpret(healthy({ lastSample: failed }), keys, opts);
    for (const k of ['arrivalRpm', 'completionRpm', 'avgInputTokens', 'avgOutputTokens', 'ttftMs', 'itlMs', 'waiting', 'running', 'kvCacheUsage', 'sampleAgeS'] as const) {
      assert.deepEqual(y?.[k], { unknown: 'prometheus-error: execution: boom (HTTP 422)' }, k);
    }
    const [z] = interpret(healthy({ running: { ok: true, warnings: [], data: { resultType: 'scalar', t: at, value: 1 } } }), keys, opts);
    assert.deepEqual(z?.running, { unknown: 'prometheus-error: expected a vector, got a scalar' });
    const [w] = interpret({}, keys, opts);
    assert.deepEqual(w?.arrivalRpm, { unknown: 'prometheus-error: not queried' });
  });

  test('stale: the newest sample of every pod older than the bound; the age itself stays known', () => {
    const [x] = interpret(healthy({ lastSample: vector([[{ ...a, pod: 'p0' }, at - 31], [{ ...a, pod: 'p1' }, at - 300]]) }), keys, opts);
    assert.equal(x?.sampleAgeS, 31);
    assert.deepEqual(x?.stalePods, ['p0', 'p1']);
    for (const k of ['arrivalRpm', 'avgInputTokens', 'ttftMs', 'itlMs', 'waiting', 'kvCacheUsage'] as const) assert.deepEqual(x?.[k], { unknown: 'stale' }, k);
  });

  test('one stale pod of a fresh server is named; the server stays known', () => {
    const [x] = interpret(healthy({ lastSample: vector([[{ ...a, pod: 'p0' }, at - 1], [{ ...a, pod: 'p1' }, at - 45]]) }), keys, opts);
    assert.equal(x?.sampleAgeS, 1);
    assert.deepEqual(x?.stalePods, ['p1']);
    assert.equal(x?.waiting, 3);
  });

  test('per pod: keys with pods read per-pod results', () => {
    const p = (pod: string) => ({ ...a, pod });
    const results = healthy({ waiting: vector([[p('p0'), 1], [p('p1'), 2]]), lastSample: vector([[p('p0'), at - 1], [p('p1'), at - 40]]) });
    const [x, y] = interpret(results, [{ namespace: 'ns', model: 'm', pod: 'p0' }, { namespace: 'ns', model: 'm', pod: 'p1' }], opts);
    assert.equal(x?.waiting, 1);
    assert.equal(x?.pod, 'p0');
    assert.deepEqual(y?.waiting, { unknown: 'stale' });
  });

  test('arrivals: unknown when a part is (a server younger than the window); extrapolation noise below zero reads as none', () => {
    const [x] = interpret(healthy({ inSystemAgo: vector([[b, 1]]) }), keys, opts);
    assert.deepEqual(x?.arrivalRpm, { unknown: 'no-data' });
    assert.equal(x?.completionRpm, 90);
    const [y] = interpret(healthy({ completions: vector([[a, Number.NaN]]) }), keys, opts);
    assert.deepEqual(y?.arrivalRpm, { unknown: 'nan' });
    const [z] = interpret(healthy({ completions: vector([[a, 0]]), running: vector([[a, 0]]), waiting: vector([[a, 0]]), inSystemAgo: vector([[a, 0.01]]) }), keys, opts);
    assert.equal(z?.arrivalRpm, 0);
  });
});

describe('collect', () => {
  test('one query per quantity for any number of servers, all evaluated at the same instant', async () => {
    const seen: { expr: string; time: number }[] = [];
    const port: QueryPort = {
      query: (expr, { time }) => {
        seen.push({ expr, time });
        return Promise.resolve(vector([]));
      },
    };
    const servers = Array.from({ length: 200 }, (_, i) => ({ namespace: `ns${i % 7}`, model: `model-${i}` }));
    const c = await collect(port, servers, { windowS: 60, staleAfterS: 30, perPod: false }, at);
    assert.equal(seen.length, QueryNames.length);
    assert.ok(seen.every((s) => s.time === at));
    assert.equal(c.observations.length, 200);
    assert.ok(c.observations.every((o) => JSON.stringify(o.arrivalRpm) === '{"unknown":"no-data"}'));
    assert.deepEqual(await collect(port, [], { windowS: 60, staleAfterS: 30, perPod: false }, at), { observations: [], warnings: [], errors: [], queries: 0 });
  });

  test('errors and warnings are reported by query; per pod, pods come from the freshness query', async () => {
    const port: QueryPort = {
      query: (expr) => Promise.resolve(expr.startsWith('max by')
        ? { ...vector([[{ ...a, pod: 'p1' }, at - 1], [{ ...a, pod: 'p0' }, at - 1], [{ namespace: 'other', model_name: 'x', pod: 'z' }, at]]), warnings: ['careful'] }
        : { ok: false, errorType: 'timeout', error: 'slow', warnings: [] }),
    };
    const c = await collect(port, [{ namespace: 'ns', model: 'm' }, { namespace: 'empty', model: 'm' }], { windowS: 60, staleAfterS: 30, perPod: true }, at);
    assert.deepEqual(c.observations.map((o) => `${o.namespace}/${o.pod ?? '-'}`), ['ns/p0', 'ns/p1', 'empty/']);
    assert.deepEqual(c.warnings, ['lastSample: careful']);
    assert.equal(c.errors.length, QueryNames.length - 1);
    assert.deepEqual(c.observations[0]?.waiting, { unknown: 'prometheus-error: timeout: slow' });
  });
});
