// `inferno certs`: a private CA and the webhook's serving certificate, as files the server and the webhook
// configurations' caBundle use.
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { PemPair } from '../tls/forge.js';
import { CertFile } from '../domain/keys.js';
import { createCertificateAuthority, createServingCertificate, webhookCaName, webhookServingNames } from '../tls/forge.js';
import type { Io } from './usage.js';
import { UsageError, parseCommandArgs } from './usage.js';

export const certsHelp = `Usage: inferno certs [--out DIR] [--service NAME] [--namespace NS] [--days N] [--ca-days N] [--new-ca]

Writes a private CA (ca.crt, ca.key) and a serving certificate for the admission webhook (tls.crt, tls.key) signed
by it. The serving certificate names the Service (NAME, NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local) plus
localhost and 127.0.0.1. An existing CA in DIR is reused, so renewing the serving certificate keeps the caBundle
of the webhook configurations valid; --new-ca replaces it. Key files are written with mode 0600.

Options:
      --out DIR          where to write (default: certs/)
      --service NAME     the webhook's Service (default: inferno-webhook)
      --namespace NS     the Service's namespace (default: inferno-system)
      --days N           serving certificate validity in days (default: 365)
      --ca-days N        validity of a new CA in days (default: 3650)
      --new-ca           create a new CA even if DIR has one
  -h, --help             this help
`;

const options = {
  out: { type: 'string' },
  service: { type: 'string' },
  namespace: { type: 'string' },
  days: { type: 'string' },
  'ca-days': { type: 'string' },
  'new-ca': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function days(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 36500) throw new UsageError(`--${flag} must be a whole number of days between 1 and 36500; got "${value}"`, 'certs');
  return n;
}

// DNS-1035 label, as Kubernetes requires for Service names; namespaces are DNS-1123 labels.
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
function label(flag: string, value: string | undefined, fallback: string): string {
  const v = value ?? fallback;
  if (!dnsLabel.test(v)) throw new UsageError(`--${flag} must be a DNS label (lower-case letters, digits, '-'); got "${v}"`, 'certs');
  return v;
}

/** Written beside the target and renamed over it, so a server watching DIR never reads half a file. */
export async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

async function existingCa(dir: string): Promise<PemPair | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([readFile(join(dir, CertFile.caCert), 'utf8'), readFile(join(dir, CertFile.caKey), 'utf8')]);
    return { certPem, keyPem };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function certsCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('certs', args, options);
  if (values.help === true) {
    io.stdout.write(certsHelp);
    return 0;
  }
  const dir = resolve(io.cwd, values.out ?? 'certs');
  const service = label('service', values.service, 'inferno-webhook');
  const namespace = label('namespace', values.namespace, 'inferno-system');
  const leafDays = days('days', values.days, 365);
  const caDays = days('ca-days', values['ca-days'], 3650);
  const show = (file: string): string => relative(io.cwd, join(dir, file)) || file;

  await mkdir(dir, { recursive: true });
  const reused = values['new-ca'] === true ? undefined : await existingCa(dir);
  const ca = reused ?? createCertificateAuthority({ commonName: webhookCaName(service, namespace), days: caDays });
  const names = webhookServingNames(service, namespace);
  const leaf = createServingCertificate(ca, { ...names, days: leafDays });

  if (reused === undefined) {
    await writeAtomic(join(dir, CertFile.caKey), ca.keyPem, 0o600);
    await writeAtomic(join(dir, CertFile.caCert), ca.certPem, 0o644);
  }
  await writeAtomic(join(dir, CertFile.key), leaf.keyPem, 0o600);
  await writeAtomic(join(dir, CertFile.cert), leaf.certPem, 0o644);

  const caInfo = new X509Certificate(ca.certPem);
  const leafInfo = new X509Certificate(leaf.certPem);
  io.stdout.write(reused === undefined
    ? `wrote ${show(CertFile.caCert)}, ${show(CertFile.caKey)}: new CA "${webhookCaName(service, namespace)}", valid until ${caInfo.validTo}\n`
    : `kept ${show(CertFile.caCert)}, ${show(CertFile.caKey)}: existing CA, valid until ${caInfo.validTo}\n`);
  io.stdout.write(`wrote ${show(CertFile.cert)}, ${show(CertFile.key)}: serving certificate valid until ${leafInfo.validTo} for ${[...names.dnsNames, ...names.ipAddresses].join(', ')}\n`);
  io.stdout.write(`caBundle for the webhook configurations: base64 of ${show(CertFile.caCert)} (inferno serve --inject-ca-bundle sets it)\n`);
  return 0;
}
