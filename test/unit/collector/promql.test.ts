// The collector's PromQL builder: escaping of label values (backslash first, then quote, newline) and of regex
// metacharacters, the batched selectors, and the templates of each quantity.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildQueries, checkQueryOptions, escapeLabelValue, escapeRegex, oneOf } from '../../../src/collector/promql.js';
import { rng } from '../../support/assert.js';

/** How PromQL reads a double-quoted string literal (Go's strconv.Unquote for the escapes that matter here). */
function unquote(literal: string): string {
  assert.ok(literal.startsWith('"') && literal.endsWith('"'));
  let out = '';
  for (let i = 1; i < literal.length - 1; i += 1) {
    const c = literal[i]!;
    if (c === '"') assert.fail(`unescaped quote at ${i} in ${literal}`);
    if (c === '\n') assert.fail(`raw newline at ${i}`);
    if (c !== '\\') {
      out += c;
      continue;
    }
    i += 1;
    const e = literal[i];
    out += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : e === '.' || e === '|' || e === '(' ? assert.fail(`\\${e} is not a valid string escape`) : assert.fail(`unexpected escape \\${e ?? ''}`);
  }
  return out;
}

const base = { windowS: 60, perPod: false, lookbackS: 300, stepS: 15, selector: {} };

describe('escaping', () => {
  test('label values: backslash first, then quote, then newline', () => {
    assert.equal(escapeLabelValue('plain/model-1.5b'), 'plain/model-1.5b');
    assert.equal(escapeLabelValue('a"b'), 'a\\"b');
    assert.equal(escapeLabelValue('a\\b'), 'a\\\\b');
    // Quote-then-backslash would turn \" into \\\" and break out of the literal: the order matters.
    assert.equal(escapeLabelValue('\\"'), '\\\\\\"');
    assert.equal(escapeLabelValue('line\nbreak'), 'line\\nbreak');
    assert.equal(escapeLabelValue('"} or vector(1) #'), '\\"} or vector(1) #');
  });

  test('any string survives the round trip through a PromQL literal (random strings over the dangerous alphabet)', () => {
    const r = rng(8);
    const alphabet = ['a', '"', '\\', '\n', '}', '{', '.', '|', ' ', 'é', '/'];
    for (let n = 0; n < 500; n += 1) {
      const s = Array.from({ length: Math.floor(r() * 12) }, () => alphabet[Math.floor(r() * alphabet.length)]!).join('');
      assert.equal(unquote(`"${escapeLabelValue(s)}"`), s, JSON.stringify(s));
    }
  });

  test('regex metacharacters match literally (anchored, as Prometheus anchors =~)', () => {
    for (const name of ['meta-llama/Llama-3.1-8B', 'a+b*c?', '(x)|[y]{2}^$', 'back\\slash', 'plain']) {
      const re = new RegExp(`^(?:${escapeRegex(name)})$`);
      assert.ok(re.test(name), name);
      assert.ok(!re.test(`${name}x`), name);
    }
    assert.ok(!new RegExp(`^(?:${escapeRegex('Llama-3.1-8B')})$`).test('Llama-3x1-8B'), 'the dot is literal');
  });

  test('a set of values: = for one, an escaped alternation for several, nothing for none', () => {
    assert.equal(oneOf('model_name', ['m']), 'model_name="m"');
    assert.equal(oneOf('model_name', ['b.1', 'a"x', 'b.1']), 'model_name=~"a\\"x|b\\\\.1"');
    assert.equal(unquote('"a\\"x|b\\\\.1"'), 'a"x|b\\.1');
    assert.equal(oneOf('model_name', []), undefined);
    assert.equal(oneOf('model_name', undefined), undefined);
  });
});

describe('templates', () => {
  test('one query per quantity, all servers at once, grouped by namespace and model', () => {
    const q = buildQueries({ ...base, selector: { namespaces: ['ns'], models: ['m'] } });
    const sel = '{namespace="ns",model_name="m"}';
    const by = 'by (namespace, model_name)';
    assert.equal(q.completions, `sum ${by} (rate(vllm:request_success_total${sel}[60s]))`);
    assert.equal(q.inSystemAgo, `sum ${by} (vllm:num_requests_running${sel} offset 60s) + sum ${by} (vllm:num_requests_waiting${sel} offset 60s)`);
    assert.equal(q.inputTokens, `sum ${by} (rate(vllm:request_prompt_tokens_sum${sel}[60s])) / sum ${by} (rate(vllm:request_prompt_tokens_count${sel}[60s]))`);
    assert.equal(q.outputTokens, `sum ${by} (rate(vllm:request_generation_tokens_sum${sel}[60s])) / sum ${by} (rate(vllm:request_generation_tokens_count${sel}[60s]))`);
    assert.equal(q.ttft, `sum ${by} (rate(vllm:time_to_first_token_seconds_sum${sel}[60s])) / sum ${by} (rate(vllm:time_to_first_token_seconds_count${sel}[60s]))`);
    assert.match(q.itl, /^label_replace\(\(sum by \(namespace, model_name\) \(rate\(vllm:inter_token_latency_seconds_sum/);
    assert.match(q.itl, /"inferno_source", "inter_token_latency", "", ""\) or on \(namespace, model_name\) label_replace\(\(sum by \(namespace, model_name\) \(rate\(vllm:time_per_output_token_seconds_sum/);
    assert.equal(q.waiting, `sum ${by} (vllm:num_requests_waiting${sel})`);
    assert.equal(q.running, `sum ${by} (vllm:num_requests_running${sel})`);
    assert.equal(q.kvCache, `avg ${by} (vllm:kv_cache_usage_perc${sel})`);
    assert.equal(q.lastSample, `max by (namespace, model_name, pod) (max_over_time(timestamp(vllm:num_requests_running${sel})[300s:15s]))`);
  });

  test('per pod: grouped by pod too; no selector: no braces', () => {
    const q = buildQueries({ ...base, perPod: true });
    assert.equal(q.waiting, 'sum by (namespace, model_name, pod) (vllm:num_requests_waiting)');
    assert.match(q.itl, / or on \(namespace, model_name, pod\) /);
  });

  test('hostile model names stay inside their literal in every query', () => {
    const evil = 'x"}) or vector(1) or up{a="';
    const q = buildQueries({ ...base, selector: { namespaces: ['ns'], models: [evil, 'other.model'] } });
    for (const text of Object.values(q)) {
      const literals = [...text.matchAll(/model_name=~("(?:[^"\\]|\\.)*")/g)].map((m) => m[1]!);
      assert.ok(literals.length > 0);
      for (const lit of literals) assert.equal(unquote(lit), `${escapeRegex('other.model')}|${escapeRegex(evil)}`);
    }
  });

  test('window and look-back are bounded whole seconds', () => {
    assert.deepEqual(checkQueryOptions(base), []);
    assert.equal(checkQueryOptions({ ...base, windowS: 1 }).length, 1);
    assert.equal(checkQueryOptions({ ...base, windowS: 1.5, lookbackS: 0, stepS: 0 }).length, 3);
    assert.throws(() => buildQueries({ ...base, windowS: 99_999 }), /window must be a whole number of seconds from 2 to 3600/);
  });
});
