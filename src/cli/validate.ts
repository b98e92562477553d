// `inferno validate`: the checks of the validating webhook, offline, on files.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { InputIssue } from '../cluster/issues.js';
import { fromZod, issueLocation } from '../cluster/issues.js';
import { ConfigMapSchema } from '../cluster/resources.js';
import type { ClassIndex } from '../cluster/config-maps.js';
import { configFromMaps } from '../cluster/config-maps.js';
import type { Source } from '../formats/scenario.js';
import { yamlDocuments } from '../formats/scenario.js';
import { readSources } from '../io/input-files.js';
import type { Accelerator, AnalyzerKind } from '../domain/types.js';
import { ConfigRole, Label, OptimizerApi } from '../domain/keys.js';
import { checkConfigMap, checkOptimizer } from '../webhook/validate.js';
import type { Io } from './usage.js';
import { countKinds } from './count-kinds.js';
import { UsageError, parseCommandArgs } from './usage.js';

export const defaultConfig = fileURLToPath(new URL('../../deploy/base/config.yaml', import.meta.url));

export const validateHelp = `Usage: inferno validate -f FILE [-f FILE ...] [--config FILE] [--strict]

Checks Optimizer resources and inferno's ConfigMaps the way the validating webhook does: schema, references to the
accelerator catalog and service classes, and whether any listed accelerator can meet the class's SLO at all.
Every problem of every file is reported. Other kinds in the files are skipped and counted.

Options:
  -f, --file FILE     YAML with the objects to check (repeatable; a folder stands for its *.yaml, *.yml and
                      *.json files)
      --config FILE   the accelerator catalog and service classes to check against (default: the ConfigMaps in the
                      files, else deploy/base/config.yaml)
      --strict        checking nothing (no Optimizer or inferno ConfigMap in the files) is an error
  -h, --help          this help

Exit codes: 0 valid (warnings may be printed; also when nothing was checked, unless --strict), 2 problems found,
nothing checked with --strict, or bad usage.
`;

interface Doc {
  readonly value: unknown;
  readonly file: string;
  readonly document: string | undefined;
}

/** The documents of the files; YAML syntax errors are collected, so that they hide nothing else. */
function documentsOf(sources: readonly Source[], syntax: InputIssue[]): Doc[] {
  return sources.flatMap(({ file, text }) => {
    const { docs, issues } = yamlDocuments(text, file);
    syntax.push(...issues);
    return docs.flatMap((d) => itemsOf(d.value, d.where.document).map((i) => ({ ...i, file })));
  });
}

/** A List's items in its place (kubectl get -o yaml writes Lists). */
function itemsOf(value: unknown, document: string | undefined): { value: unknown; document: string | undefined }[] {
  const items = kindOf(value) === 'List' ? (value as { items?: unknown }).items : undefined;
  if (!Array.isArray(items)) return [{ value, document }];
  return (items as unknown[]).flatMap((v, i) => itemsOf(v, `${document ?? ''} items[${i}]`));
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

const labelOf = (v: unknown): unknown => (v as { metadata?: { labels?: Record<string, unknown> } }).metadata?.labels?.[Label.config];

/** The webhook's checks for one document, or undefined for kinds that are not inferno's. */
function checkDocument(value: unknown, accelerators: readonly Accelerator[], classes: ClassIndex, analyzer: AnalyzerKind): { errors: InputIssue[]; warnings: string[]; ignored?: true } | undefined {
  if (kindOf(value) === OptimizerApi.kind) return checkOptimizer(value, accelerators, classes, analyzer);
  if (kindOf(value) !== 'ConfigMap' || labelOf(value) === undefined) return undefined;
  // A labelled map the webhook would not even parse (a Kubernetes API server rejects it first): say why.
  const parsed = ConfigMapSchema.safeParse(value);
  if (!parsed.success) return { errors: fromZod(parsed.error), warnings: [] };
  const c = checkConfigMap(value);
  if (c.ours) return { errors: c.errors, warnings: [] };
  return { errors: [], warnings: [`${Label.config}: "${String(labelOf(value))}" is not one of inferno's roles (${Object.values(ConfigRole).join(', ')}): inferno ignores this ConfigMap`], ignored: true };
}

/** Checks every document and prints a line per finding; returns the counts. */
function checkAll(docs: readonly Doc[], accelerators: readonly Accelerator[], classes: ClassIndex, analyzer: AnalyzerKind, io: Io): { checked: number; invalid: number; skipped: string[] } {
  let checked = 0;
  let invalid = 0;
  const skipped: string[] = [];
  for (const d of docs) {
    const found = checkDocument(d.value, accelerators, classes, analyzer);
    const at = { file: d.file, ...(d.document !== undefined ? { document: d.document } : {}) };
    const where = issueLocation({ ...at, path: '' });
    if (found === undefined || found.ignored === true) {
      const kind = kindOf(d.value);
      skipped.push(typeof kind === 'string' ? kind : 'untyped document');
      for (const w of found?.warnings ?? []) io.stdout.write(`warning  ${where}: ${w}\n`);
      continue;
    }
    checked += 1;
    if (found.errors.length === 0) io.stdout.write(`ok       ${where}\n`);
    else invalid += 1;
    for (const e of found.errors) io.stdout.write(`invalid  ${issueLocation({ ...at, path: e.path })}: ${e.message}\n`);
    for (const w of found.warnings) io.stdout.write(`warning  ${where}: ${w}\n`);
  }
  return { checked, invalid, skipped };
}

export async function validateCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('validate', args, {
    file: { type: 'string', short: 'f', multiple: true },
    config: { type: 'string' },
    strict: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const);
  if (values.help === true) {
    io.stdout.write(validateHelp);
    return 0;
  }
  const files = (values.file ?? []).map((f) => resolve(io.cwd, f));
  if (files.length === 0) throw new UsageError('give at least one --file', 'validate');
  const syntax: InputIssue[] = [];
  const docs = documentsOf(await readSources(files), syntax);
  const local = configFrom(docs);
  const configFile = values.config !== undefined ? resolve(io.cwd, values.config) : local.accelerators.length > 0 ? undefined : defaultConfig;
  const config = configFile !== undefined ? configFrom(documentsOf(await readSources([configFile]), [])) : local;
  const classes: ClassIndex = { byRef: new Map([...config.classes.byRef, ...local.classes.byRef]), byName: new Map([...config.classes.byName, ...local.classes.byName]) };
  const accelerators = [...new Map([...config.accelerators, ...local.accelerators].map((a) => [a.name, a])).values()];

  for (const e of syntax) io.stdout.write(`invalid  ${issueLocation(e)}: ${e.message}\n`);
  const { checked, invalid, skipped } = checkAll(docs, accelerators, classes, local.analyzer ?? config.analyzer ?? 'v2', io);
  const syntaxNote = syntax.length > 0 ? `, ${syntax.length} YAML syntax error${syntax.length === 1 ? '' : 's'}` : '';
  const others = skipped.length > 0 ? `; skipped ${countKinds(skipped)}` : '';
  io.stdout.write(`${checked} object${checked === 1 ? '' : 's'} checked, ${invalid} invalid${syntaxNote}${others}${configFile !== undefined ? ` (catalog and classes from ${configFile})` : ''}\n`);
  if (checked === 0 && syntax.length === 0) {
    io.stderr.write(`inferno validate: nothing checked: no Optimizer or inferno ConfigMap (labelled ${Label.config}) in ${files.join(', ')}${values.strict === true ? '' : ' (--strict makes this an error)'}\n`);
    if (values.strict === true) return 2;
  }
  return invalid + syntax.length > 0 ? 2 : 0;
}
