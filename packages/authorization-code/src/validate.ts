/**
 * Argument checks of the constructor. Each throws a `TypeError` (`InvalidArgumentError`) with a stable
 * code and a message saying what to pass; values are never echoed (they may be secrets).
 * (The same checks are being added to @id/entra; switch to those once they land.)
 */
import { InvalidArgumentError, readEnv } from "@id/core";

const CLIENT_ID = /^[^\s\u0000-\u001f\u007f]+$/;

/** A client (application) id: a non-empty string without spaces or control characters, ≤ 256 characters. */
export function checkClientId(value: unknown, credentialName: string, field = "clientId"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 256 || !CLIENT_ID.test(value)) {
    throw new InvalidArgumentError(
      "invalid_client_id",
      `${credentialName}: "${field}" must be the application (client) id of the app registration, a GUID such as "00000000-0000-0000-0000-000000000000"${typeof value === "string" ? "" : ` (got ${value === null ? "null" : typeof value})`}.`,
    );
  }
  return value;
}

/** An options argument: `undefined` or a plain object. */
export function checkOptions<T extends object>(value: unknown, credentialName: string, field = "options"): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidArgumentError("invalid_argument", `${credentialName}: "${field}" must be an object.`);
  }
  return value as Partial<T>;
}

/**
 * `AZURE_IDENTITY_DISABLE_MULTITENANTAUTH`: set to anything but `0`, `false` or `no` (case-insensitive)
 * pins every request to the configured tenant. Read by constructors only.
 */
export function readDisableMultiTenantAuth(): boolean {
  const value = readEnv("AZURE_IDENTITY_DISABLE_MULTITENANTAUTH")?.trim().toLowerCase();
  return value !== undefined && value !== "0" && value !== "false" && value !== "no";
}
