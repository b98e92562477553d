// Decisions about the webhook's certificate Secret, with no I/O: does it hold a usable CA and serving pair, is
// either due for renewal, what the CA bundle is. `inferno serve --cert-secret` reads the Secret, asks `inspect`,
// and writes what `renewedData` (../tls/issue.ts) makes of the answer. The rules, as Gatekeeper's and Kyverno's
// certificate controllers apply them:
// - a certificate is renewed once less than `renewFraction` of its lifetime is left, so a renewal that fails keeps
//   being retried for months before anything expires;
// - ca.crt is a bundle: the CA that signs (its key is ca.key) first, then older CAs until they expire, so serving
//   certificates an old CA signed stay trusted while the replicas that still serve them pick up the new one;
// - only a Secret inferno created (CertSecretOwner label) is ever rewritten. Anyone else's (cert-manager's, one
//   made from `inferno certs` files) is used as it is, or refused with the reason when it cannot be.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CertFile } from '../domain/keys.js';

export interface CertPolicy {
  /** a certificate is renewed once less than this fraction of its lifetime (notBefore to notAfter) remains */
  readonly renewFraction: number;
  /** DNS names and IP addresses the serving certificate must name */
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

export const defaultRenewFraction = 1 / 3;

/** The Secret's data, decoded, and whether inferno created it (and so may rewrite it). */
export interface SecretContents {
  readonly data: Readonly<Record<string, string>>;
  readonly owned: boolean;
}

/**
 * One thing about one key of the Secret, e.g. tls.crt "expired at …": `unusable` (broken, expired, missing) or
 * only `due` for renewal.
 */
export interface Finding {
  readonly key: string;
  readonly message: string;
  readonly severity: 'unusable' | 'due';
}

/** What the server uses: the files it writes to --cert-dir, and ca.crt is also the webhook configurations' bundle. */
export interface ServingMaterial {
  readonly caBundle: string;
  readonly cert: string;
  readonly key: string;
}

export type CertDecision =
  /** serve this; `notes` are reasons to renew that inferno may not act on (someone else's Secret) */
  | { readonly action: 'use'; readonly material: ServingMaterial; readonly notes: readonly Finding[] }
  /**
   * rewrite the Secret: a new CA (and so a new serving certificate), a new serving certificate, or only a bundle
   * without expired CAs; `keepCas` are the PEMs from the old bundle that stay in it, after the signing CA.
   */
  | { readonly action: 'renew'; readonly newCa: boolean; readonly newServing: boolean; readonly keepCas: readonly string[]; readonly findings: readonly Finding[] }
  /** someone else's Secret that cannot be served: never overwritten */
  | { readonly action: 'refuse'; readonly findings: readonly Finding[] };

const pemBlock = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

interface Parsed { readonly pem: string; readonly cert: X509Certificate }

/** Every certificate in a PEM bundle, canonical PEM each; text between blocks is ignored, broken blocks reported. */
export function parseBundle(text: string): { certs: Parsed[]; broken: number } {
  const certs: Parsed[] = [];
  let broken = 0;
  for (const block of text.match(pemBlock) ?? []) {
    try {
      const cert = new X509Certificate(block);
      certs.push({ pem: cert.toString(), cert });
    } catch {
      broken++;
    }
  }
  return { certs, broken };
}

/** The bundle as it is written: PEM blocks with LF line ends, each ending in a newline, duplicates dropped. */
export function joinBundle(pems: readonly string[]): string {
  return [...new Set(pems.map((p) => `${p.replace(/\r\n/g, '\n').trim()}\n`))].join('');
}

const notBefore = (c: X509Certificate): number => new Date(c.validFrom).getTime();
const notAfter = (c: X509Certificate): number => new Date(c.validTo).getTime();

/** Why `c` cannot be used at `now`, or why it is due for renewal; undefined when neither. */
function timeFinding(key: string, what: string, c: X509Certificate, now: Date, fraction: number): { finding: Finding; usable: boolean } | undefined {
  const t = now.getTime();
  if (t < notBefore(c)) return { usable: false, finding: bad(key, `${what} is not valid before ${new Date(notBefore(c)).toISOString()}`) };
  if (t >= notAfter(c)) return { usable: false, finding: bad(key, `${what} expired at ${new Date(notAfter(c)).toISOString()}`) };
  const lifetime = notAfter(c) - notBefore(c);
  if (notAfter(c) - t < lifetime * fraction) {
    const message = `${what} expires at ${new Date(notAfter(c)).toISOString()}: less than ${Math.round(fraction * 100)} % of its ${Math.round(lifetime / 86_400_000)}-day lifetime left`;
    return { usable: true, finding: { key, message, severity: 'due' } };
  }
  return undefined;
}

function privateKey(pem: string | undefined): KeyObject | undefined {
  if (pem === undefined) return undefined;
  try {
    return createPrivateKey(pem);
  } catch {
    return undefined;
  }
}

const bad = (key: string, message: string): Finding => ({ key, message, severity: 'unusable' });
const missing = (key: string): Finding => bad(key, 'missing');

interface CaState {
  /** the signing CA, if ca.crt starts with a usable CA certificate */
  readonly signer: Parsed | undefined;
  /** certificates after the first that are CAs and not expired */
  readonly older: readonly Parsed[];
  /** something in the bundle to drop (expired, not a CA, unreadable) */
  readonly prune: boolean;
  /** the signer cannot be used or cannot sign (ca.key is not its key) */
  readonly unusable: readonly Finding[];
  /** the signer is due */
  readonly due: readonly Finding[];
}

function inspectCa(data: SecretContents['data'], now: Date, policy: CertPolicy): CaState {
  const text = data[CertFile.caCert];
  if (text === undefined || text.trim() === '') return { signer: undefined, older: [], prune: false, unusable: [missing(CertFile.caCert)], due: [] };
  const { certs, broken } = parseBundle(text);
  const [first, ...rest] = certs;
  const live = (p: Parsed): boolean => p.cert.ca && now.getTime() < notAfter(p.cert);
  const older = rest.filter(live);
  const prune = broken > 0 || older.length < rest.length;
  if (first === undefined) return { signer: undefined, older, prune, unusable: [bad(CertFile.caCert, 'holds no readable PEM certificate')], due: [] };
  if (!first.cert.ca) return { signer: undefined, older, prune, unusable: [bad(CertFile.caCert, `its first certificate (${first.cert.subject}) is not a CA`)], due: [] };
  const time = timeFinding(CertFile.caCert, `the CA ${JSON.stringify(first.cert.subject)}`, first.cert, now, policy.renewFraction);
  const unusable: Finding[] = time !== undefined && !time.usable ? [time.finding] : [];
  const due = time?.usable === true ? [time.finding] : [];
  const key = privateKey(data[CertFile.caKey]);
  if (data[CertFile.caKey] === undefined) unusable.push(missing(CertFile.caKey));
  else if (key === undefined) unusable.push(bad(CertFile.caKey, 'is not a PEM private key'));
  else if (!first.cert.checkPrivateKey(key)) unusable.push(bad(CertFile.caKey, `is not the key of the CA ${JSON.stringify(first.cert.subject)} in ca.crt`));
  return { signer: first, older, prune, unusable, due };
}

/** Why the serving pair cannot be used (or due: renew), judged against the CAs that may have signed it. */
function inspectServing(data: SecretContents['data'], issuers: readonly X509Certificate[], now: Date, policy: CertPolicy): { unusable: Finding[]; due: Finding[] } {
  const certText = data[CertFile.cert];
  const keyText = data[CertFile.key];
  const unusable: Finding[] = [];
  if (certText === undefined) unusable.push(missing(CertFile.cert));
  if (keyText === undefined) unusable.push(missing(CertFile.key));
  if (certText === undefined) return { unusable, due: [] };
  const [leaf] = parseBundle(certText).certs;
  if (leaf === undefined) return { unusable: [...unusable, bad(CertFile.cert, 'holds no readable PEM certificate')], due: [] };
  const c = leaf.cert;
  const key = privateKey(keyText);
  if (keyText !== undefined && key === undefined) unusable.push(bad(CertFile.key, 'is not a PEM private key'));
  else if (key !== undefined && !c.checkPrivateKey(key)) unusable.push(bad(CertFile.key, 'is not the key of the certificate in tls.crt'));
  // No issuers: ca.crt has none to offer, which is reported under its own key.
  if (issuers.length > 0 && !issuers.some((ca) => c.checkIssued(ca) && c.verify(ca.publicKey))) {
    unusable.push(bad(CertFile.cert, issuers.length === 1 ? `is not signed by the CA ${JSON.stringify(issuers[0]?.subject)}` : 'is not signed by any CA in ca.crt'));
  }
  const unnamed = [
    ...policy.dnsNames.filter((n) => c.checkHost(n, { subject: 'never', wildcards: false }) === undefined),
    ...policy.ipAddresses.filter((ip) => c.checkIP(ip) === undefined),
  ];
  if (unnamed.length > 0) unusable.push(bad(CertFile.cert, `does not name ${unnamed.join(', ')}`));
  const time = timeFinding(CertFile.cert, 'the serving certificate', c, now, policy.renewFraction);
  if (time !== undefined && !time.usable) unusable.push(time.finding);
  return { unusable, due: time?.usable === true ? [time.finding] : [] };
}

const material = (data: SecretContents['data']): ServingMaterial => ({
  caBundle: data[CertFile.caCert] ?? '', cert: data[CertFile.cert] ?? '', key: data[CertFile.key] ?? '',
});

/**
 * Someone else's Secret (cert-manager's, one made from `inferno certs` files): usable when the serving pair is valid,
 * names the Service and was signed by a CA in ca.crt that is valid now (ca.key is not needed). Due dates are only
 * noted: whoever made it renews it, and inferno picks the new contents up.
 */
function inspectForeign(data: SecretContents['data'], now: Date, policy: CertPolicy): CertDecision {
  const cas = parseBundle(data[CertFile.caCert] ?? '').certs.filter((p) => p.cert.ca);
  const issuers = cas.filter((p) => now.getTime() >= notBefore(p.cert) && now.getTime() < notAfter(p.cert)).map((p) => p.cert);
  const unusable: Finding[] = [];
  if (data[CertFile.caCert] === undefined) unusable.push(missing(CertFile.caCert));
  else if (issuers.length === 0) unusable.push(bad(CertFile.caCert, cas.length === 0 ? 'holds no readable CA certificate' : 'holds no CA certificate that is valid now'));
  const serving = inspectServing(data, issuers, now, policy);
  unusable.push(...serving.unusable);
  if (unusable.length > 0) return { action: 'refuse', findings: unusable };
  const caDue = cas[0] !== undefined ? timeFinding(CertFile.caCert, `the CA ${JSON.stringify(cas[0].cert.subject)}`, cas[0].cert, now, policy.renewFraction) : undefined;
  return { action: 'use', material: material(data), notes: [...(caDue !== undefined ? [caDue.finding] : []), ...serving.due] };
}

/**
 * What to do with the certificate Secret at `now`; `secret` undefined: it does not exist (create it). A Secret
 * inferno created is repaired and renewed: a CA that cannot be used or is due gets replaced (with a new serving
 * certificate; the old CA stays in the bundle while it is valid); a serving pair that cannot be used or is due is
 * reissued by the same CA; expired CAs leave the bundle. Anyone else's Secret is used when it can be, else refused.
 */
export function inspect(secret: SecretContents | undefined, now: Date, policy: CertPolicy): CertDecision {
  if (secret === undefined) return { action: 'renew', newCa: true, newServing: true, keepCas: [], findings: [] };
  const { data, owned } = secret;
  if (!owned) return inspectForeign(data, now, policy);
  const ca = inspectCa(data, now, policy);
  const keep = (withSigner: boolean): string[] => [...(withSigner && ca.signer !== undefined && now.getTime() < notAfter(ca.signer.cert) ? [ca.signer.pem] : []), ...ca.older.map((p) => p.pem)];
  if (ca.signer === undefined || ca.unusable.length > 0 || ca.due.length > 0) {
    // The old CA (if it is still valid) stays trusted: replicas keep serving what it signed until they reload.
    return { action: 'renew', newCa: true, newServing: true, keepCas: keep(true), findings: [...ca.unusable, ...ca.due] };
  }
  const serving = inspectServing(data, [ca.signer.cert], now, policy);
  const findings = [...serving.unusable, ...serving.due];
  if (findings.length > 0 || ca.prune) {
    return {
      action: 'renew', newCa: false, newServing: findings.length > 0, keepCas: keep(false),
      findings: findings.length > 0 ? findings : [{ key: CertFile.caCert, message: 'holds expired or unreadable certificates after the signing CA', severity: 'due' }],
    };
  }
  return { action: 'use', material: material(data), notes: [] };
}
