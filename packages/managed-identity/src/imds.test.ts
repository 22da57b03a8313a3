import { backoffDelayMs, resolveRetryOptions } from "@id/entra";
import { describe, expect, it } from "vitest";
import { isImdsRetryableStatus } from "./imds.js";
import { IMDS_RETRY_DEFAULTS } from "./managed-identity-credential.js";

describe("IMDS retry policy", () => {
  it("retries 404, 410, 429 and 5xx but not 400/401/403", () => {
    for (const s of [404, 410, 429, 500, 502, 503, 504]) expect(isImdsRetryableStatus(s)).toBe(true);
    for (const s of [400, 401, 403]) expect(isImdsRetryableStatus(s)).toBe(false);
  });

  it("even the shortest jittered schedule covers the ~70 s upgrade window within the total budget", () => {
    const options = resolveRetryOptions(IMDS_RETRY_DEFAULTS);
    let shortest = 0;
    let longest = 0;
    for (let retry = 0; retry < options.maxRetries; retry++) {
      shortest += backoffDelayMs(retry, options, () => 0);
      longest += backoffDelayMs(retry, options, () => 1);
    }
    expect(shortest).toBeGreaterThanOrEqual(70_000);
    expect(options.maxRetryTimeInMs).toBeGreaterThanOrEqual(shortest);
    expect(longest).toBeGreaterThan(options.maxRetryTimeInMs); // the budget, not the count, bounds the worst case
  });
});
