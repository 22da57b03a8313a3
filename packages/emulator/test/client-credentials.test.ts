import { generateKeyPairSync, randomUUID } from "node:crypto";
import { SignJWT, createRemoteJWKSet, importPKCS8, jwtVerify } from "jose";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificate, startEmulator, type Emulator } from "../src/index.js";
import { certificateAssertion, decodePayload, postForm } from "./helpers.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});

const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

function secretForm(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    client_id: emu.defaults.secretApp.clientId,
    client_secret: emu.defaults.secretApp.clientSecret,
    scope: "https://vault.azure.net/.default",
    grant_type: "client_credentials",
    ...overrides,
  };
}

async function assertionForm(assertion: string): Promise<Record<string, string>> {
  return {
    client_id: emu.defaults.certificateApp.clientId,
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: assertion,
    scope: "https://management.azure.com//.default",
    grant_type: "client_credentials",
  };
}

describe("client credentials with a secret", () => {
  it("issues a v2.0 token response like a ClientSecretCredential request", async () => {
    const { status, body, headers } = await postForm(`${emu.tokenEndpoint()}?client-request-id=${randomUUID()}`, {
      ...secretForm(),
      "x-client-SKU": "msal.js.node",
      "x-client-VER": "3.8.0",
      "client-request-id": randomUUID(),
    });
    expect(status).toBe(200);
    expect(headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599 });
    expect(body).not.toHaveProperty("refresh_in");
    expect(body).not.toHaveProperty("refresh_token");
    const claims = decodePayload(body.access_token as string);
    expect(claims).toMatchObject({
      aud: "https://vault.azure.net",
      iss: emu.issuer(),
      tid: emu.defaults.tenantId,
      appid: emu.defaults.secretApp.clientId,
      azp: emu.defaults.secretApp.clientId,
      appidacr: "1",
      idtyp: "app",
      ver: "2.0",
    });
    expect(claims.oid).toMatch(/^[0-9a-f-]{36}$/);
    expect((claims.exp as number) - (claims.iat as number)).toBe(3599);
    expect(claims).not.toHaveProperty("xms_cc");
  });

  it("gives CAE requests (cp1) their own lifetime and refresh_in when configured", async () => {
    emu.configure({ caeTokenLifetimeSeconds: 86399, caeRefreshInSeconds: 43200 });
    try {
      const claims = JSON.stringify({ access_token: { xms_cc: { values: ["cp1"] } } });
      const cae = await postForm(emu.tokenEndpoint(), secretForm({ claims }));
      expect(cae.body).toMatchObject({ expires_in: 86399, ext_expires_in: 86399, refresh_in: 43200 });
      const t = decodePayload(cae.body.access_token as string);
      expect((t.exp as number) - (t.iat as number)).toBe(86399);
      const plain = await postForm(emu.tokenEndpoint(), secretForm());
      expect(plain.body.expires_in).toBe(3599);
      expect(plain.body).not.toHaveProperty("refresh_in");
    } finally {
      emu.configure({ caeTokenLifetimeSeconds: null, caeRefreshInSeconds: null });
    }
  });

  it("issues already-expired tokens with tokenLifetimeSeconds 0 and echoes client-request-id", async () => {
    emu.configure({ tokenLifetimeSeconds: 0 });
    try {
      const id = randomUUID();
      const { body, headers } = await postForm(`${emu.tokenEndpoint()}?client-request-id=${id}`, secretForm());
      expect(body.expires_in).toBe(0);
      expect(headers.get("client-request-id")).toBe(id);
      expect(headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      emu.configure({ tokenLifetimeSeconds: 3599 });
    }
  });

  it("accepts the secret through HTTP Basic", async () => {
    const { client_secret: _secret, client_id: _id, ...form } = secretForm();
    const basic = Buffer.from(`${encodeURIComponent(emu.defaults.secretApp.clientId)}:${encodeURIComponent(emu.defaults.secretApp.clientSecret)}`).toString("base64");
    const { status, body } = await postForm(emu.tokenEndpoint(), form, { authorization: `Basic ${basic}` });
    expect(status).toBe(200);
    expect(decodePayload(body.access_token as string).appid).toBe(emu.defaults.secretApp.clientId);
  });

  it("accepts organizations and the tenant domain as the tenant segment", async () => {
    for (const seg of ["organizations", emu.defaults.tenantDomain]) {
      const { status, body } = await postForm(`${emu.url}/${seg}/oauth2/v2.0/token`, secretForm());
      expect(status).toBe(200);
      expect(decodePayload(body.access_token as string).tid).toBe(emu.defaults.tenantId);
    }
  });

  it("adds xms_cc when the claims request declares cp1, and refresh_in when configured", async () => {
    emu.configure({ refreshInSeconds: 1800, tokenLifetimeSeconds: 7200 });
    try {
      const claims = JSON.stringify({ access_token: { xms_cc: { values: ["CP1"] } } });
      const { status, body } = await postForm(emu.tokenEndpoint(), secretForm({ claims }));
      expect(status).toBe(200);
      expect(body).toMatchObject({ expires_in: 7200, ext_expires_in: 7200, refresh_in: 1800 });
      expect(decodePayload(body.access_token as string).xms_cc).toEqual(["cp1"]);
    } finally {
      emu.configure({ refreshInSeconds: null, tokenLifetimeSeconds: 3599 });
    }
  });

  it.each([
    ["unknown tenant", { path: "/00000000-0000-0000-0000-00000000dead/oauth2/v2.0/token" }, 400, "invalid_tenant", 90002],
    ["unknown client", { form: { client_id: randomUUID() } }, 400, "unauthorized_client", 700016],
    ["bad secret", { form: { client_secret: "wrong" } }, 401, "invalid_client", 7000215],
    ["no credential", { drop: "client_secret" }, 401, "invalid_client", 7000218],
    ["public client", { form: { client_id: "7e1d0000-0000-4000-8000-000000000103" }, drop: "client_secret" }, 401, "invalid_client", 7000218],
    ["missing scope", { drop: "scope" }, 400, "invalid_request", 900144],
    ["missing grant_type", { drop: "grant_type" }, 400, "invalid_request", 900144],
    ["missing client_id", { drop: "client_id" }, 400, "invalid_request", 900144],
    ["scope without /.default", { form: { scope: "https://graph.microsoft.com/User.Read" } }, 400, "invalid_scope", 1002012],
    ["invalid scope", { form: { scope: "not a scope" } }, 400, "invalid_scope", 70011],
    ["two resources", { form: { scope: "https://a.example/.default https://b.example/.default" } }, 400, "invalid_scope", 700022],
    ["unsupported grant", { form: { grant_type: "magic" } }, 400, "unsupported_grant_type", 70003],
  ] as const)("rejects: %s", async (_name, change, status, error, code) => {
    const form = secretForm("form" in change ? (change.form as Record<string, string>) : {});
    if ("drop" in change) delete form[change.drop as string];
    const correlationId = randomUUID();
    const url = `${"path" in change ? `${emu.url}${change.path as string}` : emu.tokenEndpoint()}?client-request-id=${correlationId}`;
    const res = await postForm(url, form);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
    expect(res.body.error_codes).toEqual([code]);
    expect(String(res.body.error_description)).toMatch(new RegExp(`^AADSTS${code}: `));
    expect(String(res.body.error_description)).toContain(`\r\nCorrelation ID: ${correlationId}\r\n`);
    expect(res.body.correlation_id).toBe(correlationId);
    expect(JSON.stringify(res.body)).not.toContain(emu.defaults.secretApp.clientSecret);
  });
});

