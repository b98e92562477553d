// `inferno simulate`: replays traffic against a simulated GPU fleet under several autoscaling policies (the same
// trace and seed for each) and compares SLO attainment, latency and GPU cost. The composition root of src/sim: it
// reads the files, runs the pure simulator, prints the table and writes the HTML report and charts.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InputIssue, Where } from '../cluster/issues.js';
import { InputError } from '../cluster/issues.js';
import { parseTrace } from '../engine/tokens.js';
import type { ScenarioObjects } from '../formats/scenario.js';
import { scenarioObjectsOf, yamlDocuments } from '../formats/scenario.js';
import { readSources, readText } from '../io/input-files.js';
import { charts } from '../sim/charts.js';
import { reportHtml } from '../sim/html.js';
import type { PolicyName } from '../sim/policies.js';
import { PolicyNames } from '../sim/policies.js';
import type { PolicySummary, RequestOutcomes } from '../sim/report.js';
import { outcomes, summarize } from '../sim/report.js';
import type { RunResult } from '../sim/run.js';
import { runPolicy } from '../sim/run.js';
import { buildSetup } from '../sim/scenario.js';
import type { SimSetup } from '../sim/setup.js';
import type { SimulationSpec } from '../sim/spec.js';
import { SimulationKind, simulationSpecOf } from '../sim/spec.js';
import { TrafficError, TrafficLimits, generateArrivals, traceArrivals } from '../sim/traffic.js';
import type { Arrivals } from '../sim/traffic.js';
import { secondsFlag, wholeFlag } from './flags.js';
import { renderTable } from './table.js';
import type { Io } from './usage.js';
import { UsageError, oneOf, parseCommandArgs } from './usage.js';

const C = 'simulate';
const here = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));
export const defaultFiles = [here('deploy/base/config.yaml'), here('samples/simulate/scenario.yaml')];
export const defaultPolicies: readonly PolicyName[] = ['inferno', 'inferno-unlimited', 'hpa', 'keda-queue', 'static-peak', 'wva'];

