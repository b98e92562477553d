// Token-length distributions of the load generator and the simulator, and the CSV trace format. Pure.
import type { Random } from './random.js';
import { exponential } from './random.js';
import { LoadLimits } from './arrivals.js';

export type TokenDist =
  | { readonly kind: 'fixed'; readonly value: number }
  /** mean; samples are rounded, at least `min`, at most LoadLimits.maxTokens */
  | { readonly kind: 'exp'; readonly mean: number }
  | { readonly kind: 'hist'; readonly values: readonly number[]; readonly cumulative: readonly number[] };

/**
 * "256" or "fixed:256"; "exp:256" (exponential, mean 256); "hist:128=0.5,512=0.3,2048=0.2" (value=weight; the
 * weights need not sum to 1). `min` is 1 for output tokens and 0 for input tokens.
 */
export function parseTokens(spec: string, min: number): TokenDist | string {
  const whole = (s: string): number | undefined => (/^\d+$/.test(s.trim()) && Number(s) >= min && Number(s) <= LoadLimits.maxTokens ? Number(s) : undefined);
  const range = `a whole number from ${min} to ${LoadLimits.maxTokens}`;
  if (spec.startsWith('exp:')) {
    const m = Number(spec.slice(4));
    return Number.isFinite(m) && m >= Math.max(min, 1) && m <= LoadLimits.maxTokens / 10 ? { kind: 'exp', mean: m } : `an exponential mean must be from ${Math.max(min, 1)} to ${LoadLimits.maxTokens / 10}; got "${spec.slice(4)}"`;
  }
  if (spec.startsWith('hist:')) {
    const values: number[] = [];
    const cumulative: number[] = [];
    let sum = 0;
    const parts = spec.slice(5).split(',');
    if (parts.length > 1000) return 'a histogram has at most 1000 bins';
    for (const part of parts) {
      const [v, w] = part.split('=');
      const value = whole(v ?? '');
      const weight = Number(w);
      if (value === undefined) return `histogram value "${v ?? ''}" must be ${range}`;
      if (w === undefined || !Number.isFinite(weight) || weight < 0) return `histogram bin "${part}" needs a weight ≥ 0 ("VALUE=WEIGHT")`;
      sum += weight;
      values.push(value);
      cumulative.push(sum);
    }
    if (sum <= 0) return 'histogram weights must not all be zero';
    return { kind: 'hist', values, cumulative: cumulative.map((c) => c / sum) };
  }
  const v = whole(spec.startsWith('fixed:') ? spec.slice(6) : spec);
  return v === undefined ? `token lengths are N, "exp:MEAN" or "hist:VALUE=WEIGHT,…" with values ${range}; got "${spec}"` : { kind: 'fixed', value: v };
}

export function sampleTokens(d: TokenDist, random: Random, min: number): number {
  switch (d.kind) {
    case 'fixed':
      return d.value;
    case 'exp':
      return Math.min(LoadLimits.maxTokens, Math.max(min, Math.round(exponential(random, d.mean))));
    case 'hist': {
      const u = random();
      const i = d.cumulative.findIndex((c) => u < c);
      return d.values[i === -1 ? d.values.length - 1 : i] ?? min;
    }
    default: {
      const never: never = d;
      return never;
    }
  }
}

export interface TraceRow {
  /** s from the first row */
  readonly t: number;
  /** empty: the default model */
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/**
 * A CSV trace: `timestamp,model,input_tokens,output_tokens` per line, timestamps in seconds (relative, or absolute
 * Unix times: the first row is time 0), non-decreasing; an optional header line; '#' comments. Returns rows or the
 * problems with their line numbers (at most 20).
 */
export function parseTrace(text: string): TraceRow[] | string[] {
  const rows: TraceRow[] = [];
  const problems: string[] = [];
  const clock = { first: undefined as number | undefined, last: -Infinity };
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(',').map((c) => c.trim());
    // A header: the first non-comment line, when it does not start with a number.
    if (rows.length === 0 && problems.length === 0 && clock.first === undefined && !/^[\d.]/.test(cells[0] ?? '')) continue;
    const row = traceRow(cells, `line ${i + 1}`, clock, problems);
    if (row !== undefined && problems.length === 0) rows.push(row);
    if (problems.length >= 20) break;
    if (rows.length > LoadLimits.maxRequests) {
      problems.push(`the trace has more than ${LoadLimits.maxRequests} requests`);
      break;
    }
  }
  if (problems.length > 0) return problems;
  if (rows.length === 0) return ['the trace has no requests'];
  return rows;
}

/** One data line; problems are appended, the time base advanced. */
function traceRow(cells: readonly string[], at: string, clock: { first: number | undefined; last: number }, problems: string[]): TraceRow | undefined {
  if (cells.length !== 4) {
    problems.push(`${at}: expected 4 fields (timestamp,model,input_tokens,output_tokens); got ${cells.length}`);
    return undefined;
  }
  const [ts, model, inp, outp] = cells as [string, string, string, string];
  const t = /^\d+(\.\d*)?$/.test(ts) ? Number(ts) : Number.NaN;
  const input = /^\d+$/.test(inp) ? Number(inp) : Number.NaN;
  const output = /^\d+$/.test(outp) ? Number(outp) : Number.NaN;
  const before = problems.length;
  if (!Number.isFinite(t)) problems.push(`${at}: timestamp "${ts}" is not a number of seconds`);
  else if (t < clock.last) problems.push(`${at}: timestamp ${ts} is earlier than the line before`);
  if (!(input >= 0 && input <= LoadLimits.maxTokens)) problems.push(`${at}: input_tokens "${inp}" must be a whole number from 0 to ${LoadLimits.maxTokens}`);
  if (!(output >= 1 && output <= LoadLimits.maxTokens)) problems.push(`${at}: output_tokens "${outp}" must be a whole number from 1 to ${LoadLimits.maxTokens}`);
  if (!Number.isFinite(t)) return undefined;
  clock.first ??= t;
  clock.last = Math.max(clock.last, t);
  if (t - clock.first > LoadLimits.maxDurationS) problems.push(`${at}: the trace is longer than ${LoadLimits.maxDurationS} s`);
  return problems.length > before ? undefined : { t: t - clock.first, model, inputTokens: input, outputTokens: output };
}
