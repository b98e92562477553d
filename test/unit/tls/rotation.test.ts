// The certificate Secret's decisions on real node-forge certificates with chosen validity dates: usable or not (and
// which key says why), due for renewal or not, what the CA bundle holds across a CA rotation, and that someone
// else's Secret is never rewritten.
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, test } from 'node:test';
import { CertFile } from '../../../src/domain/keys.js';
import type { PemPair } from '../../../src/tls/forge.js';
import { createCertificateAuthority, createServingCertificate, webhookServingNames } from '../../../src/tls/forge.js';
import { renewedData } from '../../../src/tls/issue.js';
import type { CertDecision, CertPolicy } from '../../../src/tls/rotation.js';
import { defaultRenewFraction, inspect, joinBundle, parseBundle } from '../../../src/tls/rotation.js';

const DAY = 86_400_000;
const now = new Date('2027-03-01T00:00:00Z');
const ago = (days: number): Date => new Date(now.getTime() - days * DAY);
const names = webhookServingNames('inferno-webhook', 'inferno-system');
const policy: CertPolicy = { renewFraction: defaultRenewFraction, dnsNames: names.dnsNames, ipAddresses: names.ipAddresses };
const issue = { service: 'inferno-webhook', namespace: 'inferno-system', caDays: 3650, servingDays: 365, now };

const ca = (issuedDaysAgo: number, days = 3650, commonName = 'inferno-webhook.inferno-system webhook CA'): PemPair =>
  createCertificateAuthority({ commonName, days, now: ago(issuedDaysAgo) });
const leaf = (by: PemPair, issuedDaysAgo: number, days = 365, dnsNames = names.dnsNames): PemPair =>
  createServingCertificate(by, { dnsNames, ipAddresses: names.ipAddresses, days, now: ago(issuedDaysAgo) });
const data = (c: PemPair, l: PemPair, bundle = c.certPem): Record<string, string> =>
  ({ [CertFile.caCert]: bundle, [CertFile.caKey]: c.keyPem, [CertFile.cert]: l.certPem, [CertFile.key]: l.keyPem });
const owned = (d: Record<string, string>): { data: Record<string, string>; owned: true } => ({ data: d, owned: true });
const without = (d: Record<string, string>, key: string): Record<string, string> => Object.fromEntries(Object.entries(d).filter(([k]) => k !== key));
const foreign = (d: Record<string, string>): { data: Record<string, string>; owned: false } => ({ data: d, owned: false });

type Renew = Extract<CertDecision, { action: 'renew' }>;
function renewal(d: CertDecision): Renew {
  assert.equal(d.action, 'renew', JSON.stringify(d));
  return d;
}
const subjects = (bundle: string): string[] => parseBundle(bundle).certs.map((c) => c.cert.subject);
const signedBy = (certPem: string, caPem: string): boolean => {
  const c = new X509Certificate(certPem);
  const issuer = new X509Certificate(caPem);
  return c.checkIssued(issuer) && c.verify(issuer.publicKey);
};

// One CA issued 100 days ago and a serving certificate from 30 days ago: usable, nothing due.
const caNow = ca(100);
const leafNow = leaf(caNow, 30);

