/** Scope rules: what `getToken` accepts, the cache key of a scope list, and the resource of a scope. */
import { InvalidArgumentError } from "./errors.js";

// A scope: 1 to 1024 characters, never whitespace (Entra separates scopes with spaces) nor control characters.
const SCOPE = /^[^\s\u0000-\u001f\u007f]{1,1024}$/;
// What may be passed to a developer tool's process as an argument (the incumbents' rule).
const PROCESS_SCOPE = /^[0-9a-zA-Z\-_.:/]+$/;

function checkScope(scope: unknown, field: string): string {
  if (typeof scope === "string" && SCOPE.test(scope)) return scope;
  throw new InvalidArgumentError(
    "invalid_scope",
    `"${field}" must be a non-empty scope of at most 1024 characters without spaces, such as "https://management.azure.com/.default"${
      typeof scope === "string" ? "" : `; got ${scope === null ? "null" : typeof scope}`
    }.`,
  );
}

/**
 * Validates the scopes of a `getToken` call and returns them as an array (a new array; the caller's is
 * never kept). Throws a `TypeError` with code `invalid_scope` naming what is wrong.
 */
export function normalizeScopes(scopes: unknown): string[] {
  if (!Array.isArray(scopes)) return [checkScope(scopes, "scopes")];
  if (scopes.length === 0) throw new InvalidArgumentError("invalid_scope", `"scopes" must contain at least one scope.`);
  return scopes.map((scope, i) => checkScope(scope, `scopes[${i}]`));
}

/** The cache key of a validated scope list: order does not matter, duplicates do not count. */
export function scopeKey(scopes: readonly string[]): string {
  if (scopes.length === 1) return scopes[0] as string;
  return [...new Set(scopes)].sort().join(" ");
}

/**
 * Checks a scope that is about to be passed to a child process (az, azd, pwsh): only letters, digits
 * and `-_.:/`, so it can never be read as an option or break out of an argument.
 */
export function assertProcessScope(scope: string): string {
  if (!PROCESS_SCOPE.test(scope)) {
    throw new InvalidArgumentError(
      "invalid_scope",
      `Invalid scope "${scope.replace(/[^\x20-\x7e]/g, "?").slice(0, 100)}": only letters, digits and "-_.:/" may be passed to a developer tool.`,
    );
  }
  return scope;
}

/** The resource of a v1-style scope: the scope without its `/.default` suffix. */
export function scopeToResource(scope: string): string {
  return scope.endsWith("/.default") ? scope.slice(0, -"/.default".length) : scope;
}
