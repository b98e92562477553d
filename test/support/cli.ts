// The real `inferno` binary as a child process, as a user runs it.
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

export const infernoBin = new URL('../../bin/inferno.js', import.meta.url).pathname;

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function inferno(...args: string[]): Promise<Run> {
  return infernoWith({}, ...args);
}

/** The same with another environment or working directory. */
export async function infernoWith(options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string }, ...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [infernoBin, ...args], { encoding: 'utf8', ...options });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

export interface ServeProcess {
  readonly child: ChildProcessByStdio<null, null, Readable>;
  readonly port: number;
  readonly exited: Promise<number | null>;
  logs(): string;
}

/** `inferno serve ARGS` as a child process (logs on stderr), resolved once it logs "listening" with its port. */
export async function spawnServe(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const child = spawn(process.execPath, [infernoBin, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'], ...(env !== undefined ? { env } : {}) });
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => { ok(code); }));
  let logs = '';
  const port = await new Promise<number>((ok, fail) => {
    child.stderr.on('data', (d: Buffer) => {
      logs += d.toString();
      const line = logs.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line !== undefined) ok((JSON.parse(line) as { port: number }).port);
    });
    void exited.then((code) => { fail(new Error(`inferno serve exited (${String(code)}):\n${logs}`)); });
  });
  return { child, port, exited, logs: () => logs };
}
