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

/** Patches every webhook of one configuration; the webhook count, or undefined when it does not exist. */
async function injectInto(read: () => Promise<{ webhooks?: Named[] }>, patch: (body: object[]) => Promise<unknown>, caBundle: string): Promise<number | undefined> {
  try {
    const hooks = (await read()).webhooks ?? [];
    if (hooks.length > 0) await patch(caBundleOps(hooks, caBundle));
    return hooks.length;
  } catch (e) {
    if (notFound(e)) return undefined;
    throw e;
  }
}

/** Returns what was patched, e.g. ["MutatingWebhookConfiguration/inferno-webhook (1 webhook)"]; absent ones are skipped. */
export async function injectCaBundle(kc: KubeConfig, caPem: string, names: { readonly mutating: string; readonly validating: string }): Promise<string[]> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const caBundle = Buffer.from(caPem).toString('base64');
  const targets = [
    {
      what: `MutatingWebhookConfiguration/${names.mutating}`,
      read: () => api.readMutatingWebhookConfiguration({ name: names.mutating }),
      patch: (body: object[]) => api.patchMutatingWebhookConfiguration({ name: names.mutating, body }),
    },
    {
      what: `ValidatingWebhookConfiguration/${names.validating}`,
      read: () => api.readValidatingWebhookConfiguration({ name: names.validating }),
      patch: (body: object[]) => api.patchValidatingWebhookConfiguration({ name: names.validating, body }),
    },
  ];
  const done: string[] = [];
  for (const t of targets) {
    const n = await injectInto(t.read, t.patch, caBundle);
    if (n !== undefined) done.push(`${t.what} (${n} webhook${n === 1 ? '' : 's'})`);
  }
  return done;
}