describe('inspect: a Secret inferno created', () => {
  test('absent: create a CA and a serving certificate; the result is then used as it is, ca.crt being the bundle', () => {
    const d = renewal(inspect(undefined, now, policy));
    assert.deepEqual([d.newCa, d.newServing, d.keepCas, d.findings], [true, true, [], []]);
    const created = renewedData(d, {}, issue);
    assert.deepEqual(Object.keys(created).sort(), [CertFile.caCert, CertFile.caKey, CertFile.cert, CertFile.key].sort());
    const used = inspect(owned(created), now, policy);
    assert.equal(used.action, 'use');
    assert.deepEqual(used.material, { caBundle: created[CertFile.caCert], cert: created[CertFile.cert], key: created[CertFile.key] });
    assert.deepEqual(subjects(created[CertFile.caCert] ?? ''), ['CN=inferno-webhook.inferno-system webhook CA']);
    assert.ok(signedBy(created[CertFile.cert] ?? '', created[CertFile.caCert] ?? ''));
    const served = new X509Certificate(created[CertFile.cert] ?? '');
    for (const n of ['inferno-webhook.inferno-system.svc', 'inferno-webhook.inferno-system.svc.cluster.local', 'localhost']) assert.equal(served.checkHost(n), n);
    assert.equal(served.checkIP('127.0.0.1'), '127.0.0.1');
  });

  test('the serving certificate is renewed once less than a third of its lifetime is left, by the same CA', () => {
    // 365 days + the 5-minute backdating: due after 243.3 days
    assert.equal(inspect(owned(data(caNow, leaf(caNow, 243))), now, policy).action, 'use');
    const old = leaf(caNow, 244);
    const d = renewal(inspect(owned(data(caNow, old)), now, policy));
    assert.deepEqual([d.newCa, d.newServing], [false, true]);
    assert.equal(d.findings.length, 1);
    assert.deepEqual([d.findings[0]?.key, d.findings[0]?.severity], [CertFile.cert, 'due']);
    assert.match(d.findings[0]?.message ?? '', /^the serving certificate expires at 2027-06-30T00:00:00\.000Z: less than 33 % of its 365-day lifetime left$/);
    const renewed = renewedData(d, owned(data(caNow, old)).data, issue);
    assert.equal(renewed[CertFile.caCert], joinBundle([caNow.certPem]), 'the bundle keeps the one CA');
    assert.equal(renewed[CertFile.caKey], caNow.keyPem);
    assert.notEqual(renewed[CertFile.cert], old.certPem);
    assert.ok(signedBy(renewed[CertFile.cert] ?? '', caNow.certPem));
    assert.equal(new Date(new X509Certificate(renewed[CertFile.cert] ?? '').validTo).getTime(), now.getTime() + 365 * DAY);
    assert.equal(inspect(owned(renewed), now, policy).action, 'use');
  });

  test('a CA with less than a third of its life left is replaced; the old one stays in the bundle while it is valid', () => {
    const oldCa = ca(2434); // 3650 days: due after 2433.3
    assert.equal(inspect(owned(data(ca(2433), leafNow)), now, policy).action, 'renew', 'the serving certificate is not signed by that CA');
    const oldLeaf = leaf(oldCa, 30);
    const before = owned(data(oldCa, oldLeaf));
    const d = renewal(inspect(before, now, policy));
    assert.deepEqual([d.newCa, d.newServing], [true, true]);
    assert.deepEqual(d.findings.map((f) => [f.key, f.severity]), [[CertFile.caCert, 'due']]);
    assert.deepEqual(d.keepCas, [new X509Certificate(oldCa.certPem).toString()]);
    const after = renewedData(d, before.data, issue);
    const bundle = parseBundle(after[CertFile.caCert] ?? '').certs;
    const [first, second] = bundle;
    assert.ok(bundle.length === 2 && first !== undefined && second !== undefined, 'new CA first, then the old one');
    assert.equal(second.pem, new X509Certificate(oldCa.certPem).toString());
    assert.notEqual(first.cert.fingerprint256, second.cert.fingerprint256);
    assert.ok(first.cert.checkPrivateKey(createPrivateKey(after[CertFile.caKey] ?? '')), 'ca.key is the new CA\'s');
    assert.ok(signedBy(after[CertFile.cert] ?? '', first.pem), 'the new serving certificate is the new CA\'s');
    assert.ok(signedBy(oldLeaf.certPem, second.pem), 'what replicas still serve stays trusted');
    assert.equal(inspect(owned(after), now, policy).action, 'use');
  });

  test('expired CAs leave the bundle (nothing else is reissued)', () => {
    const expired = ca(400, 365, 'retired CA');
    const d = renewal(inspect(owned(data(caNow, leafNow, joinBundle([caNow.certPem, expired.certPem]))), now, policy));
    assert.deepEqual([d.newCa, d.newServing, d.keepCas], [false, false, []]);
    const after = renewedData(d, data(caNow, leafNow), issue);
    assert.equal(after[CertFile.caCert], joinBundle([caNow.certPem]));
    assert.equal(after[CertFile.cert], leafNow.certPem, 'the serving pair is kept');
    assert.equal(inspect(owned(after), now, policy).action, 'use');
  });

  test('broken contents: the key that is wrong is named, and what it takes is reissued (a new CA only when the CA is unusable)', () => {
    const otherCa = ca(10, 3650, 'someone else');
    const cases: [string, Record<string, string>, { newCa: boolean; key: string; message: RegExp }][] = [
      ['tls.crt garbage', { ...data(caNow, leafNow), [CertFile.cert]: 'not a certificate' }, { newCa: false, key: CertFile.cert, message: /^holds no readable PEM certificate$/ }],
      ['tls.key of another pair', { ...data(caNow, leafNow), [CertFile.key]: leaf(caNow, 1).keyPem }, { newCa: false, key: CertFile.key, message: /^is not the key of the certificate in tls\.crt$/ }],
      ['tls.key missing', without(data(caNow, leafNow), CertFile.key), { newCa: false, key: CertFile.key, message: /^missing$/ }],
      ['tls.crt signed by another CA', data(caNow, leaf(otherCa, 1)), { newCa: false, key: CertFile.cert, message: /^is not signed by the CA "CN=inferno-webhook\.inferno-system webhook CA"$/ }],
      ['tls.crt for other names', data(caNow, leaf(caNow, 1, 365, ['inferno-webhook.other.svc'])), { newCa: false, key: CertFile.cert, message: /^does not name inferno-webhook, inferno-webhook\.inferno-system, .*localhost$/ }],
      ['tls.crt expired', data(caNow, leaf(caNow, 40, 30)), { newCa: false, key: CertFile.cert, message: /^the serving certificate expired at / }],
      ['ca.key of another CA', { ...data(caNow, leafNow), [CertFile.caKey]: otherCa.keyPem }, { newCa: true, key: CertFile.caKey, message: /^is not the key of the CA "CN=inferno-webhook\.inferno-system webhook CA" in ca\.crt$/ }],
      ['ca.key missing', without(data(caNow, leafNow), CertFile.caKey), { newCa: true, key: CertFile.caKey, message: /^missing$/ }],
      ['ca.key garbage', { ...data(caNow, leafNow), [CertFile.caKey]: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }, { newCa: true, key: CertFile.caKey, message: /^is not a PEM private key$/ }],
      ['ca.crt a serving certificate', { ...data(caNow, leafNow), [CertFile.caCert]: leafNow.certPem }, { newCa: true, key: CertFile.caCert, message: /^its first certificate \(CN=inferno-webhook\) is not a CA$/ }],
      ['ca.crt empty', { ...data(caNow, leafNow), [CertFile.caCert]: '' }, { newCa: true, key: CertFile.caCert, message: /^missing$/ }],
    ];
    for (const [what, d, want] of cases) {
      const r = renewal(inspect(owned(d), now, policy));
      assert.equal(r.newCa, want.newCa, what);
      assert.ok(r.newServing, what);
      const f = r.findings.find((x) => x.key === want.key);
      assert.ok(f !== undefined, `${what}: ${JSON.stringify(r.findings)}`);
      assert.match(f.message, want.message, what);
      assert.equal(f.severity, 'unusable', what);
      // Repairs issue keys (~0.2 s each): one of each kind is enough.
      if (what === 'tls.key of another pair' || what === 'ca.key of another CA') {
        assert.equal(inspect(owned(renewedData(r, d, issue)), now, policy).action, 'use', `${what}: repaired`);
      }
    }
  });

  test('a CA whose key is lost stays in the new bundle while it is valid: what it signed is still served', () => {
    const d = renewal(inspect(owned({ ...data(caNow, leafNow), [CertFile.caKey]: 'lost' }), now, policy));
    assert.deepEqual(d.keepCas, [new X509Certificate(caNow.certPem).toString()]);
  });
});

