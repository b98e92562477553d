// Every `npx inferno …` line of the README's shell blocks: the ones that run offline run here, exactly as written
// (through bash, from the repository root, in the README's order within a block), each with what it must show; the
// rest are listed with the test that runs them (the simulator and Prometheus tiers read their README sections
// themselves; a cluster-only line names its e2e test). A new README command fails the last test until it is in one
// of the two lists.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { call, review } from '../support/https.js';
import type { Done } from '../support/readme.js';
import { killGroup, readmeShBlocks, repoRoot, runLine } from '../support/readme.js';

const inferno = /\bnpx inferno\b/;

/** README sections run as a whole by the slower tiers (each reads the section by its heading). */
const sectionsRunElsewhere: Record<string, string> = {
  '## Compare autoscaling policies on simulated traffic': 'test/sim/readme.test.ts',
  '## Emulate vLLM and measure what the scaler sees': 'test/prometheus/readme.test.ts',
};

/** Lines that need a cluster, with the e2e test that runs the same command and what shows it does. */
const clusterOnly: Record<string, { readonly test: string; readonly shows: string }> = {
  'npx inferno serve --inject-ca-bundle': { test: 'test/e2e/webhook-trust.test.ts', shows: "'serve', '--kubeconfig', kubeconfig, '--host', '127.0.0.1', '--port', String(port), '--cert-dir', certDir, '--inject-ca-bundle'" },
};

const ok = (r: Done): void => { assert.equal(r.code, 0, r.stderr); };

/** What each offline line must show. */
const checks: Record<string, (r: Done) => void> = {
  'npx inferno plan': (r) => {
    ok(r);
    assert.match(r.stdout, /^Total: [\d.]+ ¢\/hour · \d+ of 9 servers in full/m);
    assert.equal(r.stderr, '');
  },
  'npx inferno plan --output json': (r) => {
    ok(r);
    const doc = JSON.parse(r.stdout) as { allocations: Record<string, unknown>; coverage: { servers: number } };
    assert.equal(doc.coverage.servers, 9);
    assert.ok('models/granite-13b' in doc.allocations);
  },
  'npx inferno plan --solver exact': (r) => {
    ok(r);
    assert.match(r.stdout, /^Total: .* · exact \(against greedy's \d+ ¢\/h with \d+ of 9 servers in full: /m);
  },
  'npx inferno plan --file deploy/base/config.yaml --file samples/models/ --mode unlimited': (r) => {
    ok(r);
    for (const name of ['granite-13b', 'llama-8b', 'llama-70b']) assert.match(r.stdout, new RegExp(`^${name}\\s`, 'm'));
    assert.match(r.stdout, /· unlimited capacity ·/);
    assert.match(r.stderr, /skipped 3 Deployments and 3 Services/);
  },
  'npx inferno plan --help': (r) => {
    ok(r);
    assert.match(r.stdout, /^Usage: inferno plan /);
  },
  'npx inferno validate -f samples/optimizer-granite.yaml': (r) => {
    ok(r);
    assert.match(r.stdout, /^1 object checked, 0 invalid/m);
  },
  'npx inferno validate -f samples/models/': (r) => {
    ok(r);
    assert.match(r.stdout, /^3 objects checked, 0 invalid; skipped 3 Deployments and 3 Services/m);
  },
  'npx inferno certs': (r) => {
    ok(r);
    assert.ok(existsSync(join(repoRoot, 'certs', 'tls.crt')));
  },
  "curl -s --cacert certs/ca.crt -H 'Content-Type: application/json' --data @samples/admission/deployment-create.json https://localhost:8443/mutate-deployment": (r) => {
    ok(r);
    const { response } = JSON.parse(r.stdout) as { response: { allowed: boolean; patch?: string; warnings?: string[] } };
    assert.equal(response.allowed, true);
    assert.deepEqual(response.warnings ?? [], [], 'placed, not admitted unchanged with a warning');
    const ops = JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString('utf8')) as { path: string }[];
    const paths = ops.map((o) => o.path);
    for (const p of ['/spec/template/spec/nodeSelector', '/spec/template/metadata/labels/inferno.llmd.ai~1accelerator', '/metadata/annotations/inferno.llmd.ai~1decision']) assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
  },
  'npx inferno scale --once --scenario deploy/base/config.yaml --scenario samples/scaling/cluster.yaml': (r) => {
    ok(r);
    assert.match(r.stdout, /^models\/granite-13b\s/m);
  },
};

/** Background lines (`… &`): how to tell they are up. */
const servers: Record<string, { readonly port: number; readonly up: () => Promise<boolean> }> = {
  'npx inferno serve --scenario samples/scenario.yaml --port 8443 &': {
    port: 8443,
    up: async () => {
      try {
        return (await call(8443, await readFile(join(repoRoot, 'certs', 'ca.crt'), 'utf8'), { path: '/healthz' })).status === 200;
      } catch {
        return false;
      }
    },
  },
};

const portFree = (port: number): Promise<boolean> => new Promise((okay) => {
  const s = createServer();
  s.once('error', () => { okay(false); });
  s.listen(port, () => { s.close(() => { okay(true); }); });
});

const sleep = (ms: number): Promise<void> => new Promise((okay) => setTimeout(okay, ms));

// `inferno certs` writes into certs/: what was there before the test is put back afterwards.
const certFiles = ['ca.crt', 'ca.key', 'tls.crt', 'tls.key'].map((f) => join(repoRoot, 'certs', f));
const savedCerts = new Map(certFiles.filter(existsSync).map((f) => [f, readFileSync(f)]));
const background: ChildProcess[] = [];
after(async () => {
  for (const c of background) killGroup(c, 'SIGKILL');
  for (const f of certFiles) {
    const saved = savedCerts.get(f);
    if (saved !== undefined) await writeFile(f, saved, { mode: f.endsWith('.key') ? 0o600 : 0o644 });
    else await rm(f, { force: true });
  }
});

/** While the README's webhook runs: the samples/models Optimizers pass its validation against samples/scenario.yaml. */
async function sampleOptimizersAllowed(): Promise<void> {
  const ca = await readFile(join(repoRoot, 'certs', 'ca.crt'), 'utf8');
  const dir = join(repoRoot, 'samples', 'models');
  const optimizers = readdirSync(dir).flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string } }))
    .filter((o) => o.kind === 'Optimizer');
  assert.equal(optimizers.length, 3);
  for (const o of optimizers) {
    const body = review({
      uid: o.metadata.name, kind: { group: 'llmd.ai', version: 'v1alpha1', kind: 'Optimizer' }, resource: { group: 'llmd.ai', version: 'v1alpha1', resource: 'optimizers' },
      operation: 'CREATE', namespace: 'models', name: o.metadata.name, userInfo: { username: 'readme' }, object: { ...o, metadata: { ...o.metadata, namespace: 'models' } },
    });
    const r = JSON.parse((await call(8443, ca, { path: '/validate-optimizer', body: JSON.stringify(body) })).text) as { response: { allowed: boolean; status?: { message: string } } };
    assert.equal(r.response.allowed, true, `${o.metadata.name}: ${r.response.status?.message ?? ''}`);
  }
}