describe("client credentials with a certificate assertion", () => {
  it("accepts PS256 + x5t#S256 (what MSAL-node sends)", async () => {
    const res = await postForm(emu.tokenEndpoint(), await assertionForm(await certificateAssertion(emu, { alg: "PS256" })));
    expect(res.status).toBe(200);
    const claims = decodePayload(res.body.access_token as string);
    expect(claims).toMatchObject({ aud: "https://management.azure.com/", appid: emu.defaults.certificateApp.clientId, appidacr: "2" });
  });

  it("accepts RS256 + x5t, and RS256 with x5c", async () => {
    const rs = await postForm(emu.tokenEndpoint(), await assertionForm(await certificateAssertion(emu, { alg: "RS256" })));
    expect(rs.status).toBe(200);
    const der = emu.defaults.certificateApp.certificatePem.replace(/-----[^-]+-----|\s/g, "");
    const withChain = await postForm(emu.tokenEndpoint(), await assertionForm(await certificateAssertion(emu, { alg: "RS256", x5c: [der] })));
    expect(withChain.status).toBe(200);
  });

  it("accepts the audience with the v1 token path and the tenant alias used in the URL", async () => {
    const aud = `${emu.url}/organizations/oauth2/token`;
    const res = await postForm(`${emu.url}/organizations/oauth2/v2.0/token`, await assertionForm(await certificateAssertion(emu, { aud })));
    expect(res.status).toBe(200);
  });

  it("rejects a certificate that is not registered (700027, key not found)", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const cert = createCertificate({ subject: "stranger", publicKey: other.publicKey, signingKey: other.privateKey });
    const assertion = await certificateAssertion(emu, {
      certificatePem: cert.pem,
      privateKeyPem: other.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    });
    const res = await postForm(emu.tokenEndpoint(), await assertionForm(assertion));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: "invalid_client", error_codes: [700027] });
    expect(String(res.body.error_description)).toContain(cert.thumbprintSha256);
  });

  it("rejects a signature made with another key (700027)", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const assertion = await certificateAssertion(emu, { privateKeyPem: other.privateKey.export({ type: "pkcs8", format: "pem" }) as string });
    const res = await postForm(emu.tokenEndpoint(), await assertionForm(assertion));
    expect(res.status).toBe(401);
    expect(res.body.error_codes).toEqual([700027]);
  });

  it("rejects expired and not-yet-valid assertions (700024)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await postForm(emu.tokenEndpoint(), await assertionForm(await certificateAssertion(emu, { nbf: now - 3600, exp: now - 1200 })));
    expect(expired.status).toBe(401);
    expect(expired.body.error_codes).toEqual([700024]);
    const future = await postForm(emu.tokenEndpoint(), await assertionForm(await certificateAssertion(emu, { nbf: now + 3600, exp: now + 4000 })));
    expect(future.body.error_codes).toEqual([700024]);
  });

  it("rejects a wrong audience (70002/50012) and iss ≠ sub (50048)", async () => {
    const wrongAud = await postForm(emu.tokenEndpoint(), await assertionForm(await certificateAssertion(emu, { aud: "https://login.microsoftonline.com/x/oauth2/v2.0/token" })));
    expect(wrongAud.status).toBe(401);
    expect(wrongAud.body.error_codes).toEqual([70002, 50012]);
    const subMismatch = await postForm(emu.tokenEndpoint(), await assertionForm(await certificateAssertion(emu, { sub: randomUUID() })));
    expect(subMismatch.body.error_codes).toEqual([50048]);
  });

  it("rejects a replayed jti when replay checks are on", async () => {
    emu.configure({ rejectReplayedAssertions: true });
    try {
      const assertion = await certificateAssertion(emu);
      expect((await postForm(emu.tokenEndpoint(), await assertionForm(assertion))).status).toBe(200);
      const replay = await postForm(emu.tokenEndpoint(), await assertionForm(assertion));
      expect(replay.status).toBe(401);
      expect(replay.body.error_codes).toEqual([700027]);
    } finally {
      emu.configure({ rejectReplayedAssertions: false });
    }
  });

  it("rejects garbage and unsupported algorithms", async () => {
    const garbage = await postForm(emu.tokenEndpoint(), await assertionForm("not.a.jwt"));
    expect(garbage.status).toBe(400);
    expect(garbage.body.error_codes).toEqual([50027]);
    const hs = await new SignJWT({ iss: emu.defaults.certificateApp.clientId, sub: emu.defaults.certificateApp.clientId, aud: emu.tokenEndpoint(), exp: Math.floor(Date.now() / 1000) + 60 })
      .setProtectedHeader({ alg: "HS256", x5t: "abc" })
      .sign(new TextEncoder().encode("0123456789abcdef0123456789abcdef"));
    const hsRes = await postForm(emu.tokenEndpoint(), await assertionForm(hs));
    expect(hsRes.status).toBe(401);
    expect(hsRes.body.error_codes).toEqual([5002738]);
  });
});

