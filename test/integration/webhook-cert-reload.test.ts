// Certificate rotation without a restart: rewritten files (in place, by rename, or by a Secret volume's `..data`
// symlink swap) are picked up for new connections; a broken pair is refused and the previous one kept.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'node:tls';
import { startHttpsServer } from '../../src/http/https-server.js';
import { createAdmissionMetrics } from '../../src/metrics/admission.js';
import { createWebhookApp } from '../../src/http/webhook-app.js';
import type { TestPki } from '../support/https.js';
import { call, createTestPki, writePki } from '../support/https.js';

/** The serial the server presents to a new connection that trusts `ca`; rejects if verification fails. */
function servedSerial(port: number, ca: string): Promise<string> {
  return new Promise((ok, fail) => {
    const s = connect({ host: '127.0.0.1', port, ca }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      ok(serial);
    });
    s.on('error', fail);
  });
}

const serialOf = (pki: TestPki): string => new X509Certificate(pki.leaf.certPem).serialNumber;

async function until(what: string, f: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f().catch(() => false)) return;
    await new Promise((ok) => setTimeout(ok, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const app = createWebhookApp({ routes: [], metrics: createAdmissionMetrics(), ready: () => true });

test('files rewritten in place or renamed over: new connections see the new CA and leaf; a broken pair is ignored', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'inferno-reload-'));
  const first = createTestPki('first CA');
  const files = await writePki(dir, first);
  const reloads: (string | undefined)[] = [];
  const server = await startHttpsServer(app, { ...files, port: 0, host: '127.0.0.1', reloadDebounceMs: 20, onReload: (e) => reloads.push(e?.message) });
  t.after(async () => {
    await server.close(500);
    await rm(dir, { recursive: true, force: true });
  });
  assert.equal(await servedSerial(server.port, first.ca.certPem), serialOf(first));

  // In place: key then certificate, as a naive tool would (the debounce and pair check cover the gap).
  const second = createTestPki('second CA');
  await writePki(dir, second);
  await until('the second certificate', async () => (await servedSerial(server.port, second.ca.certPem)) === serialOf(second));
  await assert.rejects(servedSerial(server.port, first.ca.certPem), /self[- ]signed|unable to verify|certificate/i);
  assert.equal((await call(server.port, second.ca.certPem, { path: '/healthz' })).text, 'ok');

  // A certificate whose key is missing: refused, the second pair stays in use.
  const stray = createTestPki('stray CA');
  await writeFile(files.certFile, stray.leaf.certPem);
  await until('a refused reload', () => Promise.resolve(reloads.some((e) => e !== undefined)));
  assert.equal(await servedSerial(server.port, second.ca.certPem), serialOf(second));

  // Write-and-rename, as `inferno certs` does.
  const third = createTestPki('third CA');
  await writeFile(`${files.keyFile}.tmp`, third.leaf.keyPem);
  await writeFile(`${files.certFile}.tmp`, third.leaf.certPem);
  await rename(`${files.keyFile}.tmp`, files.keyFile);
  await rename(`${files.certFile}.tmp`, files.certFile);
  await until('the third certificate', async () => (await servedSerial(server.port, third.ca.certPem)) === serialOf(third));
});

test('a Secret volume: the ..data symlink swapped to a new timestamped directory', async (t) => {
  const mount = await mkdtemp(join(tmpdir(), 'inferno-secret-'));
  const generation = async (name: string, pki: TestPki): Promise<void> => {
    await mkdir(join(mount, name));
    await writePki(join(mount, name), pki);
  };
  const first = createTestPki('first CA');
  await generation('..2026_11_28_01', first);
  await symlink('..2026_11_28_01', join(mount, '..data'));
  for (const f of ['tls.crt', 'tls.key']) await symlink(join('..data', f), join(mount, f));
  const server = await startHttpsServer(app, { certFile: join(mount, 'tls.crt'), keyFile: join(mount, 'tls.key'), port: 0, host: '127.0.0.1', reloadDebounceMs: 20 });
  t.after(async () => {
    await server.close(500);
    await rm(mount, { recursive: true, force: true });
  });
  assert.equal(await servedSerial(server.port, first.ca.certPem), serialOf(first));

  // What the kubelet's atomic writer does: new directory, new symlink, rename over ..data.
  const second = createTestPki('second CA');
  await generation('..2026_11_28_02', second);
  await symlink('..2026_11_28_02', join(mount, '..data_tmp'));
  await rename(join(mount, '..data_tmp'), join(mount, '..data'));
  await until('the rotated certificate', async () => (await servedSerial(server.port, second.ca.certPem)) === serialOf(second));
});
