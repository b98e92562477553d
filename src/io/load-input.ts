// Reads a plan input from disk: our scenario YAML, an upstream SystemData JSON, or a folder of upstream split files.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { InputIssue } from '../cluster/issues.js';
import { InputError } from '../cluster/issues.js';
import { systemFromScenarioText } from '../formats/scenario.js';
import type { System } from '../domain/types.js';
import type { RawParts } from '../formats/upstream.js';
import { UpstreamParts, lowerKeys, partsOfSystemData, systemFromUpstream } from '../formats/upstream.js';

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError([{ file: path, path: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError([{ file, path: '', message: `invalid JSON: ${(e as Error).message}` }]);
  }
}

async function loadDirectory(dir: string): Promise<System> {
  const names = new Set(await readdir(dir));
  const raw: RawParts = {};
  const issues: InputIssue[] = [];
  for (const key of Object.keys(UpstreamParts) as (keyof typeof UpstreamParts)[]) {
    const name = UpstreamParts[key].file;
    if (!names.has(name)) continue;
    const file = join(dir, name);
    try {
      raw[key] = { data: parseJson(await readText(file), file), file, prefix: [] };
    } catch (e) {
      if (e instanceof InputError) issues.push(...e.issues);
      else throw e;
    }
  }
  if (issues.length > 0) throw new InputError(issues);
  if (Object.keys(raw).length === 0 && names.has('system-data.json')) {
    const file = join(dir, 'system-data.json');
    return systemFromUpstream(partsOfSystemData(parseJson(await readText(file), file), file));
  }
  if (Object.keys(raw).length === 0) {
    throw new InputError([{ file: dir, path: '', message: `no upstream data files here (expected ${Object.values(UpstreamParts).map((p) => p.file).join(', ')})` }]);
  }
  return systemFromUpstream(raw);
}

/** Loads any supported input; throws InputError listing every problem. */
export async function loadInput(path: string): Promise<System> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    throw new InputError([{ file: path, path: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
  if (isDir) return loadDirectory(path);
  const text = await readText(path);
  if (/\.json$/i.test(path)) {
    const data = parseJson(text, path);
    const lowered = lowerKeys(data);
    if (lowered !== null && typeof lowered === 'object' && 'system' in lowered) return systemFromUpstream(partsOfSystemData(data, path));
  }
  return systemFromScenarioText(text, path);
}
