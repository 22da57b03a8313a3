/**
 * POST /{tenant}/oauth2/v2.0/token — every grant the v2.0 endpoint serves (protocols.md §1.5–§1.12):
 * client credentials, authorization code (+PKCE), refresh token (rotating), on-behalf-of, device code, password.
 */
import { createHash } from "node:crypto";
import { authenticateClient, type AuthenticatedClient } from "./client-auth.js";
import { remember, type EmulatorContext, type IncomingRequest } from "./context.js";
import type { Application, Tenant, User } from "./directory.js";
import { fail } from "./entra-error.js";
import { audiences, decodeJwt, numericClaim, verifySignature } from "./jwt.js";
import { jsonReply, type Reply } from "./reply.js";
import { appOnlyResource, delegatedScopes, splitScopes } from "./scopes.js";
import { clientInfo, opaqueToken, parseClaimsRequest } from "./tokens.js";

export const GRANT_JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
export const GRANT_DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code";
const REFRESH_TOKEN_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;

export function requireParam(form: Record<string, string>, name: string): string {
  const value = form[name];
  if (value === undefined || value === "") {
    return fail("invalid_request", 900144, `The request body must contain the following parameter: '${name}'.`);
  }
  return value;
}

export function tenantNotFound(segment: string): never {
  return fail(
    "invalid_tenant",
    90002,
    `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  );
}

export function resolveTenant(ctx: EmulatorContext, segment: string): Tenant {
  return ctx.directory.findTenant(segment) ?? tenantNotFound(segment);
}

/**
 * POST /{tenant}/oauth2/token — the v1 endpoint (what @azure/identity uses for AD FS): accepts `resource`
 * instead of `scope`, and answers with v1 field types (numbers as strings, plus expires_on, not_before, resource).
 */
export async function tokenEndpointV1(ctx: EmulatorContext, req: IncomingRequest, tenantSegment: string): Promise<Reply> {
  const form = { ...req.form }; // the request log keeps the form as sent
  const resource = form.resource;
  if (resource !== undefined && resource !== "" && (form.scope === undefined || form.scope === "")) {
    const user = form.grant_type !== "client_credentials";
    form.scope = user ? `${resource.replace(/\/+$/, "")}/user_impersonation` : `${resource.replace(/\/+$/, "")}/.default`;
  }
  const reply = await tokenEndpoint(ctx, { ...req, form }, tenantSegment);
  if (reply.status !== 200) return reply;
  const body = JSON.parse(reply.body) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  const expiresIn = Number(body.expires_in);
  const v1: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) v1[key] = typeof value === "number" ? String(value) : value;
  v1.expires_on = String(now + expiresIn);
  v1.not_before = String(now);
  v1.resource = resource ?? "";
  return jsonReply(200, v1);
}

export async function tokenEndpoint(ctx: EmulatorContext, req: IncomingRequest, tenantSegment: string): Promise<Reply> {
  if (req.method !== "POST") {
    fail("invalid_request", 900561, `The endpoint only accepts POST, OPTIONS requests. Received a ${req.method} request.`);
  }
  const tenant = resolveTenant(ctx, tenantSegment);
  const form = req.form;
  const grantType = requireParam(form, "grant_type");
  req.log.grantType = grantType;
  if (form.client_id !== undefined) req.log.clientId = form.client_id;
  switch (grantType) {
    case "client_credentials":
      return clientCredentials(ctx, req, tenant, tenantSegment);
    case "authorization_code":
      return authorizationCode(ctx, req, tenant, tenantSegment);
    case "refresh_token":
      return refreshToken(ctx, req, tenant, tenantSegment);
    case GRANT_JWT_BEARER:
      return onBehalfOf(ctx, req, tenant, tenantSegment);
    case GRANT_DEVICE_CODE:
    case "device_code": // what MSAL sends (msal-common GrantType.DEVICE_CODE_GRANT); Entra accepts both
      return deviceCode(ctx, req, tenant, tenantSegment);
    case "password":
      return password(ctx, req, tenant, tenantSegment);
    default:
      return fail("unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grantType}'.`);
  }
}

async function clientCredentials(ctx: EmulatorContext, req: IncomingRequest, tenant: Tenant, segment: string): Promise<Reply> {
  const client = await authenticateClient(ctx, req, tenant, segment, { confidentialOnly: true });
  const resource = appOnlyResource(req.form.scope);
  const { cp1 } = parseClaimsRequest(req.form.claims);
  const token = await ctx.tokens.appToken(client.app, resource, { cp1, appidacr: client.appidacr as "1" | "2" });
  return jsonReply(200, ctx.tokens.response(token, {}, cp1));
}

