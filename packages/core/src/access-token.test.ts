import { describe, expect, it } from "vitest";
import { computeRefreshAfter, toAccessToken } from "./access-token.js";
import { AuthenticationError } from "./errors.js";

const NOW = 1_700_000_000_000;

describe("toAccessToken", () => {
  it("computes expiry from expires_in (number or numeric string) and the request time", () => {
    expect(toAccessToken({ accessToken: "t", expiresIn: 3599 }, NOW)).toEqual({
      token: "t",
      expiresOnTimestamp: NOW + 3_599_000,
      refreshAfterTimestamp: NOW + 3_599_000 - 300_000,
      tokenType: "Bearer",
    });
    expect(toAccessToken({ accessToken: "t", expiresIn: "3599" }, NOW).expiresOnTimestamp).toBe(NOW + 3_599_000);
  });

  it("reads expires_on as epoch seconds, numeric string or date string (managed identity)", () => {
    const seconds = (NOW + 3_600_000) / 1000;
    expect(toAccessToken({ accessToken: "t", expiresOn: seconds }, NOW).expiresOnTimestamp).toBe(NOW + 3_600_000);
    expect(toAccessToken({ accessToken: "t", expiresOn: String(seconds) }, NOW).expiresOnTimestamp).toBe(NOW + 3_600_000);
    expect(toAccessToken({ accessToken: "t", expiresOn: new Date(NOW + 3_600_000).toUTCString() }, NOW).expiresOnTimestamp).toBe(NOW + 3_600_000);
  });

  it("uses refresh_in, else half of a lifetime over 2 hours, else 5 minutes before expiry", () => {
    expect(toAccessToken({ accessToken: "t", expiresIn: 86_400, refreshIn: 43_200 }, NOW).refreshAfterTimestamp).toBe(NOW + 43_200_000);
    expect(toAccessToken({ accessToken: "t", expiresIn: 86_400 }, NOW).refreshAfterTimestamp).toBe(NOW + 43_200_000);
    expect(toAccessToken({ accessToken: "t", expiresIn: 7200 }, NOW).refreshAfterTimestamp).toBe(NOW + 6_900_000);
    expect(computeRefreshAfter(NOW, NOW + 120_000)).toBe(NOW + 60_000); // short-lived: half, not in the past
  });

  it.each([
    [{ accessToken: "", expiresIn: 1 }, /"access_token" must be a non-empty string; the service sent an empty string/],
    [{ accessToken: 42, expiresIn: 1 }, /"access_token" must be a non-empty string; the service sent 42/],
    [{ accessToken: "t", expiresIn: -1 }, /"expires_in" must be a non-negative number of seconds; the service sent -1/],
    [{ accessToken: "t", expiresIn: "soon" }, /"expires_in" must be a non-negative number of seconds; the service sent "soon"/],
    [{ accessToken: "t", expiresIn: {} }, /"expires_in" must be a non-negative number.*object/],
    [{ accessToken: "t" }, /no "expires_in" or "expires_on"/],
    [{ accessToken: "t", expiresOn: "not a date" }, /"expires_on" must be seconds since the epoch or a date/],
    [{ accessToken: "t", expiresIn: 3600, refreshIn: 7200 }, /"refresh_in" must be at most the token's lifetime \(3600 s\); the service sent 7200/],
    [{ accessToken: "t", expiresIn: 3600, refreshIn: "x" }, /"refresh_in" must be a non-negative number/],
  ])("rejects %j with an AuthenticationError naming the field", (fields, message) => {
    let thrown: unknown;
    try {
      toAccessToken(fields, NOW, 200);
    } catch (error) {
      thrown = error;
    }
    expect(AuthenticationError.isInstance(thrown)).toBe(true);
    expect((thrown as AuthenticationError).error).toBe("invalid_token_response");
    expect((thrown as Error).message).toMatch(message);
  });

  it("never echoes a long access token in its messages", () => {
    const secretish = "x".repeat(500);
    expect(() => toAccessToken({ accessToken: "t", expiresIn: secretish }, NOW)).toThrow(/the service sent a long string/);
  });
});
