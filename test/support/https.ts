// HTTPS plumbing for webhook tests: certificates from src/tls/forge.ts, a live webhook server on 127.0.0.1:0, and a
// node:https client that trusts the test CA (Node 20's fetch cannot take a custom CA without undici's Agent).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpsServer } from '../../src/http/https-server.js';
import type { RunningHttpsServer } from '../../src/http/https-server.js';
import type { AdmissionMetrics } from '../../src/metrics/admission.js';
import { createAdmissionMetrics } from '../../src/metrics/admission.js';
import type { PemPair } from '../../src/tls/forge.js';
import { createCertificateAuthority, createServingCertificate, localSans } from '../../src/tls/forge.js';
import { createWebhookApp } from '../../src/http/webhook-app.js';
import type { WebhookLog } from '../../src/http/webhook-app.js';
import type { AdmissionRoute } from '../../src/webhook/types.js';

export interface TestPki { readonly ca: PemPair; readonly leaf: PemPair }

export function createTestPki(commonName = 'inferno test CA'): TestPki {
  const ca = createCertificateAuthority({ commonName, days: 1 });
  const leaf = createServingCertificate(ca, { dnsNames: [...localSans.dnsNames], ipAddresses: [...localSans.ipAddresses], days: 1 });
  return { ca, leaf };
}

export async function writePki(dir: string, pki: TestPki): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  await writeFile(keyFile, pki.leaf.keyPem, { mode: 0o600 });
  await writeFile(certFile, pki.leaf.certPem);
  await writeFile(join(dir, 'ca.crt'), pki.ca.certPem);
  return { certFile, keyFile };
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

export interface Call {
  readonly method?: string;
  readonly path: string;
  readonly body?: string | Buffer;
  readonly headers?: OutgoingHttpHeaders;
  /** a keep-alive agent to reuse connections; default: a fresh connection */
  readonly agent?: Agent;
}

export function call(port: number, ca: string, c: Call): Promise<Reply> {
  return new Promise((ok, fail) => {
    const body = c.body;
    const req = httpsRequest({
      host: '127.0.0.1', port, path: c.path, method: c.method ?? (body === undefined ? 'GET' : 'POST'), ca,
      ...(c.agent !== undefined ? { agent: c.agent } : { agent: false }),
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        ...c.headers,
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => { ok({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }); });
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(body);
  });
}

export { deploymentRequest, review } from './admission.js';

export interface TestWebhook {
  readonly port: number;
  readonly ca: string;
  readonly metrics: AdmissionMetrics;
  readonly server: RunningHttpsServer;
  readonly dir: string;
  setReady(ready: boolean): void;
  post(path: string, body: unknown, agent?: Agent): Promise<Reply>;
  close(): Promise<void>;
}

export async function startTestWebhook(routes: readonly AdmissionRoute[], opts: { pki?: TestPki; log?: WebhookLog } = {}): Promise<TestWebhook> {
  const pki = opts.pki ?? createTestPki();
  const dir = await mkdtemp(join(tmpdir(), 'inferno-webhook-'));
  const files = await writePki(dir, pki);
  let ready = true;
  const metrics = createAdmissionMetrics();
  const app = createWebhookApp({ routes, metrics, ready: () => ready, ...(opts.log !== undefined ? { log: opts.log } : {}) });
  const server = await startHttpsServer(app, { ...files, port: 0, host: '127.0.0.1' });
  return {
    port: server.port, ca: pki.ca.certPem, metrics, server, dir,
    setReady: (r) => { ready = r; },
    post: (path, body, agent) => call(server.port, pki.ca.certPem, { path, body: typeof body === 'string' ? body : JSON.stringify(body), ...(agent !== undefined ? { agent } : {}) }),
    close: async () => {
      await server.close(1000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
