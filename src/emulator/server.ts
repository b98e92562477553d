// One emulated vLLM replica: a plain-HTTP server (as vLLM serves) around the continuous-batching engine, driven by
// the wall clock. One timer at a time, armed for the engine's next event; every request and every scrape first
// brings the engine up to now, so what /metrics shows is what the engine holds at that instant.
//
// Answers: POST /v1/completions and /v1/chat/completions (streaming SSE or not), GET /v1/models, /health (503
// during the start-up delay), /metrics. Overload: beyond `maxWaiting` queued requests the server answers 503 and
// counts the request in vllm:request_success_total{finished_reason="abort"} — real vLLM has no queue bound, and a
// client that gives up there is counted the same way, so "every arrival shows up in request_success_total
// eventually" stays true for the collector.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Engine, EngineEvent, EngineParams, EngineState } from '../engine/engine.js';
import { EngineLimits, createEngine } from '../engine/engine.js';
import { seededRandom } from '../engine/random.js';
import { createVllmMetrics } from './metrics.js';
import type { Endpoint, ParsedRequest } from './openai.js';
import { errorBody, fullResponse, parseRequest, streamChunk, tokenText, usage, usageChunk } from './openai.js';

export const EmulatorLimits = { maxBodyBytes: 4 * 1024 * 1024, maxModelLen: EngineLimits.maxTokens, maxStartupMs: 3_600_000 } as const;

