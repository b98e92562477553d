// Keeps the webhook configurations' caBundle in step with the CA that signed our serving certificate (the job
// cert-manager's cainjector does), for installs that use `inferno certs` instead of cert-manager.
import { AdmissionregistrationV1Api, ApiException } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';

interface Named { readonly name: string }

// JSON Patch (client-node's default for patch calls): `add` sets caBundle whether or not it exists, and a `test`
// on each webhook's name makes the patch fail instead of landing on the wrong entry if the list changed meanwhile.
function caBundleOps(webhooks: readonly Named[], caBundle: string): object[] {
  return webhooks.flatMap((w, i) => [
    { op: 'test', path: `/webhooks/${i}/name`, value: w.name },
    { op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle },
  ]);
}

const notFound = (e: unknown): boolean => e instanceof ApiException && e.code === 404;

/** Returns what was patched, e.g. ["MutatingWebhookConfiguration/inferno-webhook (1 webhook)"]; absent ones are skipped. */
export async function injectCaBundle(kc: KubeConfig, caPem: string, names: { readonly mutating: string; readonly validating: string }): Promise<string[]> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const caBundle = Buffer.from(caPem).toString('base64');
  const done: string[] = [];
  try {
    const m = await api.readMutatingWebhookConfiguration({ name: names.mutating });
    const hooks = m.webhooks ?? [];
    if (hooks.length > 0) await api.patchMutatingWebhookConfiguration({ name: names.mutating, body: caBundleOps(hooks, caBundle) });
    done.push(`MutatingWebhookConfiguration/${names.mutating} (${hooks.length} webhook${hooks.length === 1 ? '' : 's'})`);
  } catch (e) {
    if (!notFound(e)) throw e;
  }
  try {
    const v = await api.readValidatingWebhookConfiguration({ name: names.validating });
    const hooks = v.webhooks ?? [];
    if (hooks.length > 0) await api.patchValidatingWebhookConfiguration({ name: names.validating, body: caBundleOps(hooks, caBundle) });
    done.push(`ValidatingWebhookConfiguration/${names.validating} (${hooks.length} webhook${hooks.length === 1 ? '' : 's'})`);
  } catch (e) {
    if (!notFound(e)) throw e;
  }
  return done;
}