export const simulateHelp = `Usage: inferno simulate [--file SCENARIO ...] [--trace FILE] [--policies inferno,hpa,...] [--duration 3h]
                        [--seed N] [--output table|json] [--report FILE.html] [--charts DIR]

Replays traffic against a simulated GPU fleet, once per autoscaling policy on the same trace and seed, and prints
per policy and service class the share of requests meeting both SLO targets (TTFT and ITL), TTFT and ITL
percentiles, GPU cost and GPU-hours by type, and scale events. Virtual time: hours of traffic take seconds.

The simulator: every replica is the continuous-batching engine of 'inferno emulate' (batches up to max-num-seqs,
iterations timed by the Optimizer's alpha/beta/gamma/delta profile with lognormal noise, a waiting queue), a router
per Deployment (least-loaded or round-robin), a Deployment controller (rolling updates), a scheduler that binds
pods to GPU nodes (GPU capacity per type), pod start-up delays (default 90 s), cost per second of GPU held.

Policies (default: ${defaultPolicies.join(',')}):
  inferno            the real scaler tick (collect, plan, decide) through in-memory ports, limited to the GPUs
  inferno-unlimited  the same, planning as if GPUs were unlimited
  hpa                HorizontalPodAutoscaler on vllm:num_requests_running per replica (15 s sync, 10 % tolerance,
                     300 s scale-down stabilization, scale-up limits); target: the running requests at which
                     decode reaches 80 % of the ITL target, at most 70 % of max-num-seqs (baselines.hpaRunningTarget)
  hpa-kv             the same on vllm:kv_cache_usage_perc (baselines.hpaKvTarget)
  keda-queue         KEDA on vllm:num_requests_waiting, AverageValue 5 per replica (baselines.kedaWaitingTarget),
                     30 s polling, HPA behind it; cooldown 300 s applies to 1 -> 0 only
  static-peak        sized once for the trace's peak minute on the cheapest GPUs that meet the SLOs (the solver)
  wva                upstream: unlimited, replicas only, the Deployment's accelerator and batch size kept
The model-based policies plan for sloMargin (0.8) of each TTFT and ITL target, as hpa's target aims at 80 % of the
ITL target: plans are for mean latencies, while a request meets its SLO only if its own TTFT and mean ITL are
within the full targets (the table shows the strictest target of each class).

The scenario (--file, repeatable; the files' objects are merged) holds what the cluster would: inferno's
ConfigMaps, Nodes (GPU capacity), Optimizers and their opted-in Deployments (labelled inferno.llmd.ai/managed:
"true", the template's inferno.llmd.ai/accelerator label and INFERNO_MAX_BATCH_SIZE saying what they run; their
replicas are the fleet at the start), and one document of kind Simulation:
  spec: {duration: 3h, drain: 10m, seed: 1, router: least-loaded, noise: 0.05, maxModelLen: 4096,
         maxWaiting: 10000, sample: 60s, sloMargin: 0.8, startup: {default: 90s, H100: 120s},
         baselines: {hpaRunningTarget, hpaKvTarget, kedaWaitingTarget: 5, kedaPolling: 30s, kedaCooldown: 300s},
         traffic: [{model: MODEL_ID, arrivals: ARRIVALS, inputTokens: TOKENS, outputTokens: TOKENS}]}
  ARRIVALS (requests/s, Poisson): {constant: 5}, {step: [{rate: 2, for: 10m}, {rate: 6}]}, {ramp: {from: 1, to: 8}},
           {diurnal: {mean: 3, amplitude: 0.7, period: 3h, peakAt: 90m, noise: 0.1}},
           {bursty: {low: 1, high: 8, meanLow: 10m, meanHigh: 2m}} (two-state Markov-modulated Poisson)
  TOKENS: N, exp:MEAN, lognormal:MEAN:SIGMA, hist:VALUE=WEIGHT,...
Default: deploy/base/config.yaml and samples/simulate/scenario.yaml (three models, two service classes, mixed GPU
types, a diurnal day compressed into four hours).

Options:
  -f, --file FILE       scenario YAML (repeatable; a folder stands for its YAML and JSON files)
      --trace FILE      replay a CSV trace (timestamp,model,input_tokens,output_tokens; seconds) instead of the
                        Simulation's traffic section
      --policies LIST   comma-separated, from: ${PolicyNames.join(', ')}
      --duration D      traffic duration, e.g. 2h or 90m (default: the Simulation's)
      --seed N          seed of the traffic and the noise (default: the Simulation's, 1)
  -o, --output FMT      table (default) or json
      --report FILE     also write a self-contained HTML report with SVG charts (load, replicas by GPU type,
                        latency against the SLO, cumulative cost)
      --charts DIR      also write the report's charts as SVG files into DIR
  -h, --help            this help

Progress goes to stderr. The same seed gives the same numbers. Exit codes: 0 done, 2 bad input or usage,
1 internal error.
`;

