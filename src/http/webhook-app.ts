// The admission webhook over HTTP: AdmissionReview envelopes in and out, health and metrics endpoints. The
// decisions are the routes' handlers (pure functions of an AdmissionRequest); nothing here looks inside objects.
//
// Error policy, in one place:
// - Once the body is an AdmissionReview v1 with a request.uid, the answer is always HTTP 200 with an AdmissionReview
//   echoing that uid: the API server only reads verdicts from 200 responses (controller-runtime never sets another
//   status), and an in-band answer says what went wrong where a bare HTTP error would only trigger failurePolicy.
//     - the rest of the request malformed (no kind, unknown operation, …) → in-band deny, code 400;
//     - DELETE → allowed without calling the handler (nothing to mutate or validate);
//     - a handler that throws or returns a malformed verdict → route.onError: 'open' allows unchanged with a
//       warning (advisory mutation must not block workloads); 'closed' denies with code 500 (validation must not
//       let unchecked objects in). Both count in inferno_admission_errors_total and are logged.
// - Before that point there is no uid to answer, so the request gets a plain HTTP error with a JSON body
//   {error: {code, message}}: 400 malformed JSON or not an AdmissionReview v1 (wrong apiVersion or kind, missing
//   request or uid), 413 body over the size limit (PAYLOAD_TOO_LARGE) or over the structure limits, nesting depth or
//   number of values (BODY_TOO_COMPLEX, refused while the body streams in, before any object is built), 415 not
//   application/json (or compressed), 404 unknown path, 405 not POST. The API server never sends these; they come
//   from misconfiguration, probes, tests and attacks.
// - Nothing a client sends can take the server down: every failure is answered, and handlers are isolated.
import express from 'express';
import type { ErrorRequestHandler, Express, Request, RequestHandler, Response } from 'express';
import { BodyLimits } from '../domain/limits.js';
import type { AdmissionMetrics, AdmissionResult } from '../metrics/admission.js';
import { initAdmissionRoute, recordAdmission } from '../metrics/admission.js';
import { readAdmissionReview, reviewResponse, shortCircuit } from '../webhook/admission.js';
import { jsonBody } from './json-body.js';
import type { AdmissionReviewResponse } from '../webhook/admission.js';
import type { AdmissionRequest, AdmissionRoute, Verdict } from '../webhook/types.js';

export type WebhookLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Readonly<Record<string, unknown>>) => void;

export interface WebhookAppDeps {
  readonly routes: readonly AdmissionRoute[];
  readonly metrics: AdmissionMetrics;
  /** false while starting or draining: /readyz answers 503 so the Service stops sending requests here */
  readonly ready: () => boolean;
  readonly log?: WebhookLog;
}

/** Stable codes of the HTTP-level errors (see the error policy above). */
export const HttpError = {
  invalidJson: { status: 400, code: 'INVALID_JSON' },
  notAdmissionReview: { status: 400, code: 'NOT_ADMISSION_REVIEW' },
  badRequest: { status: 400, code: 'BAD_REQUEST' },
  notFound: { status: 404, code: 'NOT_FOUND' },
  methodNotAllowed: { status: 405, code: 'METHOD_NOT_ALLOWED' },
  payloadTooLarge: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  tooComplex: { status: 413, code: 'BODY_TOO_COMPLEX' },
  unsupportedMediaType: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  internal: { status: 500, code: 'INTERNAL' },
} as const;
type HttpErrorKind = (typeof HttpError)[keyof typeof HttpError];

const reservedPaths = new Set(['/healthz', '/readyz', '/metrics']);
const maxErrorText = 300;

function sendError(res: Response, kind: HttpErrorKind, message: string): void {
  res.status(kind.status).json({ error: { code: kind.code, message } });
}

function errorText(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.length > maxErrorText ? `${s.slice(0, maxErrorText - 1)}…` : s;
}

// Handlers are ours but their output is not trusted blindly: a malformed verdict is a handler bug like a throw.
function checkVerdict(v: unknown): Verdict {
  const ok = typeof v === 'object' && v !== null && 'type' in v && 'warnings' in v && Array.isArray(v.warnings)
    && v.warnings.every((w) => typeof w === 'string')
    && ((v.type === 'allow')
      || (v.type === 'deny' && 'code' in v && Number.isInteger(v.code) && 'message' in v && typeof v.message === 'string')
      || (v.type === 'patch' && 'ops' in v && Array.isArray(v.ops)));
  if (!ok) throw new TypeError('handler returned a malformed verdict');
  return v as Verdict;
}

function resultOf(review: AdmissionReviewResponse): AdmissionResult {
  if (!review.response.allowed) return 'denied';
  return review.response.patch === undefined ? 'allowed' : 'patched';
}

