// Reads a plan input from disk: scenario YAML files and folders of them (merged), an upstream SystemData JSON, or a
// folder of upstream split files.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { InputIssue } from '../cluster/issues.js';
import { InputError } from '../cluster/issues.js';
import type { Overrides } from '../formats/scenario.js';
import { scenarioFrom } from '../formats/scenario.js';
import type { System } from '../domain/types.js';
import type { RawParts } from '../formats/upstream.js';
import { UpstreamParts, lowerKeys, partsOfSystemData, systemFromUpstream } from '../formats/upstream.js';
import { fsProblem, isDirectory, readSources, readText } from './input-files.js';

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError([{ file, path: '', message: `invalid JSON: ${(e as Error).message}` }]);
  }
}

async function loadDirectory(dir: string, names: ReadonlySet<string>): Promise<System> {
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
  return systemFromUpstream(raw);
}

const upstreamNames = new Set([...Object.values(UpstreamParts).map((p) => p.file), 'system-data.json']);

/** An upstream SystemData JSON file ({"system": {...}}), parsed; undefined for anything else. */
function systemData(text: string, path: string): unknown {
  if (!/\.json$/i.test(path)) return undefined;
  const data = parseJson(text, path);
  const lowered = lowerKeys(data);
  return lowered !== null && typeof lowered === 'object' && !Array.isArray(lowered) && 'system' in lowered ? data : undefined;
}

/** Loads any supported input; throws InputError listing every problem. */
export async function loadInput(path: string): Promise<System> {
  return (await loadInputs([path])).system;
}

export interface Loaded {
  readonly system: System;
  /** objects of the scenario files the plan does not use (Deployments, Services, …), by kind */
  readonly skipped: readonly string[];
}

/**
 * Loads what `--file` names: an upstream SystemData JSON or a folder of upstream split files (on its own), or any
 * number of scenario files and folders of them, merged. `overrides` (the command line) win over the files.
 */
export async function loadInputs(paths: readonly string[], overrides: Overrides = {}): Promise<Loaded> {
  const withOverrides = (system: System): Loaded => ({ system: { ...system, options: { ...system.options, ...overridesOf(overrides) } }, skipped: [] });
  if (paths.length === 1 && paths[0] !== undefined && await isDirectory(paths[0])) {
    const dir = paths[0];
    const names = new Set(await readdir(dir).catch((e: unknown) => { throw new InputError([fsProblem(dir, e)]); }));
    if ([...names].some((n) => upstreamNames.has(n))) return withOverrides(await loadDirectory(dir, names));
  }
  const sources = await readSources(paths);
  const invalid: InputIssue[] = [];
  const upstream = sources.flatMap(({ file, text }) => {
    try {
      const data = systemData(text, file);
      return data !== undefined ? [{ file, data }] : [];
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      invalid.push(...e.issues);
      return [];
    }
  });
  if (invalid.length > 0) throw new InputError(invalid);
  if (upstream.length > 0) {
    if (sources.length > 1) {
      throw new InputError(upstream.map(({ file }) => ({ file, path: '', message: 'an upstream SystemData file is planned on its own: it cannot be merged with other files' })));
    }
    const [only] = upstream;
    if (only !== undefined) return withOverrides(systemFromUpstream(partsOfSystemData(only.data, only.file)));
  }
  const { system, objects } = scenarioFrom(sources, overrides);
  return { system, skipped: [...objects.deployments.map(() => 'Deployment'), ...objects.skipped.map((s) => s.kind)] };
}

const overridesOf = (o: Overrides): Partial<System['options']> => ({
  ...(o.unlimited !== undefined ? { unlimited: o.unlimited } : {}),
  ...(o.algorithm !== undefined ? { algorithm: o.algorithm } : {}),
});
