// `inferno certs` and `inferno serve` as an operator runs them: child processes, files, signals, exit codes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inferno, infernoBin } from '../support/cli.js';
import { call, deploymentRequest, review } from '../support/https.js';



interface Served { readonly child: ChildProcess; readonly port: number; readonly logs: () => string; readonly exited: Promise<number | null> }

/** Starts `inferno serve` and resolves once it logs that it listens. */
function serve(...args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [infernoBin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => { ok(code); }));
  return new Promise((ok, fail) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const line = err.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line !== undefined) ok({ child, port: (JSON.parse(line) as { port: number }).port, logs: () => err, exited });
    });
    void exited.then((code) => { fail(new Error(`inferno serve exited with ${String(code)} before listening:\n${err}`)); });
  });
}

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferno-serve-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('inferno certs', () => {
  test('writes a CA and a serving certificate for the Service, keys 0600; a second run keeps the CA', async () => {
    const out = join(dir, 'certs');
    const r = await inferno('certs', '--out', out, '--service', 'hook', '--namespace', 'infra', '--days', '2');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ca\.crt, .*ca\.key: new CA/);
    assert.match(r.stdout, /tls\.crt, .*tls\.key: serving certificate valid until .* for hook, hook\.infra, hook\.infra\.svc, hook\.infra\.svc\.cluster\.local, localhost, 127\.0\.0\.1/);
    for (const f of ['ca.key', 'tls.key']) assert.equal((await stat(join(out, f))).mode & 0o777, 0o600, f);
    const ca = new X509Certificate(await readFile(join(out, 'ca.crt')));
    const leaf = new X509Certificate(await readFile(join(out, 'tls.crt')));
    assert.ok(leaf.verify(ca.publicKey));
    assert.equal(leaf.checkHost('hook.infra.svc'), 'hook.infra.svc');
    assert.ok(new Date(leaf.validTo).getTime() - Date.now() < 2 * 86_400_000 + 60_000);

    const again = await inferno('certs', '--out', out, '--service', 'hook', '--namespace', 'infra');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /kept .*ca\.crt/);
    assert.equal(new X509Certificate(await readFile(join(out, 'ca.crt'))).serialNumber, ca.serialNumber);
    const renewed = new X509Certificate(await readFile(join(out, 'tls.crt')));
    assert.notEqual(renewed.serialNumber, leaf.serialNumber);
    assert.ok(renewed.verify(ca.publicKey));
  });

  test('bad flags exit 2 with a hint', async () => {
    const cases = [['--days', 'ten'], ['--service', 'Not_A_Label'], ['--bogus']];
    const runs = await Promise.all(cases.map((args) => inferno('certs', '--out', join(dir, 'unused'), ...args)));
    runs.forEach((r, i) => {
      assert.equal(r.code, 2, cases[i]?.join(' '));
      assert.match(r.stderr, /^inferno certs: .*\nRun 'inferno certs --help' for usage\.\n$/);
    });
  });
});

describe('inferno serve', () => {
  test('--help, and a clear error without certificates', async () => {
    const [h, r, port] = await Promise.all([
      inferno('serve', '--help'), inferno('serve', '--no-kube', '--cert-dir', join(dir, 'missing')), inferno('serve', '--port', '70000'),
    ]);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /^Usage: inferno serve /);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /tls\.crt not found; create the certificates with 'inferno certs/);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port must be a whole number from 0 to 65535/);
  });

  test('--no-kube serves admission over HTTPS; SIGTERM turns readiness off, drains, exits 0', async () => {
    const certs = join(dir, 'certs'); // from the 'inferno certs' test when it ran: localhost and 127.0.0.1 are always SANs
    if (!existsSync(join(certs, 'tls.crt'))) assert.equal((await inferno('certs', '--out', certs)).code, 0);
    const ca = await readFile(join(certs, 'ca.crt'), 'utf8');
    const s = await serve('--no-kube', '--port', '0', '--host', '127.0.0.1', '--cert-dir', certs, '--drain-seconds', '1', '--grace-seconds', '2');
    try {
      const r = await call(s.port, ca, { path: '/mutate-deployment', body: JSON.stringify(review(deploymentRequest('cli-uid'))) });
      assert.equal(r.status, 200, r.text);
      const body = JSON.parse(r.text) as { response: { uid: string; allowed: boolean } };
      assert.equal(body.response.uid, 'cli-uid');
      assert.equal(body.response.allowed, true);
      assert.equal((await call(s.port, ca, { path: '/readyz' })).status, 200);

      s.child.kill('SIGTERM');
      await new Promise((ok) => setTimeout(ok, 300));
      assert.equal((await call(s.port, ca, { path: '/readyz' })).status, 503, 'not ready while draining');
      const during = await call(s.port, ca, { path: '/mutate-deployment', body: JSON.stringify(review(deploymentRequest('drain-uid'))) });
      assert.equal(during.status, 200, 'still answering admission while draining');
      assert.equal(await s.exited, 0, s.logs());
      assert.match(s.logs(), /"msg":"draining"/);
      assert.match(s.logs(), /"msg":"stopped"/);
    } finally {
      s.child.kill('SIGKILL');
    }
  });
});
