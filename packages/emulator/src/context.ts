/**
 * What every route handler gets: the emulator's shared state (directory, keys, settings, one-time stores)
 * and the parsed incoming request.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Directory, User } from "./directory.js";
import type { KeyRing } from "./keys.js";
import type { TokenIssuer } from "./tokens.js";

export interface Settings {
  tokenLifetimeSeconds: number;
  refreshInSeconds: number | undefined;
  caeTokenLifetimeSeconds: number | undefined;
  caeRefreshInSeconds: number | undefined;
  /** Reject a client assertion whose `jti` was already used (MSAL reuses assertions, so off by default). */
  rejectReplayedAssertions: boolean;
  /** `interval` of device-code responses, seconds. */
  deviceCodeIntervalSeconds: number;
  /** Clock skew allowed when checking assertion `nbf`/`exp`, seconds. */
  clockSkewSeconds: number;
  /** When set, /authorize signs this user in without showing the form (a browser-less "interactive" flow). */
  autoSignIn: string | undefined;
}

export interface AuthorizationCode {
  code: string;
  tenantId: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  user: User;
  codeChallenge: string | undefined;
  codeChallengeMethod: string | undefined;
  nonce: string | undefined;
  expiresAt: number;
  used: boolean;
}

export interface RefreshTokenGrant {
  /** Set by revokeRefreshTokens(). */
  revoked?: boolean;
  tenantId: string;
  clientId: string;
  user: User;
  scopes: string[];
  expiresAt: number;
}

export interface DeviceCodeGrant {
  deviceCode: string;
  userCode: string;
  tenantId: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
  interval: number;
  lastPollAt: number;
  state: "pending" | "approved" | "declined" | "redeemed";
  user: User | undefined;
}

export interface Stores {
  codes: Map<string, AuthorizationCode>;
  refreshTokens: Map<string, RefreshTokenGrant>;
  deviceCodes: Map<string, DeviceCodeGrant>;
  /** user code → device code */
  userCodes: Map<string, string>;
  /** `${clientId}|${jti}` → expiry (ms) */
  jtis: Map<string, number>;
  /** Arc key-file contents handed out by the 401 challenge → expiry (ms) and the file written */
  arcKeys: Map<string, { expiresAt: number; file: string }>;
}

export interface EmulatorContext {
  directory: Directory;
  key: KeyRing;
  tokens: TokenIssuer;
  settings: Settings;
  stores: Stores;
  /** The emulator's base URL (no trailing slash). */
  readonly origin: string;
  issuer(tenantId: string): string;
  /** Issuers whose assertions the emulator verifies with its own signing key. */
  ownIssuers(): string[];
  /** Managed-identity secrets handed out through env(). */
  secrets: { identityHeader: string; serviceFabricSecret: string; azureMlSecret: string; pipelinesAccessToken: string };
  arcKeyDirectory: string;
}

export interface LogAnnotations {
  route: string;
  grantType?: string;
  clientId?: string;
}

export interface IncomingRequest {
  method: string;
  /** Path without query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The form body when the content type is application/x-www-form-urlencoded, else an empty record. */
  form: Record<string, string>;
  /** Whether the body was declared as a form. */
  isForm: boolean;
  /** `client-request-id` from query/body/header, echoed as correlation_id. */
  correlationId: string | undefined;
  /** Values the handler adds to the request log. */
  log: LogAnnotations;
  /** The base URL the request came in on. */
  origin: string;
}

export function header(req: IncomingRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  if (Array.isArray(value)) return value[0];
  return value;
}

/** Most entries a one-time store keeps; the oldest go first (Maps iterate in insertion order). */
export const MAX_STORE_ENTRIES = 50_000;

/** Adds an entry, first dropping expired entries and then the oldest ones when the store is full. */
export function remember<V extends { expiresAt: number }>(store: Map<string, V>, key: string, value: V): void {
  if (store.size >= MAX_STORE_ENTRIES) {
    const now = Date.now();
    for (const [k, v] of store) if (v.expiresAt <= now) store.delete(k);
    for (const k of store.keys()) {
      if (store.size < MAX_STORE_ENTRIES * 0.9) break;
      store.delete(k);
    }
  }
  store.set(key, value);
}