describe('inspect: someone else\'s Secret', () => {
  // As `kubectl create secret generic --from-file=certs/...` after `inferno certs` makes it: no ca.key.
  const made = (c: PemPair, l: PemPair, bundle = c.certPem): Record<string, string> => without(data(c, l, bundle), CertFile.caKey);

  test('usable: used as it is, ca.key not needed', () => {
    const d = inspect(foreign(made(caNow, leafNow)), now, policy);
    assert.equal(d.action, 'use');
    assert.deepEqual([d.material.cert, d.notes], [leafNow.certPem, []]);
  });

  test('due for renewal: used, with a note (whoever made it renews it), never rewritten', () => {
    const d = inspect(foreign(made(caNow, leaf(caNow, 300))), now, policy);
    assert.equal(d.action, 'use');
    assert.deepEqual(d.notes.map((n) => [n.key, n.severity]), [[CertFile.cert, 'due']]);
  });

  test('signed by a later CA of the bundle (cert-manager\'s ca.crt after a CA rotation): usable', () => {
    const next = ca(1, 3650, 'next CA');
    assert.equal(inspect(foreign(made(caNow, leaf(next, 1), joinBundle([caNow.certPem, next.certPem]))), now, policy).action, 'use');
  });

  test('unusable: refused, naming every key that is wrong', () => {
    const d = inspect(foreign({ ...made(caNow, leaf(caNow, 40, 30)), [CertFile.key]: leafNow.keyPem }), now, policy);
    assert.equal(d.action, 'refuse');
    assert.deepEqual(d.findings.map((f) => `${f.key} ${f.message}`), [
      'tls.key is not the key of the certificate in tls.crt',
      `tls.crt the serving certificate expired at ${ago(10).toISOString()}`,
    ]);
    const noCa = inspect(foreign({ [CertFile.cert]: leafNow.certPem, [CertFile.key]: leafNow.keyPem }), now, policy);
    assert.deepEqual(noCa.action === 'refuse' ? noCa.findings.map((f) => `${f.key} ${f.message}`) : noCa, ['ca.crt missing']);
    const otherCa = inspect(foreign(made(ca(1, 3650, 'other'), leafNow)), now, policy);
    assert.deepEqual(otherCa.action === 'refuse' ? otherCa.findings.map((f) => `${f.key} ${f.message}`) : otherCa, ['tls.crt is not signed by the CA "CN=other"']);
  });
});

