// `inferno load`: open-loop load against one or more vLLM (or emulator) URLs; prints what it sent and what it
// measured.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ArrivalProcess, RateSegment } from '../engine/arrivals.js';
import { LoadLimits, arrivalTimes, expectedArrivals, parseRate, profileSeconds } from '../engine/arrivals.js';
import { seededRandom } from '../engine/random.js';
import type { PlannedRequest, Progress, RunResult } from '../loadgen/runner.js';
import { LoadError, runLoad } from '../loadgen/runner.js';
import type { LoadStats } from '../loadgen/samples.js';
import { loadStats } from '../loadgen/samples.js';
import type { TokenDist, TraceRow } from '../engine/tokens.js';
import { parseTokens, parseTrace, sampleTokens } from '../engine/tokens.js';
import { secondsFlag, wholeFlag } from './flags.js';
import { renderTable } from './table.js';
import type { Io } from './usage.js';
import { UsageError, oneOf, parseCommandArgs } from './usage.js';

const C = 'load';

export const loadHelp = `Usage: inferno load --url URL [--url URL ...] (--rate RATE --duration D | --trace FILE) [options]

Sends requests at planned times whatever the servers' answers (open loop), streams every answer and times its
tokens, then prints what it sent (rate, tokens) and what it measured (TTFT and ITL percentiles, errors).
Requests go round-robin to the URLs that serve their model (each URL's GET /v1/models).

Options:
      --url URL            base URL of a vLLM server, e.g. http://127.0.0.1:8000 (repeat or comma-separate)
      --rate RATE          requests/s: N (constant), ramp:FROM:TO (linear over the duration), or
                           step:R1@10s,R2@20s,R3 (each rate for its time; a last one without @ fills the rest)
      --process P          poisson (default: exponential gaps) or constant (evenly spaced)
      --duration D         how long to send, e.g. 30s, 2m (with --rate; a step profile's sum by default)
      --input-tokens T     prompt length: N, exp:MEAN or hist:128=0.5,512=0.3,2048=0.2 (default 256)
      --output-tokens T    completion length, same forms (default 64); requests ask for exactly this many
      --trace FILE         send a CSV trace instead: timestamp,model,input_tokens,output_tokens per line (seconds;
                           an empty model means --model); replaces --rate, --duration and the token options
      --model NAME         model to request (default: the one model the URLs serve)
      --endpoint E         completions (default) or chat
      --seed N             seeds arrivals and token lengths (default 1)
      --max-in-flight N    requests open at once, at most; more are dropped and counted (default 10000)
      --timeout D          per request (default 300s)
      --drain D            after the last send, wait this long for answers (default 60s)
  -o, --output FMT         table (default) or json
  -h, --help               this help

A progress line goes to stderr every 2 s for runs longer than 3 s. Exit codes: 0 the run completed (failed
requests are reported, not fatal), 1 no usable target, 2 usage or input error.
`;

