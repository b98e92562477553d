// The open-loop load generator's I/O: sends each planned request at its time over keep-alive HTTP(S), streams the
// answer and times every token (TTFT, ITL need streaming: a non-streamed answer only shows the end). A request is
// sent on time whether or not earlier ones are answered; only a hard in-flight bound can stop it (counted as
// "dropped", never silently). One timer chain drives sending; no setInterval.
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Random } from '../engine/random.js';
import { seededRandom } from '../engine/random.js';
import { LoadLimits } from '../engine/arrivals.js';
import { Outcome, Samples } from './samples.js';

export interface PlannedRequest {
  /** s from the start */
  readonly t: number;
  /** undefined: the run's default model */
  readonly model: string | undefined;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface Progress {
  readonly elapsedS: number;
  readonly durationS: number;
  readonly sent: number;
  readonly done: number;
  readonly inFlight: number;
  readonly failed: number;
}

export interface RunOptions {
  /** base URLs of the servers, e.g. http://127.0.0.1:8000 */
  readonly targets: readonly string[];
  readonly endpoint: 'completions' | 'chat';
  /** model for requests without one; undefined: the one model the targets serve */
  readonly model?: string;
  readonly plan: Iterable<PlannedRequest>;
  /** models the plan names (a trace's): checked against the targets before the first request */
  readonly planModels?: readonly string[];
  /** planned length of the run, s (for progress) */
  readonly durationS: number;
  readonly maxInFlight: number;
  /** per request, ms */
  readonly timeoutMs: number;
  /** after the last send, wait at most this long for answers, ms */
  readonly drainMs: number;
  readonly progressMs?: number;
  readonly onProgress?: (p: Progress) => void;
  readonly signal?: AbortSignal;
  /** seeds the ITL reservoir sample */
  readonly seed?: number;
}

export interface RunResult {
  /** wall-clock time (Unix ms) of t = 0 */
  readonly startedAtMs: number;
  /** s from start to the last answer */
  readonly elapsedS: number;
  readonly samples: Samples;
  /** a uniform sample of inter-token gaps, s (at most `reservoirSize`) */
  readonly gaps: Float64Array;
  readonly gapCount: number;
  /** model → target indices */
  readonly models: ReadonlyMap<string, readonly number[]>;
  /** how late sends were behind plan, s (p99): large values mean the generator, not the server, was the bottleneck */
  readonly sendLagP99S: number;
}

export class LoadError extends Error {}

const reservoirSize = 100_000;

function getJson(url: URL, timeoutMs: number, agent: HttpAgent): Promise<unknown> {
  return new Promise((ok, fail) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { agent, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size < 1 << 20) chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) {
          fail(new LoadError(`GET ${url.href} answered HTTP ${res.statusCode ?? 0}`));
          return;
        }
        try {
          ok(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
        } catch {
          fail(new LoadError(`GET ${url.href} did not answer JSON`));
        }
      });
      res.on('error', fail);
    });
    req.on('error', (e) => { fail(new LoadError(`GET ${url.href}: ${e.message}`)); });
    req.end();
  });
}

/** The models each target serves (GET /v1/models). */
export async function discoverModels(targets: readonly string[], timeoutMs: number, agents: readonly HttpAgent[]): Promise<Map<string, number[]>> {
  const byModel = new Map<string, number[]>();
  await Promise.all(targets.map(async (t, i) => {
    const body = await getJson(new URL('/v1/models', t), timeoutMs, agents[i] ?? new Agent());
    const data = (body as { data?: unknown }).data;
    const ids = Array.isArray(data) ? (data as { id?: unknown }[]).map((m) => m.id).filter((x): x is string => typeof x === 'string') : [];
    if (ids.length === 0) throw new LoadError(`${t}/v1/models lists no models`);
    for (const id of ids) byModel.set(id, [...(byModel.get(id) ?? []), i].sort((a, b) => a - b));
  }));
  return byModel;
}

/** Prompts of n words built by slicing one long string: no allocation per request beyond the slice. */
function promptMaker(): (n: number) => string {
  let base = '';
  return (n) => {
    if (base.length < 2 * n) base = 'w '.repeat(Math.max(n, 1024));
    return base.slice(0, 2 * n);
  };
}