describe("subject name + issuer (SNI) certificates", () => {
  it("accepts an unregistered certificate whose x5c chain leads to a trusted issuer with the configured subject", async () => {
    const caKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const leafKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const ca = createCertificate({ subject: "Test Issuing CA", publicKey: caKeys.publicKey, signingKey: caKeys.privateKey, isCA: true });
    const issue = (subject: string, signer = caKeys.privateKey, issuer = "Test Issuing CA", issuerKey = caKeys.publicKey) =>
      createCertificate({ subject, publicKey: leafKeys.publicKey, signingKey: signer, issuer, issuerPublicKey: issuerKey });
    const app = emu.registerApplication({ trustedSubjects: [{ subject: "sni-app.emulator.test", issuerPems: [ca.pem] }] });
    const keyPem = leafKeys.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const b64 = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, "");
    const request = async (leafPem: string, x5c?: string[]) => {
      const assertion = await certificateAssertion(emu, { certificatePem: leafPem, privateKeyPem: keyPem, iss: app.clientId, sub: app.clientId, ...(x5c ? { x5c } : {}) });
      return postForm(emu.tokenEndpoint(), { client_id: app.clientId, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion, scope: "https://vault.azure.net/.default", grant_type: "client_credentials" });
    };
    const good = issue("sni-app.emulator.test");
    const ok = await request(good.pem, [b64(good.pem), b64(ca.pem)]);
    expect(ok.status).toBe(200);
    expect(decodePayload(ok.body.access_token as string).appid).toBe(app.clientId);
    const wrongSubject = issue("someone-else.test");
    expect((await request(wrongSubject.pem, [b64(wrongSubject.pem), b64(ca.pem)])).body.error_codes).toEqual([700030]);
    const selfSigned = issue("sni-app.emulator.test", leafKeys.privateKey, "sni-app.emulator.test", leafKeys.publicKey);
    expect((await request(selfSigned.pem, [b64(selfSigned.pem)])).body.error_codes).toEqual([700030]);
    expect((await request(good.pem)).body.error_codes).toEqual([700027]);
  });
});

