// ClientCertificateCredential against the emulator over real loopback HTTP.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuthenticationError, CredentialUnavailableError, getTokenCache, setLogLevel, setLogSink } from "@id/core";
import { createEntraClient, resolveAuthority } from "@id/entra";
import { startEmulator } from "@id/emulator";
import type { Emulator } from "@id/emulator";
import { compactVerify, createRemoteJWKSet, decodeProtectedHeader, importX509, jwtVerify } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { CertificateCredential, ClientCertificateCredential, createCertificateAuthenticator } from "../src/index.js";

const fixtures = join(import.meta.dirname, "fixtures");
const fixture = (name: string): string => join(fixtures, name);
const text = (name: string): string => readFileSync(fixture(name), "utf8");
const PASSWORD = text("password.txt");
const SCOPE = "https://vault.azure.net/.default";

let emu: Emulator;
let dir: string;
let combinedPem: string;
/** An app with the fixture certificate registered (for the file, PFX and chain tests). */
let fixtureApp: string;
const logLines: string[] = [];

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), "id-cert-"));
  combinedPem = emu.defaults.certificateApp.certificatePem + emu.defaults.certificateApp.privateKeyPem;
  fixtureApp = emu.registerApplication({ certificatePems: [text("rsa-cert.pem"), text("leaf-cert.pem")] }).clientId;
  setLogLevel("verbose");
  setLogSink((_, line) => logLines.push(line));
});
afterAll(async () => {
  setLogLevel(undefined);
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.useRealTimers();
  getTokenCache().clear();
  emu.clearRequests();
  emu.clearFaults();
});

const options = () => ({ authorityHost: emu.authorityHost, retryOptions: { retryDelayInMs: 10 } });
const tokenRequests = () => emu.requests().filter((r) => r.route === "token");
const assertionHeader = (index = 0) => decodeProtectedHeader(tokenRequests()[index]?.form?.client_assertion as string);

