// The scheduler extender over HTTP: POST /filter and /prioritize (kube-scheduler's ExtenderArgs), mounted in front
// of the admission webhook app on the same HTTPS server. The decisions are src/extender's pure functions; this
// shell reads the body, takes the snapshot and the clock, records the reservations they ask for, and answers.
//
// Error policy:
// - filter: any JSON body is answered HTTP 200 with an ExtenderFilterResult; what is wrong with it (not
//   ExtenderArgs, no nodes, an accelerator missing from the catalog, the cache not synced) goes into `Error`, which
//   the scheduler reports in the pod's FailedScheduling event and retries later. A node inferno cannot use gets its
//   reason in FailedNodes or FailedAndUnresolvableNodes instead.
// - prioritize: its answer (a HostPriorityList) has no error field, so a bad request gets HTTP 400 and an unsynced
//   cache 503, with {error: {code, message}}; the scheduler then just goes without inferno's scores.
// - malformed JSON 400, body over the limit 413, not application/json 415, other methods 405.
// - Every request is answered; nothing a client sends can take the server down.
import express from 'express';
import type { ErrorRequestHandler, Express, Request, RequestHandler, Response, Router } from 'express';
import type { ClusterSnapshot, ClusterView } from '../cluster/snapshot.js';
import { Extender, ExtenderPath } from '../domain/keys.js';
import type { AssumedPods, Reservation } from '../extender/assumed.js';
import { filterNodes } from '../extender/filter.js';
import { prioritizeNodes } from '../extender/prioritize.js';
import type { Parsed } from '../extender/protocol.js';
import { filterError, filterResult, hostPriorityList, parseExtenderArgs } from '../extender/protocol.js';
import type { ExtenderMetrics, ExtenderResult, ExtenderVerb } from '../metrics/extender.js';
import type { WebhookLog } from './webhook-app.js';
import { HttpError } from './webhook-app.js';

export interface ExtenderAppDeps {
  readonly view: ClusterView;
  readonly assumed: AssumedPods;
  readonly metrics?: ExtenderMetrics;
  readonly log?: WebhookLog;
  /** ms clock for reservation expiry; default Date.now */
  readonly now?: () => number;
  /** request body limit; full Node objects (`nodeCacheCapable: false`) of 5,000 nodes take ~20 MB */
  readonly bodyLimit?: string;
}

export const defaultExtenderBodyLimit = '64mb';
const maxText = 300;
const text = (e: unknown): string => {
  const s = e instanceof Error ? e.message : String(e);
  return s.length > maxText ? `${s.slice(0, maxText - 1)}…` : s;
};

type Kind = (typeof HttpError)[keyof typeof HttpError];
const sendError = (res: Response, kind: Kind | { status: 503; code: 'NOT_READY' }, message: string): void => {
  res.status(kind.status).json({ error: { code: kind.code, message } });
};
const notReady = { status: 503, code: 'NOT_READY' } as const;
const notSyncedMessage = "inferno's cluster cache is not synced yet";

