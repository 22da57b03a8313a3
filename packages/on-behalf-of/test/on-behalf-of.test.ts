// OnBehalfOfCredential against the emulator over real loopback HTTP.
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuthenticationError, CredentialUnavailableError, getTokenCache, setLogLevel, setLogSink } from "@id/core";
import { createCertificate, startEmulator } from "@id/emulator";
import type { Emulator } from "@id/emulator";
import { SignJWT, createRemoteJWKSet, decodeProtectedHeader, importPKCS8, jwtVerify } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { OnBehalfOfCredential } from "../src/index.js";

const GRAPH = "https://graph.microsoft.com/User.Read";
const OTHER_TENANT = "7e1d0000-0000-4000-8000-00000000c002";

let emu: Emulator;
let dir: string;
/** A middle-tier API registered with a secret and a certificate. */
let api: { clientId: string; secret: string; certificatePem: string; keyPem: string; pemPath: string };
let userToken: string;
const logLines: string[] = [];

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "id-obo-"));
  const { certificatePem, privateKeyPem } = emu.defaults.certificateApp;
  const secret = "middle-tier-secret-value-42";
  const clientId = emu.registerApplication({ secrets: [secret], certificatePems: [certificatePem] }).clientId;
  const pemPath = join(dir, "api.pem");
  writeFileSync(pemPath, certificatePem + privateKeyPem);
  api = { clientId, secret, certificatePem, keyPem: privateKeyPem, pemPath };
  emu.registerTenant(OTHER_TENANT);
  emu.registerApplication({ tenantId: OTHER_TENANT, clientId, secrets: [secret] });
  userToken = await emu.userAssertion({ audience: clientId });
  setLogLevel("verbose");
  setLogSink((_, line) => logLines.push(line));
});
afterAll(async () => {
  setLogLevel(undefined);
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  getTokenCache().clear();
  emu.clearRequests();
  emu.clearFaults();
  emu.configure({ tokenLifetimeSeconds: 3599 });
});

const base = (extra: Record<string, unknown> = {}) => ({
  tenantId: emu.defaults.tenantId,
  clientId: api.clientId,
  userAssertionToken: userToken,
  authorityHost: emu.authorityHost,
  retryOptions: { retryDelayInMs: 10 },
  ...extra,
});
const withSecret = (extra: Record<string, unknown> = {}) => new OnBehalfOfCredential({ ...base(extra), clientSecret: api.secret } as never);
const tokenRequests = () => emu.requests().filter((r) => r.route === "token");
const payload = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1] as string, "base64url").toString()) as Record<string, unknown>;

describe("OnBehalfOfCredential — happy paths", () => {
  it("exchanges the user's token with a client secret", async () => {
    const token = await withSecret().getToken(GRAPH);
    const { payload: claims } = await jwtVerify(token.token, createRemoteJWKSet(new URL(emu.jwksUri())), { issuer: emu.issuer() });
    expect(claims).toMatchObject({ oid: emu.defaults.user.objectId, appid: api.clientId, scp: "User.Read", aud: "https://graph.microsoft.com" });
    const requests = tokenRequests();
    expect(requests).toHaveLength(1);
    expect(requests[0]?.form).toEqual({
      client_id: api.clientId,
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      requested_token_use: "on_behalf_of",
      assertion: userToken,
      scope: GRAPH,
      client_secret: api.secret,
    });
    expect(requests[0]?.url).not.toContain(userToken.slice(0, 20));
  });

  it("authenticates with a certificate file (via @id/certificate)", async () => {
    const credential = new OnBehalfOfCredential({ ...base(), certificatePath: api.pemPath, sendCertificateChain: true });
    const token = await credential.getToken(GRAPH);
    expect(payload(token.token)).toMatchObject({ appid: api.clientId, appidacr: "2" });
    const form = tokenRequests()[0]?.form ?? {};
    expect(form.client_secret).toBeUndefined();
    expect(form.client_assertion_type).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    expect(decodeProtectedHeader(form.client_assertion as string)).toMatchObject({ alg: "PS256", x5c: [expect.any(String)] });
  });

  it("authenticates with a getAssertion callback, called for every request", async () => {
    const key = await importPKCS8(api.keyPem, "RS256");
    const der = Buffer.from(api.certificatePem.replace(/-----[^-]+-----|\s/g, ""), "base64");
    let calls = 0;
    const getAssertion = async () => {
      calls += 1;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({})
        .setProtectedHeader({ alg: "RS256", typ: "JWT", x5t: createHash("sha1").update(der).digest("base64url") })
        .setIssuer(api.clientId)
        .setSubject(api.clientId)
        .setAudience(emu.tokenEndpoint())
        .setJti(crypto.randomUUID())
        .setNotBefore(now)
        .setExpirationTime(now + 600)
        .sign(key);
    };
    const credential = new OnBehalfOfCredential({ ...base(), getAssertion });
    await credential.getToken(GRAPH);
    await credential.getToken("https://vault.azure.net/user_impersonation");
    expect(calls).toBe(2);
    expect(tokenRequests()).toHaveLength(2);
  });
});

