// What an instant query answers, as the collector reads it: the port's result type. The Prometheus adapter
// (prometheus/response.ts) parses the HTTP API's envelope into it.

export interface Sample {
  readonly metric: Readonly<Record<string, string>>;
  /** Unix seconds */
  readonly t: number;
  /** may be NaN or ±Infinity */
  readonly value: number;
}

export type QueryData =
  | { readonly resultType: 'vector'; readonly samples: readonly Sample[] }
  | { readonly resultType: 'matrix'; readonly series: readonly { readonly metric: Readonly<Record<string, string>>; readonly values: readonly (readonly [number, number])[] }[] }
  | { readonly resultType: 'scalar'; readonly t: number; readonly value: number }
  | { readonly resultType: 'string'; readonly t: number; readonly value: string };

/**
 * errorType: Prometheus's own (bad_data, execution, timeout, canceled, internal, unavailable, not_found, …) or
 * ours: transport (no connection), timeout (no answer in time), http (a non-API answer), bad_response (JSON that is
 * not the API's envelope).
 */
export type QueryResult =
  | { readonly ok: true; readonly data: QueryData; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errorType: string; readonly error: string; readonly warnings: readonly string[] };