const options = {
  file: { type: 'string', short: 'f', multiple: true },
  trace: { type: 'string' },
  policies: { type: 'string' },
  duration: { type: 'string' },
  seed: { type: 'string' },
  output: { type: 'string', short: 'o' },
  report: { type: 'string' },
  charts: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Loaded {
  readonly objects: Omit<ScenarioObjects, 'skipped'>;
  readonly simulation: { readonly value: unknown; readonly where: Where } | undefined;
}

async function loadScenario(files: readonly string[]): Promise<Loaded> {
  const sources = await readSources(files);
  const issues: InputIssue[] = [];
  let objects: ScenarioObjects | undefined;
  try {
    objects = scenarioObjectsOf(sources);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    issues.push(...e.issues);
  }
  const sims = sources.flatMap(({ file, text }) => yamlDocuments(text, file).docs.filter((d) => (d.value as { kind?: unknown }).kind === SimulationKind));
  if (sims.length > 1) issues.push(...sims.slice(1).map((s) => ({ ...s.where, path: 'kind', message: 'a second Simulation document: the scenario needs one' })));
  if (issues.length > 0 || objects === undefined) throw new InputError(issues);
  return { objects, simulation: sims[0] };
}

function policiesOf(value: string | undefined): PolicyName[] {
  if (value === undefined) return [...defaultPolicies];
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new UsageError('--policies needs at least one policy', C);
  for (const n of names) {
    if (!(PolicyNames as readonly string[]).includes(n)) throw new UsageError(`--policies: unknown policy "${n}"; choose from ${PolicyNames.join(', ')}`, C);
  }
  return [...new Set(names)] as PolicyName[];
}

const pct = (x: number): string => (Number.isNaN(x) ? '-' : `${(100 * x).toFixed(1)} %`);
const ms = (x: number): string => (Number.isNaN(x) ? '-' : x >= 10_000 ? `${(x / 1000).toFixed(0)}s` : String(Math.round(x)));
const trio = (p: { p50: number; p95: number; p99: number }): string => `${ms(p.p50)}/${ms(p.p95)}/${ms(p.p99)}`;
const money = (x: number): string => x.toFixed(2);

export function comparisonTable(summaries: readonly PolicySummary[]): string {
  const slo = summaries.flatMap((s) => s.classes.map((c) => [
    s.policy, `${c.cls} (${ms(c.ttftTarget)}/${ms(c.itlTarget)} ms)`, c.requests, pct(c.attainment), trio(c.ttft), trio(c.itl),
  ]));
  const cost = summaries.map((s) => [
    s.policy, pct(s.attainment), money(s.cost),
    Object.entries(s.gpuHoursByType).map(([t, h]) => `${t} ${h.toFixed(1)}`).join(', ') || '-', s.scaleEvents, s.templateChanges,
  ]);
  return `${renderTable(['POLICY', 'CLASS (SLO TTFT/ITL)', 'REQUESTS', 'SLO MET', 'TTFT p50/p95/p99 ms', 'ITL p50/p95/p99 ms'], slo)}\n\n`
    + `${renderTable(['POLICY', 'SLO MET', 'COST $', 'GPU-HOURS BY TYPE', 'SCALE EVENTS', 'GPU CHANGES'], cost)}\n`;
}

function progress(io: Io, policies: readonly string[]): { update(policy: number, fraction: number): void; done(): void } {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const width = 30;
  let shown = -1;
  return {
    update(policy, fraction) {
      const name = policies[policy] ?? '';
      const f = Math.min(1, Math.max(0, fraction));
      if (tty) {
        const filled = Math.round(f * width);
        io.stderr.write(`\rsimulating ${name.padEnd(18)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(f * 100)).padStart(3)} %  (${policy + 1}/${policies.length})`);
      } else if (f >= 1 && shown < policy) {
        shown = policy;
        io.stderr.write(`simulated ${name} (${policy + 1}/${policies.length})\n`);
      }
    },
    done() {
      if (tty) io.stderr.write('\n');
    },
  };
}

interface Inputs {
  readonly files: readonly string[];
  readonly spec: SimulationSpec;
  readonly setup: SimSetup;
  readonly arrivals: Arrivals;
}

async function traceOf(io: Io, trace: string, setup: SimSetup, durationS: number): Promise<Arrivals> {
  const file = resolve(io.cwd, trace);
  const rows = parseTrace(await readText(file));
  if (rows.length > 0 && typeof rows[0] === 'string') throw new InputError((rows as string[]).map((message) => ({ file, path: '', message })));
  const byModel = new Map(setup.deployments.map((d, i) => [d.model, i]));
  const only = setup.deployments.length === 1 ? 0 : undefined;
  const a = traceArrivals(rows as Exclude<typeof rows, string[]>, (m) => (m === '' ? only : byModel.get(m)), durationS);
  if (Array.isArray(a)) throw new InputError(a.map((message) => ({ file, path: 'model', message })));
  return a;
}

/** --duration and --seed, which override the Simulation document's. */
function overrides(v: { duration?: string; seed?: string }): Partial<Pick<SimulationSpec, 'durationS' | 'seed'>> {
  return {
    ...(v.duration !== undefined ? { durationS: secondsFlag(C, 'duration', v.duration, 0, 60, TrafficLimits.maxDurationS) } : {}),
    ...(v.seed !== undefined ? { seed: wholeFlag(C, 'seed', v.seed, 1, 0, 2 ** 32 - 1) } : {}),
  };
}

/** The scenario, the Simulation spec with the command line's overrides, and the requests every policy gets. */
async function inputsOf(io: Io, v: { file?: string[]; trace?: string; duration?: string; seed?: string }): Promise<Inputs> {
  const given = v.file ?? [];
  const files = given.length > 0 ? given.map((f) => resolve(io.cwd, f)) : defaultFiles;
  const over = overrides(v);
  const loaded = await loadScenario(files);
  const sim = loaded.simulation;
  if (sim === undefined && v.trace === undefined) {
    throw new InputError([{ file: files.join(', '), path: '', message: `no ${SimulationKind} document: add one with the traffic per model (see --help), or replay a --trace` }]);
  }
  const parsed = simulationSpecOf(sim?.value ?? { kind: SimulationKind, spec: {} }, sim?.where ?? {});
  if (Array.isArray(parsed)) throw new InputError(parsed);
  const spec: SimulationSpec = { ...parsed, ...over };
  const setup = buildSetup({ ...loaded.objects, simulation: spec, simulationWhere: sim?.where ?? {}, trace: v.trace !== undefined });
  if (v.trace !== undefined) return { files, spec, setup, arrivals: await traceOf(io, v.trace, setup, spec.durationS) };
  try {
    return { files, spec, setup, arrivals: generateArrivals(setup.traffic, spec.durationS, spec.seed) };
  } catch (e) {
    if (e instanceof TrafficError) throw new InputError([{ ...(sim?.where ?? {}), path: 'spec.traffic', message: e.message }]);
    throw e;
  }
}

async function writeReport(io: Io, inputs: Inputs, policies: readonly PolicyName[], runs: readonly RunResult[], outs: readonly RequestOutcomes[], summaries: readonly PolicySummary[], to: { report?: string; charts?: string }): Promise<void> {
  const { setup, arrivals, spec, files } = inputs;
  const svgs = charts(setup, arrivals, runs, outs);
  if (to.report !== undefined) {
    const file = resolve(io.cwd, to.report);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, reportHtml(setup, summaries, svgs, { files: files.map((f) => relative(io.cwd, f) || f), policies, seed: spec.seed, requests: arrivals.count }));
    io.stderr.write(`wrote ${to.report}\n`);
  }
  if (to.charts !== undefined) {
    const dir = resolve(io.cwd, to.charts);
    await mkdir(dir, { recursive: true });
    for (const c of svgs) await writeFile(join(dir, `${c.name}.svg`), c.svg);
    io.stderr.write(`wrote ${svgs.length} charts to ${to.charts}\n`);
  }
}