export function createWebhookApp(deps: WebhookAppDeps): Express {
  const { routes, metrics, ready } = deps;
  const log: WebhookLog = deps.log ?? (() => undefined);
  const byPath = new Map<string, AdmissionRoute>();
  for (const r of routes) {
    if (!/^\/[A-Za-z0-9._~/-]*$/.test(r.path) || reservedPaths.has(r.path) || byPath.has(r.path.toLowerCase())) {
      throw new Error(`admission route path "${r.path}" is invalid, reserved or duplicated`);
    }
    byPath.set(r.path.toLowerCase(), r);
    initAdmissionRoute(metrics, r.name);
  }
  // Request start times, for the duration histogram (per app, no module state).
  const started = new WeakMap<Request, number>();
  const elapsed = (req: Request): number => (performance.now() - (started.get(req) ?? performance.now())) / 1000;

  // The body limit: the API server sends at most two objects (object and oldObject) of ≤ 3 MB (etcd's request limit)
  // plus the envelope (controller-runtime's reasoning). Express's 100 kB default is too small for real objects: a
  // Deployment with managedFields and a last-applied annotation on UPDATE easily passes it, a ConfigMap may be 1 MiB.
  // Its structure is bounded too (see json-body.ts). Compressed bodies are refused: the API server never compresses
  // webhook requests, and inflating invites bombs.
  const body = jsonBody(BodyLimits);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // hashing every JSON answer buys nothing for POST responses
  const stamp: RequestHandler = (req, _res, next) => {
    started.set(req, performance.now());
    next();
  };

  const admit = (route: AdmissionRoute): RequestHandler => async (req, res) => {
    const answer = (review: AdmissionReviewResponse, result: AdmissionResult): void => {
      res.status(200).json(review);
      recordAdmission(metrics, route.name, result, elapsed(req));
    };
    if (req.is('application/json') === false) {
      recordAdmission(metrics, route.name, 'bad_request', elapsed(req));
      sendError(res, HttpError.unsupportedMediaType, `expected Content-Type application/json, got "${(req.get('content-type') ?? '').slice(0, 100)}"`);
      return;
    }
    const read = readAdmissionReview(req.body);
    if (read.type === 'rejected') {
      log('warn', 'rejected a request that is not an AdmissionReview', { route: route.name, reason: read.message });
      recordAdmission(metrics, route.name, 'bad_request', elapsed(req));
      sendError(res, HttpError.notAdmissionReview, read.message);
      return;
    }
    if (read.type === 'invalid') {
      log('warn', 'denied a malformed AdmissionReview', { route: route.name, uid: read.uid, reason: read.message });
      answer(reviewResponse(read.uid, { type: 'deny', code: 400, message: read.message, warnings: [] }), 'bad_request');
      return;
    }
    const { review, result } = await decide(route, read.request, metrics, log);
    answer(review, result);
  };

  for (const route of routes) {
    app.post(route.path, stamp, body, admit(route));
    app.all(route.path, (_req, res) => {
      res.set('Allow', 'POST');
      sendError(res, HttpError.methodNotAllowed, `${route.path} accepts only POST`);
    });
  }
  app.get('/healthz', (_req, res) => { res.type('text/plain').send('ok'); });
  app.get('/readyz', (_req, res) => {
    const ok = ready();
    res.status(ok ? 200 : 503).type('text/plain').send(ok ? 'ok' : 'not ready');
  });
  app.get('/metrics', async (_req, res) => {
    const text = await metrics.registry.metrics();
    res.set('Content-Type', metrics.registry.contentType).send(text);
  });
  app.use((req, res) => { sendError(res, HttpError.notFound, `no such endpoint: ${req.method} ${req.path.slice(0, 100)}`); });

  const onError: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err); // Express's final handler closes the connection
      return;
    }
    const route = byPath.get(req.path.toLowerCase());
    if (route !== undefined) recordAdmission(metrics, route.name, 'bad_request', elapsed(req));
    // body-parser's errors carry a status and a type (entity.parse.failed, entity.too.large, encoding.unsupported, …)
    const e = (typeof err === 'object' && err !== null ? err : {}) as { status?: unknown; type?: unknown };
    if (e.type === 'entity.parse.failed') sendError(res, HttpError.invalidJson, `request body is not valid JSON: ${errorText(err)}`);
    else if (e.type === 'entity.too.complex') sendError(res, HttpError.tooComplex, errorText(err));
    else if (e.status === 413) sendError(res, HttpError.payloadTooLarge, `request body exceeds the ${BodyLimits.maxBytes / 1024 / 1024} MB limit`);
    else if (e.status === 415) sendError(res, HttpError.unsupportedMediaType, errorText(err));
    else if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) sendError(res, HttpError.badRequest, errorText(err));
    else {
      log('error', 'request failed', { path: req.path.slice(0, 100), err: errorText(err) });
      sendError(res, HttpError.internal, 'internal error');
    }
  };
  app.use(onError);
  return app;
}

async function decide(
  route: AdmissionRoute, request: AdmissionRequest, metrics: AdmissionMetrics, log: WebhookLog,
): Promise<{ review: AdmissionReviewResponse; result: AdmissionResult }> {
  try {
    const verdict = checkVerdict(shortCircuit(request) ?? await route.handler(request));
    const review = reviewResponse(request.uid, verdict); // encodes the patch: a handler bug may surface here too
    return { review, result: resultOf(review) };
  } catch (e) {
    metrics.errors.inc({ route: route.name });
    const message = errorText(e);
    log('error', 'admission handler failed', {
      route: route.name, uid: request.uid, kind: request.kind.kind, namespace: request.namespace, name: request.name, policy: route.onError,
      err: message, ...(e instanceof Error && e.stack !== undefined ? { stack: e.stack } : {}),
    });
    const verdict: Verdict = route.onError === 'open'
      ? { type: 'allow', warnings: [`inferno ${route.name} failed (${message}); admitted unchanged`] }
      : { type: 'deny', code: 500, message: `inferno ${route.name} failed: ${message}`, warnings: [] };
    return { review: reviewResponse(request.uid, verdict), result: 'error' };
  }
}
