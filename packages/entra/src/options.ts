/**
 * The transport's options and their checks, apart from the transport itself: a credential checks its
 * options when it is constructed and may load the transport only when it first requests a token.
 */
import { invalidArgument } from "./validate.js";

/** The `fetch` signature the transport calls. `init.dispatcher` is the `dispatcher` option (undefined when none). */
export type FetchLike = (url: string, init: RequestInit & { dispatcher?: unknown }) => Promise<Response>;

/** Transport options, accepted by `createHttpClient`, `createEntraClient` and every credential. */
export interface HttpClientOptions {
  /**
   * The `fetch` to use. Default `globalThis.fetch`, looked up at each request. Pass undici's `fetch`
   * (with a dispatcher) for a proxy, a custom CA or certificate pinning.
   */
  fetch?: FetchLike | undefined;
  /**
   * An undici `Dispatcher` (`Agent`, `ProxyAgent`, …), passed to `fetch` as `init.dispatcher`. Node's
   * built-in fetch accepts it when it comes from a compatible undici major; pairing it with undici's own
   * `fetch` in `fetch` always works. @id never imports undici itself.
   */
  dispatcher?: unknown;
  /** Milliseconds one attempt may take (connect, send, read the whole body). Default 30,000. */
  timeoutInMs?: number | undefined;
  /** Retries; see `RetryOptions`. */
  retryOptions?: RetryOptions | undefined;
  /** Largest response body accepted, bytes. Default 1 MiB (1,048,576). */
  maxResponseBytes?: number | undefined;
}

/** How requests are retried. Field names as in `@azure/identity`'s `retryOptions`. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 3; 0 turns retries off. */
  maxRetries?: number;
  /** Base delay of the exponential backoff, milliseconds. Default 800. */
  retryDelayInMs?: number;
  /** Longest computed backoff delay, milliseconds. Default 60,000. (A server's `Retry-After` may ask for longer, within `maxRetryTimeInMs`.) */
  maxRetryDelayInMs?: number;
  /** Total time budget, milliseconds from the first attempt: no retry starts that would begin after it. Default 60,000. */
  maxRetryTimeInMs?: number;
}

/** `RetryOptions` with every field set. */
export type ResolvedRetryOptions = Readonly<Required<RetryOptions>>;

export const DEFAULT_RETRY_OPTIONS: ResolvedRetryOptions = /* @__PURE__ */ Object.freeze({
  maxRetries: 3,
  retryDelayInMs: 800,
  maxRetryDelayInMs: 60_000,
  maxRetryTimeInMs: 60_000,
});

/** Default per-attempt timeout, milliseconds. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default response body cap, bytes. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;

/**
 * A number option: `fallback` when undefined, else a finite number above 0 (`positive`, the default) or
 * at least 0. Throws a `TypeError` (code `invalid_argument`) naming the field.
 */
export function checkNumberOption(value: unknown, field: string, fallback: number, positive = true): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || (value as number) < 0 || (positive && value === 0)) {
    throw invalidArgument(field, `a ${positive ? "positive" : "non-negative"} number`);
  }
  return value as number;
}

/** Checks `retryOptions` and fills in the defaults. Throws a `TypeError` (code `invalid_argument`). */
export function resolveRetryOptions(options: unknown): ResolvedRetryOptions {
  if (options === undefined) return DEFAULT_RETRY_OPTIONS;
  if (Object(options) !== options) throw invalidArgument("retryOptions", "an object"); // null or a primitive
  const resolved: Record<string, number> = {};
  for (const [field, fallback] of Object.entries(DEFAULT_RETRY_OPTIONS)) {
    resolved[field] = checkNumberOption((options as Record<string, unknown>)[field], `retryOptions.${field}`, fallback, false);
  }
  return resolved as unknown as ResolvedRetryOptions;
}

/** `HttpClientOptions` checked, with every default filled in (a tuple: it costs the transport no property names). */
export type CheckedHttpClientOptions = [
  fetch: FetchLike | undefined,
  dispatcher: unknown,
  timeoutInMs: number,
  maxResponseBytes: number,
  retryOptions: ResolvedRetryOptions,
];

/** Checks transport options (a `TypeError` with code `invalid_argument` naming the field) and fills in the defaults. */
export function checkHttpClientOptions(options: HttpClientOptions = {}): CheckedHttpClientOptions {
  const { fetch, dispatcher } = options;
  if (fetch !== undefined && typeof fetch !== "function") throw invalidArgument("fetch", "a fetch function");
  if (dispatcher !== undefined && Object(dispatcher) !== dispatcher) throw invalidArgument("dispatcher", "an undici Dispatcher"); // not an object
  return [
    fetch,
    dispatcher,
    checkNumberOption(options.timeoutInMs, "timeoutInMs", DEFAULT_TIMEOUT_MS),
    checkNumberOption(options.maxResponseBytes, "maxResponseBytes", DEFAULT_MAX_RESPONSE_BYTES),
    resolveRetryOptions(options.retryOptions),
  ];
}
