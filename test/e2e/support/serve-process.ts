// `inferno serve` as a separate process (bin/inferno.js, as a user runs it) under the e2e supervisor, so it cannot
// outlive the test run; its JSON log lines are kept for assertions.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT, childPids, processAlive } from '../cluster.js';

const BIN = path.join(REPO_ROOT, 'bin', 'inferno.js');
const SUPERVISOR = path.join(REPO_ROOT, 'test', 'e2e', 'supervise.sh');

export interface LogLine {
  readonly seen: number;
  readonly level?: string;
  readonly msg?: string;
  readonly [k: string]: unknown;
}

export class ServeProcess {
  readonly name: string;
  /** its HTTPS port (webhook, /metrics) */
  readonly port: number;
  readonly lines: LogLine[] = [];
  readonly proc: ChildProcessWithoutNullStreams;
  readonly exited: Promise<void>;

  constructor(name: string, port: number, args: readonly string[], logFile: string) {
    this.name = name;
    this.port = port;
    this.proc = spawn('bash', [SUPERVISOR, 'run', process.execPath, BIN, 'serve', ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const file = createWriteStream(logFile, { flags: 'a' });
    const onLine = (line: string): void => {
      file.write(`${line}\n`);
      try {
        this.lines.push({ ...(JSON.parse(line) as Record<string, unknown>), seen: Date.now() });
      } catch {
        this.lines.push({ seen: Date.now(), msg: line });
      }
    };
    createInterface({ input: this.proc.stderr }).on('line', onLine);
    createInterface({ input: this.proc.stdout }).on('line', onLine);
    this.exited = new Promise((ok) => {
      this.proc.once('exit', () => {
        file.end();
        ok();
      });
    });
  }

  /** The node process itself (the supervisor's child). */
  pid(): number | undefined {
    return this.proc.pid === undefined ? undefined : childPids(this.proc.pid)[0];
  }

  /** Log lines with this msg (prefix). */
  logged(msg: string): LogLine[] {
    return this.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith(msg));
  }

  /** Its Lease identity, once it has led ("lease NS/NAME: <identity> is the leader"). */
  leaderIdentity(): string | undefined {
    for (const l of this.lines) {
      const m = typeof l.msg === 'string' ? /: (\S+) is the leader$/.exec(l.msg) : null;
      if (m?.[1] !== undefined) return m[1];
    }
    return undefined;
  }

  tail(n = 30): string {
    return this.lines.slice(-n).map((l) => JSON.stringify(l)).join('\n');
  }

  /** SIGKILL the inferno process (a crash: no Lease release). */
  crash(): void {
    const pid = this.pid();
    if (pid !== undefined && processAlive(pid)) process.kill(pid, 'SIGKILL');
  }

  /** Graceful: EOF on the supervisor's stdin makes it SIGTERM the process. */
  async stop(): Promise<void> {
    this.proc.stdin.end();
    await this.exited;
  }
}