interface UserGrant {
  user: User;
  client: AuthenticatedClient;
  scope: string | undefined;
  nonce?: string | undefined;
}

/** Issues the user-flow response: access token, scope, refresh token (offline_access), id token (openid), client_info. */
async function userTokens(ctx: EmulatorContext, req: IncomingRequest, grant: UserGrant): Promise<Reply> {
  const scopes = delegatedScopes(grant.scope);
  const { cp1 } = parseClaimsRequest(req.form.claims);
  const { app } = grant.client;
  const [accessToken, idToken] = await Promise.all([
    ctx.tokens.userToken(grant.user, app.clientId, scopes.resource, scopes.names, { cp1, appidacr: grant.client.appidacr }),
    scopes.openid ? ctx.tokens.idToken(grant.user, app.clientId, grant.nonce) : Promise.resolve(undefined),
  ]);
  const extra: Record<string, unknown> = { scope: scopes.granted.join(" ") };
  if (scopes.offlineAccess) {
    const refresh = opaqueToken("1.AemuR.");
    remember(ctx.stores.refreshTokens, refresh, {
      tenantId: grant.user.tenantId,
      clientId: app.clientId,
      user: grant.user,
      scopes: scopes.granted,
      expiresAt: Date.now() + REFRESH_TOKEN_LIFETIME_MS,
    });
    extra.refresh_token = refresh;
  }
  if (idToken !== undefined) extra.id_token = idToken;
  if (req.form.client_info === "1") extra.client_info = clientInfo(grant.user);
  return jsonReply(200, ctx.tokens.response(accessToken, extra, cp1));
}

function sameClient(app: Application, clientId: string): boolean {
  return app.clientId === clientId.toLowerCase();
}

async function authorizationCode(ctx: EmulatorContext, req: IncomingRequest, tenant: Tenant, segment: string): Promise<Reply> {
  const code = requireParam(req.form, "code");
  const client = await authenticateClient(ctx, req, tenant, segment, { confidentialOnly: false });
  const entry = ctx.stores.codes.get(code);
  if (!entry) return fail("invalid_grant", 70000, "The provided value for the 'code' parameter is not valid.");
  if (entry.used) {
    return fail("invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.");
  }
  if (entry.expiresAt <= Date.now()) {
    return fail("invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.");
  }
  if (entry.tenantId !== tenant.id) {
    return fail("invalid_grant", 700005, "Provided Authorization Code is intended to use against other tenant, thus rejected.");
  }
  if (!sameClient(client.app, entry.clientId)) {
    return fail("invalid_grant", 70000, "The provided value for the 'code' parameter is not valid. The code was issued to a different client.");
  }
  const redirectUri = requireParam(req.form, "redirect_uri");
  if (redirectUri !== entry.redirectUri) {
    return fail("invalid_grant", 500112, `The reply address '${redirectUri}' does not match the reply address '${entry.redirectUri}' provided when requesting Authorization code.`);
  }
  if (entry.codeChallenge !== undefined) {
    const verifier = req.form.code_verifier;
    if (verifier === undefined || verifier === "") {
      return fail("invalid_request", 900144, "The request body must contain the following parameter: 'code_verifier'.");
    }
    const computed =
      entry.codeChallengeMethod === "S256" ? createHash("sha256").update(verifier, "ascii").digest("base64url") : verifier;
    if (computed !== entry.codeChallenge) {
      return fail("invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.");
    }
  }
  entry.used = true;
  return userTokens(ctx, req, {
    user: entry.user,
    client,
    scope: req.form.scope ?? entry.scopes.join(" "),
    nonce: entry.nonce,
  });
}

async function refreshToken(ctx: EmulatorContext, req: IncomingRequest, tenant: Tenant, segment: string): Promise<Reply> {
  const refresh = requireParam(req.form, "refresh_token");
  const client = await authenticateClient(ctx, req, tenant, segment, { confidentialOnly: false });
  const grant = ctx.stores.refreshTokens.get(refresh);
  if (!grant) return fail("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid. The refresh token is not valid.");
  if (grant.revoked) {
    return fail("invalid_grant", 50173, "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.", { suberror: "bad_token" });
  }
  if (grant.expiresAt <= Date.now()) {
    ctx.stores.refreshTokens.delete(refresh);
    return fail("invalid_grant", 700082, "The refresh token has expired due to inactivity. The token was issued on a date and was inactive for 90 days.");
  }
  if (grant.tenantId !== tenant.id) return fail("invalid_grant", 700005, "Provided refresh token is intended to use against other tenant, thus rejected.");
  if (!sameClient(client.app, grant.clientId)) {
    return fail("invalid_grant", 70000, "The provided value for the 'refresh_token' parameter is not valid. The token was issued to a different client.");
  }
  const scope = splitScopes(req.form.scope).length > 0 ? req.form.scope : grant.scopes.join(" ");
  const withOffline = splitScopes(scope).some((s) => s.toLowerCase() === "offline_access") ? scope : `${scope} offline_access`;
  return userTokens(ctx, req, { user: grant.user, client, scope: withOffline });
}

