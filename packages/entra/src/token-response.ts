/**
 * The one response parser: a token endpoint's answer becomes an `AccessToken` (every field checked by
 * core's `toAccessToken`) or an `AuthenticationError` carrying the status, Entra's `error`, its AADSTS
 * codes, correlation id and trace id. Bodies that are empty, not JSON, or not an object become a clear
 * `AuthenticationError` too. The raw body is kept on the error, non-enumerable.
 */
import { AuthenticationError, EXPIRY_MARGIN_MS, redact, toAccessToken } from "@id/core";
import type { AccessToken, ErrorResponse } from "@id/core";
import type { HttpResponse } from "./http-client.js";

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
export function parseJsonObject(body: string): { ok: true; value: Json | undefined } | { ok: false; reason: string } {
  if (body.trim() === "") return { ok: true, value: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const trimmed = body.trimStart();
    const reason = trimmed.startsWith("{") || trimmed.startsWith("[") ? "is not valid JSON (it looks truncated)" : "is not JSON";
    return { ok: false, reason };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return { ok: false, reason: "is JSON but not an object" };
  return { ok: true, value: parsed as Json };
}

function shapeOf(parsed: ReturnType<typeof parseJsonObject>): string {
  return !parsed.ok ? `a body that ${parsed.reason}` : parsed.value === undefined ? "an empty body" : "a body without an error field";
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] as string;
}

function fallbackError(status: number): string {
  return status >= 500 ? "server_error" : ({ 400: "invalid_request", 401: "invalid_client", 429: "temporarily_unavailable" } as Record<number, string>)[status] ?? "unknown_error";
}

/** An `invalid_token_response` error: a 2xx answer that is not a usable token. */
function invalidResponse(status: number, description: string, body: string, who: string, cause?: unknown, details?: ErrorResponse): AuthenticationError {
  return new AuthenticationError(status, details ?? { error: "invalid_token_response", errorDescription: description }, {
    rawBody: body,
    message: `${who}: ${description}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Builds the `AuthenticationError` for an error response (any status). `who` names the caller in the
 * message (e.g. `ClientSecretCredential`). The message holds Entra's first description line (redacted),
 * never the body.
 */
export function errorFromResponse(response: HttpResponse, who = "Token request"): AuthenticationError {
  const { status, body } = response;
  const parsed = parseJsonObject(body);
  const json = parsed.ok ? parsed.value : undefined;
  if (json === undefined || (str(json["error"]) === undefined && str(json["error_description"]) === undefined)) {
    const description = `The endpoint answered status ${status} with ${shapeOf(parsed)}.`;
    return new AuthenticationError(status, { error: fallbackError(status), errorDescription: description }, {
      rawBody: body,
      message: `${who}: ${description}${retryHint(response)}`,
    });
  }
  const error = str(json["error"]) ?? fallbackError(status);
  const errorDescription = str(json["error_description"]) ?? "";
  const codes = Array.isArray(json["error_codes"]) ? json["error_codes"].filter((c): c is number => Number.isInteger(c)) : [];
  const aadsts = /AADSTS(\d+)/.exec(errorDescription);
  if (codes.length === 0 && aadsts) codes.push(Number(aadsts[1]));
  const timestampText = str(json["timestamp"]);
  const timestamp = timestampText ? Date.parse(timestampText.replace(" ", "T")) : NaN;
  const details: ErrorResponse = {
    error,
    errorDescription,
    errorCodes: codes,
    correlationId: str(json["correlation_id"]),
    traceId: str(json["trace_id"]),
    suberror: str(json["suberror"]),
    claims: str(json["claims"]),
    ...(Number.isFinite(timestamp) ? { timestamp } : {}),
  };
  const line = errorDescription ? redact(firstLine(errorDescription)) : "";
  const code = codes.length > 0 && !line.includes(`AADSTS${codes[0]}`) ? ` AADSTS${codes[0]}` : "";
  const correlation = details.correlationId ? ` Correlation ID: ${details.correlationId}.` : "";
  return new AuthenticationError(status, details, {
    rawBody: body,
    message: `${who}: ${error} (status ${status}${code ? `,${code}` : ""})${line ? `: ${line}` : ""}${correlation}${retryHint(response)}`,
  });
}

/** For 429 and 5xx: the wait the service asked for, or a hint that it may be unavailable. */
function retryHint(response: HttpResponse): string {
  if (response.status !== 429 && response.status < 500) return "";
  const retry = response.headers.get("retry-after");
  return retry ? ` The service asked to retry after ${retry}.` : " The service may be unavailable; try again later.";
}

/**
 * Parses a token endpoint response. 2xx with a JSON object without `error` → the checked token; anything
 * else → `AuthenticationError`. `requestStartMs` is when the request was sent (expiry counts from it).
 */
export function parseTokenResponse(response: HttpResponse, requestStartMs: number, who = "Token request"): TokenResult {
  const { status, body } = response;
  if (status < 200 || status > 299) throw errorFromResponse(response, who);
  const parsed = parseJsonObject(body);
  if (!parsed.ok || parsed.value === undefined) {
    throw invalidResponse(status, `The token endpoint answered status ${status} with ${shapeOf(parsed)}; expected a JSON token response.`, body, who);
  }
  const json = parsed.value;
  if (json["error"] !== undefined || json["error_description"] !== undefined || json["suberror"] !== undefined) {
    throw errorFromResponse({ ...response, status }, who);
  }
  let accessToken: AccessToken;
  try {
    accessToken = toAccessToken(
      { accessToken: json["access_token"], expiresIn: json["expires_in"], refreshIn: json["refresh_in"], tokenType: json["token_type"] },
      requestStartMs,
      status,
    );
  } catch (error) {
    throw AuthenticationError.isInstance(error) ? invalidResponse(status, error.message, body, who, error, error.errorResponse) : error;
  }
  if (json["token_type"] !== undefined && typeof json["token_type"] !== "string") {
    throw invalidResponse(status, `"token_type" must be a string such as "Bearer".`, body, who);
  }
  return { accessToken: clampRefreshAfter(accessToken, requestStartMs), body: json };
}

/**
 * Core's cache returns a token before its refresh-after time without looking at expiry, so a short-lived
 * token (under a minute) whose computed refresh-after lies inside the expiry margin would be served
 * while about to expire. Refresh-after is therefore never later than `expiresOn - EXPIRY_MARGIN_MS`.
 */
function clampRefreshAfter(token: AccessToken, now: number): AccessToken {
  const latest = Math.max(now, token.expiresOnTimestamp - EXPIRY_MARGIN_MS);
  return token.refreshAfterTimestamp !== undefined && token.refreshAfterTimestamp > latest ? { ...token, refreshAfterTimestamp: latest } : token;
}