export function createExtenderRouter(deps: ExtenderAppDeps): Router {
  const { view, assumed, metrics } = deps;
  const log: WebhookLog = deps.log ?? (() => undefined);
  const now = deps.now ?? Date.now;
  const router = express.Router();
  const jsonBody = express.json({ limit: deps.bodyLimit ?? defaultExtenderBodyLimit, inflate: false, strict: false, type: 'application/json' });
  const started = new WeakMap<Request, number>();
  const stamp: RequestHandler = (req, _res, next) => {
    started.set(req, performance.now());
    next();
  };
  const record = (req: Request, verb: ExtenderVerb, result: ExtenderResult): void => {
    metrics?.requests.inc({ verb, result });
    if (result !== 'bad_request') metrics?.duration.observe({ verb }, (performance.now() - (started.get(req) ?? performance.now())) / 1000);
    metrics?.assumed.set(assumed.size);
  };

  /** The snapshot with the reservations brought up to date, or undefined while the caches sync. */
  const current = (): { snap: ClusterSnapshot; t: number } | undefined => {
    if (!view.ready()) return undefined;
    const snap = view.snapshot();
    const t = now();
    assumed.prune((key) => snap.pod(key), t);
    return { snap, t };
  };
  const keep = (r: Reservation | undefined, snap: ClusterSnapshot, t: number): void => {
    if (r !== undefined) assumed.reserve(r, t, snap.pod(r.podKey) !== undefined);
  };
  const parse = (req: Request, res: Response, verb: ExtenderVerb): Parsed | undefined => {
    if (req.is('application/json') === false) {
      record(req, verb, 'bad_request');
      sendError(res, HttpError.unsupportedMediaType, `expected Content-Type application/json, got "${(req.get('content-type') ?? '').slice(0, 100)}"`);
      return undefined;
    }
    return parseExtenderArgs(req.body);
  };

  router.post(ExtenderPath.filter, stamp, jsonBody, (req, res) => {
    const parsed = parse(req, res, Extender.filterVerb);
    if (parsed === undefined) return;
    const answerError = (message: string): void => {
      log('warn', 'extender filter answered with an error', { err: message });
      record(req, Extender.filterVerb, 'error');
      res.status(200).json(filterError(`inferno: ${message}`));
    };
    if (!parsed.ok) {
      answerError(parsed.message);
      return;
    }
    const at = current();
    if (at === undefined) {
      answerError(notSyncedMessage);
      return;
    }
    const d = filterNodes(parsed.args, at.snap, assumed);
    if (d.type === 'error') {
      answerError(d.message);
      return;
    }
    keep(d.reserve, at.snap, at.t);
    record(req, Extender.filterVerb, 'ok');
    res.status(200).json(filterResult(parsed.args, d.outcome));
  });

  router.post(ExtenderPath.prioritize, stamp, jsonBody, (req, res) => {
    const parsed = parse(req, res, Extender.prioritizeVerb);
    if (parsed === undefined) return;
    if (!parsed.ok) {
      record(req, Extender.prioritizeVerb, 'bad_request');
      sendError(res, HttpError.badRequest, parsed.message);
      return;
    }
    const at = current();
    if (at === undefined) {
      record(req, Extender.prioritizeVerb, 'error');
      sendError(res, notReady, notSyncedMessage);
      return;
    }
    const d = prioritizeNodes(parsed.args, at.snap, assumed);
    if (d.type === 'error') {
      log('warn', 'extender prioritize refused a pod', { err: d.message });
      record(req, Extender.prioritizeVerb, 'bad_request');
      sendError(res, HttpError.badRequest, d.message);
      return;
    }
    keep(d.reserve, at.snap, at.t);
    record(req, Extender.prioritizeVerb, 'ok');
    res.status(200).json(hostPriorityList(d.scores));
  });

  for (const path of Object.values(ExtenderPath)) {
    router.all(path, (_req, res) => {
      res.set('Allow', 'POST');
      sendError(res, HttpError.methodNotAllowed, `${path} accepts only POST`);
    });
  }

  const onError: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const verb = req.path === ExtenderPath.prioritize ? Extender.prioritizeVerb : Extender.filterVerb;
    const e = (typeof err === 'object' && err !== null ? err : {}) as { status?: unknown; type?: unknown };
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) record(req, verb, 'bad_request');
    if (e.type === 'entity.parse.failed') sendError(res, HttpError.invalidJson, `request body is not valid JSON: ${text(err)}`);
    else if (e.status === 413) sendError(res, HttpError.payloadTooLarge, `request body exceeds the ${deps.bodyLimit ?? defaultExtenderBodyLimit} limit`);
    else if (e.status === 415) sendError(res, HttpError.unsupportedMediaType, text(err));
    else if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) sendError(res, HttpError.badRequest, text(err));
    else {
      record(req, verb, 'error');
      log('error', 'extender request failed', { path: req.path.slice(0, 100), err: text(err) });
      sendError(res, HttpError.internal, 'internal error');
    }
  };
  router.use(onError);
  return router;
}

/** One app for the HTTPS server: the extender's routes first, then everything the webhook app serves. */
export function withExtender(webhookApp: Express, extender: Router): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(extender);
  app.use(webhookApp);
  return app;
}
