// The pure computations the webhook may run off the event loop, and what each costs, so cheap ones can stay inline.
// Both sides of the worker boundary use this table: the worker runs the functions, the server routes by cost.
import type { System } from '../domain/types.js';
import { QueueToBatchRatio } from '../model/analyzer.js';
import { Limits } from '../domain/limits.js';
import type { AnalyzerCache, Plan } from '../solver/index.js';
import { batchSize, solve } from '../solver/index.js';
import type { ConfigMapCheck } from '../webhook/validate.js';
import { checkConfigMap } from '../webhook/validate.js';

export interface TaskTypes {
  readonly solve: { readonly arg: System; readonly result: Plan };
  readonly checkConfigMap: { readonly arg: unknown; readonly result: ConfigMapCheck };
}
export type TaskName = keyof TaskTypes;

export function runTask<K extends TaskName>(name: K, arg: TaskTypes[K]['arg'], cache: AnalyzerCache): TaskTypes[K]['result'] {
  // K fixes both the argument and the result type (the table above); TypeScript cannot narrow K from `name`.
  if (name === 'solve') return solve(arg as System, cache);
  return checkConfigMap(arg);
}

/** States of every birth–death chain a solve analyses (each analysis costs about that many steps per evaluation). */
export function solveStates(system: System): number {
  let states = 0;
  for (const s of system.servers) {
    for (const p of s.profiles) states += (QueueToBatchRatio + 1) * Math.min(batchSize(s, p), Limits.maxBatchSize);
  }
  return states;
}

/** Characters of YAML a ConfigMap check parses (~2 ms per KiB at worst). */
export function configYamlChars(object: unknown): number {
  const data = object !== null && typeof object === 'object' ? (object as { data?: unknown }).data : undefined;
  if (data === null || typeof data !== 'object') return 0;
  let n = 0;
  for (const v of Object.values(data)) if (typeof v === 'string') n += v.length;
  return n;
}

/** How much work a task is, in its own unit, for the inline-or-worker decision. */
export function taskCost<K extends TaskName>(name: K, arg: TaskTypes[K]['arg']): number {
  return name === 'solve' ? solveStates(arg as System) : configYamlChars(arg);
}
