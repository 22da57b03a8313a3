/**
 * Turning a token response's lifetime fields into an `AccessToken`, checked field by field, and the
 * refresh rule every credential shares.
 */
import { AuthenticationError } from "./errors.js";
import { EXPIRY_MARGIN_MS } from "./token-cache.js";
import type { AccessToken } from "./types.js";

const TWO_HOURS_MS = 2 * 60 * 60 * 1000;
const FIVE_MINUTES_MS = 5 * 60 * 1000;

/** The lifetime fields of a token response, as received (unchecked). */
export interface TokenResponseFields {
  /** `access_token`. */
  accessToken: unknown;
  /** `expires_in`: seconds, a number or a numeric string. */
  expiresIn?: unknown;
  /** `expires_on`: seconds since the epoch (number or numeric string) or a date string (managed identity). */
  expiresOn?: unknown;
  /** `refresh_in`: seconds, a number or a numeric string. */
  refreshIn?: unknown;
  /** `token_type`, compared case-insensitively; `Bearer` when absent. */
  tokenType?: unknown;
}

/** Thrown for a token response whose fields are missing or malformed; names the field. */
export function invalidTokenResponse(message: string, statusCode = 200): AuthenticationError {
  return new AuthenticationError(statusCode, { error: "invalid_token_response", errorDescription: message }, { message });
}

const NUMBER = /^\s*\d+(\.\d+)?\s*$/;

/** The error for a malformed field: names it, says what was expected and what came (never a long value). */
function badField(field: string, expected: string, value: unknown, statusCode: number): AuthenticationError {
  return invalidTokenResponse(`"${field}" must be ${expected}; the service sent ${describe(value)}.`, statusCode);
}

function describe(value: unknown): unknown {
  if (value === "") return "an empty string";
  if (typeof value === "string") return value.length > 40 ? "a long string" : JSON.stringify(value);
  return typeof value === "number" || value === null ? value : typeof value;
}

/**
 * A lifetime field in seconds (a number or numeric string); with `epoch`, also a date string, returned
 * as milliseconds since the epoch. `undefined` when absent.
 */
function seconds(value: unknown, field: string, statusCode: number, epoch?: boolean): number | undefined {
  if (value === undefined || value === null) return undefined;
  const numeric = typeof value === "number" || (typeof value === "string" && NUMBER.test(value));
  const n = numeric ? Number(value) * (epoch ? 1000 : 1) : epoch && typeof value === "string" ? Date.parse(value) : NaN;
  if (!(n >= 0) || n === Infinity) {
    throw badField(field, epoch ? "seconds since the epoch or a date" : "a non-negative number of seconds", value, statusCode);
  }
  return n;
}

/**
 * When to refresh a token that lives from `now` to `expiresOnTimestamp`: after `refreshInMs` when the
 * service said so; else at half the lifetime for tokens over 2 hours; else 5 minutes before expiry — but
 * never earlier than half the lifetime, so a short-lived token is not refreshed on every call.
 */
export function computeRefreshAfter(now: number, expiresOnTimestamp: number, refreshInMs?: number): number {
  if (refreshInMs !== undefined) return now + refreshInMs;
  const lifetime = expiresOnTimestamp - now;
  const half = now + Math.floor(lifetime / 2);
  return lifetime > TWO_HOURS_MS ? half : Math.max(expiresOnTimestamp - FIVE_MINUTES_MS, half);
}

/**
 * Checks a token response's fields and returns the `AccessToken`: `access_token` a non-empty string;
 * `expires_in` / `expires_on` non-negative (one of them required); `refresh_in` no longer than the
 * lifetime; `token_type` a string when present. `now` is when the request was sent (milliseconds).
 * Refresh-after is never inside the cache's expiry margin (so a short-lived token is not served while
 * about to expire). Throws `AuthenticationError` with code `invalid_token_response` naming the field.
 */
export function toAccessToken(fields: TokenResponseFields, now = Date.now(), statusCode = 200): AccessToken {
  const { accessToken, tokenType = "Bearer" } = fields;
  if (typeof accessToken !== "string" || accessToken === "") throw badField("access_token", "a non-empty string", accessToken, statusCode);
  const expiresIn = seconds(fields.expiresIn, "expires_in", statusCode);
  const expiresOnTimestamp = expiresIn !== undefined ? now + expiresIn * 1000 : seconds(fields.expiresOn, "expires_on", statusCode, true);
  if (expiresOnTimestamp === undefined) {
    throw invalidTokenResponse(`The token response has no "expires_in" or "expires_on".`, statusCode);
  }
  const refreshIn = seconds(fields.refreshIn, "refresh_in", statusCode);
  const lifetime = Math.max(0, expiresOnTimestamp - now) / 1000;
  if (refreshIn !== undefined && refreshIn > lifetime) {
    throw badField("refresh_in", `at most the token's lifetime (${Math.round(lifetime)} s)`, refreshIn, statusCode);
  }
  if (typeof tokenType !== "string") throw badField("token_type", `a string such as "Bearer"`, tokenType, statusCode);
  return {
    token: accessToken,
    expiresOnTimestamp,
    refreshAfterTimestamp: Math.min(
      computeRefreshAfter(now, expiresOnTimestamp, refreshIn === undefined ? undefined : refreshIn * 1000),
      Math.max(now, expiresOnTimestamp - EXPIRY_MARGIN_MS),
    ),
    tokenType: tokenType.toLowerCase() === "pop" ? "pop" : "Bearer",
  };
}
