// Running the webhook's heavy computations (solving, parsing ConfigMap YAML) off the event loop, so no request can
// stall /healthz, /readyz or the requests behind it. Cheap tasks (the common case: a few profiles, answers from
// the queueing-model cache) run inline, where a worker round trip would only add latency; anything costlier goes
// to one worker thread, in order, each with a deadline. A task over its deadline costs the worker its life: it is
// terminated (the only way to stop a running computation) and replaced, so the time any input can take is capped.
import { Worker } from 'node:worker_threads';
import type { AnalyzerCache } from '../solver/index.js';
import { createAnalyzerCache } from '../solver/index.js';
import type { TaskName, TaskTypes } from './tasks.js';
import { runTask, taskCost } from './tasks.js';
import type { TaskReply, TaskRequest } from './worker.js';

export interface Offload {
  run<K extends TaskName>(name: K, arg: TaskTypes[K]['arg']): Promise<TaskTypes[K]['result']>;
  stats(): OffloadStats;
  close(): Promise<void>;
}

export interface OffloadStats {
  readonly inline: number;
  readonly offloaded: number;
  readonly timeouts: number;
  readonly rejected: number;
  readonly restarts: number;
}

export interface OffloadOptions {
  /** tasks up to this cost run inline (solve: chain states; checkConfigMap: characters of YAML) */
  readonly inlineCost: Readonly<Record<TaskName, number>>;
  /** from submission to answer; stay below the webhook's timeoutSeconds so the answer still counts */
  readonly deadlineMs: Readonly<Record<TaskName, number>>;
  /** tasks waiting for the worker beyond this are refused at once */
  readonly maxQueue: number;
  /** the worker's old-generation heap; a task needing more kills the worker, not the server */
  readonly maxHeapMb: number;
  readonly onEvent?: (event: 'timeout' | 'worker-exit', detail: string) => void;
}

/** Costs: one profile at the largest batch size (~45k states, ~10 ms) inline; YAML up to 4 KiB (~8 ms) inline. */
export const defaultOffloadOptions: OffloadOptions = {
  inlineCost: { solve: 50_000, checkConfigMap: 4096 },
  deadlineMs: { solve: 1500, checkConfigMap: 4000 },
  maxQueue: 32,
  maxHeapMb: 128,
};

export class OffloadError extends Error {
  override readonly name = 'OffloadError';
}

