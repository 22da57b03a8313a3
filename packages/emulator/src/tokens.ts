/**
 * Claims of the tokens the emulator issues (access tokens for apps, users and managed identities; id tokens)
 * and the Entra v2.0 token response around them.
 */
import { randomBytes } from "node:crypto";
import type { Application, ManagedIdentity, User } from "./directory.js";
import { fail } from "./entra-error.js";
import type { KeyRing } from "./keys.js";

export interface TokenSettings {
  /** expires_in of issued tokens, seconds. */
  tokenLifetimeSeconds: number;
  /** refresh_in sent with token responses when set, seconds. */
  refreshInSeconds: number | undefined;
  /** Lifetime of CAE tokens (requests declaring the cp1 capability), seconds; default tokenLifetimeSeconds. */
  caeTokenLifetimeSeconds: number | undefined;
  /** refresh_in of CAE token responses, seconds; default refreshInSeconds. */
  caeRefreshInSeconds: number | undefined;
}

export const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

/** Parses the `claims` request parameter; returns whether the client declared the `cp1` capability. */
export function parseClaimsRequest(claims: string | undefined): { cp1: boolean } {
  if (claims === undefined || claims === "") return { cp1: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(claims);
  } catch {
    return fail("invalid_request", 9002313, "Invalid request. Request is malformed or invalid. The 'claims' parameter is not valid JSON.");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return fail("invalid_request", 9002313, "Invalid request. Request is malformed or invalid. The 'claims' parameter must be a JSON object.");
  }
  const values = (parsed as { access_token?: { xms_cc?: { values?: unknown } } }).access_token?.xms_cc?.values;
  const cp1 = Array.isArray(values) && values.some((v) => typeof v === "string" && v.toLowerCase() === "cp1");
  return { cp1 };
}

/** `aud` for a resource: the resource as requested, without a trailing "/.default" (protocols.md §2.1). */
export function audienceOf(resource: string): string {
  return resource;
}

// Random ids for every token come from one pooled buffer (one getrandom call per 256 tokens, not two per token).
let pool = Buffer.alloc(0);
let poolOffset = 0;

function uti(): string {
  if (poolOffset + 16 > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  const id = pool.toString("base64url", poolOffset, poolOffset + 16);
  poolOffset += 16;
  return id.slice(0, 22);
}

interface Times {
  iat: number;
  nbf: number;
  exp: number;
}

function times(lifetime: number): Times {
  const now = Math.floor(Date.now() / 1000);
  return { iat: now, nbf: now - 300, exp: now + lifetime };
}

export class TokenIssuer {
  constructor(
    private readonly key: KeyRing,
    private readonly settings: TokenSettings,
    private readonly issuerOf: (tenantId: string) => string,
  ) {}

  get lifetime(): number {
    return this.settings.tokenLifetimeSeconds;
  }

  get refreshIn(): number | undefined {
    return this.settings.refreshInSeconds;
  }

  /** Lifetime for a token; CAE tokens (cp1) may live longer. */
  lifetimeFor(cp1: boolean): number {
    return cp1 ? (this.settings.caeTokenLifetimeSeconds ?? this.lifetime) : this.lifetime;
  }

  /** App-only access token (client credentials). */
  appToken(app: Application, audience: string, options: { cp1: boolean; appidacr: "1" | "2" }): Promise<string> {
    const t = times(this.lifetimeFor(options.cp1));
    const payload: Record<string, unknown> = {
      aud: audienceOf(audience),
      iss: this.issuerOf(app.tenantId),
      ...t,
      aio: uti(),
      app_displayname: app.displayName,
      appid: app.clientId,
      appidacr: options.appidacr,
      azp: app.clientId,
      azpacr: options.appidacr,
      idp: this.issuerOf(app.tenantId),
      idtyp: "app",
      oid: app.objectId,
      rh: "0.emulator.",
      sub: app.objectId,
      tid: app.tenantId,
      uti: uti(),
      ver: "2.0",
    };
    if (options.cp1) payload.xms_cc = ["cp1"];
    return this.key.signJwt(payload);
  }

  /** Delegated access token for a user, issued to `clientId`. */
  userToken(
    user: User,
    clientId: string,
    audience: string,
    scopes: string[],
    options: { cp1: boolean; appidacr: "0" | "1" | "2" },
  ): Promise<string> {
    const t = times(this.lifetimeFor(options.cp1));
    const payload: Record<string, unknown> = {
      aud: audienceOf(audience),
      iss: this.issuerOf(user.tenantId),
      ...t,
      aio: uti(),
      amr: ["pwd"],
      appid: clientId,
      appidacr: options.appidacr,
      azp: clientId,
      azpacr: options.appidacr,
      idtyp: "user",
      name: user.displayName,
      oid: user.objectId,
      preferred_username: user.username,
      rh: "0.emulator.",
      scp: scopes.join(" "),
      sub: user.objectId,
      tid: user.tenantId,
      upn: user.username,
      uti: uti(),
      ver: "2.0",
    };
    if (options.cp1) payload.xms_cc = ["cp1"];
    return this.key.signJwt(payload);
  }

  /** Managed-identity access token (app-only, the identity as the client). */
  managedIdentityToken(identity: ManagedIdentity, tenantId: string, resource: string): Promise<string> {
    const t = times(this.lifetime);
    return this.key.signJwt({
      aud: audienceOf(resource),
      iss: this.issuerOf(tenantId),
      ...t,
      aio: uti(),
      appid: identity.clientId,
      appidacr: "2",
      azp: identity.clientId,
      azpacr: "2",
      idp: this.issuerOf(tenantId),
      idtyp: "app",
      oid: identity.objectId,
      rh: "0.emulator.",
      sub: identity.objectId,
      tid: tenantId,
      uti: uti(),
      ver: "2.0",
      xms_mirid: identity.resourceId,
    });
  }

  /** OpenID Connect id token (`aud` = the client). */
  idToken(user: User, clientId: string, nonce: string | undefined): Promise<string> {
    const t = times(this.lifetime);
    const payload: Record<string, unknown> = {
      aud: clientId,
      iss: this.issuerOf(user.tenantId),
      ...t,
      name: user.displayName,
      oid: user.objectId,
      preferred_username: user.username,
      rh: "0.emulator.",
      sub: user.objectId,
      tid: user.tenantId,
      uti: uti(),
      ver: "2.0",
    };
    if (nonce !== undefined) payload.nonce = nonce;
    return this.key.signJwt(payload);
  }

  /** A v2.0 token response body (protocols.md §1.3). */
  response(accessToken: string, extra: Record<string, unknown> = {}, cp1 = false): Record<string, unknown> {
    const lifetime = this.lifetimeFor(cp1);
    const body: Record<string, unknown> = {
      token_type: "Bearer",
      expires_in: lifetime,
      ext_expires_in: lifetime,
    };
    const refreshIn = cp1 ? (this.settings.caeRefreshInSeconds ?? this.refreshIn) : this.refreshIn;
    if (refreshIn !== undefined) body.refresh_in = refreshIn;
    body.access_token = accessToken;
    return { ...body, ...extra };
  }
}

export function clientInfo(user: User): string {
  return Buffer.from(JSON.stringify({ uid: user.objectId, utid: user.tenantId })).toString("base64url");
}

export function opaqueToken(prefix: string): string {
  return `${prefix}${randomBytes(48).toString("base64url")}`;
}
