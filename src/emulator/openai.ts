// The OpenAI-compatible request and response shapes vLLM serves, as far as the emulator needs them. Token counts
// come from a dummy tokenizer: one token per whitespace-separated word of the prompt (or the length of a
// token-id array); chat messages count the words of their contents, without template tokens. The load generator
// builds prompts the same way, so "input tokens sent" and "input tokens the server saw" agree exactly.
import { z } from 'zod';

const streamOptions = z.looseObject({ include_usage: z.boolean().optional() }).optional();
const maxTokens = z.number().int().min(1).optional();

const CompletionSchema = z.looseObject({
  model: z.string().min(1),
  // Checked by hand below: a union's error would only say "Invalid input".
  prompt: z.unknown(),
  max_tokens: maxTokens,
  stream: z.boolean().optional(),
  stream_options: streamOptions,
});

const ContentSchema = z.union([
  z.string(),
  z.null(),
  z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
]);

const ChatSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.looseObject({ role: z.string().min(1), content: ContentSchema.optional() })).min(1),
  max_tokens: maxTokens,
  max_completion_tokens: maxTokens,
  stream: z.boolean().optional(),
  stream_options: streamOptions,
});

export type Endpoint = 'completions' | 'chat';

export interface ParsedRequest {
  readonly endpoint: Endpoint;
  readonly model: string;
  readonly inputTokens: number;
  /** undefined: the server's default */
  readonly maxTokens: number | undefined;
  readonly stream: boolean;
  readonly includeUsage: boolean;
}

export const countWords = (s: string): number => {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    const space = c === 32 || (c >= 9 && c <= 13);
    if (!space && !inWord) n += 1;
    inWord = !space;
  }
  return n;
};

/** Tokens of a completions prompt: a string, one string in an array, or token ids; else a message. */
function promptTokens(p: unknown): number | string {
  if (typeof p === 'string') return countWords(p);
  if (!Array.isArray(p)) return p === undefined ? 'required: a string or an array of token ids' : 'must be a string or an array of token ids';
  const a = p as unknown[];
  if (a.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) return a.length;
  if (a.every((x) => typeof x === 'string')) return a.length === 1 ? countWords(a[0] as string) : 'batched prompts are not supported: send one prompt per request';
  return 'must be a string or an array of token ids';
}

function issues(e: z.ZodError): string {
  return e.issues.slice(0, 5).map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
}

/** Parses a request body; returns an error message for a 400 answer. */
export function parseRequest(endpoint: Endpoint, body: unknown): ParsedRequest | { error: string } {
  if (endpoint === 'completions') {
    const r = CompletionSchema.safeParse(body);
    if (!r.success) return { error: issues(r.error) };
    const inputTokens = promptTokens(r.data.prompt);
    if (typeof inputTokens === 'string') return { error: `prompt: ${inputTokens}` };
    return { endpoint, model: r.data.model, inputTokens, maxTokens: r.data.max_tokens, stream: r.data.stream === true, includeUsage: r.data.stream_options?.include_usage === true };
  }
  const r = ChatSchema.safeParse(body);
  if (!r.success) return { error: issues(r.error) };
  let inputTokens = 0;
  for (const m of r.data.messages) {
    const c = m.content;
    if (typeof c === 'string') inputTokens += countWords(c);
    else if (Array.isArray(c)) for (const part of c) inputTokens += countWords(part.text ?? '');
  }
  return {
    endpoint, model: r.data.model, inputTokens, maxTokens: r.data.max_completion_tokens ?? r.data.max_tokens,
    stream: r.data.stream === true, includeUsage: r.data.stream_options?.include_usage === true,
  };
}

const words = [' the', ' model', ' answers', ' with', ' one', ' token', ' per', ' step', ' of', ' its', ' batch', ' and', ' a', ' little', ' noise', '.'];
export const tokenText = (index: number): string => words[index % words.length] ?? '';

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export const usage = (prompt: number, completion: number): Usage => ({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion });

interface Ids {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

/** One streamed chunk carrying one token (and the finish reason on the last). */
export function streamChunk(endpoint: Endpoint, ids: Ids, text: string, finishReason: string | null, first: boolean): object {
  if (endpoint === 'completions') {
    return { id: ids.id, object: 'text_completion', created: ids.created, model: ids.model, choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason, stop_reason: null }] };
  }
  const delta = first ? { role: 'assistant', content: text } : { content: text };
  return { id: ids.id, object: 'chat.completion.chunk', created: ids.created, model: ids.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason, stop_reason: null }] };
}

export function usageChunk(endpoint: Endpoint, ids: Ids, u: Usage): object {
  return { id: ids.id, object: endpoint === 'completions' ? 'text_completion' : 'chat.completion.chunk', created: ids.created, model: ids.model, choices: [], usage: u };
}

export function fullResponse(endpoint: Endpoint, ids: Ids, text: string, finishReason: string, u: Usage): object {
  if (endpoint === 'completions') {
    return { id: ids.id, object: 'text_completion', created: ids.created, model: ids.model, choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason, stop_reason: null }], usage: u };
  }
  return {
    id: ids.id, object: 'chat.completion', created: ids.created, model: ids.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: finishReason, stop_reason: null }], usage: u,
  };
}

/** vLLM's error body (an OpenAI ErrorResponse). */
export function errorBody(code: number, message: string): object {
  const type = code === 404 ? 'NotFoundError' : code === 503 ? 'ServiceUnavailableError' : code >= 500 ? 'InternalServerError' : 'BadRequestError';
  return { object: 'error', message, type, param: null, code };
}
