// From the tick's query results to one Observation per model server (or pod): every quantity is either a finite
// number or `unknown` with the reason. NaN (e.g. 0/0: nothing finished in the window), ±Inf, a missing series, a
// failed query and data older than the staleness bound are unknown — never 0, because a scaler that reads 0
// scales down exactly when it cannot see (KEDA #3065). Pure.
import { VllmMetric } from '../domain/keys.js';
import type { QueryResult, Sample } from './query-result.js';
import type { QueryName } from './promql.js';
import { SourceLabel } from './promql.js';

const L = VllmMetric.label;

export type UnknownReason = 'no-data' | 'nan' | 'inf' | 'stale' | `prometheus-error: ${string}`;
export interface Unknown {
  readonly unknown: UnknownReason;
}
export type Reading = number | Unknown;

export const isKnown = (r: Reading): r is number => typeof r === 'number';
export const unknown = (reason: UnknownReason): Unknown => ({ unknown: reason });

export interface ServerKey {
  readonly namespace: string;
  readonly model: string;
  /** per-pod observations only */
  readonly pod?: string;
}

export interface Observation extends ServerKey {
  /** evaluation time, Unix s */
  readonly at: number;
  readonly windowS: number;
  /** arrivals, requests per minute (the unit of Optimizer status.load.arrivalRate) */
  readonly arrivalRpm: Reading;
  /** completions, requests per minute: what a collector reading request_success_total alone would report */
  readonly completionRpm: Reading;
  readonly avgInputTokens: Reading;
  readonly avgOutputTokens: Reading;
  /** mean time to first token (queue time included), ms */
  readonly ttftMs: Reading;
  /** mean inter-token latency, ms */
  readonly itlMs: Reading;
  /** which vLLM metric the ITL came from */
  readonly itlSource?: string;
  readonly waiting: Reading;
  readonly running: Reading;
  /** fraction 0–1 (vLLM's "perc" is a fraction) */
  readonly kvCacheUsage: Reading;
  /** age of the newest sample, s */
  readonly sampleAgeS: Reading;
  /** pods whose newest sample is older than the staleness bound (per-server observations) */
  readonly stalePods: readonly string[];
}

export interface InterpretOptions {
  /** Unix s: the `time` the queries were evaluated at */
  readonly at: number;
  readonly windowS: number;
  readonly staleAfterS: number;
}

export const keyOf = (namespace: string, model: string, pod?: string): string => `${namespace}\u0000${model}${pod === undefined ? '' : `\u0000${pod}`}`;

const readingOf = (v: number): Reading => (Number.isNaN(v) ? unknown('nan') : Number.isFinite(v) ? v : unknown('inf'));

type Indexed = { readonly error: UnknownReason } | { readonly byKey: ReadonlyMap<string, Sample> };

function index(r: QueryResult | undefined, perPod: boolean): Indexed {
  if (r === undefined) return { error: 'prometheus-error: not queried' };
  if (!r.ok) return { error: `prometheus-error: ${r.errorType}: ${r.error}` };
  if (r.data.resultType !== 'vector') return { error: `prometheus-error: expected a vector, got a ${r.data.resultType}` };
  const byKey = new Map<string, Sample>();
  for (const s of r.data.samples) {
    const ns = s.metric[L.namespace] ?? '';
    const model = s.metric[L.model] ?? '';
    const k = perPod ? keyOf(ns, model, s.metric[L.pod] ?? '') : keyOf(ns, model);
    if (!byKey.has(k)) byKey.set(k, s);
  }
  return { byKey };
}

function read(ix: Indexed, key: string, scale = 1): { reading: Reading; sample?: Sample } {
  if ('error' in ix) return { reading: unknown(ix.error) };
  const s = ix.byKey.get(key);
  if (s === undefined) return { reading: unknown('no-data') };
  const r = readingOf(s.value);
  return { reading: isKnown(r) ? r * scale : r, sample: s };
}

