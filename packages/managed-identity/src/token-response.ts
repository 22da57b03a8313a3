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
 * Bodies come in three shapes: Entra-like `{error, error_description}`, App Service's
 * `{statusCode, message, correlationId}`, Service Fabric's `{error: {code, message, correlationId}}`.
 */
import { AuthenticationError, CredentialUnavailableError, redact, toAccessToken } from "@id/core";
import type { AccessToken, ErrorResponse } from "@id/core";
import { parseJsonObject } from "@id/entra";
import type { HttpResponse } from "@id/entra";

/** The sources, by the names used in messages, logs and `credential.source`. */
export type SourceName = "TokenExchange" | "ServiceFabric" | "AppService" | "AzureML" | "CloudShell" | "AzureArc" | "Imds";

/** What the caller names in messages: `ManagedIdentityCredential (App Service)`. */
export const SOURCE_LABEL: Readonly<Record<SourceName, string>> = Object.freeze({
  TokenExchange: "workload identity token exchange",
  ServiceFabric: "Service Fabric",
  AppService: "App Service",
  AzureML: "Azure Machine Learning",
  CloudShell: "Cloud Shell",
  AzureArc: "Azure Arc",
  Imds: "IMDS",
});

export function who(source: SourceName): string {
  return `ManagedIdentityCredential (${SOURCE_LABEL[source]})`;
}

type Json = Record<string, unknown>;

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] as string;
}

/** Parses a 2xx body into a token. `started` is when the request was sent (milliseconds). */
export function parseManagedIdentityToken(source: SourceName, response: HttpResponse, started: number): { token: AccessToken; body: Json } {
  const { status, body } = response;
  const parsed = parseJsonObject(body);
  if (!parsed.ok || parsed.value === undefined) {
    const description = `The endpoint answered status ${status} with ${!parsed.ok ? `a body that ${parsed.reason}` : "an empty body"}; expected a JSON token response.`;
    throw new AuthenticationError(status, { error: "invalid_token_response", errorDescription: description }, {
      rawBody: body,
      message: `${who(source)}: ${description}`,
    });
  }
  const json = parsed.value;
  if (json["error"] !== undefined || json["error_description"] !== undefined) throw managedIdentityError(source, response);
  const expiresOn = json["expires_on"];
  const refreshIn = json["refresh_in"] ?? refreshInFromRefreshOn(json["refresh_on"], started);
  try {
    const token = toAccessToken(
      {
        accessToken: json["access_token"],
        expiresOn,
        expiresIn: expiresOn === undefined || expiresOn === null || expiresOn === "" ? json["expires_in"] : undefined,
        refreshIn,
        tokenType: json["token_type"],
      },
      started,
      status,
    );
    return { token, body: json };
  } catch (error) {
    if (AuthenticationError.isInstance(error)) {
      throw new AuthenticationError(status, error.errorResponse, { rawBody: body, message: `${who(source)}: ${error.message}`, cause: error });
    }
    throw error;
  }
}

/** `refresh_on` (epoch seconds, as number or numeric string) → seconds from `started`; else undefined. */
function refreshInFromRefreshOn(value: unknown, started: number): number | undefined {
  const n = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n)) return undefined;
  return Math.max(0, Math.floor(n - started / 1000));
}

/** The error fields of any of the three body shapes. */
function errorFields(json: Json | undefined): { error?: string; description?: string; correlationId?: string } {
  if (json === undefined) return {};
  const nested = json["error"];
  if (nested !== null && typeof nested === "object" && !Array.isArray(nested)) {
    const e = nested as Json;
    return { error: str(e["code"]), description: str(e["message"]), correlationId: str(e["correlationId"]) ?? str(e["correlation_id"]) };
  }
  return {
    error: str(nested),
    description: str(json["error_description"]) ?? str(json["message"]),
    correlationId: str(json["correlation_id"]) ?? str(json["correlationId"]),
  };
}

// The answers by which a source says "the identity you asked for is not assigned here".
const IDENTITY_NOT_FOUND = /identity not found|unable to load the proper managed identity|managedidentitynotfound|no managed identity|not been assigned|is not assigned|identity .*not found/i;

function fallbackError(status: number): string {
  return (
    (status >= 500 ? "server_error" : ({ 400: "invalid_request", 401: "unauthorized_client", 403: "forbidden", 404: "not_found", 429: "too_many_requests" } as Record<number, string>)[status]) ??
    "unknown_error"
  );
}

/**
 * The error of a non-2xx answer (or a 2xx carrying `error`): `CredentialUnavailableError` when the source
 * says the identity is not available here, else `AuthenticationError`.
 */
export function managedIdentityError(source: SourceName, response: HttpResponse): CredentialUnavailableError | AuthenticationError {
  const { status, body } = response;
  const parsed = parseJsonObject(body);
  const json = parsed.ok ? parsed.value : undefined;
  const fields = errorFields(json);
  const description = fields.description ?? "";
  const line = description ? redact(firstLine(description)).slice(0, 500) : "";
  const correlation = fields.correlationId ? ` Correlation ID: ${fields.correlationId}.` : "";
  const notFound =
    (status === 400 || (status === 404 && source === "ServiceFabric")) &&
    (IDENTITY_NOT_FOUND.test(description) || IDENTITY_NOT_FOUND.test(fields.error ?? ""));
  if (notFound) {
    return new CredentialUnavailableError(
      `${who(source)}: the requested identity is not available here (status ${status}: ${line || fields.error}).${correlation} ` +
        `Assign the managed identity to this resource, or check the clientId/resourceId/objectId given to the credential.`,
    );
  }
  if (status === 403 && /unreachable/i.test(body)) {
    return new CredentialUnavailableError(
      `${who(source)}: network unreachable (status 403 from a proxy that could not reach the endpoint${line ? `: ${line}` : ""}). Managed identity is not available in this environment.`,
    );
  }
  const error = fields.error ?? fallbackError(status);
  const details: ErrorResponse = { error, errorDescription: description, errorCodes: [], correlationId: fields.correlationId };
  const shape =
    json === undefined
      ? !parsed.ok
        ? ` The body ${parsed.reason}.`
        : " The body was empty."
      : "";
  const retry = response.headers.get("retry-after");
  const hint = status === 429 || status >= 500 ? (retry ? ` The service asked to retry after ${retry}.` : " The service may be unavailable; try again later.") : "";
  return new AuthenticationError(status, details, {
    rawBody: body,
    message: `${who(source)}: ${error} (status ${status})${line ? `: ${line}` : ""}.${correlation}${shape}${hint}`,
  });
}

/** Parses any final response: 2xx → token, else the mapped error (thrown). */
export function handleManagedIdentityResponse(source: SourceName, response: HttpResponse, started: number): { token: AccessToken; body: Json } {
  if (response.status >= 200 && response.status <= 299) return parseManagedIdentityToken(source, response, started);
  throw managedIdentityError(source, response);
}