export async function simulateCommand(args: readonly string[], io: Io): Promise<number> {
  const { values: v } = parseCommandArgs(C, args, options);
  if (v.help === true) {
    io.stdout.write(simulateHelp);
    return 0;
  }
  const output = oneOf(C, 'output', v.output, ['table', 'json'] as const) ?? 'table';
  const policies = policiesOf(v.policies);
  const inputs = await inputsOf(io, v);
  const { setup, arrivals, spec } = inputs;

  const bar = progress(io, policies);
  const runs: RunResult[] = [];
  const outs: RequestOutcomes[] = [];
  const summaries: PolicySummary[] = [];
  for (const [i, name] of policies.entries()) {
    const run = await runPolicy(setup, arrivals, name, { onProgress: (f) => { bar.update(i, f); } });
    bar.update(i, 1);
    const o = outcomes(run, arrivals);
    runs.push(run);
    outs.push(o);
    summaries.push(summarize(run, arrivals, o));
  }
  bar.done();

  if (v.report !== undefined || v.charts !== undefined) await writeReport(io, inputs, policies, runs, outs, summaries, v);
  if (output === 'json') {
    io.stdout.write(`${JSON.stringify({ seed: spec.seed, durationS: spec.durationS, requests: arrivals.count, policies: summaries }, null, 2)}\n`);
  } else {
    io.stdout.write(comparisonTable(summaries));
  }
  return 0;
}
