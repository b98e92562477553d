// The README's "Compare autoscaling policies on simulated traffic" commands, run exactly as written (read from the
// README, through bash, from the repository root): the first prints the comparison table the README shows, byte for
// byte (the same seed gives the same numbers); the second writes the report and the charts the README shows, which
// must equal the committed ones. Slow (the default scenario, twice): `npm run test:sim`, not `npm test`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

const root = new URL('../../', import.meta.url).pathname;
const heading = '## Compare autoscaling policies on simulated traffic';

interface Section {
  readonly commands: string[][];
  /** the text block after each sh block */
  readonly outputs: (string | undefined)[];
}

function section(): Section {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  const at = text.indexOf(heading);
  assert.ok(at >= 0, 'the README has the section');
  const end = text.indexOf('\n## ', at + heading.length);
  const body = text.slice(at, end === -1 ? undefined : end);
  const commands: string[][] = [];
  const outputs: (string | undefined)[] = [];
  for (const m of body.matchAll(/```(sh|text)\n([\s\S]*?)```/g)) {
    if (m[1] === 'sh') {
      commands.push((m[2] ?? '').split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l !== '' && !l.startsWith('#')));
      outputs.push(undefined);
    } else {
      outputs[outputs.length - 1] = m[2];
    }
  }
  return { commands, outputs };
}

function run(line: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn('bash', ['-c', line], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-20_000); });
    child.once('exit', (code) => { ok({ code, stdout, stderr }); });
  });
}

describe('README: inferno simulate', () => {
  const s = section();

  test('the default scenario prints the table the README shows', { timeout: 300_000 }, async () => {
    const [cmd] = s.commands[0] ?? [];
    assert.equal(cmd, 'npx inferno simulate');
    const r = await run(cmd);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, s.outputs[0], 'the README table is what the command prints');
    assert.match(r.stderr, /simulated wva \(6\/6\)/);
  });

  test('the report command writes the page and the charts the README shows', { timeout: 300_000 }, async () => {
    const [cmd] = s.commands[1] ?? [];
    assert.ok(cmd !== undefined);
    const report = /--report (\S+)/.exec(cmd)?.[1];
    const chartsDir = /--charts (\S+)/.exec(cmd)?.[1];
    assert.ok(report !== undefined && chartsDir !== undefined, cmd);
    const names = ['load', 'replicas', 'latency', 'cost'];
    const committed = await Promise.all(names.map(async (n) => readFile(join(root, chartsDir, `${n}.svg`), 'utf8')));
    try {
      const r = await run(cmd);
      assert.equal(r.code, 0, r.stderr);
      const html = await readFile(join(root, report), 'utf8');
      assert.equal((html.match(/<svg /g) ?? []).length, 4);
      for (const [i, n] of names.entries()) {
        assert.equal(await readFile(join(root, chartsDir, `${n}.svg`), 'utf8'), committed[i], `${chartsDir}/${n}.svg is what the command writes`);
      }
      for (const img of readFileSync(join(root, 'README.md'), 'utf8').slice(readFileSync(join(root, 'README.md'), 'utf8').indexOf(heading)).matchAll(/!\[[^\]]*\]\(([^)]+\.svg)\)/g)) {
        assert.ok(existsSync(join(root, img[1] ?? '')), `the README's chart ${img[1] ?? ''} exists`);
      }
    } finally {
      // Leave the tree as it was: the committed charts, no report file.
      await Promise.all(names.map(async (n, i) => writeFile(join(root, chartsDir, `${n}.svg`), committed[i] ?? '')));
      await rm(join(root, report), { force: true });
    }
  });
});
