// The collector's PromQL: named templates, one query per quantity for ALL model servers at once (`sum by` the
// server's labels, then joined by label in interpret.ts), so a tick costs O(quantities) round trips, not
// O(servers × quantities) as WVA's per-server queries do. Label values are escaped; model names also go through
// regex escaping because the batch selects them with `=~`. Pure.
import { VllmMetric } from '../domain/keys.js';

const L = VllmMetric.label;

/** A PromQL string literal's content: backslash first (or the escapes added next would be doubled), then quote, newline. */
export function escapeLabelValue(v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** RE2 metacharacters, so that a name matches itself literally under `=~` (Prometheus anchors the regex). */
export function escapeRegex(v: string): string {
  return v.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** A matcher for exactly these values; undefined or empty: no constraint. */
export function oneOf(label: string, values: readonly string[] | undefined): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const unique = [...new Set(values)].sort();
  if (unique.length === 1) return `${label}="${escapeLabelValue(unique[0] ?? '')}"`;
  return `${label}=~"${escapeLabelValue(unique.map(escapeRegex).join('|'))}"`;
}

export interface QuerySelector {
  readonly namespaces?: readonly string[];
  readonly models?: readonly string[];
}

export interface QueryOptions {
  /** the rate window, s (production: 60; tests with 1 s scrapes: 10–20) */
  readonly windowS: number;
  /** one result per pod instead of per model server */
  readonly perPod: boolean;
  readonly selector: QuerySelector;
  /** how far back to look for the newest sample of a series that went away, s */
  readonly lookbackS: number;
  /** resolution of that look-back, s */
  readonly stepS: number;
}

export const QueryNames = ['inSystemAgo', 'completions', 'inputTokens', 'outputTokens', 'ttft', 'itl', 'waiting', 'running', 'kvCache', 'lastSample'] as const;
export type QueryName = (typeof QueryNames)[number];

/** Label a result carries to say which of two metric names answered (ITL: new or deprecated name). */
export const SourceLabel = 'inferno_source';

export const QueryLimits = { maxWindowS: 3600, maxLookbackS: 86_400 } as const;

export function checkQueryOptions(o: QueryOptions): string[] {
  const p: string[] = [];
  const whole = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) p.push(`${name} must be a whole number of seconds from ${min} to ${max}; got ${v}`);
  };
  whole('window', o.windowS, 2, QueryLimits.maxWindowS);
  whole('look-back', o.lookbackS, 1, QueryLimits.maxLookbackS);
  whole('look-back step', o.stepS, 1, o.lookbackS);
  return p;
}

/** The PromQL of every quantity for one tick. */
export function buildQueries(o: QueryOptions): Record<QueryName, string> {
  const problems = checkQueryOptions(o);
  if (problems.length > 0) throw new RangeError(problems.join('; '));
  const m = [oneOf(L.namespace, o.selector.namespaces), oneOf(L.model, o.selector.models)].filter((x) => x !== undefined);
  const sel = m.length === 0 ? '' : `{${m.join(',')}}`;
  const by = `by (${[L.namespace, L.model, ...(o.perPod ? [L.pod] : [])].join(', ')})`;
  const w = `${o.windowS}s`;
  const sum = (expr: string): string => `sum ${by} (${expr})`;
  const ratio = (hist: string): string => `${sum(`rate(${hist}_sum${sel}[${w}])`)} / ${sum(`rate(${hist}_count${sel}[${w}])`)}`;
  const tagged = (expr: string, source: string): string => `label_replace(${expr}, "${SourceLabel}", "${source}", "", "")`;
  return {
    // The arrival rate: vLLM counts completions, not arrivals, and under overload completions stay at capacity
    // while the queue grows, so a scaler reading them never catches up. Every arrival is either finished
    // (request_success_total counts every finish reason, aborts included) or still in the system, so over the
    // window W
    //   arrivals/s = completions/s + ((running + waiting now) − (running + waiting W ago)) / W.
    // interpret.ts combines `completions`, `running`, `waiting` and this query (the in-system count one window
    // ago), all evaluated at the same instant; a server younger than the window has no sample then: unknown.
    inSystemAgo: `${sum(`${VllmMetric.running}${sel} offset ${w}`)} + ${sum(`${VllmMetric.waiting}${sel} offset ${w}`)}`,
    completions: sum(`rate(${VllmMetric.requestSuccess}${sel}[${w}])`),
    inputTokens: ratio(VllmMetric.requestPromptTokens),
    outputTokens: ratio(VllmMetric.requestGenerationTokens),
    ttft: ratio(VllmMetric.timeToFirstToken),
    // The deprecated name (vLLM < 0.13) only where the new one is absent for that server.
    itl: `${tagged(`(${ratio(VllmMetric.interTokenLatency)})`, 'inter_token_latency')} or on (${[L.namespace, L.model, ...(o.perPod ? [L.pod] : [])].join(', ')}) ${tagged(`(${ratio(VllmMetric.timePerOutputToken)})`, 'time_per_output_token')}`,
    waiting: sum(`${VllmMetric.waiting}${sel}`),
    running: sum(`${VllmMetric.running}${sel}`),
    kvCache: `avg ${by} (${VllmMetric.kvCacheUsage}${sel})`,
    // The newest sample of each pod, also of pods that went away: an instant selector drops a series as soon as
    // Prometheus marks it stale (failed scrape), so look back with a subquery. Always per pod, so that a server
    // can say which of its pods went quiet.
    lastSample: `max by (${L.namespace}, ${L.model}, ${L.pod}) (max_over_time(timestamp(${VllmMetric.running}${sel})[${o.lookbackS}s:${o.stepS}s]))`,
  };
}