describe("ClientCertificateCredential — happy paths", () => {
  it("gets a verifiable app token with a PS256 assertion (x5t#S256) in one request", async () => {
    const { tenantId, certificateApp } = emu.defaults;
    const credential = new ClientCertificateCredential(tenantId, certificateApp.clientId, { certificate: combinedPem }, options());
    const token = await credential.getToken(SCOPE);
    const { payload } = await jwtVerify(token.token, createRemoteJWKSet(new URL(emu.jwksUri(tenantId))), { issuer: emu.issuer(tenantId) });
    expect(payload).toMatchObject({ appid: certificateApp.clientId, tid: tenantId, appidacr: "2" });
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000_000);

    const requests = tokenRequests();
    expect(requests).toHaveLength(1);
    const form = requests[0]?.form ?? {};
    expect(form).toMatchObject({ grant_type: "client_credentials", client_id: certificateApp.clientId, scope: SCOPE });
    expect(form.client_assertion_type).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    expect(form.client_secret).toBeUndefined();
    const header = assertionHeader();
    expect(header).toMatchObject({ alg: "PS256", typ: "JWT" });
    expect(Buffer.from(header["x5t#S256"] as string, "base64url").toString("hex").toUpperCase()).toBe(certificateApp.thumbprintSha256);
    expect(header.x5t).toBeUndefined();
    expect(header.x5c).toBeUndefined();
    // The assertion verifies with the certificate's public key and carries the claims Entra checks.
    const publicKey = await importX509(certificateApp.certificatePem, "PS256");
    const verified = await compactVerify(form.client_assertion as string, publicKey);
    const claims = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
    expect(claims).toMatchObject({ aud: emu.tokenEndpoint(tenantId), iss: certificateApp.clientId, sub: certificateApp.clientId });
    expect((claims.exp as number) - (claims.nbf as number)).toBe(600);
    expect(typeof claims.jti).toBe("string");
    // No secret material in the URL.
    expect(requests[0]?.url).not.toContain("client_assertion");
  });

  it("signs RS256 with x5t when asked, and sends x5c with sendCertificateChain", async () => {
    const { tenantId, certificateApp } = emu.defaults;
    await new ClientCertificateCredential(tenantId, certificateApp.clientId, { certificate: combinedPem }, { ...options(), signingAlgorithm: "RS256", sendCertificateChain: true }).getToken(SCOPE);
    const header = assertionHeader();
    expect(header.alg).toBe("RS256");
    expect(Buffer.from(header.x5t as string, "base64url").toString("hex").toUpperCase()).toBe(certificateApp.thumbprintSha1);
    expect(header["x5t#S256"]).toBeUndefined();
    expect(header.x5c).toHaveLength(1);
    const publicKey = await importX509(certificateApp.certificatePem, "RS256");
    await expect(compactVerify(tokenRequests()[0]?.form?.client_assertion as string, publicKey)).resolves.toBeDefined();
  });

  it.each([
    ["a PEM path (string)", () => fixture("rsa-pkcs8.pem")],
    ["{ certificatePath } of a PKCS#1 PEM", () => ({ certificatePath: fixture("rsa-pkcs1.pem") })],
    ["an encrypted PKCS#8 PEM", () => ({ certificatePath: fixture("rsa-encrypted.pem"), certificatePassword: PASSWORD })],
    ["a PFX file (AES)", () => ({ certificatePath: fixture("rsa-aes.pfx"), certificatePassword: PASSWORD })],
    ["a legacy PFX file (RC2/3DES)", () => ({ certificatePath: fixture("rsa-rc2.pfx"), certificatePassword: PASSWORD })],
    ["PFX bytes", () => ({ certificate: new Uint8Array(readFileSync(fixture("rsa-3des.pfx"))), certificatePassword: PASSWORD })],
  ])("authenticates with %s", async (_, input) => {
    const credential = new ClientCertificateCredential(emu.defaults.tenantId, fixtureApp, input() as never, options());
    const token = await credential.getToken(SCOPE);
    expect(token.token.split(".")).toHaveLength(3);
    expect(tokenRequests()).toHaveLength(1);
  });

  it("keeps its own copy of PFX bytes (the caller may wipe its buffer)", async () => {
    const bytes = new Uint8Array(readFileSync(fixture("rsa-aes.pfx")));
    const credential = new ClientCertificateCredential(emu.defaults.tenantId, fixtureApp, { certificate: bytes, certificatePassword: PASSWORD }, options());
    bytes.fill(0);
    await expect(credential.getToken(SCOPE)).resolves.toMatchObject({ tokenType: "Bearer" });
  });

  it("sends the chain leaf first with sendCertificateChain (x5c), accepted by Entra", async () => {
    const credential = new CertificateCredential(emu.defaults.tenantId, fixtureApp, { certificatePath: fixture("chain.pfx"), certificatePassword: PASSWORD }, { ...options(), sendCertificateChain: true });
    await credential.getToken(SCOPE);
    const x5c = assertionHeader().x5c as string[];
    expect(x5c).toHaveLength(2);
    expect(x5c[0]).toBe(text("leaf-cert.pem").replace(/-----[A-Z ]+-----|\s/g, ""));
  });
});