async function onBehalfOf(ctx: EmulatorContext, req: IncomingRequest, tenant: Tenant, segment: string): Promise<Reply> {
  const use = requireParam(req.form, "requested_token_use");
  if (use !== "on_behalf_of") {
    return fail("invalid_request", 9002313, "Invalid request. Request is malformed or invalid. requested_token_use must be 'on_behalf_of'.");
  }
  const assertion = requireParam(req.form, "assertion");
  const client = await authenticateClient(ctx, req, tenant, segment, { confidentialOnly: true });
  const jwt = decodeJwt(assertion);
  if (!jwt) return fail("invalid_grant", 50027, "JWT token is invalid or malformed.");
  const key = ctx.key.publicKeyFor(jwt.header.kid);
  if (jwt.header.alg !== "RS256" || key === undefined || !verifySignature(jwt, key, "RS256")) {
    return fail("invalid_grant", 50013, "Assertion failed signature validation. [Reason - The key was not found., The assertion was not issued by this tenant's token service.]");
  }
  const exp = numericClaim(jwt.payload, "exp");
  if (exp === undefined || exp * 1000 <= Date.now()) {
    return fail("invalid_grant", 500133, "Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token.");
  }
  const p = jwt.payload;
  if (p.idtyp === "app") {
    return fail("invalid_grant", 50013, "Assertion is an app-only token; on-behalf-of requires a delegated (user) access token.");
  }
  if (typeof p.scp !== "string") {
    return fail("invalid_grant", 240002, `Input id_token cannot be used as '${GRANT_JWT_BEARER}' grant.`);
  }
  const aud = audiences(p);
  const expected = [client.app.clientId, `api://${client.app.clientId}`];
  if (!aud.some((a) => expected.includes(a.toLowerCase()))) {
    return fail(
      "invalid_grant",
      50013,
      `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${aud.join(",")}' and the expected audience is '${client.app.clientId}' or one of the Application Id URIs of this application.`,
    );
  }
  const tid = typeof p.tid === "string" ? p.tid : tenant.id;
  const oid = typeof p.oid === "string" ? p.oid : "";
  const userTenant = ctx.directory.findTenant(tid) ?? tenant;
  const user = [...userTenant.users.values()].find((u) => u.objectId === oid);
  if (!user) return fail("invalid_grant", 50013, "Assertion failed validation. The user in the assertion does not exist in the tenant.");
  return userTokens(ctx, req, { user, client, scope: req.form.scope });
}

async function deviceCode(ctx: EmulatorContext, req: IncomingRequest, tenant: Tenant, segment: string): Promise<Reply> {
  const code = requireParam(req.form, "device_code");
  const client = await authenticateClient(ctx, req, tenant, segment, { confidentialOnly: false });
  const entry = ctx.stores.deviceCodes.get(code);
  if (!entry || !sameClient(client.app, entry.clientId) || entry.tenantId !== tenant.id) {
    return fail("bad_verification_code", 70000, "The provided value for the input parameter 'device_code' is not valid.");
  }
  const now = Date.now();
  if (entry.state === "redeemed" || entry.expiresAt <= now) {
    return fail("expired_token", 70019, "Verification code expired.");
  }
  if (entry.state === "declined") {
    return fail("authorization_declined", 70020, "The end user denied the authorization request.");
  }
  if (entry.state === "pending") {
    const tooSoon = now - entry.lastPollAt < entry.interval * 500;
    entry.lastPollAt = now;
    if (tooSoon) return fail("slow_down", 70016, "OAuth 2.0 device flow error. The client is polling too fast; wait 'interval' seconds between polls.");
    return fail("authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.");
  }
  entry.state = "redeemed";
  return userTokens(ctx, req, { user: entry.user as User, client, scope: req.form.scope ?? entry.scopes.join(" ") });
}

async function password(ctx: EmulatorContext, req: IncomingRequest, tenant: Tenant, segment: string): Promise<Reply> {
  const username = requireParam(req.form, "username");
  const pass = requireParam(req.form, "password");
  const client = await authenticateClient(ctx, req, tenant, segment, { confidentialOnly: false });
  const user = ctx.directory.findUser(tenant, username);
  if (!user || user.password !== pass) {
    return fail("invalid_grant", 50126, "Error validating credentials due to invalid username or password.");
  }
  return userTokens(ctx, req, { user, client, scope: req.form.scope });
}
