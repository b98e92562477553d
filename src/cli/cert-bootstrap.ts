// `inferno serve --cert-secret`: the webhook's CA and serving certificate live in a Secret in inferno's namespace,
// created by whichever replica starts first and renewed before they expire (tls/rotation.ts decides, tls/issue.ts
// issues, kube/cert-secret.ts reads and writes). Every replica re-reads the Secret periodically and writes what it
// holds into --cert-dir, where the server's file watcher reloads it (and re-injects the CA bundle).
//
// Order when the bundle gains a CA: ca.crt is written and injected into the webhook configurations first, then,
// after `settleMs` (API servers see the configuration change through a watch), the serving certificate the new CA
// signed. The other way round, an API server could meet a certificate it does not trust yet.
import { X509Certificate } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../cluster/issues.js';
import { CertFile, CertSecretOwner } from '../domain/keys.js';
import type { WebhookLog } from '../http/webhook-app.js';
import type { CertSecretStore } from '../kube/cert-secret.js';
import type { IssueOptions } from '../tls/issue.js';
import { renewedData } from '../tls/issue.js';
import type { CertPolicy, Finding, ServingMaterial } from '../tls/rotation.js';
import { inspect, parseBundle } from '../tls/rotation.js';
import { writeAtomic } from './certs.js';

export interface CertBootstrapOptions {
  readonly store: CertSecretStore;
  readonly certDir: string;
  readonly policy: CertPolicy;
  readonly issue: Omit<IssueOptions, 'now'>;
  readonly log: WebhookLog;
  /** called once a new CA bundle is in --cert-dir, before a serving certificate it must trust is written there */
  readonly onNewBundle: () => Promise<void>;
  readonly settleMs: number;
  readonly now?: () => Date;
}

/** Someone else's Secret that cannot be served (an input error: exit 2, every problem listed); never overwritten. */
export class CertSecretRefused extends InputError {
  constructor(what: string, findings: readonly Finding[]) {
    const document = `Secret ${what}`;
    super([
      ...findings.map((f) => ({ document, path: `data[${JSON.stringify(f.key)}]`, message: f.message })),
      { document, path: '', message: `not created by inferno (no label ${CertSecretOwner.key}=${CertSecretOwner.value}), so inferno does not overwrite it: fix it, or delete it and inferno creates its own` },
    ]);
    this.name = 'CertSecretRefused';
  }
}

const describe = (findings: readonly Finding[]): string => findings.map((f) => `${f.key} ${f.message}`).join('; ');

/** Rounds of read-decide-write before giving up: each conflict means another replica wrote, which the next read sees. */
const MaxRounds = 5;

const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((ok) => {
  if (signal?.aborted === true) {
    ok();
    return;
  }
  const t = setTimeout(ok, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); ok(); }, { once: true });
});

const isAborted = (s: AbortSignal): boolean => s.aborted;

function summary(m: ServingMaterial): Record<string, unknown> {
  const leaf = new X509Certificate(m.cert);
  return { serial: leaf.serialNumber, notAfter: new Date(leaf.validTo).toISOString(), cas: parseBundle(m.caBundle).certs.map((c) => c.cert.subject) };
}

export class CertBootstrap {
  private current: ServingMaterial | undefined;
  /** notes about someone else's Secret already logged, so a periodic check does not repeat them */
  private readonly noted = new Set<string>();
  private readonly o: CertBootstrapOptions;

  constructor(o: CertBootstrapOptions) {
    this.o = o;
  }