describe("client credentials with a federated assertion", () => {
  it("exchanges the workload-identity token file from env()", async () => {
    const env = emu.env("workloadIdentity");
    const assertion = readFileSync(env.AZURE_FEDERATED_TOKEN_FILE as string, "utf8");
    const res = await postForm(`${env.AZURE_AUTHORITY_HOST}/${env.AZURE_TENANT_ID}/oauth2/v2.0/token`, {
      client_id: env.AZURE_CLIENT_ID as string,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
      scope: "https://storage.azure.com/.default",
      grant_type: "client_credentials",
    });
    expect(res.status).toBe(200);
    expect(decodePayload(res.body.access_token as string)).toMatchObject({ appid: emu.defaults.workloadIdentity.clientId, aud: "https://storage.azure.com" });
  });

  it("matches issuer (700211), subject case-sensitively (700213) and audience (700212); verifies foreign keys when a JWKS is given", async () => {
    const key = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = { ...(key.publicKey.export({ format: "jwk" }) as Record<string, unknown>), kid: "k1", alg: "RS256", use: "sig" };
    const app = emu.registerApplication({
      federatedCredentials: [{ issuer: "https://token.actions.githubusercontent.com", subject: "repo:org/repo:ref:refs/heads/main", jwks: { keys: [jwk] } }],
    });
    const signer = await importPKCS8(key.privateKey.export({ type: "pkcs8", format: "pem" }) as string, "RS256");
    const make = (claims: Record<string, unknown>, signingKey: typeof signer = signer) =>
      new SignJWT({ iss: "https://token.actions.githubusercontent.com", sub: "repo:org/repo:ref:refs/heads/main", aud: "api://AzureADTokenExchange", ...claims })
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(signingKey);
    const form = (assertion: string) => ({ client_id: app.clientId, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion, scope: "https://vault.azure.net/.default", grant_type: "client_credentials" });
    expect((await postForm(emu.tokenEndpoint(), form(await make({})))).status).toBe(200);
    expect((await postForm(emu.tokenEndpoint(), form(await make({ iss: "https://evil.example" })))).body.error_codes).toEqual([700211]);
    expect((await postForm(emu.tokenEndpoint(), form(await make({ sub: "REPO:org/repo:ref:refs/heads/main" })))).body.error_codes).toEqual([700213]);
    expect((await postForm(emu.tokenEndpoint(), form(await make({ aud: "api://other" })))).body.error_codes).toEqual([700212]);
    const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const forged = await make({}, await importPKCS8(otherKey.privateKey.export({ type: "pkcs8", format: "pem" }) as string, "RS256"));
    expect((await postForm(emu.tokenEndpoint(), form(forged))).body.error_codes).toEqual([700027]);
  });
});

describe("resource server", () => {
  it("verifies issued tokens with jose against the emulator's JWKS", async () => {
    const { body } = await postForm(emu.tokenEndpoint(), secretForm({ scope: "api://my-api/.default" }));
    const jwks = createRemoteJWKSet(new URL(emu.jwksUri()));
    const { payload, protectedHeader } = await jwtVerify(body.access_token as string, jwks, {
      issuer: emu.issuer(),
      audience: "api://my-api",
      algorithms: ["RS256"],
    });
    expect(protectedHeader.typ).toBe("JWT");
    expect(payload.appid).toBe(emu.defaults.secretApp.clientId);
    // A token from another emulator instance does not verify against this JWKS.
    const other = await startEmulator();
    try {
      const foreign = await postForm(other.tokenEndpoint(), {
        client_id: other.defaults.secretApp.clientId,
        client_secret: other.defaults.secretApp.clientSecret,
        scope: "api://my-api/.default",
        grant_type: "client_credentials",
      });
      await expect(jwtVerify(foreign.body.access_token as string, jwks, { issuer: emu.issuer() })).rejects.toThrow();
    } finally {
      await other.close();
    }
  });
});
