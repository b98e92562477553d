// `inferno validate`: the checks of the validating webhook, offline, on files.
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { InputIssue } from '../cluster/issues.js';
import { InputError, issueLocation } from '../cluster/issues.js';
import { ConfigMapSchema } from '../cluster/resources.js';
import type { ClassIndex } from '../cluster/config-maps.js';
import { configFromMaps } from '../cluster/config-maps.js';
import { parseYamlDocuments } from '../formats/scenario.js';
import type { Accelerator, AnalyzerKind } from '../domain/types.js';
import { OptimizerApi } from '../domain/keys.js';
import { checkConfigMap, checkOptimizer } from '../webhook/validate.js';
import type { Io } from './usage.js';
import { UsageError, parseCommandArgs } from './usage.js';

export const defaultConfig = fileURLToPath(new URL('../../deploy/base/config.yaml', import.meta.url));

export const validateHelp = `Usage: inferno validate -f FILE [-f FILE ...] [--config FILE]

Checks Optimizer resources and inferno's ConfigMaps the way the validating webhook does: schema, references to the
accelerator catalog and service classes, and whether any listed accelerator can meet the class's SLO at all.
Other kinds in the files are skipped.

Options:
  -f, --file FILE     YAML with the objects to check (repeatable)
      --config FILE   the accelerator catalog and service classes to check against (default: the ConfigMaps in the
                      files, else deploy/base/config.yaml)
  -h, --help          this help

Exit codes: 0 valid (warnings may be printed), 2 problems found or bad usage.
`;

interface Doc {
  readonly value: unknown;
  readonly file: string;
  readonly document: string | undefined;
}

async function readDocs(path: string): Promise<Doc[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError([{ file: path, path: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
  return parseYamlDocuments(text, path).map((d) => ({ value: d.value, file: path, document: d.where.document }));
}

const kindOf = (v: unknown): unknown => (v !== null && typeof v === 'object' ? (v as { kind?: unknown }).kind : undefined);

function configFrom(docs: readonly Doc[]): { accelerators: readonly Accelerator[]; classes: ClassIndex; analyzer?: AnalyzerKind } {
  const maps = docs.flatMap((d) => {
    const r = ConfigMapSchema.safeParse(d.value);
    return r.success ? [{ cm: r.data, where: {} }] : [];
  });
  // Problems in these maps are reported by the per-document check below, not twice.
  const { accelerators, classes, controller } = configFromMaps(maps, []);
  return { accelerators, classes, ...(controller.options.analyzer !== undefined ? { analyzer: controller.options.analyzer } : {}) };
}

/** The webhook's checks for one document, or undefined for kinds that are not inferno's. */
function checkDocument(value: unknown, accelerators: readonly Accelerator[], classes: ClassIndex, analyzer: AnalyzerKind): { errors: InputIssue[]; warnings: string[] } | undefined {
  if (kindOf(value) === OptimizerApi.kind) return checkOptimizer(value, accelerators, classes, analyzer);
  if (kindOf(value) !== 'ConfigMap') return undefined;
  const c = checkConfigMap(value);
  return c.ours ? { errors: c.errors, warnings: [] } : undefined;
}

export async function validateCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('validate', args, {
    file: { type: 'string', short: 'f', multiple: true },
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const);
  if (values.help === true) {
    io.stdout.write(validateHelp);
    return 0;
  }
  const files = (values.file ?? []).map((f) => resolve(io.cwd, f));
  if (files.length === 0) throw new UsageError('give at least one --file', 'validate');
  const docs = (await Promise.all(files.map(readDocs))).flat();
  const local = configFrom(docs);
  const configFile = values.config !== undefined ? resolve(io.cwd, values.config) : local.accelerators.length > 0 ? undefined : defaultConfig;
  const config = configFile !== undefined ? configFrom(await readDocs(configFile)) : local;
  const classes: ClassIndex = { byRef: new Map([...config.classes.byRef, ...local.classes.byRef]), byName: new Map([...config.classes.byName, ...local.classes.byName]) };
  const accelerators = [...new Map([...config.accelerators, ...local.accelerators].map((a) => [a.name, a])).values()];

  let problems = 0;
  let checked = 0;
  for (const d of docs) {
    const at = { file: d.file, ...(d.document !== undefined ? { document: d.document } : {}) };
    const found = checkDocument(d.value, accelerators, classes, local.analyzer ?? config.analyzer ?? 'v2');
    if (found === undefined) continue;
    const { errors, warnings } = found;
    checked += 1;
    const where = issueLocation({ ...at, path: '' });
    if (errors.length === 0) io.stdout.write(`ok       ${where}\n`);
    for (const e of errors) io.stdout.write(`invalid  ${issueLocation({ ...at, path: e.path })}: ${e.message}\n`);
    for (const w of warnings) io.stdout.write(`warning  ${where}: ${w}\n`);
    if (errors.length > 0) problems += 1;
  }
  io.stdout.write(`${checked} object${checked === 1 ? '' : 's'} checked, ${problems} invalid${configFile !== undefined ? ` (catalog and classes from ${configFile})` : ''}\n`);
  return problems > 0 ? 2 : 0;
}
