// An HTTPS server whose certificate follows the files on disk (cert-manager or a Secret volume rotates them), with a
// bounded graceful close. Node's equivalent of controller-runtime's certwatcher + server shutdown.
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface HttpsServerOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** 0 picks a free port */
  readonly port: number;
  readonly host: string;
  /** called after every reload attempt: without an error when the new pair is in use */
  readonly onReload?: (err?: Error) => void;
  readonly reloadDebounceMs?: number;
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
  createSecureContext({ cert, key });
  return { cert, key };
}

export async function startHttpsServer(app: RequestListener, opts: HttpsServerOptions): Promise<RunningHttpsServer> {
  const certFile = resolve(opts.certFile);
  const keyFile = resolve(opts.keyFile);
  const pem = await readPair(certFile, keyFile);
  let closing = false;
  const server = createServer({ ...pem, minVersion: 'TLSv1.2' }, (req, res) => {
    // While draining, tell keep-alive clients (the API server) to open their next request elsewhere.
    if (closing) res.setHeader('Connection', 'close');
    // A request already in flight when close() began leaves a keep-alive connection behind: reap it once idle.
    res.once('close', () => { if (closing) setImmediate(() => { server.closeIdleConnections(); }); });
    app(req, res);
  });
  // The API server reuses connections (Go's idle timeout is 90 s): outlive it so the server never closes a
  // connection the client is about to reuse. Headers arrive at once; a whole request never takes longer than the
  // longest admission timeout (30 s).
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => {
      server.off('error', fail);
      ok();
    });
  });

  const reload = async (): Promise<void> => {
    try {
      server.setSecureContext(await readPair(certFile, keyFile));
      opts.onReload?.();
    } catch (e) {
      // Keep serving the previous pair; the next file event retries.
      opts.onReload?.(e instanceof Error ? e : new Error(String(e)));
    }
  };

  // Watch directories, not files: Secret volumes swap a `..data` symlink and editors write-and-rename, both of
  // which leave a watch on the old file inode silent. Bursts of events (cert then key) collapse into one reload.
  const names = new Set([basename(certFile), basename(keyFile), '..data']);
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
