/**
 * Tenant rules, as pure functions. The environment (`AZURE_IDENTITY_DISABLE_MULTITENANTAUTH`) is read by
 * the credential's constructor and passed in here as a boolean.
 */
import { CredentialUnavailableError, InvalidArgumentError } from "./errors.js";

// Letters, digits, "-" and "."; 1 to 256 characters; never "." alone nor "..".
const TENANT = /^(?!\.$)(?!.*\.\.)[0-9a-zA-Z.-]{1,256}$/;
/** The Azure CLI's client id, and the developer sign-on client: their default tenant is "organizations". */
export const DEVELOPER_SIGN_ON_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/** Whether a string is a syntactically valid tenant id (a GUID, a domain, or a name such as `organizations`). */
export function isValidTenantId(tenantId: unknown): tenantId is string {
  return typeof tenantId === "string" && TENANT.test(tenantId);
}

/**
 * Validates a tenant id before it reaches a URL or a process: only letters, digits, `-` and `.`, no `..`.
 * Throws a `TypeError` with code `invalid_tenant_id`.
 */
export function checkTenantId(tenantId: unknown, field = "tenantId"): string {
  if (isValidTenantId(tenantId)) return tenantId;
  throw new InvalidArgumentError(
    "invalid_tenant_id",
    `Invalid "${field}"${typeof tenantId === "string" ? "" : ` (got ${tenantId === null ? "null" : typeof tenantId})`}: use the directory (tenant) id or a verified domain (letters, digits, "-" and "." only).`,
  );
}

/** The tenant to use when none is configured: `organizations` for the developer sign-on client, else `common`. */
export function defaultTenantId(clientId?: string): string {
  return clientId === undefined || clientId === DEVELOPER_SIGN_ON_CLIENT_ID ? "organizations" : "common";
}

/**
 * Validates `additionallyAllowedTenants` and normalises it: `["*"]` when it contains `*`.
 * Returns a copy; the caller's array is never kept.
 */
export function resolveAdditionallyAllowedTenants(tenants: unknown, field = "additionallyAllowedTenants"): readonly string[] {
  if (tenants === undefined) return [];
  if (!Array.isArray(tenants)) {
    throw new InvalidArgumentError("invalid_argument", `"${field}" must be an array of tenant ids, or ["*"] for any tenant.`);
  }
  return tenants.includes("*") ? ["*"] : tenants.map((tenant, i) => checkTenantId(tenant, `${field}[${i}]`));
}

export interface TenantRequest {
  /** The tenant the credential was configured with, if any. */
  configuredTenantId?: string | undefined;
  /** The tenant asked for in this `getToken` call, if any. */
  requestedTenantId?: string | undefined;
  /** The credential's `additionallyAllowedTenants`, as returned by `resolveAdditionallyAllowedTenants`. */
  additionallyAllowedTenants?: readonly string[];
  /** `AZURE_IDENTITY_DISABLE_MULTITENANTAUTH`: always use the configured tenant. */
  disableMultiTenantAuth?: boolean;
}

/**
 * The tenant a request goes to: the configured one when multi-tenant auth is disabled or the tenant is
 * `adfs`; else the requested one if it is the configured one, or allowed. A requested tenant that is not
 * allowed throws `CredentialUnavailableError` (as `@azure/identity` does: the chain may move on).
 * Returns `undefined` when neither is known (the credential then uses its default).
 */
export function resolveTenantId(request: TenantRequest): string | undefined {
  const { configuredTenantId: configured, requestedTenantId: requested } = request;
  if (requested !== undefined) checkTenantId(requested, "tenantId");
  if (configured === undefined) return requested;
  if (requested === undefined || requested === configured || request.disableMultiTenantAuth || configured === "adfs") return configured;
  const allowed = request.additionallyAllowedTenants ?? [];
  if (allowed.includes("*") || allowed.includes(requested)) return requested;
  throw new CredentialUnavailableError(
    `Tenant ${requested} is not allowed: add it, or "*" for any tenant, to the credential's additionallyAllowedTenants.`,
  );
}