describe("ClientCertificateCredential — cache", () => {
  it("serves the second call, and a new credential with the same certificate, from the cache", async () => {
    const { tenantId, certificateApp } = emu.defaults;
    const first = new ClientCertificateCredential(tenantId, certificateApp.clientId, { certificate: combinedPem }, options());
    const a = await first.getToken(SCOPE);
    const b = await first.getToken([SCOPE]);
    const c = await new ClientCertificateCredential(tenantId, certificateApp.clientId, { certificate: combinedPem }, options()).getToken(SCOPE);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(tokenRequests()).toHaveLength(1);
  });

  it("reads and parses the certificate once: a removed file does not matter after the first token", async () => {
    const path = join(dir, "once.pfx");
    writeFileSync(path, readFileSync(fixture("rsa-aes.pfx")));
    const credential = new ClientCertificateCredential(emu.defaults.tenantId, fixtureApp, { certificatePath: path, certificatePassword: PASSWORD }, options());
    await credential.getToken(SCOPE);
    rmSync(path);
    await credential.getToken("https://storage.azure.com/.default");
    await credential.getToken(SCOPE, { enableCae: true });
    expect(tokenRequests()).toHaveLength(3);
  });

  it("makes one request for 200 concurrent calls on a fresh credential", async () => {
    const credential = new ClientCertificateCredential(emu.defaults.tenantId, fixtureApp, { certificatePath: fixture("rsa-aes.pfx"), certificatePassword: PASSWORD }, options());
    const tokens = await Promise.all(Array.from({ length: 200 }, () => credential.getToken(SCOPE)));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(tokenRequests()).toHaveLength(1);
  });

  it("does not share tokens between two certificates of one app", async () => {
    const { tenantId } = emu.defaults;
    await new ClientCertificateCredential(tenantId, fixtureApp, { certificatePath: fixture("rsa-pkcs8.pem") }, options()).getToken(SCOPE);
    await new ClientCertificateCredential(tenantId, fixtureApp, { certificatePath: fixture("chain.pem") }, options()).getToken(SCOPE);
    expect(tokenRequests()).toHaveLength(2);
  });

  it("keeps CAE tokens apart and always requests with claims", async () => {
    const { tenantId, certificateApp } = emu.defaults;
    const credential = new ClientCertificateCredential(tenantId, certificateApp.clientId, { certificate: combinedPem }, options());
    await credential.getToken(SCOPE);
    const cae = await credential.getToken(SCOPE, { enableCae: true });
    expect(tokenRequests()).toHaveLength(2);
    expect(JSON.parse(tokenRequests()[1]?.form?.claims as string)).toEqual({ access_token: { xms_cc: { values: ["cp1"] } } });
    expect(JSON.parse(Buffer.from(cae.token.split(".")[1] as string, "base64url").toString())).toMatchObject({ xms_cc: ["cp1"] });
    await credential.getToken(SCOPE, { enableCae: true });
    expect(tokenRequests()).toHaveLength(2);
    const claims = JSON.stringify({ access_token: { nbf: { essential: true, value: "1700000000" } } });
    await credential.getToken(SCOPE, { enableCae: true, claims });
    expect(tokenRequests()).toHaveLength(3);
    const sent = JSON.parse(tokenRequests()[2]?.form?.claims as string);
    expect(sent).toEqual({ access_token: { nbf: { essential: true, value: "1700000000" }, xms_cc: { values: ["cp1"] } } });
  });
});

describe("ClientCertificateCredential — refresh and transport", () => {
  it("past refresh_in, returns the cached token at once and refreshes once in the background", async () => {
    emu.configure({ refreshInSeconds: 1 });
    try {
      const { tenantId, certificateApp } = emu.defaults;
      const credential = new ClientCertificateCredential(tenantId, certificateApp.clientId, { certificate: combinedPem }, options());
      const first = await credential.getToken(SCOPE);
      expect(first.refreshAfterTimestamp).toBeLessThanOrEqual(Date.now() + 1000);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      // The refreshed token gets the usual refresh time: with refresh_in 1 it could be due at once (the cache
      // counts whole seconds) and start a refresh that outlives this test and is joined by the next one.
      emu.configure({ refreshInSeconds: null });
      const [a, b] = await Promise.all([credential.getToken(SCOPE), credential.getToken(SCOPE)]);
      expect(a).toBe(first); // served at once, still valid
      expect(b).toBe(first);
      await vi.waitFor(() => expect(tokenRequests()).toHaveLength(2));
      await vi.waitFor(async () => expect((await credential.getToken(SCOPE)).token).not.toBe(first.token));
      expect(tokenRequests()).toHaveLength(2);
    } finally {
      emu.configure({ refreshInSeconds: null });
    }
  });

  it("times out a hanging token endpoint per attempt → AuthenticationError timeout (status 0) after retries", async () => {
    emu.fault({ route: "token", hang: true, times: Infinity });
    const { tenantId, certificateApp } = emu.defaults;
    const credential = new ClientCertificateCredential(tenantId, certificateApp.clientId, { certificate: combinedPem }, { ...options(), timeoutInMs: 100, retryOptions: { maxRetries: 1, retryDelayInMs: 10 } });
    const error = await credential.getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AuthenticationError", statusCode: 0, error: "timeout" });
    expect(tokenRequests()).toHaveLength(2);
  });
});

