// Worker thread entry: runs tasks (src/threads/tasks.ts) posted by the webhook server, one at a time, with its own
// queueing-model cache. A task that throws is answered with its message; the thread itself never exits on one.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { createAnalyzerCache } from '../solver/index.js';
import type { TaskName } from './tasks.js';
import { runTask } from './tasks.js';

export interface TaskRequest {
  readonly id: number;
  readonly name: TaskName;
  readonly arg: unknown;
}

export type TaskReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

/**
 * Below the event-loop thread in CPU priority (nice +10), so on a busy machine the server's own thread — health
 * checks, ordinary requests — wins, and only the heavy task waits. Linux only (a thread's id is a pid to
 * setpriority); elsewhere the worker simply runs at normal priority.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // not Linux, or not allowed: normal priority
  }
}

lowerPriority();
const cache = createAnalyzerCache(4096);
const port = parentPort;
if (port !== null) {
  port.on('message', (m: TaskRequest) => {
    let reply: TaskReply;
    try {
      reply = { id: m.id, ok: true, value: runTask(m.name, m.arg as never, cache) };
    } catch (e) {
      reply = { id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(reply);
  });
  port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies TaskReply);
}