const options = {
  url: { type: 'string', multiple: true },
  rate: { type: 'string' },
  process: { type: 'string' },
  duration: { type: 'string' },
  'input-tokens': { type: 'string' },
  'output-tokens': { type: 'string' },
  trace: { type: 'string' },
  model: { type: 'string' },
  endpoint: { type: 'string' },
  seed: { type: 'string' },
  'max-in-flight': { type: 'string' },
  timeout: { type: 'string' },
  drain: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface LoadConfig {
  readonly targets: string[];
  readonly endpoint: 'completions' | 'chat';
  readonly model: string | undefined;
  readonly durationS: number;
  readonly plan: () => Iterable<PlannedRequest>;
  readonly planModels: string[];
  readonly describe: Record<string, unknown>;
  readonly maxInFlight: number;
  readonly timeoutMs: number;
  readonly drainMs: number;
  readonly output: 'table' | 'json';
  readonly seed: number;
}

function* synthetic(segments: readonly RateSegment[], process: ArrivalProcess, input: TokenDist, output: TokenDist, seed: number): Generator<PlannedRequest> {
  // Separate streams: changing the token mix does not move the arrival times.
  const times = seededRandom(seed);
  const tokens = seededRandom(seed ^ 0x9e3779b9);
  for (const t of arrivalTimes(segments, process, times)) {
    yield { t, model: undefined, inputTokens: sampleTokens(input, tokens, 0), outputTokens: sampleTokens(output, tokens, 1) };
  }
}

type Values = ReturnType<typeof parseCommandArgs<typeof options>>['values'];
type Plan = Pick<LoadConfig, 'durationS' | 'plan' | 'planModels' | 'describe'>;

export async function parseLoadArgs(args: readonly string[], cwd: string): Promise<LoadConfig | 'help'> {
  const { values: v } = parseCommandArgs(C, args, options);
  if (v.help === true) return 'help';
  const targets = (v.url ?? []).flatMap((u) => u.split(',')).map((u) => u.trim()).filter((u) => u !== '');
  if (targets.length === 0) throw new UsageError('--url is required (a vLLM server, e.g. http://127.0.0.1:8000)', C);
  if (targets.length > 1000) throw new UsageError('at most 1000 URLs', C);
  for (const t of targets) if (!/^https?:\/\/[^/]/.test(t)) throw new UsageError(`--url must be an http:// or https:// URL; got "${t}"`, C);
  const seed = wholeFlag(C, 'seed', v.seed, 1, 0, 2 ** 32 - 1);
  const plan = v.trace !== undefined ? await tracePlan(v, resolve(cwd, v.trace)) : ratePlan(v, seed);
  return {
    targets, seed, ...plan,
    endpoint: oneOf(C, 'endpoint', v.endpoint, ['completions', 'chat'] as const) ?? 'completions',
    model: v.model,
    maxInFlight: wholeFlag(C, 'max-in-flight', v['max-in-flight'], 10_000, 1, 100_000),
    timeoutMs: secondsFlag(C, 'timeout', v.timeout, 300, 0.1, 86_400) * 1000,
    drainMs: secondsFlag(C, 'drain', v.drain, 60, 0, 86_400) * 1000,
    output: oneOf(C, 'output', v.output, ['table', 'json'] as const) ?? 'table',
  };
}

async function tracePlan(v: Values, file: string): Promise<Plan> {
  for (const f of ['rate', 'duration', 'process', 'input-tokens', 'output-tokens'] as const) {
    if (v[f] !== undefined) throw new UsageError(`--trace replaces --${f}`, C);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the trace ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, C);
  }
  const rows = parseTrace(text);
  if (typeof rows[0] === 'string') throw new UsageError(`the trace ${file} has problems:\n  - ${(rows as string[]).join('\n  - ')}`, C);
  const trace = rows as TraceRow[];
  const models = [...new Set(trace.map((r) => r.model).filter((m) => m !== ''))];
  return {
    durationS: trace.at(-1)?.t ?? 0, planModels: models,
    plan: () => trace.map((r) => ({ t: r.t, model: r.model === '' ? undefined : r.model, inputTokens: r.inputTokens, outputTokens: r.outputTokens })),
    describe: { trace: file, requests: trace.length, models },
  };
}

function ratePlan(v: Values, seed: number): Plan {
  if (v.rate === undefined) throw new UsageError('give --rate (with --duration) or --trace', C);
  const durationFlag = v.duration === undefined ? undefined : secondsFlag(C, 'duration', v.duration, 0, 0.001, LoadLimits.maxDurationS);
  const segments = parseRate(v.rate, durationFlag);
  if (typeof segments === 'string') throw new UsageError(`--rate: ${segments}`, C);
  const durationS = profileSeconds(segments);
  if (durationS > LoadLimits.maxDurationS) throw new UsageError(`the run is longer than ${LoadLimits.maxDurationS} s`, C);
  const expected = expectedArrivals(segments);
  if (expected > LoadLimits.maxRequests) throw new UsageError(`the run would send about ${Math.round(expected)} requests; at most ${LoadLimits.maxRequests}`, C);
  const process = oneOf(C, 'process', v.process, ['poisson', 'constant'] as const) ?? 'poisson';
  const inputSpec = v['input-tokens'] ?? '256';
  const outputSpec = v['output-tokens'] ?? '64';
  const input = parseTokens(inputSpec, 0);
  if (typeof input === 'string') throw new UsageError(`--input-tokens: ${input}`, C);
  const output = parseTokens(outputSpec, 1);
  if (typeof output === 'string') throw new UsageError(`--output-tokens: ${output}`, C);
  return {
    durationS, planModels: [],
    plan: () => synthetic(segments, process, input, output, seed),
    describe: { rate: v.rate, process, durationS, inputTokens: inputSpec, outputTokens: outputSpec, expectedRequests: Math.round(expected) },
  };
}

