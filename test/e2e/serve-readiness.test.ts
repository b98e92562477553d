// `inferno serve` with credentials the real API server refuses: a ServiceAccount without RBAC. Each forbidden list
// is one log line naming the verb and the resource, retried with backoff (no new lines while nothing changes);
// /readyz stays 503 until every resource has been listed once, and turns 200 by itself once deploy/base/rbac.yaml
// grants the reads: no restart.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { Cluster } from './cluster.js';
import { REPO_ROOT, freePorts, httpGet, startCluster, waitFor } from './cluster.js';
import { ServeProcess } from './support/serve-process.js';
import { DefaultNamespace } from '../../src/domain/keys.js';

const BIN = path.join(REPO_ROOT, 'bin', 'inferno.js');
const file = (...p: string[]): string => path.join(REPO_ROOT, ...p);
const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

void describe('e2e: inferno serve is ready only once it has read the cluster', { timeout: 600_000 }, () => {
  let cluster: Cluster;
  let work = '';
  let serve: ServeProcess | undefined;
  let port = 0;
  let ca = Buffer.alloc(0);
  const readyz = async (): Promise<number> => (await httpGet(`https://127.0.0.1:${port}/readyz`, { ca })).status;

  before(async () => {
    cluster = await startCluster();
    work = await mkdtemp(path.join(tmpdir(), 'inferno-e2e-readiness-'));
    const certDir = path.join(work, 'certs');
    await promisify(execFile)(process.execPath, [BIN, 'certs', '--out', certDir]);
    ca = readFileSync(path.join(certDir, 'ca.crt'));
    await cluster.kubectl(['apply', '-f', file('deploy', 'base', 'namespace.yaml'), '-f', file('deploy', 'crd', 'optimizers.llmd.ai.yaml')]);
    await cluster.kubectl(['wait', '--for=condition=Established', 'crd/optimizers.llmd.ai', '--timeout=30s']);
    await cluster.kubectl(['apply', '-f', file('deploy', 'base', 'config.yaml')]);
    // inferno's ServiceAccount, but none of deploy/base/rbac.yaml's bindings yet.
    await cluster.kubectl(['create', 'serviceaccount', 'inferno', '-n', DefaultNamespace]);
    const token = (await cluster.kubectl(['create', 'token', 'inferno', '-n', DefaultNamespace, '--duration=1h'])).trim();
    const kubeconfig = path.join(work, 'inferno.kubeconfig');
    await writeFile(kubeconfig, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'inferno',
      clusters: [{ name: 'e2e', cluster: { server: cluster.server, 'certificate-authority': cluster.caFile } }],
      users: [{ name: 'inferno', user: { token } }],
      contexts: [{ name: 'inferno', context: { cluster: 'e2e', user: 'inferno', namespace: DefaultNamespace } }],
    }), { mode: 0o600 });
    [port] = await freePorts(1) as [number];
    serve = new ServeProcess('forbidden', port, ['--kubeconfig', kubeconfig, '--host', '127.0.0.1', '--port', String(port), '--cert-dir', certDir, '--drain-seconds', '0'],
      path.join(cluster.workdir, 'inferno-serve-readiness.log'));
    await waitFor('inferno serve to listen', () => Promise.resolve((serve?.logged('listening').length ?? 0) > 0), { timeoutMs: 30_000, intervalMs: 100 });
  });

  after(async () => {
    await serve?.stop();
    await cluster.stop();
    await rm(work, { recursive: true, force: true });
  });

  void it('reports each forbidden list once, naming the verb and the resource, and stays unready', async () => {
    const s = serve;
    assert.ok(s !== undefined);
    await waitFor('the four forbidden lists to be reported', () => Promise.resolve(s.logged('cannot read the cluster').length >= 4), { timeoutMs: 20_000, intervalMs: 200 });
    await sleep(3000);
    const lines = s.logged('cannot read the cluster');
    assert.equal(lines.length, 4, `one line per resource, no repeats while retrying:\n${s.tail()}`);
    const problems = lines.map((l) => String(l['problem'])).sort();
    const who = `User "system:serviceaccount:${DefaultNamespace}:inferno"`;
    assert.deepEqual(problems.map((p) => /^403 Forbidden: .* cannot (list) resource "([a-z]+)" in API group "([a-z.]*)"/.exec(p)?.slice(1, 4)), [
      ['list', 'configmaps', ''], ['list', 'nodes', ''], ['list', 'optimizers', 'llmd.ai'], ['list', 'pods', ''],
    ], problems.join('\n'));
    for (const p of problems) assert.ok(p.includes(who), p);
    assert.equal(await readyz(), 503);
    assert.equal(s.logged('lease').length, 0, 'no Lease campaign before the view has synced');
  });

  void it('turns ready by itself once RBAC grants the reads', async () => {
    const s = serve;
    assert.ok(s !== undefined);
    await cluster.kubectl(['apply', '-f', file('deploy', 'base', 'rbac.yaml')]);
    // The retries have backed off to a few seconds by now (at most 30 s between attempts).
    await waitFor('/readyz to turn 200', async () => (await readyz()) === 200, { timeoutMs: 90_000, intervalMs: 500 });
    assert.equal(s.logged('cluster view synced: ready').length, 1, s.tail());
  });
});
