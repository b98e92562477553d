// The request body as JSON, with its size and structure bounded while it streams in, before any object is built.
// JSON.parse of 7 MB of tiny values (`[{},{},…]`) builds millions of objects: ~600 MB and seconds of blocked event
// loop. A lexical scan of each chunk as it arrives (nesting depth and the number of values, outside strings) costs
// a fraction of a millisecond per chunk and refuses such a body long before it is complete. Errors carry the
// `status` and `type` body-parser uses, so the app's error handler answers them like body-parser's own.
import type { RequestHandler } from 'express';

export interface JsonBodyLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
  /** object members and array elements, counted by `{`, `[` and `,` outside strings */
  readonly maxValues: number;
}

export type ScanResult = 'ok' | 'too-deep' | 'too-many-values';

/** Incremental lexical scan of JSON text: chunk boundaries may fall anywhere, even inside an escape. */
export class JsonStructureScanner {
  private inString = false;
  private escaped = false;
  private depth = 0;
  private values = 0;
  private readonly limits: Pick<JsonBodyLimits, 'maxDepth' | 'maxValues'>;
  constructor(limits: Pick<JsonBodyLimits, 'maxDepth' | 'maxValues'>) {
    this.limits = limits;
  }

  feed(chunk: Uint8Array): ScanResult {
    const { maxDepth, maxValues } = this.limits;
    let { inString, escaped, depth, values } = this;
    let result: ScanResult = 'ok';
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (inString) {
        // Strings are most of a real body (annotations, last-applied): jump from quote to quote.
        if (escaped) {
          escaped = false;
          i++;
          continue;
        }
        const q = chunk.indexOf(0x22, i);
        const end = q < 0 ? n : q;
        let run = 0; // backslashes right before the quote (or the chunk's end), back to where this search began
        while (end - run - 1 >= i && chunk[end - run - 1] === 0x5c) run++;
        if (q < 0) {
          escaped = run % 2 === 1; // the next chunk starts with an escaped character
          i = n;
        } else if (run % 2 === 1) {
          i = q + 1; // an escaped quote
        } else {
          inString = false;
          i = q + 1;
        }
        continue;
      }
      const c = chunk[i];
      i++;
      if (c === 0x22) {
        inString = true;
      } else if (c === 0x7b || c === 0x5b) { // { [
        depth++;
        values++;
        if (depth > maxDepth) {
          result = 'too-deep';
          break;
        }
      } else if (c === 0x7d || c === 0x5d) { // } ]
        depth--;
      } else if (c === 0x2c) { // ,
        values++;
      }
      if (values > maxValues) {
        result = 'too-many-values';
        break;
      }
    }
    Object.assign(this, { inString, escaped, depth, values });
    return result;
  }
}

interface BodyError extends Error {
  status: number;
  type: string;
}

function bodyError(status: number, type: string, message: string): BodyError {
  return Object.assign(new Error(message), { status, type });
}

/**
 * Parses application/json bodies into req.body (an empty body gives {}, as body-parser does); other content types
 * are left for the route to refuse. Compressed bodies and charsets other than UTF-8 are refused (415).
 */
export function jsonBody(limits: JsonBodyLimits): RequestHandler {
  return (req, _res, next) => {
    if (req.is('application/json') === false || req.is('application/json') === null) {
      next();
      return;
    }
    const encoding = (req.get('content-encoding') ?? 'identity').toLowerCase();
    if (encoding !== 'identity') {
      next(bodyError(415, 'encoding.unsupported', `unsupported content encoding "${encoding.slice(0, 40)}"`));
      return;
    }
    const charset = /;\s*charset=("?)([^";]+)\1/i.exec(req.get('content-type') ?? '')?.[2]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      next(bodyError(415, 'charset.unsupported', `unsupported charset "${charset.slice(0, 40).toUpperCase()}"`));
      return;
    }
    const declared = Number(req.get('content-length') ?? Number.NaN);
    if (declared > limits.maxBytes) {
      next(bodyError(413, 'entity.too.large', 'request entity too large'));
      return;
    }

    const scanner = new JsonStructureScanner(limits);
    let chunks: Buffer[] = [];
    let bytes = 0;
    let refused: BodyError | undefined;
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      next(err);
    };
    function onData(chunk: Buffer): void {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) {
        chunks = [];
        finish(bodyError(413, 'entity.too.large', 'request entity too large'));
        return;
      }
      if (refused !== undefined) return; // refused already: drain the rest (bounded above) so the answer arrives
      const scan = scanner.feed(chunk);
      if (scan === 'ok') {
        chunks.push(chunk);
        return;
      }
      chunks = [];
      refused = scan === 'too-deep'
        ? bodyError(413, 'entity.too.complex', `request body nests deeper than ${limits.maxDepth} levels`)
        : bodyError(413, 'entity.too.complex', `request body has more than ${limits.maxValues} JSON values`);
    }
    function onEnd(): void {
      if (refused !== undefined) {
        finish(refused);
        return;
      }
      if (bytes === 0) {
        req.body = {};
        finish();
        return;
      }
      const text = Buffer.concat(chunks, bytes).toString('utf8');
      chunks = [];
      // strict, like body-parser: a body is an object or an array, never a bare scalar
      if (!/^[ \t\n\r]*[[{]/.test(text)) {
        finish(bodyError(400, 'entity.parse.failed', 'the body must be a JSON object or array'));
        return;
      }
      try {
        req.body = JSON.parse(text) as unknown;
      } catch (e) {
        finish(bodyError(400, 'entity.parse.failed', e instanceof Error ? e.message : String(e)));
        return;
      }
      finish();
    }
    // The client went away (or the request timeout cut it): a 4xx for the record, nothing to answer.
    function onError(e: Error): void {
      chunks = [];
      finish(bodyError(400, 'request.aborted', `the request body did not arrive: ${e.message}`));
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  };
}
