// A private CA and serving certificates for the admission webhook (the API server only calls webhooks over TLS and
// checks the SANs, never the CN). Keys come from Node's native RSA generator — forge's pure-JS one takes seconds —
// and node-forge builds and signs the X.509 structures.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface PemPair {
  readonly certPem: string;
  /** PKCS#8 */
  readonly keyPem: string;
}

export interface CaOptions {
  readonly commonName: string;
  readonly days: number;
  readonly now?: Date;
}

export interface ServingOptions {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly days: number;
  readonly commonName?: string;
  readonly now?: Date;
}

/** The names the API server may dial a Service by, most specific last. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

/** Extra SANs so the same certificate works on this machine (tests, benchmarks, port-forwarding). */
export const localSans = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] } as const;

function rsaKeyPair(): { keyPem: string; privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { keyPem: privateKey, privateKey: forge.pki.privateKeyFromPem(privateKey), publicKey: forge.pki.publicKeyFromPem(publicKey) };
}

// RFC 5280: a positive integer of at most 20 octets, unique per CA. 16 random bytes with the top bit cleared (so DER
// does not read it as negative) and the first byte non-zero (so it is not re-encoded shorter); never a fixed "01".
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, now: Date, days: number): void {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a positive integer; got ${days}`);
  // Backdated a little so a peer whose clock runs behind does not see a not-yet-valid certificate.
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000);
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
}

export function createCertificateAuthority(opts: CaOptions): PemPair {
  const keys = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial();
  validity(cert, opts.now ?? new Date(), opts.days);
  const name = [{ name: 'commonName', value: opts.commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

export function createServingCertificate(ca: PemPair, opts: ServingOptions): PemPair {
  if (opts.dnsNames.length + opts.ipAddresses.length === 0) throw new RangeError('a serving certificate needs at least one DNS name or IP address');
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial();
  validity(cert, opts.now ?? new Date(), opts.days);
  cert.setSubject([{ name: 'commonName', value: opts.commonName ?? opts.dnsNames[0] ?? opts.ipAddresses[0] ?? 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...opts.dnsNames.map((value) => ({ type: 2, value })), // dNSName
        ...opts.ipAddresses.map((ip) => ({ type: 7, ip })), // iPAddress
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/** The CA's name for a webhook Service, as `inferno certs` and `inferno serve --cert-secret` create it. */
export function webhookCaName(service: string, namespace: string): string {
  return `${service}.${namespace} webhook CA`;
}

/**
 * What the webhook's serving certificate names: the Service (as the API server dials it) and this machine (the
 * scheduler's sidecar on 127.0.0.1, tests, port-forwarding).
 */
export function webhookServingNames(service: string, namespace: string): { commonName: string; dnsNames: string[]; ipAddresses: string[] } {
  return { commonName: `${service}.${namespace}.svc`, dnsNames: [...serviceDnsNames(service, namespace), ...localSans.dnsNames], ipAddresses: [...localSans.ipAddresses] };
}
