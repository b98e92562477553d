// Optimizer resources from YAML files (a scenario, a model's manifests, a List): other kinds are skipped, invalid
// Optimizers are input errors with their file, document and field path.
import { InputError, fromZod } from '../cluster/issues.js';
import type { InputIssue } from '../cluster/issues.js';
import type { OptimizerResource } from '../cluster/resources.js';
import { OptimizerSchema } from '../cluster/resources.js';
import { parseYamlDocuments } from '../formats/scenario.js';
import { OptimizerApi } from '../domain/keys.js';
import { readText } from '../io/input-files.js';

export interface FoundOptimizer {
  readonly o: OptimizerResource;
  readonly file: string;
  readonly document: string | undefined;
}

const kindOf = (v: unknown): unknown => (v !== null && typeof v === 'object' ? (v as { kind?: unknown }).kind : undefined);

export async function readOptimizers(path: string): Promise<FoundOptimizer[]> {
  const text = await readText(path);
  const issues: InputIssue[] = [];
  const out: FoundOptimizer[] = [];
  const visit = (value: unknown, document: string | undefined): void => {
    const kind = kindOf(value);
    if (kind === 'List') {
      const items = (value as { items?: unknown }).items;
      if (Array.isArray(items)) (items as unknown[]).forEach((v, i) => { visit(v, `${document ?? ''} items[${i}]`); });
      return;
    }
    if (kind !== OptimizerApi.kind) return;
    const r = OptimizerSchema.safeParse(value);
    if (r.success) out.push({ o: r.data, file: path, document });
    else issues.push(...fromZod(r.error, { file: path, ...(document !== undefined ? { document } : {}) }));
  };
  for (const d of parseYamlDocuments(text, path)) visit(d.value, d.where.document);
  if (issues.length > 0) throw new InputError(issues);
  return out;
}