describe("OnBehalfOfCredential — cache partitioned by the user assertion", () => {
  it("reuses the token for the same assertion, also across credential instances", async () => {
    const a = await withSecret().getToken(GRAPH);
    const b = await withSecret().getToken([GRAPH]);
    expect(b).toBe(a);
    expect(tokenRequests()).toHaveLength(1);
  });

  it("never gives one user's token to another user's assertion", async () => {
    const other = emu.registerUser({ username: "bob@emulator.test", password: "bob-password-1" });
    const bobToken = await emu.userAssertion({ audience: api.clientId, username: "bob@emulator.test" });
    const alice = await withSecret().getToken(GRAPH);
    const bob = await new OnBehalfOfCredential({ ...base({ userAssertionToken: bobToken }), clientSecret: api.secret }).getToken(GRAPH);
    expect(tokenRequests()).toHaveLength(2);
    expect(payload(alice.token).oid).toBe(emu.defaults.user.objectId);
    expect(payload(bob.token).oid).toBe(other.objectId);
  });

  it("does not share tokens between credentials with different secrets", async () => {
    await withSecret().getToken(GRAPH);
    const wrong = new OnBehalfOfCredential({ ...base(), clientSecret: "not-the-secret" });
    await expect(wrong.getToken(GRAPH)).rejects.toMatchObject({ name: "AuthenticationError", statusCode: 401, errorCodes: [7000215] });
    expect(tokenRequests()).toHaveLength(2);
  });

  it("keeps CAE apart and requests again with claims", async () => {
    const credential = withSecret();
    await credential.getToken(GRAPH);
    const cae = await credential.getToken(GRAPH, { enableCae: true });
    expect(payload(cae.token)).toMatchObject({ xms_cc: ["cp1"] });
    await credential.getToken(GRAPH, { enableCae: true });
    expect(tokenRequests()).toHaveLength(2);
    const claims = JSON.stringify({ access_token: { acrs: { essential: true, value: "c1" } } });
    await credential.getToken(GRAPH, { claims });
    expect(tokenRequests()).toHaveLength(3);
    expect(JSON.parse(tokenRequests()[2]?.form?.claims as string)).toEqual(JSON.parse(claims));
  });
});

describe("OnBehalfOfCredential — tenants", () => {
  it("refuses a tenant that is not allowed, without a request", async () => {
    await expect(withSecret().getToken(GRAPH, { tenantId: OTHER_TENANT })).rejects.toBeInstanceOf(CredentialUnavailableError);
    expect(tokenRequests()).toHaveLength(0);
  });

  it("sends an allowed tenant's request to that tenant", async () => {
    await withSecret({ additionallyAllowedTenants: ["*"] }).getToken(GRAPH, { tenantId: OTHER_TENANT }).catch(() => undefined);
    expect(tokenRequests()[0]?.path).toBe(`/${OTHER_TENANT}/oauth2/v2.0/token`);
  });

  it("sends the resolved tenant, not the requested one, when multi-tenant auth is disabled (fixes @azure/identity's quirk)", async () => {
    vi.stubEnv("AZURE_IDENTITY_DISABLE_MULTITENANTAUTH", "1");
    await withSecret({ additionallyAllowedTenants: ["*"] }).getToken(GRAPH, { tenantId: OTHER_TENANT });
    expect(tokenRequests()[0]?.path).toBe(`/${emu.defaults.tenantId}/oauth2/v2.0/token`);
    const certificate = new OnBehalfOfCredential({ ...base({ additionallyAllowedTenants: ["*"] }), certificate: api.certificatePem + api.keyPem });
    await certificate.getToken(GRAPH, { tenantId: OTHER_TENANT });
    expect(tokenRequests()[1]?.path).toBe(`/${emu.defaults.tenantId}/oauth2/v2.0/token`);
  });
});