describe('README: the offline commands, as written', () => {
  const blocks = readmeShBlocks().filter((b) => b.lines.some((l) => l in checks || l in servers));
  for (const [i, b] of blocks.entries()) {
    const ports = b.lines.flatMap((l) => (servers[l] !== undefined ? [servers[l].port] : []));
    test(`${b.heading} (block ${i + 1}): ${b.lines.filter((l) => inferno.test(l)).length} commands`, { timeout: 120_000 }, async (t) => {
      for (const p of ports) {
        if (!(await portFree(p))) {
          t.skip(`port ${p} is in use on this machine`);
          return;
        }
      }
      for (const line of b.lines) {
        const server = servers[line];
        if (server !== undefined) {
          const run = runLine(line.replace(/\s*&$/, ''));
          background.push(run.child);
          const until = Date.now() + 30_000;
          while (!(await server.up())) {
            assert.ok(Date.now() < until, `${line} did not come up:\n${run.stderr()}`);
            await sleep(200);
          }
          continue;
        }
        const check = checks[line];
        if (check === undefined) continue;
        const r = await runLine(line).done;
        check(r);
      }
      if (ports.includes(8443)) await sampleOptimizersAllowed();
    });
  }
});

describe('README: every inferno command is run by a test', () => {
  test('offline here, a whole section in a slower tier, or cluster-only in an e2e test', () => {
    const read = (f: string): string => readFileSync(join(repoRoot, f), 'utf8');
    const unaccounted: string[] = [];
    for (const b of readmeShBlocks()) {
      for (const line of b.lines.filter((l) => inferno.test(l))) {
        const elsewhere = sectionsRunElsewhere[b.heading];
        const cluster = clusterOnly[line];
        if (line in checks || line in servers) continue;
        if (elsewhere !== undefined) {
          assert.ok(read(elsewhere).includes(`'${b.heading}'`), `${elsewhere} runs the section ${b.heading}`);
          continue;
        }
        if (cluster !== undefined) {
          assert.ok(read(cluster.test).includes(cluster.shows), `${cluster.test} runs ${line}`);
          continue;
        }
        unaccounted.push(`${b.heading}: ${line}`);
      }
    }
    assert.deepEqual(unaccounted, [], 'README commands no test runs: add them to checks (offline) or clusterOnly (with its e2e test)');
    for (const line of [...Object.keys(checks), ...Object.keys(servers), ...Object.keys(clusterOnly)]) {
      assert.ok(readmeShBlocks().some((b) => b.lines.includes(line)), `no longer in the README: ${line}`);
    }
  });
});
