// The README's shell blocks, and running their lines exactly as written: through bash, from the repository root.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = new URL('../../', import.meta.url).pathname;

export interface ShBlock {
  /** the nearest heading above the block */
  readonly heading: string;
  /** its command lines, comments and blank lines left out, trailing comments removed */
  readonly lines: readonly string[];
}

/** A trailing `# comment` (after whitespace) goes; the command stays as written. */
export const withoutComment = (line: string): string => line.replace(/\s+#\s.*$/, '').trim();

export function readmeShBlocks(): ShBlock[] {
  const text = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const blocks: ShBlock[] = [];
  let heading = '';
  const fence = /^```(\w*)$/;
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    const f = fence.exec(line);
    if (open !== undefined) {
      if (f !== null && f[1] === '') {
        if (open.lang === 'sh') blocks.push({ heading, lines: open.lines.map(withoutComment).filter((l) => l !== '' && !l.startsWith('#')) });
        open = undefined;
      } else {
        open.lines.push(line);
      }
    } else if (f !== null) {
      open = { lang: f[1] ?? '', lines: [] };
    } else if (/^#{1,4} /.test(line)) {
      heading = line;
    }
  }
  return blocks;
}

export interface Done {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command line through bash in the repository root, in its own process group (npx starts children of its own). */
export function runLine(line: string, env?: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<Done>; stderr(): string } {
  const child = spawn('bash', ['-c', line], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(env !== undefined ? { env } : {}) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-20_000); });
  const done = new Promise<Done>((ok) => { child.once('exit', (code) => { ok({ code, stdout, stderr }); }); });
  return { child, done, stderr: () => stderr };
}

export function killGroup(c: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    if (c.pid !== undefined) process.kill(-c.pid, signal);
  } catch { /* gone */ }
}
