// Connection reuse for client-node's API clients. client-node 1.4 builds a new https.Agent for every request
// (KubeConfig.applySecurityAuthentication → createAgent), so every call pays a TCP connect and a TLS handshake on
// both sides: 500 GETs against a loopback API server took 2.4 s that way, 0.3 s over one kept-alive agent, which made
// the scaler's writes the bulk of a tick (npm run bench:scaler). This hands every request of the clients made from
// one KubeConfig the same keep-alive agent, rebuilt only when the TLS identity (CA, client certificate) changes.
// Proxied clusters are left alone (their agents are not plain https.Agents).
import { createHash } from 'node:crypto';
import type { AgentOptions } from 'node:https';
import { Agent } from 'node:https';
import type { Duplex } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';

/** A keep-alive agent that counts the connections it opened (so tests can see reuse). */
export class KeepAliveAgent extends Agent {
  connections = 0;
  override createConnection(options: Parameters<Agent['createConnection']>[0], callback?: Parameters<Agent['createConnection']>[1]): Duplex {
    this.connections += 1;
    return super.createConnection(options, callback) as Duplex;
  }
}

const tlsKeys = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

function identity(o: AgentOptions): string {
  const h = createHash('sha256');
  for (const k of tlsKeys) h.update(`${k}=${JSON.stringify(o[k] ?? null)};`);
  return h.digest('hex');
}

const agents = new WeakMap<KubeConfig, KeepAliveAgent>();

/** The shared agent of `kc`, once a request went through it (for tests and diagnostics). */
export const keepAliveAgentOf = (kc: KubeConfig): KeepAliveAgent | undefined => agents.get(kc);

/** Makes the API clients created from `kc` (before or after this call) reuse connections. Returns `kc`. */
export function keepAlive(kc: KubeConfig, o: { readonly maxSockets?: number } = {}): KubeConfig {
  const original = kc.applySecurityAuthentication.bind(kc);
  let key = '';
  kc.applySecurityAuthentication = async (ctx) => {
    await original(ctx);
    const fresh = ctx.getAgent();
    if (!(fresh instanceof Agent) || (kc.getCurrentCluster()?.proxyUrl ?? '') !== '') return;
    const opts = fresh.options;
    const id = identity(opts);
    let shared = agents.get(kc);
    if (shared === undefined || id !== key) {
      shared?.destroy();
      const tls: AgentOptions = Object.fromEntries(tlsKeys.flatMap((k) => (opts[k] !== undefined ? [[k, opts[k]]] : [])));
      // Idle connections are closed after 30 s, before a server's or a load balancer's idle timeout can close one
      // under a request being sent (the keep-alive race); an active request is never cut by it.
      shared = new KeepAliveAgent({ ...tls, keepAlive: true, maxSockets: o.maxSockets ?? 64, timeout: 30_000 });
      agents.set(kc, shared);
      key = id;
    }
    fresh.destroy();
    ctx.setAgent(shared);
  };
  return kc;
}
