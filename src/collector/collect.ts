// One collection tick: the batched queries for all servers, concurrently, evaluated at one instant, then the
// interpretation. The Prometheus side is a port (anything with `query`), so the tick is the same over the real
// client and in tests.
import { VllmMetric } from '../domain/keys.js';
import type { QueryResult } from './query-result.js';
import type { InterpretOptions, Observation, ServerKey } from './interpret.js';
import { interpret, keyOf } from './interpret.js';
import type { QueryName } from './promql.js';
import { QueryNames, buildQueries } from './promql.js';

export interface QueryPort {
  query(expr: string, opts: { readonly time: number }): Promise<QueryResult>;
}

export interface CollectOptions {
  readonly windowS: number;
  readonly staleAfterS: number;
  readonly perPod: boolean;
  /** how far back to look for series that went away, s (default: max(300, 2 × staleAfterS)) */
  readonly lookbackS?: number;
}

export interface Collection {
  readonly observations: Observation[];
  /** Prometheus warnings, by query */
  readonly warnings: readonly string[];
  /** queries that failed, with the reason */
  readonly errors: readonly string[];
  readonly queries: number;
}

/** The look-back step: fine enough to tell stale from fresh (a quarter of the bound), at least 1 s. */
export const lookbackStep = (staleAfterS: number): number => Math.max(1, Math.floor(staleAfterS / 4));

/**
 * Collects for these servers at `at` (Unix s). With perPod the servers' pods are discovered from the results (keys
 * come back with `pod` set); otherwise one observation per server key.
 */
export async function collect(port: QueryPort, servers: readonly ServerKey[], o: CollectOptions, at: number): Promise<Collection> {
  if (servers.length === 0) return { observations: [], warnings: [], errors: [], queries: 0 };
  const lookbackS = o.lookbackS ?? Math.max(300, 2 * Math.ceil(o.staleAfterS));
  const queries = buildQueries({
    windowS: o.windowS, perPod: o.perPod, lookbackS, stepS: Math.min(lookbackS, lookbackStep(o.staleAfterS)),
    selector: { namespaces: servers.map((s) => s.namespace), models: servers.map((s) => s.model) },
  });
  const entries = await Promise.all(QueryNames.map(async (name) => [name, await port.query(queries[name], { time: at })] as const));
  const results: Partial<Record<QueryName, QueryResult>> = Object.fromEntries(entries);
  const warnings = entries.flatMap(([name, r]) => r.warnings.map((w) => `${name}: ${w}`));
  const errors = entries.flatMap(([name, r]) => (r.ok ? [] : [`${name}: ${r.errorType}: ${r.error}`]));
  const opts: InterpretOptions = { at, windowS: o.windowS, staleAfterS: o.staleAfterS };
  const unique = [...new Map(servers.map((s) => [keyOf(s.namespace, s.model), { namespace: s.namespace, model: s.model }])).values()];
  const keys = o.perPod ? podKeys(unique, results) : unique;
  return { observations: interpret(results, keys, opts), warnings, errors, queries: entries.length };
}

const L = VllmMetric.label;

/** The pods of the servers seen by the freshness query (which looks back furthest); a server with none keeps one key, pod "". */
function podKeys(servers: readonly ServerKey[], results: Partial<Record<QueryName, QueryResult>>): ServerKey[] {
  const wanted = new Set(servers.map((s) => keyOf(s.namespace, s.model)));
  const pods = new Map<string, Set<string>>();
  const r = results.lastSample;
  if (r?.ok === true && r.data.resultType === 'vector') {
    for (const s of r.data.samples) {
      const k = keyOf(s.metric[L.namespace] ?? '', s.metric[L.model] ?? '');
      if (!wanted.has(k)) continue;
      const set = pods.get(k) ?? new Set<string>();
      set.add(s.metric[L.pod] ?? '');
      pods.set(k, set);
    }
  }
  return servers.flatMap((s) => {
    const ps = pods.get(keyOf(s.namespace, s.model));
    return ps === undefined ? [{ namespace: s.namespace, model: s.model, pod: '' }] : [...ps].sort().map((pod) => ({ namespace: s.namespace, model: s.model, pod }));
  });
}
