/**
 * The retry policy, as pure functions: which statuses are retried, how long to wait (the server's
 * `Retry-After` / `retry-after-ms` / `x-ms-retry-after-ms`, else exponential backoff with jitter), and the
 * checked retry options.
 */
import { invalidArgument } from "./validate.js";

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

/** Whether a response status is worth retrying: 408, 429 and 5xx except 501 and 505. Never 400 or 401. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/**
 * The wait the server asked for, in milliseconds: `retry-after-ms`, then `x-ms-retry-after-ms`, then
 * `Retry-After` (seconds or an HTTP date). `undefined` when none is present or parsable.
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms", "retry-after"]) {
    const value = headers.get(name) ?? "";
    const scale = name === "retry-after" ? 1000 : 1;
    // A number (of milliseconds, or of seconds for Retry-After), or Retry-After's HTTP date; NaN for anything else.
    const ms = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) * scale : scale > 1 ? Date.parse(value) - now : NaN;
    if (!Number.isNaN(ms)) return Math.max(0, Math.ceil(ms));
  }
  return undefined;
}

/**
 * Exponential backoff with jitter for retry number `retry` (0 for the first retry): the delay is
 * `min(maxRetryDelayInMs, retryDelayInMs * 2^retry)`, of which the second half is random.
 */
export function backoffDelayMs(retry: number, options: ResolvedRetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxRetryDelayInMs, options.retryDelayInMs * 2 ** retry);
  return Math.round((ceiling * (1 + random())) / 2);
}

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