/** Sends the plan and measures every answer. Throws LoadError before sending anything if a target is unusable. */
export async function runLoad(o: RunOptions): Promise<RunResult> {
  if (o.targets.length === 0) throw new LoadError('no target URLs');
  const urls = o.targets.map((t) => {
    let u: URL;
    try {
      u = new URL(t);
    } catch {
      throw new LoadError(`"${t}" is not a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new LoadError(`"${t}" is not an http(s) URL`);
    return u;
  });
  const agents = urls.map((u) => (u.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, maxSockets: o.maxInFlight }) : new Agent({ keepAlive: true, maxSockets: o.maxInFlight })));
  try {
    return await run(o, urls, agents);
  } finally {
    for (const a of agents) a.destroy();
  }
}

async function run(o: RunOptions, urls: readonly URL[], agents: readonly HttpAgent[]): Promise<RunResult> {
  const models = await discoverModels(o.targets, Math.min(o.timeoutMs, 10_000), agents);
  const defaultModel = o.model ?? (models.size === 1 ? [...models.keys()][0] : undefined);
  const choose = (model: string | undefined): { model: string; targets: readonly number[] } => {
    const m = model === undefined || model === '' ? defaultModel : model;
    if (m === undefined) throw new LoadError(`the targets serve several models (${[...models.keys()].join(', ')}): name one with --model`);
    const targets = models.get(m);
    if (targets === undefined) throw new LoadError(`no target serves model "${m}" (they serve ${[...models.keys()].join(', ')})`);
    return { model: m, targets };
  };
  if (o.model !== undefined || defaultModel === undefined) choose(o.model);
  for (const m of o.planModels ?? []) choose(m);

  const samples = new Samples();
  const random: Random = seededRandom(o.seed ?? 1);
  const gaps = new Float64Array(reservoirSize);
  let gapCount = 0;
  const addGap = (g: number): void => {
    if (gapCount < reservoirSize) gaps[gapCount] = g;
    else {
      const j = Math.floor(random() * (gapCount + 1));
      if (j < reservoirSize) gaps[j] = g;
    }
    gapCount += 1;
  };
  const prompt = promptMaker();
  const rr = new Map<string, number>();
  const startedAtMs = Date.now();
  const t0 = performance.now();
  const elapsed = (): number => (performance.now() - t0) / 1000;
  const lags: number[] = [];
  let inFlight = 0;
  let done = 0;
  let failed = 0;
  const open = new Set<{ abort(): void }>();
  let lastAnswer = 0;

  const settle = (i: number, outcome: number, status = 0): void => {
    const c = samples.cols;
    if (c.outcome[i] !== Outcome.pending) return;
    c.outcome[i] = outcome;
    c.status[i] = status;
    if (outcome !== Outcome.ok) failed += 1;
    done += 1;
    lastAnswer = elapsed();
  };

  const send = (p: PlannedRequest): void => {
    const { model, targets } = choose(p.model);
    const k = rr.get(model) ?? 0;
    rr.set(model, k + 1);
    const target = targets[k % targets.length] ?? 0;
    const i = samples.add(p.t, p.inputTokens, p.outputTokens, target);
    if (samples.count > LoadLimits.maxRequests) throw new LoadError(`more than ${LoadLimits.maxRequests} requests planned`);
    if (inFlight >= o.maxInFlight) {
      settle(i, Outcome.dropped);
      return;
    }
    const c = samples.cols;
    const now = elapsed();
    c.sentAt[i] = now;
    lags.push(now - p.t);
    const url = urls[target];
    if (url === undefined) return;
    const path = o.endpoint === 'chat' ? '/v1/chat/completions' : '/v1/completions';
    const text = prompt(p.inputTokens);
    // ignore_eos and min_tokens make a real vLLM generate exactly max_tokens too.
    const common = { model, max_tokens: p.outputTokens, min_tokens: p.outputTokens, ignore_eos: true, stream: true, stream_options: { include_usage: true } };
    const body = JSON.stringify(o.endpoint === 'chat' ? { ...common, messages: [{ role: 'user', content: text }] } : { ...common, prompt: text });
    inFlight += 1;
    const controller = new AbortController();
    const handle = { abort: () => { controller.abort(); } };
    open.add(handle);
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(o.timeoutMs)]);
    const finish = (outcome: number, status = 0): void => {
      if (c.outcome[i] === Outcome.pending) {
        inFlight -= 1;
        open.delete(handle);
      }
      // A failure caused by our own timeout or by the end of the run is named as such.
      const why = outcome === Outcome.ok || outcome === Outcome.http ? outcome : controller.signal.aborted ? Outcome.unfinished : signal.aborted ? Outcome.timeout : outcome;
      settle(i, why, status);
    };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(new URL(path, url), {
      method: 'POST', agent: agents[target], signal,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), accept: 'text/event-stream' },
    }, (res: IncomingMessage) => { onResponse(res, i, finish); });
    req.on('error', () => { finish((c.tokens[i] ?? 0) > 0 ? Outcome.incomplete : Outcome.connection); });
    req.end(body);
  };

  const onResponse = (res: IncomingMessage, i: number, finish: (outcome: number, status?: number) => void): void => {
    const c = samples.cols;
    if (res.statusCode !== 200) {
      res.resume();
      res.on('end', () => { finish(Outcome.http, res.statusCode ?? 0); });
      return;
    }
    res.setEncoding('utf8');
    let buf = '';
    let sawDone = false;
    res.on('data', (chunk: string) => {
      const now = elapsed();
      buf += chunk;
      if (buf.length > 16 << 20) {
        res.destroy();
        return;
      }
      for (let cut = buf.indexOf('\n\n'); cut !== -1; cut = buf.indexOf('\n\n')) {
        const event = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        for (const line of event.split('\n')) {
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') {
            sawDone = true;
            continue;
          }
          if (!hasContent(data)) continue;
          const n = c.tokens[i] ?? 0;
          if (n === 0) c.firstTokenAt[i] = now;
          else addGap(now - (c.lastTokenAt[i] ?? now));
          c.lastTokenAt[i] = now;
          c.tokens[i] = n + 1;
        }
      }
    });
    res.on('end', () => { finish(sawDone ? Outcome.ok : Outcome.incomplete); });
    res.on('error', () => { finish(Outcome.incomplete); });
  };

  const it = o.plan[Symbol.iterator]();
  let next = it.next();
  const stopped = (): boolean => o.signal?.aborted === true;

  await new Promise<void>((ok, fail) => {
    let progressTimer: NodeJS.Timeout | undefined;
    let sendTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    const end = (): void => {
      clearTimeout(progressTimer);
      clearTimeout(sendTimer);
      clearTimeout(drainTimer);
      for (const h of open) h.abort();
      ok();
    };
    const progress = (): void => {
      o.onProgress?.({ elapsedS: elapsed(), durationS: o.durationS, sent: samples.count, done, inFlight, failed });
      progressTimer = setTimeout(progress, o.progressMs ?? 1000);
    };
    if (o.onProgress !== undefined) progressTimer = setTimeout(progress, o.progressMs ?? 1000);
    const waitForAnswers = (): void => {
      const deadline = performance.now() + o.drainMs;
      const check = (): void => {
        if (inFlight === 0 || stopped() || performance.now() >= deadline) end();
        else drainTimer = setTimeout(check, 20);
      };
      check();
    };
    o.signal?.addEventListener('abort', () => { if (next.done !== true) { next = { done: true, value: undefined }; waitForAnswers(); } }, { once: true });
    const pump = (): void => {
      try {
        const now = elapsed();
        while (next.done !== true && next.value.t <= now) {
          send(next.value);
          next = it.next();
        }
      } catch (e) {
        end();
        fail(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      if (next.done === true || stopped()) {
        waitForAnswers();
        return;
      }
      sendTimer = setTimeout(pump, Math.max(0, next.value.t - elapsed()) * 1000);
    };
    pump();
  });

  for (let i = 0; i < samples.count; i += 1) if (samples.cols.outcome[i] === Outcome.pending) samples.cols.outcome[i] = Outcome.unfinished;
  lags.sort((a, b) => a - b);
  return {
    startedAtMs, elapsedS: Math.max(lastAnswer, elapsed()), samples, gaps: gaps.slice(0, Math.min(gapCount, reservoirSize)), gapCount, models,
    sendLagP99S: lags.length === 0 ? 0 : lags[Math.min(lags.length - 1, Math.ceil(0.99 * lags.length) - 1)] ?? 0,
  };
}

/** Does an SSE data payload carry generated text (completions `text` or chat `delta.content`)? */
function hasContent(data: string): boolean {
  try {
    const j = JSON.parse(data) as { choices?: { text?: unknown; delta?: { content?: unknown } }[] };
    const ch = j.choices?.[0];
    const t = ch?.text ?? ch?.delta?.content;
    return typeof t === 'string' && t !== '';
  } catch {
    return false;
  }
}
