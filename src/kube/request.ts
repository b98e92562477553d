// Per-request options for client-node 1.x calls: an AbortSignal (timeouts, leadership loss) and a patch Content-Type.
// client-node has neither as a call parameter; both go in through a request middleware.
import { ApiException, Observable } from '@kubernetes/client-node';
import type { ConfigurationOptions, ObservableMiddleware, RequestContext, ResponseContext } from '@kubernetes/client-node';

export const ContentType = {
  jsonPatch: 'application/json-patch+json',
  mergePatch: 'application/merge-patch+json',
} as const;

export interface RequestOptions {
  readonly signal?: AbortSignal;
  readonly contentType?: (typeof ContentType)[keyof typeof ContentType];
}

export function requestOptions(o: RequestOptions): ConfigurationOptions {
  // The object-parameter API hands options straight to the observable API (gen/types/ObjectParamAPI.js), so the
  // middleware is the observable flavour (client-node's own setHeaderMiddleware is built the same way).
  const middleware: ObservableMiddleware = {
    pre: (ctx: RequestContext) => {
      if (o.signal !== undefined) ctx.setSignal(o.signal);
      if (o.contentType !== undefined) ctx.setHeaderParam('Content-Type', o.contentType);
      return new Observable(Promise.resolve(ctx));
    },
    post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

/** The HTTP status of a client-node API error, or undefined for anything else (network, abort, bugs). */
export const apiStatus = (e: unknown): number | undefined => (e instanceof ApiException ? (e as ApiException<unknown>).code : undefined);

/** A short, single-line description of an error: client-node's messages embed whole response bodies and headers. */
export function errorText(e: unknown): string {
  if (e instanceof ApiException) {
    const body = (e as ApiException<unknown>).body;
    let message = '';
    if (typeof body === 'string') {
      try {
        const parsed = JSON.parse(body) as { message?: unknown };
        message = typeof parsed.message === 'string' ? parsed.message : '';
      } catch {
        message = body.slice(0, 200);
      }
    } else if (body !== null && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
      message = (body as { message: string }).message;
    }
    return `HTTP ${(e as ApiException<unknown>).code}${message === '' ? '' : `: ${message}`}`;
  }
  if (e instanceof Error) return e.name === 'AbortError' ? 'request aborted (timeout or shutdown)' : e.message.split('\n')[0] ?? e.name;
  return String(e);
}

/** A failed API call with a one-line message (what was attempted, the HTTP status, the server's message). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  readonly status: number | undefined;
  constructor(what: string, cause: unknown) {
    super(`${what}: ${errorText(cause)}`, { cause });
    this.status = apiStatus(cause);
  }
}
