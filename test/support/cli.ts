// The real `inferno` binary as a child process, as a user runs it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const infernoBin = new URL('../../bin/inferno.js', import.meta.url).pathname;

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function inferno(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [infernoBin, ...args], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}
