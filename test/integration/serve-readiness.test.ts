// `inferno serve` without a cluster it can read: not ready until the cluster view has synced, one clear log line
// for the problem, retries that back off, and no cluster at all is an input error that says where inferno looked.
// Real processes and real sockets: a closed loopback port, and a port that accepts and drops every connection.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inferno, infernoWith, spawnServe } from '../support/cli.js';
import type { ServeProcess } from '../support/cli.js';
import { call, review } from '../support/https.js';
import { sampleReview } from '../support/admission.js';

let dir = '';
let ca = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferno-readiness-'));
  assert.equal((await inferno('certs', '--out', dir)).code, 0);
  ca = await readFile(join(dir, 'ca.crt'), 'utf8');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

async function kubeconfig(name: string, port: number): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: not-a-token}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`);
  return file;
}

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((ok) => s.close(() => { ok(); }));
  return port;
}

const serveArgs = (kc: string): string[] => ['--kubeconfig', kc, '--cert-dir', dir, '--host', '127.0.0.1', '--port', '0', '--drain-seconds', '0', '--grace-seconds', '1'];
const warnings = (s: ServeProcess): { msg: string; problem?: string; kubeconfig?: string; server?: string }[] =>
  s.logs().split('\n').filter((l) => l.includes('"level":"warn"')).map((l) => JSON.parse(l) as { msg: string });

async function stop(s: ServeProcess): Promise<void> {
  s.child.kill('SIGTERM');
  await s.exited;
}

const optimizerReview = (): Record<string, unknown> => review({
  uid: 'opt-1', kind: { group: 'llmd.ai', version: 'v1alpha1', kind: 'Optimizer' }, resource: { group: 'llmd.ai', version: 'v1alpha1', resource: 'optimizers' },
  operation: 'CREATE', namespace: 'models', name: 'g', userInfo: { username: 'u' },
  object: {
    apiVersion: 'llmd.ai/v1alpha1', kind: 'Optimizer', metadata: { name: 'g', namespace: 'models' },
    spec: { modelID: 'ibm-granite/granite-13b-instruct', serviceClass: 'Premium', modelProfile: { accelerators: [{ acc: 'A100', maxBatchSize: 32, alpha: 20.58, beta: 0.41 }] } },
  },
});

describe('inferno serve against an unreachable cluster', () => {
  test('/readyz is 503, admission says it has not read the cluster, and the problem is one line, not one per retry', { timeout: 30_000 }, async () => {
    const kc = await kubeconfig('closed.yaml', await closedPort());
    const s = await spawnServe(serveArgs(kc));
    try {
      assert.equal((await call(s.port, ca, { path: '/healthz' })).status, 200, 'alive');
      assert.equal((await call(s.port, ca, { path: '/readyz' })).status, 503, 'not ready before the view has synced');
      const denied = JSON.parse((await call(s.port, ca, { path: '/validate-optimizer', body: JSON.stringify(optimizerReview()) })).text) as { response: { allowed: boolean; status: { code: number; message: string } } };
      assert.equal(denied.response.allowed, false);
      assert.equal(denied.response.status.code, 503);
      assert.match(denied.response.status.message, /has not yet read the cluster/);
      assert.doesNotMatch(denied.response.status.message, /known: none/);
      const placed = JSON.parse((await call(s.port, ca, { path: '/mutate-deployment', body: JSON.stringify(sampleReview()) })).text) as { response: { allowed: boolean; warnings?: string[] } };
      assert.equal(placed.response.allowed, true, 'the mutating webhook fails open');
      assert.match(placed.response.warnings?.join('\n') ?? '', /has not yet read the cluster.*admitted unchanged/);

      await sleep(4000);
      assert.equal((await call(s.port, ca, { path: '/readyz' })).status, 503, 'still not ready');
      const w = warnings(s);
      assert.equal(w.length, 1, `one warning in 4 s, not one per resource and retry:\n${s.logs()}`);
      assert.equal(w[0]?.msg, 'cannot read the cluster; retrying');
      assert.match(w[0].problem ?? '', /^cannot reach the API server https:\/\/127\.0\.0\.1:\d+: ECONNREFUSED$/);
      assert.equal(w[0].kubeconfig, kc, 'names the kubeconfig');
      assert.doesNotMatch(s.logs(), /lease/, 'no Lease campaign before the view has synced');
    } finally {
      await stop(s);
    }
  });

  test('retries back off: connection attempts over 5 s grow apart (0.5, 1, 2, 4 s…), not every half second', { timeout: 30_000 }, async () => {
    const sockets = new Set<Socket>();
    let connections = 0;
    const dropper: Server = createServer((sock) => {
      connections += 1;
      sockets.add(sock);
      sock.destroy();
    });
    await new Promise<void>((ok) => dropper.listen(0, '127.0.0.1', ok));
    const kc = await kubeconfig('dropped.yaml', (dropper.address() as { port: number }).port);
    const s = await spawnServe(serveArgs(kc));
    try {
      const from = connections;
      await sleep(5000);
      const seen = connections - from;
      // Four resources: with backoff about 4 attempts each in 5 s (at 0.5, 1.5, 3.5 s and the first), without it
      // about 10 each.
      assert.ok(seen >= 4 && seen <= 24, `${seen} connections in 5 s`);
      assert.equal(warnings(s).length, 1, s.logs());
    } finally {
      await stop(s);
      dropper.close();
    }
  });
});

describe('inferno serve with no kubeconfig', () => {
  test('a --kubeconfig that does not exist, or none anywhere, is an input error naming where it looked (exit 2)', async () => {
    const missing = join(dir, 'nope', 'config');
    const given = await inferno('serve', '--kubeconfig', missing, '--cert-dir', dir, '--port', '0');
    assert.equal(given.code, 2);
    assert.match(given.stderr, new RegExp(`${missing.replace(/[/.]/g, '\\$&')}: cannot open: ENOENT`));
    const home = join(dir, 'empty-home');
    const env = { PATH: process.env['PATH'] ?? '', HOME: home };
    const none = await infernoWith({ env }, 'serve', '--cert-dir', dir, '--port', '0');
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /no cluster to connect to: no --kubeconfig, \$KUBECONFIG is not set, .*empty-home\/\.kube\/config does not exist, and this is not a pod .*Give --kubeconfig PATH, or serve without a cluster with --no-kube or --scenario FILE/);
    assert.doesNotMatch(none.stderr, /internal error|\n\s+at /);
  });
});
