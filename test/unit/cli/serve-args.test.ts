// `inferno serve` flags: defaults, conversions and the combinations refused with a usage error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseServeArgs } from '../../../src/cli/serve.js';
import { UsageError } from '../../../src/cli/usage.js';
import { DefaultNamespace, NamespaceEnv } from '../../../src/domain/keys.js';
import { defaultConnectionLimits } from '../../../src/http/https-server.js';

test('defaults: 0.0.0.0:8443, certs/ under the working directory, a cluster, 3 s drain, 10 s grace, inferno-system, the scaler on', () => {
  assert.deepEqual(parseServeArgs([], '/work'), {
    port: 8443, host: '0.0.0.0', certDir: '/work/certs', kube: { kubeconfig: undefined }, scenario: undefined, drainMs: 3000, graceMs: 10_000,
    namespace: DefaultNamespace, limits: defaultConnectionLimits, injectCaBundle: undefined, certSecret: undefined, extender: true,
    scaler: { namespace: 'inferno-system', prometheus: undefined, leaseDurationMs: 15_000 },
  });
  assert.deepEqual(defaultConnectionLimits, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 120_000, handshakeTimeoutMs: 10_000, maxConnections: 1000 });
});

test('the namespace: --namespace, else the pod\'s (downward API), else inferno-system; it must be a DNS label', () => {
  const ns = (args: string[], env: Record<string, string> = {}): string => {
    const c = parseServeArgs(args, '/w', env);
    assert.ok(c !== 'help');
    return c.namespace;
  };
  assert.equal(ns([], { [NamespaceEnv]: 'platform' }), 'platform');
  assert.equal(ns(['--namespace', 'ops'], { [NamespaceEnv]: 'platform' }), 'ops');
  assert.equal(ns([], { [NamespaceEnv]: '' }), DefaultNamespace);
  assert.throws(() => ns(['--namespace', 'Bad_NS']), /--namespace must be a namespace name/);
  assert.throws(() => ns([], { [NamespaceEnv]: 'x/y' }), /\$POD_NAMESPACE must be a namespace name/);
});

test('timeouts and the connection cap', () => {
  const c = parseServeArgs(['--headers-timeout-seconds', '2', '--request-timeout-seconds', '5', '--handshake-timeout-seconds', '3', '--max-connections', '64'], '/w');
  assert.ok(c !== 'help');
  assert.deepEqual(c.limits, { ...defaultConnectionLimits, headersTimeoutMs: 2000, requestTimeoutMs: 5000, handshakeTimeoutMs: 3000, maxConnections: 64 });
  for (const args of [['--headers-timeout-seconds', '0'], ['--max-connections', '0'], ['--request-timeout-seconds', '301']]) {
    assert.throws(() => parseServeArgs(args, '/w'), UsageError, args.join(' '));
  }
});

test('scaler flags: Prometheus and its credentials, the namespace from the flag or the pod, --no-scaler', () => {
  const c = parseServeArgs(['--prometheus', 'http://127.0.0.1:9090', '--prometheus-bearer-token-file', 't', '--lease-duration-seconds', '3'], '/w', { POD_NAMESPACE: 'ops' });
  assert.ok(c !== 'help');
  assert.deepEqual(c.scaler, { namespace: 'ops', prometheus: { url: 'http://127.0.0.1:9090', bearerTokenFile: '/w/t' }, leaseDurationMs: 3000 });
  const off = parseServeArgs(['--no-scaler', '--namespace', 'x'], '/w');
  assert.ok(off !== 'help');
  assert.equal(off.scaler, undefined);
  for (const args of [['--prometheus', 'localhost:9090'], ['--lease-duration-seconds', '1']]) {
    assert.throws(() => parseServeArgs(args, '/w'), UsageError, args.join(' '));
  }
});

test('flags are converted and resolved against the working directory', () => {
  assert.deepEqual(parseServeArgs(['--port', '0', '--host', '127.0.0.1', '--cert-dir', 'x', '--kubeconfig', 'kc', '--drain-seconds', '0', '--grace-seconds', '2', '--inject-ca-bundle', '--mutating-config', 'm'], '/w'), {
    port: 0, host: '127.0.0.1', certDir: '/w/x', kube: { kubeconfig: '/w/kc' }, scenario: undefined, drainMs: 0, graceMs: 2000,
    namespace: DefaultNamespace, limits: defaultConnectionLimits, injectCaBundle: { mutating: 'm', validating: 'inferno-webhook' }, certSecret: undefined, extender: true,
    scaler: { namespace: 'inferno-system', prometheus: undefined, leaseDurationMs: 15_000 },
  });
  const noKube = parseServeArgs(['--no-kube'], '/w');
  assert.ok(noKube !== 'help');
  assert.equal(noKube.kube, undefined);
  const scenario = parseServeArgs(['--scenario', 's.yaml', '--scenario', 'models/'], '/w');
  assert.ok(scenario !== 'help');
  assert.deepEqual([scenario.kube, scenario.scenario], [undefined, ['/w/s.yaml', '/w/models']], '--scenario (repeatable) serves without a cluster');
  assert.equal(parseServeArgs(['-h'], '/w'), 'help');
  const off = parseServeArgs(['--no-extender'], '/w');
  assert.ok(off !== 'help');
  assert.equal(off.extender, false, '--no-extender switches the extender routes off');
});

test('bad values and contradictions are usage errors', () => {
  for (const args of [['--port', '65536'], ['--port', '-1'], ['--port', '80.5'], ['--drain-seconds', 'soon'], ['--no-kube', '--inject-ca-bundle'], ['--no-kube', '--kubeconfig', 'k'], ['--scenario', 's', '--kubeconfig', 'k'], ['--extender', '--no-extender'], ['--what']]) {
    assert.throws(() => parseServeArgs(args, '/w'), UsageError, args.join(' '));
  }
});

test('--cert-secret: the Secret name, the Service it names (default inferno-webhook), the re-read period; a cluster is needed', () => {
  const c = parseServeArgs(['--cert-secret', 'inferno-webhook-tls', '--cert-dir', '/certs', '--inject-ca-bundle'], '/w');
  assert.ok(c !== 'help');
  assert.deepEqual(c.certSecret, { name: 'inferno-webhook-tls', service: 'inferno-webhook', checkMs: 10_000 });
  const d = parseServeArgs(['--cert-secret', 'tls.v2', '--service', 'hooks', '--cert-check-seconds', '1'], '/w');
  assert.ok(d !== 'help');
  assert.deepEqual(d.certSecret, { name: 'tls.v2', service: 'hooks', checkMs: 1000 });
  const refused: [string[], RegExp][] = [
    [['--cert-secret', 'Bad_Name'], /--cert-secret must be a Secret name/],
    [['--cert-secret', 's', '--service', '9hooks'], /--service must be a Service name/],
    [['--cert-secret', 's', '--cert-check-seconds', '0'], /--cert-check-seconds must be a whole number from 1 to 3600/],
    [['--service', 'hooks'], /--service and --cert-check-seconds need --cert-secret/],
    [['--cert-secret', 's', '--no-kube'], /--no-kube cannot be combined with --kubeconfig, --inject-ca-bundle or --cert-secret/],
    [['--cert-secret', 's', '--scenario', 'x.yaml'], /--scenario cannot be combined/],
  ];
  for (const [args, message] of refused) assert.throws(() => parseServeArgs(args, '/w'), (e: unknown) => e instanceof UsageError && message.test(e.message), args.join(' '));
});