  /** One round: the Secret made usable (created or renewed if it is inferno's) and its contents in --cert-dir. */
  async reconcile(): Promise<ServingMaterial> {
    const { store, log } = this.o;
    for (let round = 0; round < MaxRounds; round++) {
      const stored = await store.read();
      const now = (this.o.now ?? (() => new Date()))();
      const decision = inspect(stored, now, this.o.policy);
      if (decision.action === 'refuse') throw new CertSecretRefused(store.what, decision.findings);
      if (decision.action === 'use') {
        const notes = describe(decision.notes);
        if (notes !== '' && !this.noted.has(notes)) {
          this.noted.add(notes);
          log('warn', 'the webhook certificate Secret is due for renewal, but inferno did not create it and leaves it to whoever did', { secret: store.what, findings: notes });
        }
        await this.adopt(decision.material);
        return decision.material;
      }
      const broken = decision.findings.filter((f) => f.severity === 'unusable');
      log(broken.length > 0 ? 'warn' : 'info', stored === undefined ? 'creating the webhook certificate Secret' : 'renewing the webhook certificate Secret', {
        secret: store.what, newCa: decision.newCa, newServingCertificate: decision.newServing, ...(decision.findings.length > 0 ? { findings: describe(decision.findings) } : {}),
      });
      const data = renewedData(decision, stored?.data ?? {}, { ...this.o.issue, now });
      const result = stored === undefined ? await store.create(data) : await store.replace(stored.resourceVersion, data);
      // Written or not, the next read says what the Secret now holds: ours, or the replica's that was first.
      if (result === 'conflict') log('info', 'another writer changed the webhook certificate Secret first; using theirs', { secret: store.what });
    }
    throw new Error(`Secret ${store.what} kept changing under ${MaxRounds} attempts to renew it`);
  }

  /** Writes `m` into --cert-dir if it differs from what is there; a new CA bundle goes (and is injected) first. */
  private async adopt(m: ServingMaterial): Promise<void> {
    const prev = this.current;
    const leafChanged = prev === undefined || prev.cert !== m.cert || prev.key !== m.key;
    const bundleChanged = prev === undefined || prev.caBundle !== m.caBundle;
    if (!leafChanged && !bundleChanged) return;
    const dir = this.o.certDir;
    await mkdir(dir, { recursive: true });
    if (bundleChanged) {
      await writeAtomic(join(dir, CertFile.caCert), m.caBundle, 0o644);
      if (prev !== undefined) {
        await this.o.onNewBundle();
        const known = new Set(parseBundle(prev.caBundle).certs.map((c) => c.cert.fingerprint256));
        const gained = parseBundle(m.caBundle).certs.some((c) => !known.has(c.cert.fingerprint256));
        if (gained && leafChanged) await sleep(this.o.settleMs);
      }
    }
    if (leafChanged) {
      // Key first: the server reloads once both are in place (a mismatched pair is never loaded).
      await writeAtomic(join(dir, CertFile.key), m.key, 0o600);
      await writeAtomic(join(dir, CertFile.cert), m.cert, 0o644);
    }
    this.current = m;
    this.o.log('info', prev === undefined ? 'serving the certificate from the Secret' : 'the certificate Secret changed; serving its new contents', { secret: this.o.store.what, ...summary(m) });
  }

  /**
   * Until it succeeds or `signal` aborts: the first reconcile, retried with capped backoff (the API server may be
   * starting, RBAC may be arriving). Someone else's unusable Secret is not retried. undefined when aborted.
   */
  async start(signal: AbortSignal): Promise<ServingMaterial | undefined> {
    let backoff = 1000;
    while (!signal.aborted) {
      try {
        return await this.reconcile();
      } catch (e) {
        if (e instanceof CertSecretRefused) throw e;
        this.o.log('warn', 'could not get the webhook certificate from its Secret; retrying', { secret: this.o.store.what, retryInMs: backoff, err: (e instanceof Error ? e.message : String(e)).slice(0, 300) });
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
    return undefined;
  }

  /** Re-reads the Secret every `everyMs` (backing off to 5 min while that fails) until `signal` aborts. */
  async keep(everyMs: number, signal: AbortSignal): Promise<void> {
    let failures = 0;
    for (;;) {
      await sleep(Math.min(everyMs * 2 ** failures, 300_000), signal);
      // (the sleep ends early on abort)
      if (isAborted(signal)) return;
      try {
        await this.reconcile();
        failures = 0;
      } catch (e) {
        failures = Math.min(failures + 1, 10);
        this.o.log(e instanceof CertSecretRefused ? 'error' : 'warn', 'could not check the webhook certificate Secret; still serving the certificate in use', {
          secret: this.o.store.what, err: (e instanceof Error ? e.message : String(e)).slice(0, 500),
        });
      }
    }
  }
}
