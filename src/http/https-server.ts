// An HTTPS server whose certificate follows the files on disk (cert-manager or a Secret volume rotates them), with
// timeouts that hold, a connection cap, modern TLS only, and a bounded graceful close. Node's equivalent of
// controller-runtime's certwatcher + server shutdown.
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { SecureContextOptions } from 'node:tls';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Timeouts and the connection cap. Every timeout is enforced within about a quarter of its value (see below). */
export interface ConnectionLimits {
  /** from connecting to the end of the request headers (slow-headers attacks) */
  readonly headersTimeoutMs: number;
  /** from connecting to the end of the request body (slow bodies) */
  readonly requestTimeoutMs: number;
  /** idle between requests on a keep-alive connection */
  readonly keepAliveTimeoutMs: number;
  /** from accepting the TCP connection to a finished TLS handshake (connections that never start TLS) */
  readonly handshakeTimeoutMs: number;
  /** open connections at most; more are refused at accept (each holds ~30 kB of TLS state) */
  readonly maxConnections: number;
}

// The API server reuses connections (Go's idle timeout is 90 s): outlive it so the server never closes a
// connection the client is about to reuse. Headers arrive at once; a whole request never takes longer than the
// longest admission timeout (30 s). A few apiservers keep tens of connections each: 1000 leaves ample room.
export const defaultConnectionLimits: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 120_000,
  handshakeTimeoutMs: 10_000,
  maxConnections: 1000,
};

/**
 * TLS 1.2 and 1.3 with forward secrecy and authenticated encryption only: ECDHE key exchange and AES-GCM or
 * ChaCha20-Poly1305 (no static RSA, no CBC, no SHA-1 MACs). Go's TLS client (the API server) offers all of these.
 */
export const TlsPolicy = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  honorCipherOrder: true,
} as const satisfies SecureContextOptions;

export interface HttpsServerOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** 0 picks a free port */
  readonly port: number;
  readonly host: string;
  /** called after every reload attempt: without an error when the new pair is in use */
  readonly onReload?: (err?: Error) => void;
  readonly reloadDebounceMs?: number;
  /** more file names beside the certificate whose changes trigger a reload (and onReload), e.g. ca.crt */
  readonly alsoWatch?: readonly string[];
  readonly limits?: Partial<ConnectionLimits>;
}

export interface RunningHttpsServer {
  readonly server: Server;
  readonly port: number;
  /** re-reads the files now (the watcher does this on its own) */
  reload(): Promise<void>;
  /** stops accepting, lets in-flight requests finish, and cuts what is still open after deadlineMs */
  close(deadlineMs: number): Promise<void>;
}

interface Pem { readonly cert: Buffer; readonly key: Buffer }

async function readPair(certFile: string, keyFile: string): Promise<Pem> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  // Fails on a half-written file or a key that does not match the certificate, before it can replace a good pair.
  createSecureContext({ ...TlsPolicy, cert, key });
  return { cert, key };
}

export async function startHttpsServer(app: RequestListener, opts: HttpsServerOptions): Promise<RunningHttpsServer> {
  const certFile = resolve(opts.certFile);
  const keyFile = resolve(opts.keyFile);
  const pem = await readPair(certFile, keyFile);
  const limits = { ...defaultConnectionLimits, ...opts.limits };
  let closing = false;
  const server = createServer({
    ...TlsPolicy, ...pem,
    handshakeTimeout: limits.handshakeTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node enforces the header and request timeouts only when it sweeps its connections, every
    // connectionsCheckingInterval (30 s by default, so a 10 s timeout could take 40 s): sweep at a quarter of
    // the shortest, at most once a second.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4))),
  }, (req, res) => {
    // While draining, tell keep-alive clients (the API server) to open their next request elsewhere.
    if (closing) res.setHeader('Connection', 'close');
    // A request already in flight when close() began leaves a keep-alive connection behind: reap it once idle.
    res.once('close', () => { if (closing) setImmediate(() => { server.closeIdleConnections(); }); });
    app(req, res);
  });
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.maxConnections = limits.maxConnections;

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => {
      server.off('error', fail);
      ok();
    });
  });

  const reload = async (): Promise<void> => {
    try {
      // The whole context is replaced: the TLS policy must come along, or the defaults (CBC suites) would return.
      server.setSecureContext({ ...TlsPolicy, ...(await readPair(certFile, keyFile)) });
      opts.onReload?.();
    } catch (e) {
      // Keep serving the previous pair; the next file event retries.
      opts.onReload?.(e instanceof Error ? e : new Error(String(e)));
    }
  };

  // Watch directories, not files: Secret volumes swap a `..data` symlink and editors write-and-rename, both of
  // which leave a watch on the old file inode silent. Bursts of events (cert then key) collapse into one reload.
  const names = new Set([basename(certFile), basename(keyFile), '..data', ...(opts.alsoWatch ?? [])]);
  let timer: NodeJS.Timeout | undefined;
  const onEvent = (_event: string, file: string | null): void => {
    if (file !== null && !names.has(file)) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), opts.reloadDebounceMs ?? 100);
  };
  const watchers: FSWatcher[] = [...new Set([dirname(certFile), dirname(keyFile)])].map((dir) =>
    watch(dir, { persistent: false }, onEvent).on('error', (e) => opts.onReload?.(e)),
  );

  const close = async (deadlineMs: number): Promise<void> => {
    closing = true;
    clearTimeout(timer);
    for (const w of watchers) w.close();
    if (!server.listening) return;
    const closed = new Promise<void>((ok) => server.close(() => { ok(); }));
    server.closeIdleConnections();
    const cut = setTimeout(() => { server.closeAllConnections(); }, deadlineMs);
    await closed;
    clearTimeout(cut);
  };

  return { server, port: (server.address() as AddressInfo).port, reload, close };
}
