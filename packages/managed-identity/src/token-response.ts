/**
 * A managed-identity source's answer → an `AccessToken`, or the right error:
 * - 2xx JSON: `expires_on` as each source sends it (number, numeric string, or a date string such as
 *   App Service 2017's `"11/21/2026 10:06:15 PM +00:00"`), `expires_in` when `expires_on` is absent,
 *   `refresh_in` (or `refresh_on`) when present — all checked by core's `toAccessToken`;
 * - "this identity is not here" answers (IMDS 400 "Identity not found", App Service "Unable to load the
 *   proper Managed Identity", Service Fabric `ManagedIdentityNotFound`, Docker Desktop's 403
 *   "unreachable") → `CredentialUnavailableError` with the source's own explanation;
 * - any other error → `AuthenticationError` with status, error code, description and correlation id
 *   (the incumbent hides these as "unavailable"; here a real failure stops a chain).
 * Bodies come in three shapes: Entra-like `{error, error_description, error_codes, correlation_id}` (also
 * the token exchange's), App Service's `{statusCode, message, correlationId}`, Service Fabric's
 * `{error: {code, message, correlationId}}`.
 */
import { AuthenticationError, CredentialUnavailableError, redact, toAccessToken } from "@id/core";
import type { AccessToken } from "@id/core";
import { parseJsonObject } from "@id/entra";
import type { HttpResponse } from "@id/entra";
import { who } from "./source-name.js";
import type { SourceName } from "./source-name.js";

type Json = Record<string, unknown>;

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** `refresh_on` (epoch seconds, as number or numeric string) → seconds from `started`; else undefined. */
function refreshInFromRefreshOn(value: unknown, started: number): number | undefined {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? Math.max(0, Math.floor(n - started / 1000)) : undefined;
}

// The answers by which a source says "the identity you asked for is not assigned here".
const IDENTITY_NOT_FOUND = /identity .*not found|unable to load the proper managed identity|managedidentitynotfound|no managed identity|(not been|is not) assigned/i;

const FALLBACK_ERROR: Record<number, string> = { 400: "invalid_request", 401: "unauthorized_client", 403: "forbidden", 404: "not_found", 429: "too_many_requests" };

/**
 * The error of an answer that is not a token: `CredentialUnavailableError` when the source says the
 * identity is not available here, else `AuthenticationError` (`invalid_token_response` for a 2xx).
 */
export function managedIdentityError(source: SourceName, response: HttpResponse): CredentialUnavailableError | AuthenticationError {
  const { status, body } = response;
  const parsed = parseJsonObject(body);
  const json: Json = (parsed.ok && parsed.value) || {};
  // Service Fabric nests its error; App Service says `message` and `correlationId`.
  const nested = json["error"];
  const fields: Json = nested !== null && typeof nested === "object" ? { ...nested, error: (nested as Json)["code"] } : json;
  const description = str(fields["error_description"]) ?? str(fields["message"]) ?? "";
  const correlationId = str(fields["correlation_id"]) ?? str(fields["correlationId"]);
  const code = str(fields["error"]);
  const line = redact(description.split(/\r?\n/, 1)[0] as string).slice(0, 500);
  const correlation = correlationId ? ` Correlation ID: ${correlationId}.` : "";
  if (
    source !== "TokenExchange" &&
    (status === 400 || (status === 404 && source === "ServiceFabric")) &&
    IDENTITY_NOT_FOUND.test(`${description}\n${code}`)
  ) {
    return new CredentialUnavailableError(
      `${who(source)}: the requested identity is not available here (status ${status}: ${line || code}).${correlation} Assign the managed identity to this resource, or check the id given to the credential.`,
    );
  }
  if (status === 403 && /unreachable/i.test(body)) {
    return new CredentialUnavailableError(`${who(source)}: network unreachable (status 403 from a proxy${line && `: ${line}`}). Managed identity is not available here.`);
  }
  const error = code ?? (status < 300 ? "invalid_token_response" : status > 499 ? "server_error" : FALLBACK_ERROR[status] ?? "unknown_error");
  const codes = fields["error_codes"];
  const retry = response.headers.get("retry-after");
  const shape = parsed.ok ? (parsed.value ? "" : " The body was empty.") : ` The body ${parsed.reason}.`;
  return new AuthenticationError(
    status,
    {
      error,
      errorDescription: description || shape.trim(),
      errorCodes: Array.isArray(codes) ? codes.filter(Number.isInteger) : [],
      correlationId,
      traceId: str(fields["trace_id"]),
      suberror: str(fields["suberror"]),
      claims: str(fields["claims"]),
    },
    {
      rawBody: body,
      message:
        `${who(source)}: ${error} (status ${status})${line && `: ${line}`}.${correlation}` +
        shape +
        (status === 429 || status > 499 ? (retry ? ` Retry after ${retry}.` : " The service may be unavailable; try again later.") : ""),
    },
  );
}

/** Parses any final response: a 2xx JSON token → the token and the body; anything else → the mapped error (thrown). */
export function handleManagedIdentityResponse(source: SourceName, response: HttpResponse, started: number): { token: AccessToken; body: Json } {
  const { status, body } = response;
  const parsed = parseJsonObject(body);
  const json = parsed.ok && parsed.value;
  if (status < 200 || status > 299 || !json || json["error"] !== undefined || json["error_description"] !== undefined) throw managedIdentityError(source, response);
  const expiresOn = json["expires_on"];
  try {
    const token = toAccessToken(
      {
        accessToken: json["access_token"],
        expiresOn,
        expiresIn: expiresOn === undefined || expiresOn === null || expiresOn === "" ? json["expires_in"] : undefined,
        refreshIn: json["refresh_in"] ?? refreshInFromRefreshOn(json["refresh_on"], started),
        tokenType: json["token_type"],
      },
      started,
      status,
    );
    return { token, body: json };
  } catch (error) {
    throw new AuthenticationError(status, (error as AuthenticationError).errorResponse, { rawBody: body, message: `${who(source)}: ${(error as Error).message}`, cause: error });
  }
}
