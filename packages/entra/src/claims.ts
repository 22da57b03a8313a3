/**
 * The `claims` request parameter: a claims challenge from a resource, merged with the `cp1` client
 * capability when Continuous Access Evaluation is enabled
 * (`{"access_token":{"xms_cc":{"values":["cp1"]}}}`), as MSAL does.
 */
import { invalidArgument, isJsonObject } from "./validate.js";

/** The client capability that declares "this client can handle claims challenges" (CAE). */
export const CAE_CLIENT_CAPABILITY = "cp1";

type JsonObject = Record<string, unknown>;

/**
 * Parses a claims challenge: a JSON object (as decoded from a `WWW-Authenticate` header by the caller,
 * the way the Azure SDK's bearer-token policy passes it). Throws a `TypeError` (code `invalid_claims`)
 * for anything else.
 */
export function parseClaims(claims: unknown): JsonObject {
  try {
    const parsed: unknown = typeof claims === "string" && JSON.parse(claims);
    if (isJsonObject(parsed)) return parsed;
  } catch {
    // reported below
  }
  throw invalidArgument("claims", "a JSON object string", "invalid_claims");
}

/**
 * The `claims` parameter to send: the caller's challenge (if any), with `cp1` added to
 * `access_token.xms_cc.values` when `enableCae` is set. `undefined` when there is nothing to send.
 */
export function buildClaims(claims: string | undefined, enableCae: boolean | undefined): string | undefined {
  // undefined, "" and blank mean no challenge; anything else must parse (a non-string is refused there)
  const hasClaims = claims !== undefined && (typeof claims !== "string" || claims.trim() !== "");
  if (!hasClaims && !enableCae) return undefined;
  const merged = hasClaims ? parseClaims(claims) : {};
  if (enableCae) {
    const accessToken = isJsonObject(merged["access_token"]) ? merged["access_token"] : (merged["access_token"] = {});
    const xmsCc = isJsonObject(accessToken["xms_cc"]) ? accessToken["xms_cc"] : (accessToken["xms_cc"] = {});
    const values: unknown[] = Array.isArray(xmsCc["values"]) ? xmsCc["values"] : [];
    if (!values.some((v) => String(v).toLowerCase() === CAE_CLIENT_CAPABILITY)) xmsCc["values"] = [...values, CAE_CLIENT_CAPABILITY];
  }
  return JSON.stringify(merged);
}