describe("OnBehalfOfCredential — Entra refuses", () => {
  it("a user assertion for another audience → AADSTS50013", async () => {
    const graphToken = await emu.userAssertion({ audience: "https://graph.microsoft.com" });
    const credential = new OnBehalfOfCredential({ ...base({ userAssertionToken: graphToken }), clientSecret: api.secret });
    const error = await credential.getToken(GRAPH).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 400, error: "invalid_grant", errorCodes: [50013] });
  });

  it("an expired user assertion → AADSTS500133", async () => {
    emu.configure({ tokenLifetimeSeconds: 1 });
    const shortLived = await emu.userAssertion({ audience: api.clientId });
    emu.configure({ tokenLifetimeSeconds: 3599 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const credential = new OnBehalfOfCredential({ ...base({ userAssertionToken: shortLived }), clientSecret: api.secret });
    await expect(credential.getToken(GRAPH)).rejects.toMatchObject({ name: "AuthenticationError", error: "invalid_grant", errorCodes: [500133] });
  });

  it("an unregistered certificate → AADSTS700027", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const other = createCertificate({ subject: "unregistered", publicKey, signingKey: privateKey });
    const credential = new OnBehalfOfCredential({ ...base(), certificate: other.pem + (privateKey.export({ type: "pkcs8", format: "pem" }) as string) });
    await expect(credential.getToken(GRAPH)).rejects.toMatchObject({ name: "AuthenticationError", statusCode: 401, errorCodes: [700027] });
  });

  it("a Conditional Access challenge → AuthenticationError interaction_required 50079, with the claims to forward in rawBody", async () => {
    const claims = JSON.stringify({ access_token: { capolids: { essential: true, values: ["policy-1"] } } });
    emu.fault({ route: "token", entraError: { error: "interaction_required", code: 50079, suberror: "basic_action", claims } });
    const error = await withSecret().getToken(GRAPH).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AuthenticationError", statusCode: 400, error: "interaction_required", errorCodes: [50079] });
    expect(JSON.parse((error as AuthenticationError).rawBody as string).claims).toBe(claims);
    // The caller retries with the claims: a fresh request carrying them.
    await withSecret().getToken(GRAPH, { claims });
    expect(JSON.parse(tokenRequests()[1]?.form?.claims as string)).toEqual(JSON.parse(claims));
  });

  it("retries 500 twice, then succeeds", async () => {
    emu.fault({ route: "token", status: 500, times: 2 });
    await withSecret().getToken(GRAPH);
    expect(tokenRequests().map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it("honours abortSignal", async () => {
    emu.fault({ route: "token", hang: true });
    const controller = new AbortController();
    const pending = withSecret().getToken(GRAPH, { abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("a getAssertion that throws → AuthenticationError client_assertion_failed, no request", async () => {
    const credential = new OnBehalfOfCredential({
      ...base(),
      getAssertion: () => {
        throw new Error("vault unavailable");
      },
    });
    await expect(credential.getToken(GRAPH)).rejects.toMatchObject({ name: "AuthenticationError", error: "client_assertion_failed" });
    expect(tokenRequests()).toHaveLength(0);
  });

  it("a getAssertion that returns a non-string → TypeError, no request", async () => {
    const credential = new OnBehalfOfCredential({ ...base(), getAssertion: () => 42 as never });
    await expect(credential.getToken(GRAPH)).rejects.toMatchObject({ name: "TypeError", code: "invalid_client_assertion" });
    expect(tokenRequests()).toHaveLength(0);
  });
});

describe("OnBehalfOfCredential — bad input", () => {
  const jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln";
  const good = { tenantId: "7e1d0000-0000-4000-8000-000000000001", clientId: "7e1d0000-0000-4000-8000-000000000301", userAssertionToken: jwt, clientSecret: "s" };

  it.each([
    ["no options", () => new OnBehalfOfCredential(undefined as never), "invalid_argument"],
    ["tenant ../x", () => new OnBehalfOfCredential({ ...good, tenantId: "../x" }), "invalid_tenant_id"],
    ["a missing client id", () => new OnBehalfOfCredential({ ...good, clientId: undefined as never }), "invalid_client_id"],
    ["no client authentication", () => new OnBehalfOfCredential({ ...good, clientSecret: undefined } as never), "invalid_argument"],
    ["a secret and a certificate", () => new OnBehalfOfCredential({ ...good, certificatePath: "x.pem" } as never), "invalid_argument"],
    ["an empty secret", () => new OnBehalfOfCredential({ ...good, clientSecret: "" }), "invalid_client_secret"],
    ["a user assertion that is not a JWT", () => new OnBehalfOfCredential({ ...good, userAssertionToken: "Bearer abc" }), "invalid_user_assertion"],
    ["getAssertion that is not a function", () => new OnBehalfOfCredential({ ...good, clientSecret: undefined, getAssertion: "x" } as never), "invalid_argument"],
    ["PEM text as certificatePath", () => new OnBehalfOfCredential({ ...good, clientSecret: undefined, certificatePath: createEcPem() } as never), "invalid_argument"],
    ["an EC certificate", () => new OnBehalfOfCredential({ ...good, clientSecret: undefined, certificate: createEcPem() } as never), "unsupported_key_type"],
    ["malformed certificate PEM", () => new OnBehalfOfCredential({ ...good, clientSecret: undefined, certificate: "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----" } as never), "invalid_certificate"],
  ])("%s → TypeError at construction", (_, build, code) => {
    expect(build).toThrow(expect.objectContaining({ name: "TypeError", code }));
  });

  it("empty scopes → TypeError", async () => {
    await expect(withSecret().getToken([])).rejects.toMatchObject({ name: "TypeError", code: "invalid_scope" });
  });

  it("a missing certificate file → CredentialUnavailableError", async () => {
    const credential = new OnBehalfOfCredential({ ...base(), certificatePath: join(dir, "missing.pem") });
    await expect(credential.getToken(GRAPH)).rejects.toBeInstanceOf(CredentialUnavailableError);
  });

  it("no user assertion, secret, client assertion or token in errors or logs", async () => {
    const token = await withSecret().getToken(GRAPH);
    const errors: unknown[] = [];
    errors.push(await new OnBehalfOfCredential({ ...base(), clientSecret: "wrong-secret-zz9" }).getToken(GRAPH).catch((e: unknown) => e));
    errors.push(
      await new OnBehalfOfCredential({
        ...base(),
        getAssertion: () => {
          throw new Error("no");
        },
      })
        .getToken(GRAPH)
        .catch((e: unknown) => e),
    );
    errors.push(await withSecret({ additionallyAllowedTenants: ["*"] }).getToken(GRAPH, { tenantId: OTHER_TENANT, claims: "{}" }).catch((e: unknown) => e));
    const haystack = [...errors.map((e) => `${String(e)} ${JSON.stringify(e)} ${String((e as Error | undefined)?.cause)}`), ...logLines].join("\n");
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of [userToken, userToken.split(".")[2] as string, api.secret, "wrong-secret-zz9", token.token]) expect(haystack).not.toContain(secret);
  });
});

function createEcPem(): string {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return `${emu.defaults.certificateApp.certificatePem}${privateKey.export({ type: "pkcs8", format: "pem" }) as string}`;
}
