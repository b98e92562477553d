// The README's commands as a user runs them: the lines of a section's ```sh blocks, run through bash from the
// repository root; and every ```sh block with its heading, for the test that no README command goes unrun.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = new URL('../../', import.meta.url).pathname;

/**
 * The command lines of every ```sh block in the section under `heading` (e.g. '### Helm'), up to the next heading of
 * the same or a higher level; trailing `# comments` and comment lines dropped.
 */
export function readmeCommands(heading: string): string[] {
  const text = readFileSync(new URL('README.md', `file://${repoRoot}`), 'utf8');
  const at = text.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `the README has a section "${heading}"`);
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const next = new RegExp(`\\n#{1,${level}} `, 'g');
  next.lastIndex = at + heading.length + 1;
  const end = next.exec(text)?.index ?? text.length;
  const body = text.slice(at, end);
  return [...body.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => (m[1] ?? '').split('\n'))
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one command (a file and its arguments, or a README line through `bash -c`), collecting its output. */
export function run(
  file: string,
  args: readonly string[],
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv; readonly input?: string; readonly timeoutMs?: number } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A README line through bash, as a user's shell runs it, but failing when any command of a pipeline fails. */
export const bash = (line: string, options: Parameters<typeof run>[2] = {}): Promise<Ran> => run('bash', ['-o', 'pipefail', '-c', line], options);

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

export type Done = Ran;

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