/** Everything inline: for the CLI, tests and benchmarks of the decisions themselves. */
export function inlineOffload(cache: AnalyzerCache = createAnalyzerCache(4096)): Offload {
  let inline = 0;
  return {
    run: (name, arg) => {
      inline++;
      try {
        return Promise.resolve(runTask(name, arg, cache));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    stats: () => ({ inline, offloaded: 0, timeouts: 0, rejected: 0, restarts: 0 }),
    close: () => Promise.resolve(),
  };
}

interface Job {
  readonly id: number;
  readonly name: TaskName;
  readonly arg: unknown;
  readonly ok: (v: unknown) => void;
  readonly fail: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

// Compiled (dist/), the worker is worker.js. From the TypeScript sources (bin/inferno.js, tests) it is worker.ts,
// which needs tsx's loader registered in the worker thread itself (module hooks are per thread, and Node 20 does
// not apply --import in a worker's execArgv): a two-line bootstrap does that, then loads it.
function workerSpec(): { entry: URL | string; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { entry: new URL('./worker.js', import.meta.url), eval: false };
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const worker = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  return { entry: `import(${api}).then((tsx) => { tsx.register(); return import(${worker}); });`, eval: true };
}

export function startOffload(opts: OffloadOptions = defaultOffloadOptions): Offload {
  const inlineCache = createAnalyzerCache(4096);
  const spec = workerSpec();
  const queue: Job[] = [];
  const counts = { inline: 0, offloaded: 0, timeouts: 0, rejected: 0, restarts: 0 };
  let running: Job | undefined;
  let worker: Worker | undefined;
  let closed = false;
  let nextId = 1;
  let respawn: NodeJS.Timeout | undefined;
  let backoffMs = 250;

  const finish = (job: Job): void => {
    clearTimeout(job.timer);
    if (running === job) running = undefined;
  };

  const replaceWorker = (why: string): void => {
    const old = worker;
    worker = undefined;
    if (old !== undefined) void old.terminate();
    if (closed) return;
    counts.restarts++;
    opts.onEvent?.('worker-exit', why);
    // A worker that dies at once (it cannot load, say) must not be restarted in a tight loop.
    clearTimeout(respawn);
    respawn = setTimeout(() => {
      respawn = undefined;
      pump();
    }, backoffMs);
    respawn.unref();
    backoffMs = Math.min(backoffMs * 2, 30_000);
  };

  const spawn = (): Worker => {
    const w = new Worker(spec.entry, { eval: spec.eval, resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb } });
    w.unref(); // a server that stops must not be kept alive by its worker
    w.on('message', (m: TaskReply) => {
      if (w !== worker) return;
      if (m.id === 0) {
        backoffMs = 250; // started fine
        return;
      }
      const job = running;
      if (job?.id !== m.id) return;
      finish(job);
      if (m.ok) job.ok(m.value);
      else job.fail(new Error(m.error));
      pump();
    });
    w.on('error', (e) => {
      if (w !== worker) return;
      const job = running;
      if (job !== undefined) {
        finish(job);
        job.fail(new OffloadError(`the worker failed: ${e.message}`));
      }
      replaceWorker(e.message);
    });
    w.on('exit', (code) => {
      if (w !== worker) return;
      const job = running;
      if (job !== undefined) {
        finish(job);
        job.fail(new OffloadError(`the worker exited (code ${code})`));
      }
      replaceWorker(`exit code ${code}`);
    });
    return w;
  };

  worker = spawn(); // ready before the first heavy request (loading the solver takes a moment)

  function pump(): void {
    if (closed || running !== undefined || respawn !== undefined) return;
    const job = queue.shift();
    if (job === undefined) return;
    worker ??= spawn();
    running = job;
    worker.postMessage({ id: job.id, name: job.name, arg: job.arg } satisfies TaskRequest);
  }

  const onDeadline = (job: Job): void => {
    counts.timeouts++;
    const ms = opts.deadlineMs[job.name];
    opts.onEvent?.('timeout', `${job.name} took over ${ms} ms`);
    if (running === job) {
      finish(job);
      job.fail(new OffloadError(`${job.name} took longer than ${ms} ms and was stopped`));
      replaceWorker(`${job.name} over its deadline`);
      return;
    }
    const at = queue.indexOf(job);
    if (at >= 0) queue.splice(at, 1);
    job.fail(new OffloadError(`${job.name} waited longer than ${ms} ms for the worker`));
  };

  return {
    run<K extends TaskName>(name: K, arg: TaskTypes[K]['arg']): Promise<TaskTypes[K]['result']> {
      if (closed) return Promise.reject(new OffloadError('shutting down'));
      if (taskCost(name, arg) <= opts.inlineCost[name]) {
        counts.inline++;
        try {
          return Promise.resolve(runTask(name, arg, inlineCache));
        } catch (e) {
          return Promise.reject(e instanceof Error ? e : new Error(String(e)));
        }
      }
      if (queue.length >= opts.maxQueue) {
        counts.rejected++;
        return Promise.reject(new OffloadError(`the worker is busy (${queue.length} tasks waiting)`));
      }
      counts.offloaded++;
      return new Promise((ok, fail) => {
        const job: Job = { id: nextId++, name, arg, ok: ok as (v: unknown) => void, fail, timer: undefined };
        job.timer = setTimeout(() => { onDeadline(job); }, opts.deadlineMs[name]);
        queue.push(job);
        pump();
      });
    },
    stats: () => ({ ...counts }),
    async close() {
      closed = true;
      clearTimeout(respawn);
      for (const job of [...queue, ...(running !== undefined ? [running] : [])]) {
        clearTimeout(job.timer);
        job.fail(new OffloadError('shutting down'));
      }
      queue.length = 0;
      running = undefined;
      const w = worker;
      worker = undefined;
      if (w !== undefined) await w.terminate();
    },
  };
}
