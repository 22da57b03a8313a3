/**
 * The one response parser: a token endpoint's answer becomes an `AccessToken` (every field checked by
 * core's `toAccessToken`) or an `AuthenticationError` carrying the status, Entra's `error`, its AADSTS
 * codes, correlation id and trace id. Bodies that are empty, not JSON, or not an object become a clear
 * `AuthenticationError` too. The raw body is kept on the error, non-enumerable.
 */
import { AuthenticationError, redact, toAccessToken } from "@id/core";
import type { AccessToken } from "@id/core";
import type { HttpResponse } from "./http-client.js";
import { isJsonObject } from "./validate.js";

/** A successful token response: the checked token and the whole JSON body (for `refresh_token`, `id_token`, …). */
export interface TokenResult {
  accessToken: AccessToken;
  /** The parsed body. Holds the token (and maybe a refresh token): never log it. */
  body: Readonly<Record<string, unknown>>;
}

type Json = Record<string, unknown>;

/**
 * Parses a body that must be a JSON object. Returns `undefined` for an empty body; throws nothing.
 * `{ ok: false }` when the body is not a JSON object.
 */
export function parseJsonObject(body: string): { ok: true; value?: Json } | { ok: false; reason: string } {
  if (!body.trim()) return { ok: true };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, reason: /^\s*[[{]/.test(body) ? "is not valid JSON (it looks truncated)" : "is not JSON" };
  }
  return isJsonObject(parsed) ? { ok: true, value: parsed } : { ok: false, reason: "is JSON but not an object" };
}

/** A non-empty string field, else `undefined`. */
function str(value: unknown): string | undefined {
  return typeof value === "string" && value ? value : undefined;
}

/** The `error` of a response that has none. */
const FALLBACK_ERRORS: Record<number, string> = { 400: "invalid_request", 401: "invalid_client", 429: "temporarily_unavailable" };

/**
 * Builds the `AuthenticationError` for an error response (any status), or for a 2xx answer that is not a
 * JSON object (`invalid_token_response`). `who` names the caller in the message (e.g.
 * `ClientSecretCredential`). The message holds Entra's first description line (redacted), never the body.
 */
export function errorFromResponse(response: HttpResponse, who: string): AuthenticationError {
  const { status, body, headers } = response;
  const parsed = parseJsonObject(body);
  const json: Json = (parsed.ok && parsed.value) || {};
  const oauthError = str(json["error"]);
  let errorDescription = str(json["error_description"]) ?? "";
  const error =
    oauthError ??
    (status < 300 ? "invalid_token_response" : status >= 500 ? "server_error" : FALLBACK_ERRORS[status]) ??
    "unknown_error";
  const codes = Array.isArray(json["error_codes"]) ? json["error_codes"].filter(Number.isInteger) : [];
  const aadsts = /AADSTS(\d+)/.exec(errorDescription);
  if (!codes[0] && aadsts) codes.push(Number(aadsts[1]));
  const correlationId = str(json["correlation_id"]);
  let message: string;
  if (oauthError || errorDescription) {
    const line = redact(errorDescription.split(/\r?\n/, 1)[0] as string); // starts with the AADSTS code
    message = `${error} (status ${status})${line && `: ${line}`}${correlationId ? ` Correlation ID: ${correlationId}.` : ""}`;
  } else {
    message = errorDescription = `The endpoint answered status ${status} with ${
      !parsed.ok ? `a body that ${parsed.reason}` : parsed.value ? "a body without an error field" : "an empty body"
    }.`;
  }
  if (status === 429 || status >= 500) {
    const retryAfter = headers.get("retry-after");
    message += retryAfter ? ` Retry after ${retryAfter}.` : " Try again later.";
  }
  return new AuthenticationError(
    status,
    {
      error,
      errorDescription,
      errorCodes: codes,
      correlationId,
      traceId: str(json["trace_id"]),
      suberror: str(json["suberror"]),
      claims: str(json["claims"]),
    },
    { rawBody: body, message: `${who}: ${message}` },
  );
}

/**
 * Parses a token endpoint response. 2xx with a JSON object without `error` → the checked token (every
 * field checked by core's `toAccessToken`); anything else → `AuthenticationError`. `requestStartMs` is
 * when the request was sent (expiry counts from it).
 */
export function parseTokenResponse(response: HttpResponse, requestStartMs: number, who: string): TokenResult {
  const { status, body } = response;
  const parsed = parseJsonObject(body);
  const json = parsed.ok && parsed.value;
  if (status < 200 || status > 299 || !json || json["error"] !== undefined || json["error_description"] !== undefined || json["suberror"] !== undefined) {
    throw errorFromResponse(response, who);
  }
  try {
    const accessToken = toAccessToken(
      { accessToken: json["access_token"], expiresIn: json["expires_in"], refreshIn: json["refresh_in"], tokenType: json["token_type"] },
      requestStartMs,
      status,
    );
    return { accessToken, body: json };
  } catch (error) {
    throw new AuthenticationError(status, (error as AuthenticationError).errorResponse, { rawBody: body, message: `${who}: ${(error as Error).message}`, cause: error });
  }
}
