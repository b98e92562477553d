// Upstream's recorded sample data lives beside the repository (../shared, never committed). Tests that read it say
// so on stderr when it is missing, and skip with the path they looked for, instead of passing silently.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function sharedSample(relative: string): { readonly path: string; readonly skip: string | false } {
  const path = fileURLToPath(new URL(`../../../shared/upstream-sample-data/${relative}`, import.meta.url));
  if (existsSync(path)) return { path, skip: false };
  const why = `upstream sample data not found at ${path} (the shared/ folder beside the repository)`;
  process.stderr.write(`note: skipping a test: ${why}\n`);
  return { path, skip: why };
}
