import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_OPTIONS, resolveRetryOptions } from "./options.js";
import { backoffDelayMs, isRetryableStatus, retryAfterMs } from "./retry-policy.js";

describe("isRetryableStatus", () => {
  it("retries 408, 429 and 5xx except 501/505, never 400/401/403/404", () => {
    for (const s of [408, 429, 500, 502, 503, 504, 599]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [200, 400, 401, 403, 404, 501, 505]) expect(isRetryableStatus(s)).toBe(false);
  });
});

describe("retryAfterMs", () => {
  it("reads retry-after-ms, x-ms-retry-after-ms, Retry-After seconds and dates", () => {
    expect(retryAfterMs(new Headers({ "retry-after-ms": "250", "retry-after": "9" }))).toBe(250);
    expect(retryAfterMs(new Headers({ "x-ms-retry-after-ms": "40" }))).toBe(40);
    expect(retryAfterMs(new Headers({ "retry-after": "2" }))).toBe(2000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ "retry-after": "Wed, 31 Dec 2025 00:00:03 GMT" }), now)).toBe(0);
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });
});

describe("backoffDelayMs", () => {
  it("grows exponentially, is jittered in its upper half and clamped", () => {
    const o = { ...DEFAULT_RETRY_OPTIONS, retryDelayInMs: 100, maxRetryDelayInMs: 1000 };
    expect(backoffDelayMs(0, o, () => 0)).toBe(50);
    expect(backoffDelayMs(0, o, () => 1)).toBe(100);
    expect(backoffDelayMs(2, o, () => 1)).toBe(400);
    expect(backoffDelayMs(10, o, () => 1)).toBe(1000);
    expect(backoffDelayMs(10, o, () => 0)).toBe(500);
  });
});

describe("resolveRetryOptions", () => {
  it("fills defaults and rejects bad values", () => {
    expect(resolveRetryOptions(undefined)).toEqual({ maxRetries: 3, retryDelayInMs: 800, maxRetryDelayInMs: 60_000, maxRetryTimeInMs: 60_000 });
    expect(resolveRetryOptions({ maxRetries: 0 }).maxRetries).toBe(0);
    expect(() => resolveRetryOptions({ maxRetries: -1 })).toThrow(/maxRetries/);
    expect(() => resolveRetryOptions({ retryDelayInMs: Number.NaN })).toThrow(TypeError);
    expect(() => resolveRetryOptions("3")).toThrow(TypeError);
  });
});
