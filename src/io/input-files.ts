// The files behind --file and --scenario: a file as given, a folder as the YAML and JSON files in it (sorted, not
// recursive). Every problem is an input error naming the path, never an internal error.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { InputIssue } from '../cluster/issues.js';
import { InputError } from '../cluster/issues.js';
import type { Source } from '../formats/scenario.js';

export const inputFilePattern = /\.(ya?ml|json)$/i;

/** "PATH: cannot read: ENOENT (no such file or directory)": the code to search for, the words to act on. */
export function fsProblem(path: string, e: unknown, verb = 'read'): InputIssue {
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOENT: 'no such file or directory', ENOTDIR: 'a part of the path is not a directory', EACCES: 'permission denied',
    EPERM: 'operation not permitted', EISDIR: 'is a directory', EROFS: 'read-only file system', ENOSPC: 'no space left on the device',
    ELOOP: 'too many symbolic links', ENAMETOOLONG: 'name too long', EEXIST: 'already exists',
  };
  const text = code !== undefined ? `${code}${why[code] !== undefined ? ` (${why[code]})` : ''}` : e instanceof Error ? e.message : String(e);
  return { file: path, path: '', message: `cannot ${verb}: ${text}` };
}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError([fsProblem(path, e)]);
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (e) {
    throw new InputError([fsProblem(path, e)]);
  }
}

/** Files in the order given, each folder replaced by its *.yaml, *.yml and *.json files; a path given twice counts once. */
export async function expandInputs(paths: readonly string[]): Promise<string[]> {
  const issues: InputIssue[] = [];
  const files: string[] = [];
  for (const path of paths) {
    try {
      if (!(await isDirectory(path))) {
        files.push(path);
        continue;
      }
      const inside = (await readdir(path, { withFileTypes: true })).filter((d) => d.isFile() && inputFilePattern.test(d.name)).map((d) => d.name).sort();
      if (inside.length === 0) issues.push({ file: path, path: '', message: 'no input files in this folder (expected *.yaml, *.yml or *.json)' });
      files.push(...inside.map((n) => join(path, n)));
    } catch (e) {
      if (e instanceof InputError) issues.push(...e.issues);
      else issues.push(fsProblem(path, e));
    }
  }
  if (issues.length > 0) throw new InputError(issues);
  return [...new Set(files)];
}

/** The texts of every input file; all unreadable paths are reported together. */
export async function readSources(paths: readonly string[]): Promise<Source[]> {
  const files = await expandInputs(paths);
  const read = await Promise.allSettled(files.map(async (file) => ({ file, text: await readText(file) })));
  const issues = read.flatMap((r) => (r.status === 'rejected' ? (r.reason instanceof InputError ? r.reason.issues : [fsProblem('', r.reason)]) : []));
  if (issues.length > 0) throw new InputError(issues);
  return read.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}