describe('bundles and issuing', () => {
  test('parseBundle reads every PEM certificate, counts broken ones; joinBundle drops duplicates', () => {
    const other = ca(5, 30, 'other');
    const text = `comment\n${caNow.certPem}\n-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n${other.certPem}${caNow.certPem}`;
    const { certs, broken } = parseBundle(text);
    assert.deepEqual([certs.map((c) => c.cert.subject), broken], [['CN=inferno-webhook.inferno-system webhook CA', 'CN=other', 'CN=inferno-webhook.inferno-system webhook CA'], 1]);
    assert.deepEqual(subjects(joinBundle(certs.map((c) => c.pem))), ['CN=inferno-webhook.inferno-system webhook CA', 'CN=other']);
    assert.match(joinBundle(certs.map((c) => c.pem)), /^-----BEGIN CERTIFICATE-----\n[^\r]+-----END CERTIFICATE-----\n$/);
  });

  test('renewedData keeps keys it does not own, and never issues a serving certificate that outlives its CA', () => {
    const shortCa = ca(0, 100);
    const d = renewal(inspect(owned({ ...data(shortCa, leaf(shortCa, 0, 1)), extra: 'kept' }), new Date(now.getTime() + 2 * DAY), policy));
    assert.deepEqual([d.newCa, d.newServing], [false, true]);
    const after = renewedData(d, { ...data(shortCa, leaf(shortCa, 0, 1)), extra: 'kept' }, { ...issue, now: new Date(now.getTime() + 2 * DAY) });
    assert.equal(after['extra'], 'kept');
    assert.ok(new Date(new X509Certificate(after[CertFile.cert] ?? '').validTo) <= new Date(new X509Certificate(shortCa.certPem).validTo));
  });
});

