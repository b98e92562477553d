// `inferno plan`: solve a scenario and print the allocation.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { System } from '../domain/types.js';
import { loadInput } from '../io/load-input.js';
import { prepare, solveExact, solvePrepared } from '../solver/index.js';
import type { Plan, Prepared } from '../solver/index.js';
import type { InputIssue } from '../cluster/issues.js';
import { InputError } from '../cluster/issues.js';
import type { SolverInfo } from './plan-output.js';
import { planJson, planTable, planYaml } from './plan-output.js';
import type { Io } from './usage.js';
import { oneOf, parseCommandArgs } from './usage.js';

export const defaultScenario = fileURLToPath(new URL('../../samples/scenario.yaml', import.meta.url));

export const planHelp = `Usage: inferno plan [--file PATH] [--output table|json|yaml] [--mode unlimited|limited] [--solver greedy|exact]

Chooses the GPU type, replica count and batch size of every model server so that each service class meets its
latency SLOs at the lowest cost, within the GPUs the cluster has.

Options:
  -f, --file PATH     what to plan (default: the bundled sample, samples/scenario.yaml):
                        - a scenario YAML: Optimizer resources (observed load in status.load), the accelerator,
                          service-class and controller ConfigMaps, optionally Nodes for capacity;
                        - an upstream inferno SystemData JSON file ({"system": {...}});
                        - a folder of upstream split files (accelerator-data.json, model-data.json, ...).
  -o, --output FMT    table (default), json or yaml
      --mode MODE     unlimited: ignore capacity; limited: fit within capacity (default: the file's setting)
      --solver ALGO   greedy (default) or exact (a MILP, reports its saving over greedy)
  -h, --help          this help

Exit codes: 0 planned (servers that cannot be placed for lack of capacity are listed with reasons), 2 bad input
(including an SLO that no listed accelerator can meet at any load) or usage, 1 internal error.
`;

const options = {
  file: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  mode: { type: 'string' },
  solver: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface PlanResult {
  readonly plan: Plan;
  readonly solver: SolverInfo;
}

/** Servers whose SLO no listed accelerator can meet at any load: bad input, not a capacity problem. */
export function impossibleSlos(p: Prepared): InputIssue[] {
  return p.servers
    .filter((sc) => sc.candidates.length === 0 && sc.rejections.length > 0 && sc.rejections.every((r) => r.unreachable === true))
    .map((sc) => ({
      path: `server ${sc.server.name}`,
      message: `no accelerator can meet the ${sc.server.class} SLO for ${sc.server.model}: ${sc.rejections.slice(0, 3).map((r) => `${r.accelerator}: ${r.reason}`).join('; ')}${sc.rejections.length > 3 ? `; and ${sc.rejections.length - 3} more accelerators` : ''}`,
    }));
}

export async function runPlanOn(system: System, algorithm: 'greedy' | 'exact'): Promise<PlanResult> {
  const start = performance.now();
  const prepared = prepare(system);
  const impossible = impossibleSlos(prepared);
  if (impossible.length > 0) throw new InputError(impossible);
  const mode = system.options.unlimited ? 'unlimited' : 'limited';
  if (algorithm === 'exact') {
    // HiGHS (WebAssembly) loads only for exact plans.
    const { createHighsBackend } = await import('../io/highs.js');
    const r = solveExact(prepared, await createHighsBackend());
    return {
      plan: r.plan,
      solver: { mode, algorithm, durationMs: performance.now() - start, greedyCost: r.greedy.totalCost, gap: r.gap, optimal: r.optimal, usedGreedy: r.usedGreedy },
    };
  }
  const plan = solvePrepared(prepared);
  return { plan, solver: { mode, algorithm, durationMs: performance.now() - start } };
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
  const file = values.file !== undefined ? resolve(io.cwd, values.file) : defaultScenario;
  const loaded = await loadInput(file);
  const system: System = {
    ...loaded,
    options: { ...loaded.options, ...(mode !== undefined ? { unlimited: mode === 'unlimited' } : {}) },
  };
  const { plan, solver } = await runPlanOn(system, solverFlag ?? system.options.algorithm);
  const render = output === 'json' ? planJson : output === 'yaml' ? planYaml : planTable;
  io.stdout.write(render(plan, solver));
  return 0;
}
