/**
 * The retry policy, as pure functions: which statuses are retried and how long to wait (the server's
 * `Retry-After` / `retry-after-ms` / `x-ms-retry-after-ms`, else exponential backoff with jitter). The
 * retry options and their checks are in `options.ts`.
 */
import type { ResolvedRetryOptions } from "./options.js";

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
