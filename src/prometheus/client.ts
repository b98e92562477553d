// A small Prometheus HTTP API client: instant queries by POST (a batched query over hundreds of model names is too
// long for a URL), a deadline per query, TLS options and a bearer token read from a file on every query (tokens
// are rotated by Kubernetes). node:http(s) rather than fetch: Node 20's fetch cannot take a custom CA or client
// certificate without undici's Agent. It never throws for an unreachable or failing server: it returns a result
// saying why.
import { readFile } from 'node:fs/promises';
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { QueryResult } from './response.js';
import { parseQueryResponse, transportFailure } from './response.js';

export interface PrometheusClientOptions {
  /** base URL, e.g. http://prometheus-operated.monitoring:9090 (a path prefix such as /prometheus is kept) */
  readonly url: string;
  /** per query, ms; Prometheus is asked to give up slightly earlier */
  readonly timeoutMs: number;
  readonly bearerTokenFile?: string;
  /** PEM CA bundle to trust for https */
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly insecureSkipVerify?: boolean;
  /** answers over this size are refused */
  readonly maxResponseBytes?: number;
}

export interface PrometheusClient {
  /** An instant query evaluated at `time` (Unix seconds). */
  query(expr: string, opts: { readonly time: number }): Promise<QueryResult>;
  close(): void;
}

export const PrometheusLimits = { maxTimeoutMs: 300_000, defaultMaxResponseBytes: 64 << 20 } as const;

export class PrometheusConfigError extends Error {}

async function readPem(path: string | undefined, what: string): Promise<string | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new PrometheusConfigError(`cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

export async function createPrometheusClient(o: PrometheusClientOptions): Promise<PrometheusClient> {
  let base: URL;
  try {
    base = new URL(o.url);
  } catch {
    throw new PrometheusConfigError(`"${o.url}" is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new PrometheusConfigError(`"${o.url}" is not an http(s) URL`);
  if (!(o.timeoutMs > 0 && o.timeoutMs <= PrometheusLimits.maxTimeoutMs)) throw new PrometheusConfigError(`the timeout must be from 1 ms to ${PrometheusLimits.maxTimeoutMs} ms`);
  const https = base.protocol === 'https:';
  const [ca, cert, key] = await Promise.all([readPem(o.caFile, 'CA file'), readPem(o.certFile, 'client certificate'), readPem(o.keyFile, 'client key')]);
  if ((cert === undefined) !== (key === undefined)) throw new PrometheusConfigError('a client certificate needs both the certificate and the key file');
  const agent: HttpAgent = https
    ? new HttpsAgent({ keepAlive: true, maxSockets: 16, ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined && key !== undefined ? { cert, key } : {}), rejectUnauthorized: o.insecureSkipVerify !== true })
    : new Agent({ keepAlive: true, maxSockets: 16 });
  const endpoint = new URL(`${base.pathname.replace(/\/+$/, '')}/api/v1/query`, base);
  const maxBytes = o.maxResponseBytes ?? PrometheusLimits.defaultMaxResponseBytes;
  // Prometheus's own deadline a little before ours, so that a slow query comes back as its "timeout" error.
  const serverTimeout = `${Math.max(1, Math.floor(o.timeoutMs * 0.9))}ms`;

  const token = async (): Promise<string | undefined> => {
    if (o.bearerTokenFile === undefined) return undefined;
    try {
      return (await readFile(o.bearerTokenFile, 'utf8')).trim();
    } catch (e) {
      throw new PrometheusConfigError(`cannot read the bearer token file ${o.bearerTokenFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  };

  const post = (body: string, bearer: string | undefined): Promise<QueryResult> => new Promise((ok) => {
    const signal = AbortSignal.timeout(o.timeoutMs);
    const req = (https ? httpsRequest : httpRequest)(endpoint, {
      method: 'POST', agent, signal,
      headers: {
        'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), accept: 'application/json',
        ...(bearer !== undefined ? { authorization: `Bearer ${bearer}` } : {}),
      },
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          res.destroy();
          ok(transportFailure('transport', `the answer is over ${maxBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => { ok(parseQueryResponse(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))); });
      res.on('error', (e) => { ok(signal.aborted ? transportFailure('timeout', `no answer within ${o.timeoutMs} ms`) : transportFailure('transport', e.message)); });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      ok(signal.aborted ? transportFailure('timeout', `no answer within ${o.timeoutMs} ms`) : transportFailure('transport', `${endpoint.origin}: ${e.code ?? ''}${e.code !== undefined ? ' ' : ''}${e.message.replace(e.code ?? '\u0000', '').trim()}`));
    });
    req.end(body);
  });

  return {
    async query(expr, { time }) {
      let bearer: string | undefined;
      try {
        bearer = await token();
      } catch (e) {
        return transportFailure('transport', (e as Error).message);
      }
      const body = new URLSearchParams({ query: expr, time: time.toFixed(3), timeout: serverTimeout }).toString();
      return post(body, bearer);
    },
    close() {
      agent.destroy();
    },
  };
}