const ms = (s: number): number | null => (Number.isFinite(s) ? Math.round(s * 10_000) / 10 : null);
const round = (x: number, digits = 2): number | null => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

export function loadReport(config: LoadConfig, r: RunResult, s: LoadStats): Record<string, unknown> {
  const pct = (p: LoadStats['ttft']) => ({ mean: ms(p.mean), p50: ms(p.p50), p90: ms(p.p90), p99: ms(p.p99) });
  return {
    plan: config.describe,
    targets: config.targets,
    models: Object.fromEntries([...r.models].map(([m, idx]) => [m, idx.map((i) => config.targets[i])])),
    sent: s.sent,
    // Over the planned duration: the rate the plan offered, as far as it was sent.
    sentRate: round(config.durationS > 0 ? s.sent / config.durationS : Number.NaN, 3),
    avgInputTokens: round(s.avgInputTokens),
    avgOutputTokens: round(s.avgOutputTokens),
    completed: s.completed,
    outcomes: s.outcomes,
    ttftMs: pct(s.ttft),
    itlMs: pct(s.itl),
    elapsedS: round(r.elapsedS, 3),
    sendLagP99Ms: ms(r.sendLagP99S),
  };
}

function table(doc: ReturnType<typeof loadReport>, s: LoadStats): string {
  const n = (x: unknown): string => (typeof x === 'number' ? String(x) : 'no data');
  const t = doc['ttftMs'] as Record<string, unknown>;
  const i = doc['itlMs'] as Record<string, unknown>;
  const outcomes = Object.entries(s.outcomes).map(([k, c]) => `${k} ${c}`).join(', ');
  return [
    `Sent ${s.sent} requests in ${n(doc['elapsedS'])} s (${n(doc['sentRate'])} req/s), avg ${n(doc['avgInputTokens'])} input / ${n(doc['avgOutputTokens'])} output tokens; send lag p99 ${n(doc['sendLagP99Ms'])} ms`,
    `Outcomes: ${outcomes === '' ? 'none' : outcomes}`,
    '',
    renderTable(['LATENCY ms', 'MEAN', 'P50', 'P90', 'P99'], [
      ['TTFT', n(t['mean']), n(t['p50']), n(t['p90']), n(t['p99'])],
      ['ITL', n(i['mean']), n(i['p50']), n(i['p90']), n(i['p99'])],
    ]),
    '',
  ].join('\n');
}

export async function loadCommand(args: readonly string[], io: Io): Promise<number> {
  const config = await parseLoadArgs(args, io.cwd);
  if (config === 'help') {
    io.stdout.write(loadHelp);
    return 0;
  }
  const showProgress = config.durationS > 3;
  const onProgress = (p: Progress): void => {
    io.stderr.write(`inferno load: ${p.elapsedS.toFixed(0)}/${p.durationS.toFixed(0)} s, sent ${p.sent}, answered ${p.done}, in flight ${p.inFlight}, failed ${p.failed}\n`);
  };
  const stop = new AbortController();
  const onSignal = (): void => { stop.abort(); };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let r: RunResult;
  try {
    r = await runLoad({
      targets: config.targets, endpoint: config.endpoint, plan: config.plan(), planModels: config.planModels,
      durationS: config.durationS, maxInFlight: config.maxInFlight, timeoutMs: config.timeoutMs, drainMs: config.drainMs, seed: config.seed,
      signal: stop.signal, ...(config.model !== undefined ? { model: config.model } : {}),
      ...(showProgress ? { onProgress, progressMs: 2000 } : {}),
    });
  } catch (e) {
    if (e instanceof LoadError) {
      io.stderr.write(`inferno load: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const s = loadStats(r.samples, { from: -Infinity, to: Infinity }, r.gaps);
  const doc = loadReport(config, r, s);
  io.stdout.write(config.output === 'json' ? `${JSON.stringify(doc)}\n` : table(doc, s));
  return 0;
}
