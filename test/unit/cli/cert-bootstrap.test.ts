// The certificate bootstrap's sequencing over its Secret port (the real Secret adapter runs against the API server
// in test/e2e/install.test.ts): replicas racing on no Secret end on one CA; a CA rotation puts the new bundle in
// place (and injects it) before the serving certificate it signed; someone else's broken Secret is refused, not
// overwritten. The store below keeps the port's contract: create only if absent, replace only at the version read.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CertBootstrap, CertSecretRefused } from '../../../src/cli/cert-bootstrap.js';
import { CertFile } from '../../../src/domain/keys.js';
import type { CertSecretStore, StoredSecret } from '../../../src/kube/cert-secret.js';
import { createCertificateAuthority, createServingCertificate, webhookServingNames } from '../../../src/tls/forge.js';
import { defaultRenewFraction, parseBundle } from '../../../src/tls/rotation.js';

class MemoryStore implements CertSecretStore {
  readonly what = 'inferno-system/inferno-webhook-tls';
  secret: StoredSecret | undefined;
  writes: string[] = [];
  private version = 0;
  /** runs before each read resolves: lets a test interleave another writer */
  beforeRead: (() => Promise<void>) | undefined;

  read(): Promise<StoredSecret | undefined> {
    const s = this.secret;
    return (this.beforeRead?.() ?? Promise.resolve()).then(() => s);
  }
  create(data: Readonly<Record<string, string>>): Promise<'written' | 'conflict'> {
    if (this.secret !== undefined) return Promise.resolve('conflict');
    this.secret = { resourceVersion: String(++this.version), data, owned: true };
    this.writes.push('create');
    return Promise.resolve('written');
  }
  replace(resourceVersion: string, data: Readonly<Record<string, string>>): Promise<'written' | 'conflict'> {
    if (this.secret?.resourceVersion !== resourceVersion) return Promise.resolve('conflict');
    this.secret = { ...this.secret, resourceVersion: String(++this.version), data };
    this.writes.push('replace');
    return Promise.resolve('written');
  }
}

const names = webhookServingNames('inferno-webhook', 'inferno-system');
const dirs: string[] = [];
after(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))); });

async function replica(store: CertSecretStore, events: string[] = [], now: () => Date = () => new Date()): Promise<{ b: CertBootstrap; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'inferno-cert-bootstrap-'));
  dirs.push(dir);
  const b = new CertBootstrap({
    store, certDir: dir, log: () => undefined, settleMs: 0, now,
    policy: { renewFraction: defaultRenewFraction, dnsNames: names.dnsNames, ipAddresses: names.ipAddresses },
    issue: { service: 'inferno-webhook', namespace: 'inferno-system', caDays: 3650, servingDays: 365 },
    // What --cert-dir holds when the bundle is injected.
    onNewBundle: async () => {
      const [bundle, cert] = await Promise.all([readFile(join(dir, CertFile.caCert), 'utf8'), readFile(join(dir, CertFile.cert), 'utf8')]);
      events.push(`inject ${parseBundle(bundle).certs.length} CAs while serving ${new X509Certificate(cert).issuer}`);
    },
  });
  return { b, dir };
}
const files = async (dir: string): Promise<Record<string, string>> => Object.fromEntries(await Promise.all(
  [CertFile.caCert, CertFile.cert, CertFile.key].map(async (f) => [f, await readFile(join(dir, f), 'utf8')] as const)));

describe('CertBootstrap', () => {
  test('two replicas starting on no Secret: one creates it, the other uses the winner\'s; both serve the same files', async () => {
    const store = new MemoryStore();
    const [a, b] = await Promise.all([replica(store), replica(store)]);
    // Both read "absent" before either writes: the second create is a conflict.
    let reads = 0;
    let release: () => void = () => undefined;
    const bothRead = new Promise<void>((ok) => { release = ok; });
    store.beforeRead = async () => {
      if (++reads === 2) release();
      if (reads <= 2) await bothRead;
    };
    const [ma, mb] = await Promise.all([a.b.reconcile(), b.b.reconcile()]);
    assert.deepEqual(store.writes, ['create']);
    assert.deepEqual(ma, mb);
    assert.deepEqual(await files(a.dir), await files(b.dir));
    assert.equal((await files(a.dir))[CertFile.caCert], store.secret?.data[CertFile.caCert]);
  });

  test('a CA due for renewal: the new bundle (old and new CA) is written and injected before the new serving certificate', async () => {
    const store = new MemoryStore();
    // 2500 of its 3650 days gone: due (less than a third left).
    const issued = Date.now() - 2500 * 86_400_000;
    const ca = createCertificateAuthority({ commonName: 'old CA', days: 3650, now: new Date(issued) });
    const leaf = createServingCertificate(ca, { ...names, days: 365, now: new Date(issued + 300 * 86_400_000) });
    store.secret = { resourceVersion: '1', owned: true, data: { [CertFile.caCert]: ca.certPem, [CertFile.caKey]: ca.keyPem, [CertFile.cert]: leaf.certPem, [CertFile.key]: leaf.keyPem } };
    const events: string[] = [];
    const r = await replica(store, events);
    // A replica that started when the old CA was fine, and is still running now.
    let clock = new Date(issued + 400 * 86_400_000);
    const early = await replica(store, events, () => clock);
    await early.b.reconcile();
    assert.deepEqual(store.writes, []);
    // This replica's first reconcile rotates the CA and writes everything (nothing was served yet: no injection).
    await r.b.reconcile();
    assert.deepEqual(store.writes, ['replace']);
    assert.deepEqual(parseBundle(store.secret.data[CertFile.caCert] ?? '').certs.map((c) => c.cert.subject), ['CN=inferno-webhook.inferno-system webhook CA', 'CN=old CA']);
    assert.deepEqual(events, []);
    // The replica that served the old pair picks the change up: the bundle first, injected while the old pair is
    // still served, then the pair.
    const before = await files(early.dir);
    clock = new Date();
    await early.b.reconcile();
    assert.deepEqual(events, ['inject 2 CAs while serving CN=old CA']);
    const now = await files(early.dir);
    assert.notEqual(now[CertFile.cert], before[CertFile.cert]);
    assert.deepEqual(now, await files(r.dir));
  });

  test('someone else\'s Secret that cannot be served is refused, every key named, and left as it is', async () => {
    const store = new MemoryStore();
    store.secret = { resourceVersion: '7', owned: false, data: { [CertFile.cert]: 'garbage' } };
    const r = await replica(store);
    await assert.rejects(r.b.reconcile(), (e: unknown) => {
      assert.ok(e instanceof CertSecretRefused);
      assert.deepEqual(e.issues.map((i) => `${i.document ?? ''}: ${i.path}: ${i.message}`), [
        'Secret inferno-system/inferno-webhook-tls: data["ca.crt"]: missing',
        'Secret inferno-system/inferno-webhook-tls: data["tls.key"]: missing',
        'Secret inferno-system/inferno-webhook-tls: data["tls.crt"]: holds no readable PEM certificate',
        'Secret inferno-system/inferno-webhook-tls: : not created by inferno (no label app.kubernetes.io/managed-by=inferno), so inferno does not overwrite it: fix it, or delete it and inferno creates its own',
      ]);
      return true;
    });
    assert.deepEqual(store.writes, []);
  });
});
