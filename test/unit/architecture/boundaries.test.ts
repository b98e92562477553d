// The import rules of .dependency-cruiser.cjs catch what they are for: a temporary tree with one deliberate
// violation per rule, cruised with the project's own rule set. (`npm run lint` runs the same rules on src/.)
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { cruise } from 'dependency-cruiser';
import type { IConfiguration } from 'dependency-cruiser';

const require = createRequire(import.meta.url);
const config = require('../../../.dependency-cruiser.cjs') as IConfiguration;

async function violations(files: Record<string, string>): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'inferno-deps-'));
  try {
    const tsconfig = JSON.stringify({ compilerOptions: { module: 'node20', strict: true }, include: ['src'] });
    for (const [path, text] of Object.entries({ ...files, 'tsconfig.json': tsconfig })) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = await cruise(['src'], { ...config.options, tsConfig: { fileName: 'tsconfig.json' }, validate: true, ruleSet: { forbidden: config.forbidden ?? [] } });
      const out = r.output;
      assert.ok(typeof out !== 'string');
      return out.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    } finally {
      process.chdir(cwd);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('import boundaries', () => {
  test('a clean tree passes', async () => {
    assert.deepEqual(await violations({
      'src/domain/types.ts': 'export interface Load { readonly rpm: number }\n',
      'src/solver/solve.ts': "import type { Load } from '../domain/types.js';\nexport const solve = (l: Load): number => l.rpm;\n",
      'src/cli/main.ts': "import { solve } from '../solver/solve.js';\nexport const run = (): number => solve({ rpm: 1 });\n",
    }), []);
  });

  test('a lower layer importing a higher one, I/O in the core, a decision module importing an adapter, a cycle', async () => {
    const found = await violations({
      'src/domain/types.ts': "import { view } from '../cluster/snapshot.js';\nexport const v = view;\n",
      'src/cluster/snapshot.ts': "import { readFileSync } from 'node:fs';\nexport const view = readFileSync;\n",
      'src/scaler/decide.ts': "import { scale } from '../kube/actuator.js';\nexport const decide = scale;\n",
      'src/kube/actuator.ts': "import { run } from '../cli/main.js';\nexport const scale = run;\n",
      'src/cli/main.ts': "import { scale } from '../kube/actuator.js';\nexport const run = (): unknown => scale;\n",
    });
    assert.deepEqual(found, [
      'adapters-do-not-import-the-cli: src/kube/actuator.ts → src/cli/main.ts',
      'domain-imports-only-lower-layers: src/domain/types.ts → src/cluster/snapshot.ts',
      'no-circular: src/cli/main.ts → src/kube/actuator.ts',
      'pure-layers-do-no-io: src/cluster/snapshot.ts → fs',
      'scaler-imports-only-the-core: src/scaler/decide.ts → src/kube/actuator.ts',
    ]);
  });
});
