// Worker thread entry: runs tasks (src/threads/tasks.ts) posted by the webhook server, one at a time, with its own
// queueing-model cache. A task that throws is answered with its message; the thread itself never exits on one.
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
