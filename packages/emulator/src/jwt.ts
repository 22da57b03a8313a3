/** Small JWT helpers: decode without verifying, and verify RS256/PS256 signatures with node:crypto. */
import { constants, verify, type KeyObject } from "node:crypto";

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Splits and decodes a compact JWS; undefined when it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  if (typeof token !== "string" || token.length > 32_768) return undefined;
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [h = "", p = "", s = ""] = parts;
  const header = decodeSegment(h);
  const payload = decodeSegment(p);
  if (!header || !payload || !/^[A-Za-z0-9_-]+$/.test(s)) return undefined;
  return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, "base64url") };
}

/** Verifies an RS256 or PS256 signature; false for any other algorithm. */
export function verifySignature(jwt: DecodedJwt, key: KeyObject, alg: string): boolean {
  try {
    const data = Buffer.from(jwt.signingInput);
    if (alg === "RS256") return verify("sha256", data, key, jwt.signature);
    if (alg === "PS256") {
      return verify(
        "sha256",
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        jwt.signature,
      );
    }
    return false;
  } catch {
    return false;
  }
}

export function numericClaim(payload: Record<string, unknown>, name: string): number | undefined {
  const value = payload[name];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export function audiences(payload: Record<string, unknown>): string[] {
  const aud = payload.aud;
  if (typeof aud === "string") return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === "string");
  return [];
}
