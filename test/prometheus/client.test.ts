// The Prometheus client against a real Prometheus serving HTTPS (its --web.config.file TLS), directly and behind a
// bearer-token reverse proxy (as kube-rbac-proxy or oauth-proxy guard Prometheus in clusters): CA trust,
// insecure-skip-verify, a token file rotated between queries, a wrong token, a deadline, a bad expression, and a
// path prefix.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPrometheusClient } from '../../src/prometheus/client.js';
import { createCertificateAuthority, createServingCertificate, localSans } from '../../src/tls/forge.js';
import type { TestPrometheus } from '../support/prometheus.js';
import { havePrometheus, startPrometheus } from '../support/prometheus.js';

describe('Prometheus client over TLS and with a bearer token', { skip: !havePrometheus && 'no /usr/bin/prometheus' }, () => {
  const ca = createCertificateAuthority({ commonName: 'inferno test Prometheus CA', days: 1 });
  const leaf = createServingCertificate(ca, { dnsNames: [...localSans.dnsNames], ipAddresses: [...localSans.ipAddresses], days: 1 });
  let prom: TestPrometheus;
  let dir = '';
  let caFile = '';
  let tokenFile = '';
  let proxyUrl = '';
  let expected = 'token-1';
  let delayMs = 0;
  const proxy = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.authorization !== `Bearer ${expected}`) {
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('Unauthorized\n');
      return;
    }
    // Strip the /prometheus prefix the proxy is mounted under.
    const path = (req.url ?? '/').replace(/^\/prometheus/, '');
    setTimeout(() => {
      const headers = { ...req.headers };
      delete headers.authorization;
      delete headers.host;
      const up = httpsRequest(`${prom.url}${path}`, { method: req.method ?? 'GET', headers, ca: ca.certPem }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
      req.pipe(up);
    }, delayMs);
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inferno-prom-client-'));
    caFile = join(dir, 'ca.crt');
    tokenFile = join(dir, 'token');
    await writeFile(caFile, ca.certPem);
    await writeFile(tokenFile, 'token-1\n');
    prom = await startPrometheus([], { tls: { certPem: leaf.certPem, keyPem: leaf.keyPem, caPem: ca.certPem } });
    await new Promise<void>((ok) => { proxy.listen(0, '127.0.0.1', ok); });
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/prometheus`;
  });
  after(async () => {
    proxy.closeAllConnections();
    await new Promise<void>((ok) => { proxy.close(() => { ok(); }); });
    await prom.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const now = (): number => Date.now() / 1000;

  test('https with the CA file; without it the certificate is refused; insecure-skip-verify accepts it', async () => {
    const trusted = await createPrometheusClient({ url: prom.url, timeoutMs: 5000, caFile });
    const r = await trusted.query('vector(42)', { time: now() });
    assert.ok(r.ok && r.data.resultType === 'vector');
    assert.equal(r.data.samples[0]?.value, 42);
    trusted.close();
    const untrusted = await createPrometheusClient({ url: prom.url, timeoutMs: 5000 });
    const refused = await untrusted.query('vector(1)', { time: now() });
    assert.ok(!refused.ok && refused.errorType === 'transport', JSON.stringify(refused));
    assert.match(refused.error, /certificate/i);
    untrusted.close();
    const insecure = await createPrometheusClient({ url: prom.url, timeoutMs: 5000, insecureSkipVerify: true });
    assert.ok((await insecure.query('vector(1)', { time: now() })).ok);
    insecure.close();
  });

  test('a bearer token read from its file on every query (rotation), a wrong one answered 401, a path prefix', async () => {
    const c = await createPrometheusClient({ url: proxyUrl, timeoutMs: 5000, bearerTokenFile: tokenFile });
    assert.ok((await c.query('vector(1)', { time: now() })).ok);
    expected = 'token-2';
    await writeFile(tokenFile, 'token-2\n');
    assert.ok((await c.query('vector(1)', { time: now() })).ok, 'the rotated token is used');
    expected = 'token-3';
    const denied = await c.query('vector(1)', { time: now() });
    assert.deepEqual(denied, { ok: false, errorType: 'http', error: 'HTTP 401 with a body that is not JSON: Unauthorized', warnings: [] });
    expected = 'token-2';
    await rm(tokenFile);
    const missing = await c.query('vector(1)', { time: now() });
    assert.ok(!missing.ok && /cannot read the bearer token file .*: ENOENT/.test(missing.error), JSON.stringify(missing));
    await writeFile(tokenFile, 'token-2');
    c.close();
  });

  test('Prometheus\'s own errors come back typed; a slow answer hits the deadline', async () => {
    const c = await createPrometheusClient({ url: prom.url, timeoutMs: 5000, caFile });
    const bad = await c.query('sum(rate(x[1m])', { time: now() });
    assert.ok(!bad.ok && bad.errorType === 'bad_data' && /parse error/.test(bad.error) && /HTTP 400/.test(bad.error), JSON.stringify(bad));
    c.close();
    delayMs = 1500;
    const slow = await createPrometheusClient({ url: proxyUrl, timeoutMs: 300, bearerTokenFile: tokenFile });
    const t0 = performance.now();
    const r = await slow.query('vector(1)', { time: now() });
    assert.deepEqual(r, { ok: false, errorType: 'timeout', error: 'no answer within 300 ms', warnings: [] });
    assert.ok(performance.now() - t0 < 1200, 'the deadline, not the proxy, ended the wait');
    delayMs = 0;
    slow.close();
  });
});
