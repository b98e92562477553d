#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build`, which `npm ci` runs through the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/entry.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("inferno: the compiled CLI is missing (dist/cli/entry.js); run 'npm run build' (npm ci runs it too)\n");
  process.exit(1);
}
await import(entry.href);
