// Carries out a renewal that ./rotation.ts decided: new keys and certificates (node-forge, ./forge.ts) and the
// Secret data that holds them. Kept apart from the decisions because it generates keys (randomness, ~100 ms each).
import { X509Certificate } from 'node:crypto';
import { CertFile } from '../domain/keys.js';
import type { PemPair } from './forge.js';
import { createCertificateAuthority, createServingCertificate, webhookCaName, webhookServingNames } from './forge.js';
import type { CertDecision } from './rotation.js';
import { joinBundle, parseBundle } from './rotation.js';

export interface IssueOptions {
  /** the webhook's Service and namespace, named in the certificates */
  readonly service: string;
  readonly namespace: string;
  readonly caDays: number;
  readonly servingDays: number;
  readonly now?: Date;
}

/** Defaults of `inferno certs`: a CA for ten years, serving certificates for one (renewed with four months left). */
export const defaultValidity = { caDays: 3650, servingDays: 365 } as const;

/**
 * The Secret data after `renewal`: `current` (other keys kept as they are) with a new CA and/or serving pair, and
 * ca.crt = the signing CA followed by the CAs the decision keeps. A serving certificate never outlives its CA.
 */
export function renewedData(renewal: Extract<CertDecision, { action: 'renew' }>, current: Readonly<Record<string, string>>, opts: IssueOptions): Record<string, string> {
  const now = opts.now ?? new Date();
  const signer: PemPair = renewal.newCa
    ? createCertificateAuthority({ commonName: webhookCaName(opts.service, opts.namespace), days: opts.caDays, now })
    : { certPem: parseBundle(current[CertFile.caCert] ?? '').certs[0]?.pem ?? '', keyPem: current[CertFile.caKey] ?? '' };
  if (signer.certPem === '' || signer.keyPem === '') throw new Error('a renewal without a new CA needs the current CA and its key');
  const data: Record<string, string> = {
    ...current,
    [CertFile.caCert]: joinBundle([new X509Certificate(signer.certPem).toString(), ...renewal.keepCas]),
    [CertFile.caKey]: signer.keyPem,
  };
  if (renewal.newServing) {
    const caLeftDays = Math.floor((new Date(new X509Certificate(signer.certPem).validTo).getTime() - now.getTime()) / 86_400_000);
    const leaf = createServingCertificate(signer, { ...webhookServingNames(opts.service, opts.namespace), days: Math.max(1, Math.min(opts.servingDays, caLeftDays)), now });
    data[CertFile.cert] = new X509Certificate(leaf.certPem).toString();
    data[CertFile.key] = leaf.keyPem;
  }
  return data;
}