export interface EmulatorOptions {
  /** served model name (vLLM's --served-model-name, else --model) */
  readonly model: string;
  readonly engine: EngineParams;
  /** prompt + completion tokens per request (vLLM --max-model-len) */
  readonly maxModelLen: number;
  /** completion tokens when a request gives no max_tokens */
  readonly defaultMaxTokens?: number;
  readonly port?: number;
  readonly host?: string;
  /** /health answers 503 (and completions are refused) for this long after start */
  readonly startupMs?: number;
  readonly seed?: number;
  /** ms, monotonic; default performance.now */
  readonly clock?: () => number;
  readonly log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

export interface RunningEmulator {
  readonly url: string;
  readonly port: number;
  readonly registry: Registry;
  state(): EngineState;
  /** Stops accepting, ends open streams, closes every connection. */
  close(): Promise<void>;
}

interface Pending {
  readonly req: ParsedRequest;
  readonly res: ServerResponse;
  readonly arrival: number;
  readonly outputTokens: number;
  readonly ids: { readonly id: string; readonly created: number; readonly model: string };
  lastToken: number;
  tokens: number;
  /** the completion's text, for non-streaming answers */
  readonly text: string[];
  done: boolean;
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((ok, fail) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      fail(new HttpError(413, `request body over ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        fail(new HttpError(413, `request body over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => { ok(Buffer.concat(chunks).toString('utf8')); });
    req.on('error', fail);
  });
}

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

const sendError = (res: ServerResponse, status: number, message: string): void => { sendJson(res, status, errorBody(status, message)); };

export function checkEmulatorOptions(o: EmulatorOptions): string[] {
  const problems: string[] = [];
  if (o.model.trim() === '') problems.push('model name must not be empty');
  if (!Number.isInteger(o.maxModelLen) || o.maxModelLen < 2 || o.maxModelLen > EmulatorLimits.maxModelLen) problems.push(`maxModelLen must be a whole number from 2 to ${EmulatorLimits.maxModelLen}; got ${o.maxModelLen}`);
  const d = o.defaultMaxTokens;
  if (d !== undefined && (!Number.isInteger(d) || d < 1 || d > EmulatorLimits.maxModelLen)) problems.push(`defaultMaxTokens must be a whole number from 1 to ${EmulatorLimits.maxModelLen}; got ${d}`);
  const s = o.startupMs;
  if (s !== undefined && (!Number.isFinite(s) || s < 0 || s > EmulatorLimits.maxStartupMs)) problems.push(`startupMs must be from 0 to ${EmulatorLimits.maxStartupMs}; got ${s}`);
  return problems;
}

export async function startEmulator(o: EmulatorOptions): Promise<RunningEmulator> {
  const problems = checkEmulatorOptions(o);
  if (problems.length > 0) throw new RangeError(`emulator options: ${problems.join('; ')}`);
  const clock = o.clock ?? (() => performance.now());
  const log = o.log ?? (() => undefined);
  const engine: Engine = createEngine(o.engine, seededRandom(o.seed ?? 1));
  const metrics = createVllmMetrics(o.model, () => { pump(); return engine.state(); });
  const readyAt = clock() + (o.startupMs ?? 0);
  const defaultMaxTokens = o.defaultMaxTokens ?? 16;
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.NaN;
  let closing = false;

  const finishResponse = (p: Pending, reason: string): void => {
    p.done = true;
    const u = usage(p.req.inputTokens, p.tokens);
    if (!p.req.stream) {
      sendJson(p.res, 200, fullResponse(p.req.endpoint, p.ids, p.text.join(''), reason, u));
      return;
    }
    if (p.req.includeUsage) p.res.write(`data: ${JSON.stringify(usageChunk(p.req.endpoint, p.ids, u))}\n\n`);
    p.res.end('data: [DONE]\n\n');
  };

  const dispatch = (events: readonly EngineEvent[]): void => {
    for (const e of events) {
      const p = pending.get(e.id);
      if (p === undefined) continue;
      switch (e.kind) {
        case 'scheduled':
          metrics.scheduled((e.t - p.arrival) / 1000);
          break;
        case 'token': {
          if (e.index === 0) metrics.firstToken((e.t - p.arrival) / 1000, p.req.inputTokens);
          else metrics.nextToken((e.t - p.lastToken) / 1000);
          p.lastToken = e.t;
          p.tokens += 1;
          const text = tokenText(e.index);
          if (p.req.stream) {
            const last = e.index === p.outputTokens - 1;
            p.res.write(`data: ${JSON.stringify(streamChunk(p.req.endpoint, p.ids, text, last ? 'length' : null, e.index === 0))}\n\n`);
          } else {
            p.text.push(text);
          }
          break;
        }
        case 'finished':
          pending.delete(e.id);
          metrics.finished(e.reason, (e.t - p.arrival) / 1000, p.req.inputTokens, e.outputTokens);
          if (!p.done && e.reason === 'length') finishResponse(p, 'length');
          break;
        case 'rejected':
          pending.delete(e.id);
          p.done = true;
          if (e.why === 'queue-full') {
            metrics.rejected();
            sendError(p.res, 503, `the waiting queue is full (${o.engine.maxWaiting} requests); retry later`);
          } else {
            sendError(p.res, 400, `this request needs ${p.req.inputTokens + p.outputTokens} KV-cache tokens; the cache holds ${o.engine.kvCapacityTokens}`);
          }
          break;
        default: {
          const never: never = e;
          throw new Error(`unexpected engine event ${JSON.stringify(never)}`);
        }
      }
    }
  };

  function arm(): void {
    const next = engine.nextEventTime();
    if (next === timerAt && timer !== undefined) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    timerAt = Number.NaN;
    if (next === undefined || closing) return;
    timerAt = next;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Number.NaN;
      pump();
    }, Math.max(0, next - clock()));
  }

  function pump(): void {
    dispatch(engine.advance(clock()));
    arm();
  }

  const models = (): object => ({
    object: 'list',
    data: [{ id: o.model, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'vllm', root: o.model, parent: null, max_model_len: o.maxModelLen, permission: [] }],
  });

  async function completion(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req, EmulatorLimits.maxBodyBytes);
    if (clock() < readyAt) throw new HttpError(503, 'the server is starting');
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch (e) {
      throw new HttpError(400, `the body is not JSON: ${(e as Error).message}`);
    }
    const parsed = parseRequest(endpoint, body);
    if ('error' in parsed) throw new HttpError(400, parsed.error);
    if (parsed.model !== o.model) throw new HttpError(404, `The model \`${parsed.model}\` does not exist.`);
    const out = parsed.maxTokens ?? Math.min(defaultMaxTokens, o.maxModelLen - parsed.inputTokens);
    if (out < 1 || parsed.inputTokens + out > o.maxModelLen) {
      throw new HttpError(400, `This model's maximum context length is ${o.maxModelLen} tokens. However, you requested ${parsed.inputTokens + out} tokens (${parsed.inputTokens} in the messages, ${out} in the completion). Please reduce the length of the messages or completion.`);
    }
    const id = nextId;
    nextId += 1;
    const now = clock();
    const p: Pending = {
      req: parsed, res, arrival: now, outputTokens: out, lastToken: now, tokens: 0, text: [], done: false,
      ids: { id: `${endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-${id}`, created: Math.floor(Date.now() / 1000), model: o.model },
    };
    pending.set(id, p);
    res.on('close', () => {
      // The client went away before the answer was complete: vLLM aborts the request.
      if (!p.done && pending.has(id)) {
        p.done = true;
        dispatch(engine.abort(clock(), id));
        arm();
      }
    });
    if (parsed.stream) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    dispatch(engine.submit(now, { id, inputTokens: parsed.inputTokens, outputTokens: out }));
    arm();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const route = (m: string): void => {
      if (method !== m) {
        res.setHeader('allow', m);
        throw new HttpError(405, `${method} is not allowed on ${path}; use ${m}`);
      }
    };
    switch (path) {
      case '/v1/completions':
        route('POST');
        return completion('completions', req, res);
      case '/v1/chat/completions':
        route('POST');
        return completion('chat', req, res);
      case '/v1/models':
        route('GET');
        sendJson(res, 200, models());
        return;
      case '/health':
        route('GET');
        res.writeHead(clock() < readyAt ? 503 : 200, { 'content-length': 0 });
        res.end();
        return;
      case '/metrics': {
        route('GET');
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
        return;
      }
      default:
        throw new HttpError(404, `no route ${method} ${path}`);
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (status === 500) log('error', 'request failed', { err: e instanceof Error ? e.message : String(e) });
      if (res.headersSent) res.end();
      else sendError(res, status, e instanceof Error ? e.message : String(e));
    });
  });
  // Streams can last minutes (long completions); the request itself must arrive quickly.
  server.requestTimeout = 60_000;
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => { server.off('error', fail); ok(); });
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log('info', 'listening', { url, model: o.model, maxNumSeqs: o.engine.maxNumSeqs });

  return {
    url, port, registry: metrics.registry,
    state: () => { pump(); return engine.state(); },
    close: async () => {
      closing = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      for (const p of pending.values()) {
        p.done = true;
        if (p.req.stream) p.res.end();
        else if (!p.res.headersSent) sendError(p.res, 503, 'the server is shutting down');
      }
      pending.clear();
      await new Promise<void>((ok) => {
        server.close(() => { ok(); });
        server.closeAllConnections();
      });
    },
  };
}
