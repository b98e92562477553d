// The webhook certificate's Secret (`inferno serve --cert-secret`): read it, create it only if absent, replace it
// only at the resourceVersion it was read at. Replicas racing at start-up or at a renewal all land on one winner's
// contents: the losers see 409 and read again. The RBAC this needs (deploy/base/rbac.yaml): create on secrets, get
// and update on this one name.
import { CoreV1Api, V1ObjectMeta, V1Secret } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { CertSecretOwner } from '../domain/keys.js';
import { apiStatus, errorText, requestOptions } from './request.js';

export interface StoredSecret {
  readonly resourceVersion: string;
  /** decoded data */
  readonly data: Readonly<Record<string, string>>;
  /** inferno created it (CertSecretOwner label), so it may rewrite it */
  readonly owned: boolean;
}

export type WriteResult = 'written' | 'conflict';

export interface CertSecretStore {
  /** `${namespace}/${name}` */
  readonly what: string;
  /** undefined: no such Secret */
  read(): Promise<StoredSecret | undefined>;
  /** 'conflict': it exists already (someone was first) */
  create(data: Readonly<Record<string, string>>): Promise<WriteResult>;
  /** 'conflict': it changed (or went) since `resourceVersion` was read */
  replace(resourceVersion: string, data: Readonly<Record<string, string>>): Promise<WriteResult>;
}

const RequestTimeoutMs = 10_000;
const timeout = (): ReturnType<typeof requestOptions> => requestOptions({ signal: AbortSignal.timeout(RequestTimeoutMs) });

const decode = (data: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
const encode = (data: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));

/** An error with the Secret and the API server's short answer (client-node's own messages carry whole responses). */
function failed(what: string, verb: string, e: unknown): Error {
  return new Error(`could not ${verb} Secret ${what}: ${errorText(e)}`, { cause: e });
}

export function certSecretStore(kc: KubeConfig, namespace: string, name: string): CertSecretStore {
  const api = kc.makeApiClient(CoreV1Api);
  const what = `${namespace}/${name}`;
  // The Secret as last read: a replace keeps its labels, annotations and type.
  let last: V1Secret | undefined;
  return {
    what,
    async read() {
      let s: V1Secret;
      try {
        s = await api.readNamespacedSecret({ namespace, name }, timeout());
        last = s;
      } catch (e) {
        if (apiStatus(e) === 404) return undefined;
        throw failed(what, 'read', e);
      }
      return { resourceVersion: s.metadata?.resourceVersion ?? '', data: decode(s.data), owned: s.metadata?.labels?.[CertSecretOwner.key] === CertSecretOwner.value };
    },
    async create(data) {
      try {
        await api.createNamespacedSecret({
          namespace,
          body: Object.assign(new V1Secret(), {
            apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
            metadata: Object.assign(new V1ObjectMeta(), { name, namespace, labels: { 'app.kubernetes.io/name': 'inferno', [CertSecretOwner.key]: CertSecretOwner.value } }),
            data: encode(data),
          }),
        }, timeout());
        return 'written';
      } catch (e) {
        if (apiStatus(e) === 409) return 'conflict';
        throw failed(what, 'create', e);
      }
    },
    async replace(resourceVersion, data) {
      try {
        // At the version the decision was made on: a change in between is a conflict, never overwritten.
        const base = last?.metadata?.resourceVersion === resourceVersion ? last : await api.readNamespacedSecret({ namespace, name }, timeout());
        await api.replaceNamespacedSecret({
          namespace, name,
          body: Object.assign(new V1Secret(), base, { metadata: Object.assign(new V1ObjectMeta(), base.metadata, { resourceVersion }), data: encode(data) }),
        }, timeout());
        return 'written';
      } catch (e) {
        const code = apiStatus(e);
        if (code === 409 || code === 404) return 'conflict';
        throw failed(what, 'update', e);
      }
    },
  };
}
