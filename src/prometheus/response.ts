// The Prometheus HTTP API's query envelope (https://prometheus.io/docs/prometheus/latest/querying/api/), parsed into
// a result or an error that says what went wrong. Sample values arrive as strings, "NaN", "+Inf" and "-Inf"
// included: they are parsed to numbers here and left for the interpretation to call unknown — never 0.
import { z } from 'zod';

import type { QueryData, QueryResult, Sample } from '../collector/query-result.js';

export type { QueryData, QueryResult, Sample };

export function parseSampleValue(s: string): number {
  switch (s) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    default:
      return s.trim() === '' ? Number.NaN : Number(s);
  }
}

const Pair = z.tuple([z.number(), z.string()]);
const Labels = z.record(z.string(), z.string());

const Envelope = z.looseObject({
  status: z.enum(['success', 'error']),
  data: z.unknown().optional(),
  errorType: z.string().optional(),
  error: z.string().optional(),
  warnings: z.array(z.string()).optional(),
  infos: z.array(z.string()).optional(),
});

const Data = z.discriminatedUnion('resultType', [
  z.looseObject({ resultType: z.literal('vector'), result: z.array(z.looseObject({ metric: Labels, value: Pair })) }),
  z.looseObject({ resultType: z.literal('matrix'), result: z.array(z.looseObject({ metric: Labels, values: z.array(Pair) })) }),
  z.looseObject({ resultType: z.literal('scalar'), result: Pair }),
  z.looseObject({ resultType: z.literal('string'), result: Pair }),
]);

const fail = (errorType: string, error: string, warnings: readonly string[] = []): QueryResult => ({ ok: false, errorType, error, warnings });

const zodWhere = (e: z.ZodError): string => e.issues.slice(0, 3).map((i) => `${i.path.length > 0 ? i.path.join('.') : '(top)'}: ${i.message}`).join('; ');

/** Parses one answer of /api/v1/query (or query_range) given its HTTP status and body text. */
export function parseQueryResponse(status: number, body: string): QueryResult {
  let json: unknown;
  try {
    json = JSON.parse(body) as unknown;
  } catch {
    const start = body.slice(0, 200).replace(/\s+/g, ' ').trim();
    return fail('http', `HTTP ${status} with a body that is not JSON${start === '' ? '' : `: ${start}`}`);
  }
  const env = Envelope.safeParse(json);
  if (!env.success) return fail('bad_response', `HTTP ${status}, not a Prometheus API envelope: ${zodWhere(env.error)}`);
  const warnings = [...(env.data.warnings ?? []), ...(env.data.infos ?? []).map((i) => `info: ${i}`)];
  if (env.data.status === 'error') {
    // 400 bad parameters, 422 the expression cannot be executed, 503 timed out or aborted: the body says which.
    return fail(env.data.errorType ?? 'unknown', `${env.data.error ?? 'no error message'} (HTTP ${status})`, warnings);
  }
  if (status < 200 || status > 299) return fail('http', `HTTP ${status} with status "success"`, warnings);
  const d = Data.safeParse(env.data.data);
  if (!d.success) return fail('bad_response', `HTTP ${status}, unexpected data: ${zodWhere(d.error)}`, warnings);
  const v = d.data;
  switch (v.resultType) {
    case 'vector':
      return { ok: true, warnings, data: { resultType: 'vector', samples: v.result.map((r) => ({ metric: r.metric, t: r.value[0], value: parseSampleValue(r.value[1]) })) } };
    case 'matrix':
      return { ok: true, warnings, data: { resultType: 'matrix', series: v.result.map((r) => ({ metric: r.metric, values: r.values.map(([t, x]) => [t, parseSampleValue(x)] as const) })) } };
    case 'scalar':
      return { ok: true, warnings, data: { resultType: 'scalar', t: v.result[0], value: parseSampleValue(v.result[1]) } };
    case 'string':
      return { ok: true, warnings, data: { resultType: 'string', t: v.result[0], value: v.result[1] } };
    default: {
      const never: never = v;
      return never;
    }
  }
}

/** A result for a request that got no answer at all. */
export const transportFailure = (errorType: 'transport' | 'timeout', error: string): QueryResult => fail(errorType, error);