describe("ClientCertificateCredential — multi-tenant", () => {
  const other = "7e1d0000-0000-4000-8000-00000000a002";
  beforeAll(() => {
    emu.registerTenant(other);
    emu.registerApplication({ tenantId: other, clientId: emu.defaults.certificateApp.clientId, certificatePems: [emu.defaults.certificateApp.certificatePem] });
  });

  it("refuses a tenant that is not allowed, without a request", async () => {
    const { tenantId, certificateApp } = emu.defaults;
    const credential = new ClientCertificateCredential(tenantId, certificateApp.clientId, { certificate: combinedPem }, options());
    await expect(credential.getToken(SCOPE, { tenantId: other })).rejects.toBeInstanceOf(CredentialUnavailableError);
    expect(tokenRequests()).toHaveLength(0);
  });

  it("uses an allowed tenant, with the assertion's audience on that tenant's endpoint", async () => {
    const { tenantId, certificateApp } = emu.defaults;
    const credential = new ClientCertificateCredential(tenantId, certificateApp.clientId, { certificate: combinedPem }, { ...options(), additionallyAllowedTenants: [other] });
    const token = await credential.getToken(SCOPE, { tenantId: other });
    expect(JSON.parse(Buffer.from(token.token.split(".")[1] as string, "base64url").toString())).toMatchObject({ tid: other });
    expect(tokenRequests()[0]?.path).toBe(`/${other}/oauth2/v2.0/token`);
  });

  it("pins the configured tenant when AZURE_IDENTITY_DISABLE_MULTITENANTAUTH is set", async () => {
    vi.stubEnv("AZURE_IDENTITY_DISABLE_MULTITENANTAUTH", "true");
    const { tenantId, certificateApp } = emu.defaults;
    const credential = new ClientCertificateCredential(tenantId, certificateApp.clientId, { certificate: combinedPem }, options());
    await credential.getToken(SCOPE, { tenantId: other });
    expect(tokenRequests()[0]?.path).toBe(`/${tenantId}/oauth2/v2.0/token`);
  });
});

