// `inferno plan`: solve a scenario and print the allocation.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { System } from '../domain/types.js';
import { loadInputs } from '../io/load-input.js';
import { DefaultExactTimeLimitSec, coverageOf, createAnalyzerCache, prepare, solveExact, solvePrepared } from '../solver/index.js';
import type { Plan, Prepared } from '../solver/index.js';
import { sloReachability } from '../solver/reachability.js';
import type { InputIssue } from '../cluster/issues.js';
import { InputError } from '../cluster/issues.js';
import type { PlanStats, SolverInfo } from './plan-output.js';
import { planJson, planTable, planYaml } from './plan-output.js';
import { countKinds } from './count-kinds.js';
import type { Io } from './usage.js';
import { UsageError, oneOf, parseCommandArgs } from './usage.js';

/** bounds --time-limit: a plan never blocks for more than an hour */
const MaxTimeLimitSec = 3600;

export const defaultScenario = fileURLToPath(new URL('../../samples/scenario.yaml', import.meta.url));

export const planHelp = `Usage: inferno plan [--file PATH ...] [--output table|json|yaml] [--mode unlimited|limited]
                   [--solver greedy|exact] [--time-limit SECONDS]

Chooses the GPU type, replica count and batch size of every model server so that each service class meets its
latency SLOs at the lowest cost, within the GPUs the cluster has.

Options:
  -f, --file PATH     what to plan (default: the bundled sample, samples/scenario.yaml):
                        - scenario YAML: Optimizer resources (observed load in status.load), the accelerator,
                          service-class and controller ConfigMaps, optionally Nodes for capacity; repeatable, and
                          a folder stands for its *.yaml, *.yml and *.json files: the objects are merged (the same
                          object in two files is an error), other kinds (Deployments, Services, ...) are skipped;
                        - an upstream inferno SystemData JSON file ({"system": {...}}), on its own;
                        - a folder of upstream split files (accelerator-data.json, model-data.json, ...), on its own.
  -o, --output FMT    table (default), json or yaml
      --mode MODE     unlimited: ignore capacity; limited: fit within capacity (default: the controller
                      ConfigMap's mode, else limited when the files give capacity)
      --solver ALGO   greedy or exact (a MILP, compared with greedy) (default: the controller ConfigMap's solver,
                      else greedy)
      --time-limit S  exact: wall-clock budget of the MILP solves, seconds (default ${DefaultExactTimeLimitSec}, at most
                      ${MaxTimeLimitSec}); when it runs out the best plan found is printed, marked not proven optimal
  -h, --help          this help

Exit codes: 0 planned (servers that cannot be placed for lack of capacity are listed with reasons), 2 bad input
(including an SLO that no listed accelerator can meet at any load) or usage, 1 internal error.
`;

const options = {
  file: { type: 'string', short: 'f', multiple: true },
  output: { type: 'string', short: 'o' },
  mode: { type: 'string' },
  solver: { type: 'string' },
  'time-limit': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function timeLimitOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v <= 0 || v > MaxTimeLimitSec) {
    throw new UsageError(`--time-limit must be a number of seconds in (0, ${MaxTimeLimitSec}]; got "${value}"`, 'plan');
  }
  return v;
}

export interface PlanResult {
  readonly plan: Plan;
  readonly solver: SolverInfo;
}

/** Servers whose SLO no listed accelerator can meet at any load: bad input, not a capacity problem. */
export function impossibleSlos(p: Prepared): InputIssue[] {
  const known = new Set(p.system.accelerators.map((a) => a.name));
  return p.servers.flatMap((sc) => {
    const { server, target } = sc;
    if (sc.candidates.length > 0 || target === undefined) return [];
    // The accelerators the solver considered (keepAccelerator pins the current one).
    const keep = server.keepAccelerator ? server.current?.accelerator : undefined;
    const profiles = server.profiles.filter((pr) => keep === undefined || pr.accelerator === keep);
    if (profiles.length === 0 || !profiles.every((pr) => known.has(pr.accelerator))) return [];
    const reach = profiles.map((pr) => ({ accelerator: pr.accelerator, r: sloReachability(p.system.options.analyzer, server, pr, target, p.ctx.cache) }));
    const reasons = reach.flatMap(({ accelerator, r }) => (r.reachable === false ? [`${accelerator}: ${r.reason}`] : []));
    if (reasons.length < reach.length) return [];
    return [{
      path: `server ${server.name}`,
      message: `no accelerator can meet the ${server.class} SLO for ${server.model}: ${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? `; and ${reasons.length - 3} more accelerators` : ''}`,
    }];
  });
}

export async function runPlanOn(system: System, algorithm: 'greedy' | 'exact', opts: { readonly timeLimitSec?: number } = {}): Promise<PlanResult> {
  // Loading the MILP solver (HiGHS, WebAssembly: only for exact plans) is not part of the plan's time.
  const backend = algorithm === 'exact' ? await (await import('../io/highs.js')).createHighsBackend() : undefined;
  const start = performance.now();
  const cache = createAnalyzerCache();
  const prepared = prepare(system, cache);
  const analysisMs = performance.now() - start;
  const impossible = impossibleSlos(prepared);
  if (impossible.length > 0) throw new InputError(impossible);
  const mode = system.options.unlimited ? 'unlimited' : 'limited';
  const statsNow = (): PlanStats => ({ ...cache.stats, analysisMs, optimisationMs: performance.now() - start - analysisMs });
  if (backend !== undefined) {
    const r = solveExact(prepared, backend, opts);
    return {
      plan: r.plan,
      solver: {
        mode, algorithm, durationMs: performance.now() - start, greedyCost: r.greedy.totalCost, greedyCoverage: coverageOf(r.greedy), gap: r.gap, optimal: r.optimal, usedGreedy: r.usedGreedy,
        timedOut: r.timedOut, timeLimitSec: r.timeLimitSec, stats: { ...statsNow(), milpSolves: r.milpSolves },
      },
    };
  }
  const plan = solvePrepared(prepared);
  return { plan, solver: { mode, algorithm, durationMs: performance.now() - start, stats: statsNow() } };
}

export async function planCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('plan', args, options);
  if (values.help === true) {
    io.stdout.write(planHelp);
    return 0;
  }
  const output = oneOf('plan', 'output', values.output, ['table', 'json', 'yaml'] as const) ?? 'table';
  const mode = oneOf('plan', 'mode', values.mode, ['unlimited', 'limited'] as const);
  const solverFlag = oneOf('plan', 'solver', values.solver, ['greedy', 'exact'] as const);
  const timeLimitSec = timeLimitOf(values['time-limit']);
  const files = values.file !== undefined ? values.file.map((f) => resolve(io.cwd, f)) : [defaultScenario];
  const { system, skipped } = await loadInputs(files, {
    ...(mode !== undefined ? { unlimited: mode === 'unlimited' } : {}),
    ...(solverFlag !== undefined ? { algorithm: solverFlag } : {}),
  });
  if (skipped.length > 0) io.stderr.write(`inferno plan: skipped ${countKinds(skipped)} (plan reads Optimizers, inferno's ConfigMaps and Nodes)\n`);
  const { plan, solver } = await runPlanOn(system, system.options.algorithm, timeLimitSec !== undefined ? { timeLimitSec } : {});
  const render = output === 'json' ? planJson : output === 'yaml' ? planYaml : planTable;
  io.stdout.write(render(plan, solver));
  return 0;
}