/** Newest sample per server (and its stale pods) from the per-pod `lastSample` result. */
function freshness(r: QueryResult | undefined, o: InterpretOptions, keys: readonly ServerKey[], perPod: boolean): Map<string, { age: Reading; stalePods: string[] }> {
  const out = new Map<string, { age: Reading; stalePods: string[] }>();
  const ix = index(r, true);
  if ('error' in ix) {
    for (const k of keys) out.set(keyOf(k.namespace, k.model, k.pod), { age: unknown(ix.error), stalePods: [] });
    return out;
  }
  const byServer = new Map<string, { newest: number; stalePods: string[] }>();
  for (const s of ix.byKey.values()) {
    if (!Number.isFinite(s.value)) continue;
    const ns = s.metric[L.namespace] ?? '';
    const model = s.metric[L.model] ?? '';
    const pod = s.metric[L.pod] ?? '';
    const k = perPod ? keyOf(ns, model, pod) : keyOf(ns, model);
    const e = byServer.get(k) ?? { newest: -Infinity, stalePods: [] };
    e.newest = Math.max(e.newest, s.value);
    if (o.at - s.value > o.staleAfterS) e.stalePods.push(pod);
    byServer.set(k, e);
  }
  for (const k of keys) {
    const key = keyOf(k.namespace, k.model, k.pod);
    const e = byServer.get(key);
    out.set(key, e === undefined ? { age: unknown('no-data'), stalePods: [] } : { age: Math.max(0, o.at - e.newest), stalePods: e.stalePods.sort() });
  }
  return out;
}

/**
 * Arrivals per second over the window (see promql.ts): requests finished in it plus the growth of running +
 * waiting. Unknown when any part is, with the first part's reason.
 */
function arrivalRate(finished: Reading, running: Reading, waiting: Reading, inSystemAgo: Reading, windowS: number): Reading {
  for (const r of [finished, running, waiting, inSystemAgo]) if (!isKnown(r)) return r;
  return ((finished as number) + (running as number) + (waiting as number) - (inSystemAgo as number)) / windowS;
}

/**
 * One observation per key. With `pod` set on the keys the results are read per pod (the queries must have been
 * built with perPod). Stale data (newest sample older than staleAfterS) makes every quantity unknown('stale');
 * an unknown age (no sample, or the freshness query failed) makes them unknown with that reason.
 */
export function interpret(results: Partial<Record<QueryName, QueryResult>>, keys: readonly ServerKey[], o: InterpretOptions): Observation[] {
  const perPod = keys.some((k) => k.pod !== undefined);
  const ix = Object.fromEntries(Object.entries(results).map(([name, r]) => [name, index(r, perPod)])) as Partial<Record<QueryName, Indexed>>;
  const get = (name: QueryName, key: string, scale = 1): { reading: Reading; sample?: Sample } => read(ix[name] ?? { error: 'prometheus-error: not queried' }, key, scale);
  const fresh = freshness(results.lastSample, o, keys, perPod);
  return keys.map((k) => {
    const key = keyOf(k.namespace, k.model, k.pod);
    const f = fresh.get(key) ?? { age: unknown('no-data'), stalePods: [] };
    const blocked: Unknown | undefined = !isKnown(f.age) ? (f.age.unknown === 'no-data' ? undefined : f.age) : f.age > o.staleAfterS ? unknown('stale') : undefined;
    const val = (name: QueryName, scale = 1): Reading => blocked ?? get(name, key, scale).reading;
    const itl = get('itl', key, 1000);
    const arrivals = blocked ?? arrivalRate(get('finishedInWindow', key).reading, get('running', key).reading, get('waiting', key).reading, get('inSystemAgo', key).reading, o.windowS);
    const itlSource = blocked === undefined ? itl.sample?.metric[SourceLabel] : undefined;
    return {
      namespace: k.namespace, model: k.model, ...(k.pod !== undefined ? { pod: k.pod } : {}),
      at: o.at, windowS: o.windowS,
      // Extrapolation at the window's edges can leave a hair below zero at no load; there were no arrivals.
      arrivalRpm: isKnown(arrivals) ? Math.max(0, arrivals * 60) : arrivals,
      completionRpm: val('completions', 60),
      avgInputTokens: val('inputTokens'),
      avgOutputTokens: val('outputTokens'),
      ttftMs: val('ttft', 1000),
      itlMs: blocked ?? itl.reading,
      ...(itlSource !== undefined ? { itlSource } : {}),
      waiting: val('waiting'),
      running: val('running'),
      kvCacheUsage: val('kvCache'),
      sampleAgeS: f.age,
      stalePods: f.stalePods,
    };
  });
}