describe("ClientCertificateCredential — Entra refuses", () => {
  it("an unregistered certificate → AuthenticationError AADSTS700027 (401)", async () => {
    const credential = new ClientCertificateCredential(emu.defaults.tenantId, emu.defaults.certificateApp.clientId, { certificatePath: fixture("other.pem") }, options());
    const error = await credential.getToken(SCOPE).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 401, error: "invalid_client", errorCodes: [700027] });
    expect(tokenRequests()).toHaveLength(1); // a 401 is never retried
  });

  it("an expired assertion (signed with a clock an hour behind) → AADSTS700024", async () => {
    // The emulator shares this process's clock, so the assertion is signed under a faked clock and sent under the real one.
    const { tenantId, certificateApp } = emu.defaults;
    const authenticator = createCertificateAuthenticator({ certificate: combinedPem }, { clientId: certificateApp.clientId, credentialName: "Test" });
    await authenticator.credentialHash(); // parse under the real clock
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() - 3600_000 });
    const auth = await authenticator.authenticate({ tokenEndpoint: emu.tokenEndpoint(tenantId) });
    vi.useRealTimers();
    const client = createEntraClient({ authority: resolveAuthority({ authorityHost: emu.authorityHost }) });
    const error = await client.requestToken(tenantId, { client_id: certificateApp.clientId, scope: SCOPE, grant_type: "client_credentials", ...auth }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AuthenticationError", statusCode: 401, error: "invalid_client", errorCodes: [700024] });
  });

  it("an assertion for another tenant's endpoint (wrong audience) → AADSTS70002/50012", async () => {
    const { tenantId, certificateApp } = emu.defaults;
    const authenticator = createCertificateAuthenticator({ certificate: combinedPem }, { clientId: certificateApp.clientId, credentialName: "Test" });
    const client = createEntraClient({ authority: resolveAuthority({ authorityHost: emu.authorityHost }) });
    const auth = await authenticator.authenticate({ tokenEndpoint: emu.tokenEndpoint("7e1d0000-0000-4000-8000-00000000ffff") });
    const error = await client.requestToken(tenantId, { client_id: certificateApp.clientId, scope: SCOPE, grant_type: "client_credentials", ...auth }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AuthenticationError", statusCode: 401, errorCodes: [70002, 50012] });
  });

  it("retries a 500 twice then succeeds; a 429 with Retry-After then success", async () => {
    const { tenantId, certificateApp } = emu.defaults;
    emu.fault({ route: "token", status: 500, times: 2 });
    const credential = new ClientCertificateCredential(tenantId, certificateApp.clientId, { certificate: combinedPem }, options());
    await credential.getToken(SCOPE);
    expect(tokenRequests().map((r) => r.status)).toEqual([500, 500, 200]);
    getTokenCache().clear();
    emu.clearRequests();
    emu.fault({ route: "token", status: 429, retryAfter: "0", times: 1 });
    await credential.getToken(SCOPE);
    expect(tokenRequests().map((r) => r.status)).toEqual([429, 200]);
  });

  it("honours abortSignal", async () => {
    emu.fault({ route: "token", hang: true });
    const credential = new ClientCertificateCredential(emu.defaults.tenantId, emu.defaults.certificateApp.clientId, { certificate: combinedPem }, options());
    const controller = new AbortController();
    const pending = credential.getToken(SCOPE, { abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("ClientCertificateCredential — bad input", () => {
  const { tenantId, clientId } = { tenantId: "7e1d0000-0000-4000-8000-000000000001", clientId: "7e1d0000-0000-4000-8000-000000000099" };

  it.each([
    ["tenant ../x", () => new ClientCertificateCredential("../x", clientId, { certificate: combinedPem }), "invalid_tenant_id"],
    ["an empty client id", () => new ClientCertificateCredential(tenantId, "", { certificate: combinedPem }), "invalid_client_id"],
    ["no certificate", () => new ClientCertificateCredential(tenantId, clientId, undefined as never), "invalid_argument"],
    ["an empty path", () => new ClientCertificateCredential(tenantId, clientId, ""), "invalid_argument"],
    ["PEM text passed as a path", () => new ClientCertificateCredential(tenantId, clientId, combinedPem), "invalid_argument"],
    ["PEM text passed as certificatePath", () => new ClientCertificateCredential(tenantId, clientId, { certificatePath: combinedPem }), "invalid_argument"],
    ["both path and certificate", () => new ClientCertificateCredential(tenantId, clientId, { certificatePath: "a.pem", certificate: combinedPem } as never), "invalid_argument"],
    ["malformed PEM", () => new ClientCertificateCredential(tenantId, clientId, { certificate: combinedPem.replace(/^MII/m, "M!I") }), "invalid_certificate"],
    ["PEM without a key", () => new ClientCertificateCredential(tenantId, clientId, { certificate: emu.defaults.certificateApp.certificatePem }), "invalid_certificate"],
    ["an EC key", () => new ClientCertificateCredential(tenantId, clientId, { certificate: text("ec.pem") }), "unsupported_key_type"],
    ["a bad signingAlgorithm", () => new ClientCertificateCredential(tenantId, clientId, { certificate: combinedPem }, { signingAlgorithm: "ES256" as never }), "invalid_argument"],
    ["bad additionallyAllowedTenants", () => new ClientCertificateCredential(tenantId, clientId, { certificate: combinedPem }, { additionallyAllowedTenants: ["../y"] }), "invalid_tenant_id"],
    ["an http authority host", () => new ClientCertificateCredential(tenantId, clientId, { certificate: combinedPem }, { authorityHost: "http://login.example.com" }), "invalid_authority_host"],
  ])("%s → TypeError at construction", (_, build, code) => {
    expect(build).toThrow(expect.objectContaining({ name: "TypeError", code }));
  });

  it("empty scopes → TypeError before the certificate is read", async () => {
    const credential = new ClientCertificateCredential(tenantId, clientId, fixture("missing.pem"));
    await expect(credential.getToken([])).rejects.toMatchObject({ name: "TypeError", code: "invalid_scope" });
    await expect(credential.getToken(SCOPE)).rejects.toBeInstanceOf(CredentialUnavailableError);
  });

  it("a wrong PFX password → TypeError at the first getToken, and a retry re-reads the file", async () => {
    const path = join(dir, "rotating.pfx");
    writeFileSync(path, readFileSync(fixture("rsa-aes.pfx")));
    const credential = new ClientCertificateCredential(emu.defaults.tenantId, fixtureApp, { certificatePath: path, certificatePassword: "wrong" }, options());
    await expect(credential.getToken(SCOPE)).rejects.toMatchObject({ name: "TypeError", code: "invalid_certificate_password" });
    await expect(credential.getToken(SCOPE)).rejects.toMatchObject({ code: "invalid_certificate_password" });
    expect(tokenRequests()).toHaveLength(0);
  });

  it("an EC key in a file → TypeError saying RSA is required, no request", async () => {
    const credential = new ClientCertificateCredential(emu.defaults.tenantId, fixtureApp, fixture("ec.pem"), options());
    await expect(credential.getToken(SCOPE)).rejects.toMatchObject({ name: "TypeError", code: "unsupported_key_type", message: expect.stringContaining("RSA key is required") });
    expect(tokenRequests()).toHaveLength(0);
  });

  it("no key material, password or token in any error message or log line", async () => {
    const { certificateApp } = emu.defaults;
    const errors: unknown[] = [];
    const capture = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => errors.push(error));
    const good = new ClientCertificateCredential(emu.defaults.tenantId, certificateApp.clientId, { certificate: combinedPem }, options());
    const token = await good.getToken(SCOPE);
    await capture(new ClientCertificateCredential(emu.defaults.tenantId, fixtureApp, { certificatePath: fixture("rsa-aes.pfx"), certificatePassword: "hunter2-wrong" }, options()).getToken(SCOPE));
    await capture(new ClientCertificateCredential(emu.defaults.tenantId, certificateApp.clientId, fixture("other.pem"), options()).getToken(SCOPE));
    await capture(new ClientCertificateCredential(emu.defaults.tenantId, fixtureApp, { certificate: text("rsa-encrypted.pem"), certificatePassword: "hunter2-wrong" }, options()).getToken(SCOPE));
    expect(errors).toHaveLength(3);
    const assertions = emu.requests().map((r) => r.form?.client_assertion).filter((a): a is string => typeof a === "string");
    expect(assertions.length).toBeGreaterThan(0);
    const haystack = [...errors.map((e) => `${String(e)} ${JSON.stringify(e)} ${String((e as Error).cause ?? "")}`), ...logLines].join("\n");
    expect(logLines.length).toBeGreaterThan(0);
    const keyLines = certificateApp.privateKeyPem.split("\n").filter((line) => line.length > 40);
    for (const line of keyLines) expect(haystack).not.toContain(line);
    for (const line of text("rsa-key.pkcs8.pem").split("\n").filter((l) => l.length > 40)) expect(haystack).not.toContain(line);
    expect(haystack).not.toContain("hunter2-wrong");
    expect(haystack).not.toContain(PASSWORD);
    expect(haystack).not.toContain(token.token);
    for (const assertion of assertions) expect(haystack).not.toContain(assertion.split(".")[2] as string);
  });
});
