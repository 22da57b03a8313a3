/**
 * The `claims` request parameter: a claims challenge from a resource, merged with the `cp1` client
 * capability when Continuous Access Evaluation is enabled
 * (`{"access_token":{"xms_cc":{"values":["cp1"]}}}`), as MSAL does.
 */
import { InvalidArgumentError } from "@id/core";

/** The client capability that declares "this client can handle claims challenges" (CAE). */
export const CAE_CLIENT_CAPABILITY = "cp1";

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function decodeBase64(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/**
 * Parses a claims challenge: JSON, or the base64 form found in a `WWW-Authenticate` header. Throws a
 * `TypeError` (code `invalid_claims`) when it is neither a JSON object nor base64 of one.
 */
export function parseClaims(claims: string): JsonObject {
  const text = claims.trim();
  for (const candidate of [text, decodeBase64(text)]) {
    if (candidate === undefined) continue;
    try {
      const parsed: unknown = JSON.parse(candidate);
      if (isObject(parsed)) return parsed;
    } catch {
      // try the next form
    }
  }
  throw new InvalidArgumentError(
    "invalid_claims",
    `"claims" must be a claims challenge: a JSON object such as {"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}, or its base64 form from a WWW-Authenticate header.`,
  );
}

/**
 * The `claims` parameter to send: the caller's challenge (if any), with `cp1` added to
 * `access_token.xms_cc.values` when `enableCae` is set. `undefined` when there is nothing to send.
 */
export function buildClaims(claims: string | undefined, enableCae: boolean | undefined): string | undefined {
  const hasClaims = claims !== undefined && claims.trim() !== "";
  if (!hasClaims && !enableCae) return undefined;
  if (hasClaims && typeof claims !== "string") {
    throw new InvalidArgumentError("invalid_claims", `"claims" must be a string.`);
  }
  const merged: JsonObject = hasClaims ? parseClaims(claims as string) : {};
  if (enableCae) {
    const accessToken: JsonObject = isObject(merged["access_token"]) ? { ...merged["access_token"] } : {};
    const xmsCc: JsonObject = isObject(accessToken["xms_cc"]) ? { ...accessToken["xms_cc"] } : {};
    const values = Array.isArray(xmsCc["values"]) ? xmsCc["values"].filter((v): v is string => typeof v === "string") : [];
    if (!values.some((v) => v.toLowerCase() === CAE_CLIENT_CAPABILITY)) values.push(CAE_CLIENT_CAPABILITY);
    xmsCc["values"] = values;
    accessToken["xms_cc"] = xmsCc;
    merged["access_token"] = accessToken;
  }
  return JSON.stringify(merged);
}
