/**
 * Argument checks the credential constructors share, each a `TypeError` (`InvalidArgumentError`) with a
 * stable code and a message saying what to pass instead. Values are never echoed (they may be secrets).
 */
import { InvalidArgumentError, readEnv } from "@id/core";

const CLIENT_ID = /^[^\s\u0000-\u001f\u007f]{1,256}$/;

/** A `TypeError` saying what `field` must be: `"field" must be <what>.` Code `invalid_argument` unless given. */
export function invalidArgument(field: string, what: string, code = "invalid_argument"): InvalidArgumentError {
  return new InvalidArgumentError(code, `"${field}" must be ${what}.`);
}

/** ` (got null)`, ` (got number)`, … for a value that is not a string; never the value itself. */
function got(value: unknown): string {
  return typeof value === "string" ? "" : ` (got ${value === null ? "null" : typeof value})`;
}

/**
 * A client (application) id: a non-empty string without spaces, at most 256 characters. Code
 * `invalid_client_id`; the message starts with `credentialName` when given.
 */
export function checkClientId(value: unknown, field = "clientId", credentialName?: string): string {
  if (typeof value === "string" && CLIENT_ID.test(value)) return value;
  throw new InvalidArgumentError(
    "invalid_client_id",
    `${credentialName ? `${credentialName}: ` : ""}"${field}" must be the application (client) id, a GUID${got(value)}.`,
  );
}

/** A secret string: non-empty and not only whitespace. The value never appears in the message. */
export function checkSecret(value: unknown, field: string, code: string, hint: string): string {
  if (typeof value === "string" && value.trim()) return value;
  throw new InvalidArgumentError(code, `"${field}" must be a non-empty string${got(value)}. ${hint}`);
}

/** An options argument: `undefined` or a plain object. Code `invalid_argument`. */
export function checkOptions<T extends object>(value: unknown, credentialName: string): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidArgumentError("invalid_argument", `${credentialName}: "options" must be an object.`);
  }
  return value as Partial<T>;
}

/**
 * `AZURE_IDENTITY_DISABLE_MULTITENANTAUTH`: set to anything but `0`, `false` or `no` (case-insensitive)
 * pins every request to the configured tenant. For constructors only.
 */
export function readDisableMultiTenantAuth(): boolean {
  return !/^\s*(0|false|no)?\s*$/i.test(readEnv("AZURE_IDENTITY_DISABLE_MULTITENANTAUTH") ?? "");
}

/** Whether a parsed JSON value is an object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
