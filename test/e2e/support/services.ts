// Stand-ins for Kubernetes Services on loopback, for processes the e2e harness runs outside the cluster:
// - HttpService: one URL in front of a changing set of emulated vLLM pods, each request to the next backend in turn
//   (round robin, as an L7 gateway would; kube-proxy balances connections, which keep-alive clients would pin);
// - TcpService: one port in front of several `inferno serve` replicas, each connection to the first one that
//   accepts (so the API server's webhook calls survive a replica's death, as with a Service's endpoints).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import net from 'node:net';

export class HttpService {
  readonly #server: Server;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1000 });
  #backends: readonly URL[] = [];
  #next = 0;
  port = 0;
  /** requests answered 503 because no backend was there */
  noBackend = 0;

  constructor() {
    this.#server = createServer((req, res) => { this.#forward(req, res); });
    this.#server.keepAliveTimeout = 5_000;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((ok) => this.#server.listen(0, '127.0.0.1', ok));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  setBackends(urls: readonly string[]): void {
    this.#backends = urls.map((u) => new URL(u));
  }

  backends(): number {
    return this.#backends.length;
  }

  #forward(req: IncomingMessage, res: ServerResponse): void {
    const n = this.#backends.length;
    const b = n === 0 ? undefined : this.#backends[this.#next++ % n];
    if (b === undefined) {
      this.noBackend += 1;
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain' }).end('no endpoints');
      return;
    }
    const up = request({ host: b.hostname, port: b.port, path: req.url, method: req.method, headers: req.headers, agent: this.#agent }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
      r.on('error', () => res.destroy());
    });
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('backend went away');
      else res.destroy();
    });
    res.on('close', () => { if (!res.writableFinished) up.destroy(); });
    req.pipe(up);
  }

  async close(): Promise<void> {
    this.#agent.destroy();
    await new Promise<void>((ok) => {
      this.#server.close(() => { ok(); });
      this.#server.closeAllConnections();
    });
  }
}

export class TcpService {
  readonly #server: net.Server;
  readonly #sockets = new Set<Socket>();
  #backends: readonly number[];
  port = 0;

  constructor(backendPorts: readonly number[]) {
    this.#backends = backendPorts;
    this.#server = net.createServer((client) => { this.#connect(client, 0); });
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((ok, fail) => {
      this.#server.once('error', fail);
      this.#server.listen(port, '127.0.0.1', () => { ok(); });
    });
    this.port = (this.#server.address() as AddressInfo).port;
    return this.port;
  }

  #connect(client: Socket, attempt: number): void {
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    client.on('error', () => undefined);
    const port = this.#backends[attempt];
    if (port === undefined) {
      client.destroy();
      return;
    }
    const up = net.connect(port, '127.0.0.1');
    let connected = false;
    up.once('connect', () => {
      connected = true;
      this.#sockets.add(up);
      client.pipe(up).pipe(client);
    });
    up.on('close', () => { this.#sockets.delete(up); if (connected) client.destroy(); });
    up.on('error', () => {
      if (connected) return;
      client.removeAllListeners('close');
      this.#sockets.delete(client);
      this.#connect(client, attempt + 1);
    });
    client.on('close', () => up.destroy());
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((ok) => { this.#server.close(() => { ok(); }); });
  }
}
