// Every shape of a Prometheus /api/v1/query answer: the four result types, sample values as strings (NaN, ±Inf),
// error envelopes with their HTTP status, warnings and infos, and answers that are not the API at all.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseQueryResponse, parseSampleValue } from '../../../src/prometheus/response.js';

const ok = (data: unknown, extra: Record<string, unknown> = {}): string => JSON.stringify({ status: 'success', data, ...extra });

describe('Prometheus answers', () => {
  test('vector: labels, timestamps and values; NaN and infinities are kept as such (the interpretation decides)', () => {
    const body = ok({
      resultType: 'vector',
      result: [
        { metric: { namespace: 'a', model_name: 'm' }, value: [1700000000.5, '12.25'] },
        { metric: {}, value: [1700000000.5, 'NaN'] },
        { metric: { x: '1' }, value: [1700000000.5, '+Inf'] },
        { metric: { x: '2' }, value: [1700000000.5, '-Inf'] },
        { metric: { x: '3' }, value: [1700000000.5, '1e-3'] },
      ],
    });
    const r = parseQueryResponse(200, body);
    assert.ok(r.ok && r.data.resultType === 'vector');
    assert.deepEqual(r.data.samples[0], { metric: { namespace: 'a', model_name: 'm' }, t: 1700000000.5, value: 12.25 });
    assert.ok(Number.isNaN(r.data.samples[1]?.value));
    assert.equal(r.data.samples[2]?.value, Infinity);
    assert.equal(r.data.samples[3]?.value, -Infinity);
    assert.equal(r.data.samples[4]?.value, 0.001);
    assert.deepEqual(r.warnings, []);
  });

  test('an empty vector is a success with no samples (not a zero)', () => {
    const r = parseQueryResponse(200, ok({ resultType: 'vector', result: [] }));
    assert.ok(r.ok && r.data.resultType === 'vector');
    assert.equal(r.data.samples.length, 0);
  });

  test('matrix, scalar and string results', () => {
    const m = parseQueryResponse(200, ok({ resultType: 'matrix', result: [{ metric: { pod: 'p' }, values: [[1, '1'], [2, 'NaN']] }] }));
    assert.ok(m.ok && m.data.resultType === 'matrix');
    assert.deepEqual(m.data.series[0]?.values[0], [1, 1]);
    assert.ok(Number.isNaN(m.data.series[0]?.values[1]?.[1]));
    const s = parseQueryResponse(200, ok({ resultType: 'scalar', result: [5, '42'] }));
    assert.deepEqual(s, { ok: true, warnings: [], data: { resultType: 'scalar', t: 5, value: 42 } });
    const str = parseQueryResponse(200, ok({ resultType: 'string', result: [5, 'hello'] }));
    assert.deepEqual(str, { ok: true, warnings: [], data: { resultType: 'string', t: 5, value: 'hello' } });
  });

  test('warnings and infos travel with a success and with an error', () => {
    const r = parseQueryResponse(200, ok({ resultType: 'vector', result: [] }, { warnings: ['PromQL info: metric might not be a counter'], infos: ['something'] }));
    assert.deepEqual(r.warnings, ['PromQL info: metric might not be a counter', 'info: something']);
    const e = parseQueryResponse(422, JSON.stringify({ status: 'error', errorType: 'execution', error: 'many-to-many matching not allowed', warnings: ['w'] }));
    assert.deepEqual(e, { ok: false, errorType: 'execution', error: 'many-to-many matching not allowed (HTTP 422)', warnings: ['w'] });
  });

  test('error envelopes keep Prometheus\'s errorType and the HTTP status', () => {
    const cases: [number, string, string][] = [
      [400, 'bad_data', 'invalid parameter "query": 1:5: parse error: unexpected "}"'],
      [422, 'execution', 'expanding series: context deadline exceeded'],
      [503, 'timeout', 'query timed out in expression evaluation'],
      [503, 'canceled', 'query was canceled in expression evaluation'],
      [500, 'internal', 'boom'],
    ];
    for (const [status, errorType, error] of cases) {
      const r = parseQueryResponse(status, JSON.stringify({ status: 'error', errorType, error }));
      assert.deepEqual(r, { ok: false, errorType, error: `${error} (HTTP ${status})`, warnings: [] });
    }
    assert.deepEqual(parseQueryResponse(400, JSON.stringify({ status: 'error' })), { ok: false, errorType: 'unknown', error: 'no error message (HTTP 400)', warnings: [] });
  });

  test('answers that are not the API: HTML from a proxy, a wrong envelope, wrong data, success with an error status', () => {
    const html = parseQueryResponse(502, '<html><body>Bad Gateway</body></html>');
    assert.deepEqual(html, { ok: false, errorType: 'http', error: 'HTTP 502 with a body that is not JSON: <html><body>Bad Gateway</body></html>', warnings: [] });
    assert.equal(parseQueryResponse(200, '').ok, false);
    const env = parseQueryResponse(200, JSON.stringify({ status: 'maybe' }));
    assert.ok(!env.ok && env.errorType === 'bad_response' && /status/.test(env.error), JSON.stringify(env));
    const data = parseQueryResponse(200, ok({ resultType: 'vector', result: [{ metric: {}, value: [1, 2] }] }));
    assert.ok(!data.ok && data.errorType === 'bad_response' && /result\.0\.value\.1/.test(data.error), JSON.stringify(data));
    const type = parseQueryResponse(200, ok({ resultType: 'histogram', result: [] }));
    assert.ok(!type.ok && type.errorType === 'bad_response');
    const odd = parseQueryResponse(500, ok({ resultType: 'vector', result: [] }));
    assert.deepEqual(odd, { ok: false, errorType: 'http', error: 'HTTP 500 with status "success"', warnings: [] });
  });

  test('sample value strings', () => {
    assert.ok(Number.isNaN(parseSampleValue('NaN')));
    assert.equal(parseSampleValue('+Inf'), Infinity);
    assert.equal(parseSampleValue('Inf'), Infinity);
    assert.equal(parseSampleValue('-Inf'), -Infinity);
    assert.equal(parseSampleValue('-0.5'), -0.5);
    assert.ok(Number.isNaN(parseSampleValue('')));
    assert.ok(Number.isNaN(parseSampleValue('abc')));
  });
});
