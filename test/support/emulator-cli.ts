// `inferno emulate` as a child process, as a user runs it: started with its flags, its URL read from the
// "listening" log line, killed (by default with SIGKILL, as a crashed pod) when the test is done.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { infernoBin } from './cli.js';

export interface EmulatorProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Kills the process and waits for it to exit. Idempotent. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnEmulator(args: readonly string[], timeoutMs = 20_000): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, [infernoBin, 'emulate', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const killAtExit = (): void => { child.kill('SIGKILL'); };
  process.on('exit', killAtExit);
  const exited = new Promise<void>((ok) => { child.once('exit', () => { process.off('exit', killAtExit); ok(); }); });
  let log = '';
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => { fail(new Error(`inferno emulate did not start within ${timeoutMs} ms: ${log}`)); }, timeoutMs);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      log = (log + d).slice(-8000);
      const m = /"msg":"listening","url":"([^"]+)"/.exec(log);
      if (m?.[1] !== undefined) { clearTimeout(timer); ok(m[1]); }
    });
    child.once('exit', (code) => { clearTimeout(timer); fail(new Error(`inferno emulate exited with ${code ?? 'a signal'}: ${log}`)); });
  });
  return {
    url, child,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
