/**
 * Authority hosts: which cloud a credential talks to and the token endpoint URL, built directly
 * (`{host}/{tenant}/oauth2/v2.0/token`, AD FS `{host}/adfs/oauth2/token`) so a token costs one request —
 * no instance or OIDC discovery round trip.
 *
 * Precedence: the `authorityHost` option → `AZURE_AUTHORITY_HOST` (read by the credential's constructor
 * and passed in as `envAuthorityHost`) → the public cloud.
 */
import { InvalidArgumentError, checkTenantId } from "@id/core";
import { invalidArgument } from "./validate.js";

/** The authority hosts of the Azure clouds (same names and values as `@azure/identity`). */
export const AzureAuthorityHosts = /* @__PURE__ */ Object.freeze({
  /** China (21Vianet). */
  AzureChina: "https://login.chinacloudapi.cn",
  /** Germany (closed in 2021; kept for compatibility). */
  AzureGermany: "https://login.microsoftonline.de",
  /** US Government. */
  AzureGovernment: "https://login.microsoftonline.us",
  /** The public cloud: the default. */
  AzurePublicCloud: "https://login.microsoftonline.com",
} as const);

/** The public cloud's authority host, used when nothing else is configured. */
export const DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com";

/** Hosts of the public cloud (aliases); a regional authority for them is `<region>.login.microsoft.com`. */
const PUBLIC_CLOUD_HOST = /^(login\.(microsoftonline\.com|windows\.net|microsoft\.com)|sts\.windows\.net)$/i;

/** Values of `AZURE_REGIONAL_AUTHORITY_NAME` that ask for the region to be detected. */
const AUTO_DISCOVER_REGION = /^(autodiscoverregion|try(to)?autodetect)$/i;

const REGION = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A resolved authority: where token requests go. Frozen. */
export interface Authority {
  /** The authority host as configured and normalised: scheme, host, optional path, no trailing slash. */
  readonly host: string;
  /** The host token requests actually go to (differs from `host` when a region is used). */
  readonly requestHost: string;
  /** The token endpoint of a tenant. `tenantId` must already be valid (see `checkTenantId`). */
  tokenEndpoint(tenantId: string): string;
}

export interface ResolveAuthorityOptions {
  /** The credential's `authorityHost` option. */
  authorityHost?: string | undefined;
  /** `AZURE_AUTHORITY_HOST`, read by the credential's constructor. */
  envAuthorityHost?: string | undefined;
  /**
   * A region for ESTS-R (`AZURE_REGIONAL_AUTHORITY_NAME`, client-credential flows only), such as `eastus`.
   * `AutoDiscoverRegion` uses `detectedRegion`, or the global authority when none is given.
   */
  regionalAuthority?: string | undefined;
  /** The region detected by the caller (`REGION_NAME`), used with `AutoDiscoverRegion`. No IMDS call is ever made. */
  detectedRegion?: string | undefined;
}

/** Whether `hostname` (as in `URL#hostname`) is a loopback address or `localhost`. */
export function isLoopbackHostname(hostname: string): boolean {
  return /^(\[::1\]|::1|(.+\.)?localhost|127(\.\d{1,3}){3})$/i.test(hostname);
}

/**
 * Normalises an authority host: adds `https://` when there is no scheme, removes trailing slashes, and
 * refuses anything but https — except plain http to a loopback host (the emulator) — and URLs with a
 * user name, password, query or fragment. Throws a `TypeError` with code `invalid_authority_host`.
 */
export function normalizeAuthorityHost(value: unknown, field = "authorityHost"): string {
  const text = typeof value === "string" ? value.trim() : "";
  let url: URL | undefined;
  try {
    url = new URL(text.includes("://") ? text : `https://${text}`);
  } catch {
    // reported below
  }
  // Credentials, a query or a fragment make the URL longer than its origin and path.
  if (!url || (url.protocol === "http:" ? !isLoopbackHostname(url.hostname) : url.protocol !== "https:") || url.href !== url.origin + url.pathname) {
    throw new InvalidArgumentError(
      "invalid_authority_host",
      `"${field}" must use https (http only to a loopback host) without credentials, query or fragment, such as "${DEFAULT_AUTHORITY_HOST}".`,
    );
  }
  return url.href.replace(/\/+$/, ""); // origin + path, as checked above
}

/** The token endpoint of `tenantId` under an authority host (already normalised). */
export function tokenEndpointUrl(authorityHost: string, tenantId: string): string {
  return tenantId.toLowerCase() === "adfs" ? `${authorityHost}/adfs/oauth2/token` : `${authorityHost}/${tenantId}/oauth2/v2.0/token`;
}

/**
 * The regional host of a normalised authority host: `https://<region>.login.microsoft.com` for the public
 * cloud, `https://<region>.<host>` for another cloud. Loopback hosts are never rewritten (the emulator keeps working).
 */
export function regionalAuthorityHost(authorityHost: string, region: string): string {
  const url = new URL(authorityHost);
  if (isLoopbackHostname(url.hostname)) return authorityHost;
  url.host = `${region}.${PUBLIC_CLOUD_HOST.test(url.hostname) ? "login.microsoft.com" : url.host}`; // lower-cased by URL
  return url.href.replace(/\/$/, ""); // a normalised host has a trailing slash only as its whole path
}

/**
 * Resolves the authority a credential uses: option → environment → public cloud, plus an optional region.
 * Throws a `TypeError` (code `invalid_authority_host` or `invalid_region`) for a bad value.
 */
export function resolveAuthority(options: ResolveAuthorityOptions = {}): Authority {
  const { authorityHost, envAuthorityHost } = options;
  const configured = authorityHost ?? envAuthorityHost;
  const host =
    configured === undefined
      ? DEFAULT_AUTHORITY_HOST
      : normalizeAuthorityHost(configured, authorityHost === undefined ? "AZURE_AUTHORITY_HOST" : undefined);
  let region = options.regionalAuthority?.trim();
  if (region && AUTO_DISCOVER_REGION.test(region)) region = options.detectedRegion?.trim();
  region &&= region.toLowerCase().replace(/\s+/g, "");
  if (region && !REGION.test(region)) {
    throw invalidArgument("AZURE_REGIONAL_AUTHORITY_NAME", `a region such as "eastus"`, "invalid_region");
  }
  const requestHost = region ? regionalAuthorityHost(host, region) : host;
  return Object.freeze({
    host,
    requestHost,
    tokenEndpoint: (tenantId: string) => tokenEndpointUrl(requestHost, checkTenantId(tenantId)),
  });
}
