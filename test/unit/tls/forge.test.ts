// Certificates as the API server and Node's TLS stack check them: chain, SANs, usages, serials, validity.
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, test } from 'node:test';
import { createCertificateAuthority, createServingCertificate, localSans, serviceDnsNames } from '../../../src/tls/forge.js';

const now = new Date('2026-11-01T00:00:00Z');
const ca = createCertificateAuthority({ commonName: 'inferno test CA', days: 30, now });
const dnsNames = [...serviceDnsNames('inferno-webhook', 'inferno-system'), ...localSans.dnsNames];
const leaf = createServingCertificate(ca, { dnsNames, ipAddresses: [...localSans.ipAddresses], days: 7, now });
const caCert = new X509Certificate(ca.certPem);
const leafCert = new X509Certificate(leaf.certPem);

describe('forge certificates', () => {
  test('service DNS names, most specific last', () => {
    assert.deepEqual(serviceDnsNames('svc', 'ns'), ['svc', 'svc.ns', 'svc.ns.svc', 'svc.ns.svc.cluster.local']);
  });

  test('the CA is a self-signed CA certificate', () => {
    assert.equal(caCert.ca, true);
    assert.ok(caCert.checkIssued(caCert));
    assert.ok(caCert.verify(caCert.publicKey));
    assert.equal(caCert.subject, 'CN=inferno test CA');
  });

  test('the leaf is signed by the CA, not a CA, for serverAuth, with the SANs', () => {
    assert.equal(leafCert.ca, false);
    assert.ok(leafCert.checkIssued(caCert));
    assert.ok(leafCert.verify(caCert.publicKey));
    assert.deepEqual(leafCert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(leafCert.subjectAltName, [...dnsNames.map((d) => `DNS:${d}`), 'IP Address:127.0.0.1'].join(', '));
    for (const name of dnsNames) assert.equal(leafCert.checkHost(name), name);
    assert.equal(leafCert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(leafCert.checkHost('other.inferno-system.svc'), undefined);
  });

  test('key files are PKCS#8 RSA 2048 matching their certificates', () => {
    for (const [pair, cert] of [[ca, caCert], [leaf, leafCert]] as const) {
      assert.match(pair.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      const key = createPrivateKey(pair.keyPem);
      assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
      assert.ok(cert.checkPrivateKey(key));
      assert.equal(createPublicKey(key).export({ type: 'spki', format: 'pem' }), cert.publicKey.export({ type: 'spki', format: 'pem' }));
    }
  });

  test('serials are random, positive and distinct (never "01")', () => {
    const more = Array.from({ length: 3 }, () => new X509Certificate(createServingCertificate(ca, { dnsNames: ['a'], ipAddresses: [], days: 1 }).certPem).serialNumber);
    const serials = [caCert.serialNumber, leafCert.serialNumber, ...more];
    assert.equal(new Set(serials).size, serials.length);
    for (const s of serials) {
      assert.match(s, /^[0-9A-F]{32}$/);
      assert.ok(Number.parseInt(s.slice(0, 2), 16) < 0x80, 'top bit clear: a positive INTEGER');
    }
  });

  test('validity: backdated 5 minutes, then the given days', () => {
    assert.equal(new Date(leafCert.validFrom).getTime(), now.getTime() - 5 * 60_000);
    assert.equal(new Date(leafCert.validTo).getTime(), now.getTime() + 7 * 86_400_000);
    assert.equal(new Date(caCert.validTo).getTime(), now.getTime() + 30 * 86_400_000);
  });

  test('bad arguments throw', () => {
    assert.throws(() => createCertificateAuthority({ commonName: 'x', days: 0 }), /days/);
    assert.throws(() => createServingCertificate(ca, { dnsNames: [], ipAddresses: [], days: 1 }), /at least one/);
  });
});
