// Third-party proof: @azure/identity gets tokens from the emulator over HTTPS (trusting its CA through
// NODE_EXTRA_CA_CERTS in a child process) and through the managed-identity variables.
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import { createCertificate, startEmulator, type Emulator } from "../src/index.js";
import { decodePayload, httpsGetJson } from "./helpers.js";
import { runAzureIdentity } from "./run-client.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ https: true });
});
afterAll(async () => {
  await emu.close();
});

describe("HTTPS mode", () => {
  it("serves https://localhost with a CA whose PEM is exposed and written to caFile", async () => {
    expect(emu.url).toMatch(/^https:\/\/localhost:\d+$/);
    expect(emu.caPem).toContain("BEGIN CERTIFICATE");
    expect(emu.caFile).toBeDefined();
    await expect(fetch(`${emu.url}/${emu.defaults.tenantId}/v2.0/.well-known/openid-configuration`)).rejects.toThrow();
    const res = await httpsGetJson(`${emu.url}/${emu.defaults.tenantId}/v2.0/.well-known/openid-configuration`, emu.caPem as string);
    expect(res.status).toBe(200);
    expect(res.body.token_endpoint).toBe(emu.tokenEndpoint());
  });
});

describe("@azure/identity against the HTTPS emulator", () => {
  it("ClientSecretCredential gets verifiable tokens", async () => {
    const [vault, graph] = await runAzureIdentity(
      {
        kind: "secret",
        tenantId: emu.defaults.tenantId,
        clientId: emu.defaults.secretApp.clientId,
        clientSecret: emu.defaults.secretApp.clientSecret,
        authorityHost: emu.authorityHost,
        scopes: ["https://vault.azure.net/.default", "https://graph.microsoft.com/.default"],
      },
      { NODE_EXTRA_CA_CERTS: emu.caFile as string },
    );
    expect(decodePayload(vault?.token as string)).toMatchObject({ aud: "https://vault.azure.net", appid: emu.defaults.secretApp.clientId });
    expect(decodePayload(graph?.token as string).aud).toBe("https://graph.microsoft.com");
    expect(vault?.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000_000);
    const token = emu.requests().filter((r) => r.route === "token");
    expect(token.length).toBe(2);
    expect(token[0]?.form?.client_secret).toBe(emu.defaults.secretApp.clientSecret);
    expect(emu.requests().some((r) => r.route === "discovery")).toBe(true);
    expect(emu.requests().some((r) => r.route === "instanceDiscovery")).toBe(false);
  });

  it("ClientCertificateCredential (PS256 + x5t#S256, and with the certificate chain) gets tokens", async () => {
    emu.clearRequests();
    const pem = emu.defaults.certificateApp.certificatePem + emu.defaults.certificateApp.privateKeyPem;
    for (const sendCertificateChain of [false, true]) {
      const [result] = await runAzureIdentity(
        {
          kind: "certificate",
          tenantId: emu.defaults.tenantId,
          clientId: emu.defaults.certificateApp.clientId,
          pem,
          sendCertificateChain,
          authorityHost: emu.authorityHost,
          scopes: ["https://management.azure.com/.default"],
        },
        { NODE_EXTRA_CA_CERTS: emu.caFile as string },
      );
      expect(decodePayload(result?.token as string)).toMatchObject({ appid: emu.defaults.certificateApp.clientId, appidacr: "2" });
    }
    const assertions = emu.requests().filter((r) => r.route === "token").map((r) => r.form?.client_assertion as string);
    expect(assertions).toHaveLength(2);
    const header = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[0] as string, "base64url").toString()) as Record<string, unknown>;
    expect(header(assertions[0] as string)).toMatchObject({ alg: "PS256" });
    expect(header(assertions[0] as string)["x5t#S256"]).toBeDefined();
    expect(header(assertions[1] as string).x5c).toBeDefined();
  });

  it("ClientCertificateCredential with sendCertificateChain authenticates a subject name + issuer app", async () => {
    const caKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const leafKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const ca = createCertificate({ subject: "SNI Test CA", publicKey: caKeys.publicKey, signingKey: caKeys.privateKey, isCA: true });
    const leaf = createCertificate({ subject: "sni.emulator.test", publicKey: leafKeys.publicKey, signingKey: caKeys.privateKey, issuer: "SNI Test CA", issuerPublicKey: caKeys.publicKey });
    const app = emu.registerApplication({ trustedSubjects: [{ subject: "sni.emulator.test", issuerPems: [ca.pem] }] });
    const pem = leaf.pem + ca.pem + (leafKeys.privateKey.export({ type: "pkcs8", format: "pem" }) as string);
    const [result] = await runAzureIdentity(
      { kind: "certificate", tenantId: emu.defaults.tenantId, clientId: app.clientId, pem, sendCertificateChain: true, authorityHost: emu.authorityHost, scopes: ["https://vault.azure.net/.default"] },
      { NODE_EXTRA_CA_CERTS: emu.caFile as string },
    );
    expect(decodePayload(result?.token as string).appid).toBe(app.clientId);
  });

  it("surfaces the emulator's Entra error for a wrong secret", async () => {
    await expect(
      runAzureIdentity(
        {
          kind: "secret",
          tenantId: emu.defaults.tenantId,
          clientId: emu.defaults.secretApp.clientId,
          clientSecret: "wrong-secret",
          authorityHost: emu.authorityHost,
          scopes: ["https://vault.azure.net/.default"],
        },
        { NODE_EXTRA_CA_CERTS: emu.caFile as string },
      ),
    ).rejects.toThrow(/AADSTS7000215/);
  });
});

describe("@azure/identity ManagedIdentityCredential", () => {
  it("gets a token through the App Service variables", async () => {
    emu.clearRequests();
    const [result] = await runAzureIdentity({ kind: "managedIdentity", scopes: ["https://vault.azure.net/.default"] }, emu.env("appService"));
    const claims = decodePayload(result?.token as string);
    expect(claims).toMatchObject({ aud: "https://vault.azure.net", oid: emu.defaults.managedIdentity.systemObjectId });
    const [entry] = emu.requests().filter((r) => r.route === "appService");
    expect(entry?.status).toBe(200);
    expect(entry?.url).toContain("api-version=2019-08-01");
    expect(entry?.headers["x-identity-header"]).toBe(emu.env("appService").IDENTITY_HEADER);
  });

  it("gets a user-assigned token through IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST)", async () => {
    emu.clearRequests();
    const uami = emu.defaults.managedIdentity.userAssigned;
    const [result] = await runAzureIdentity(
      { kind: "managedIdentity", clientId: uami.clientId, scopes: ["https://storage.azure.com/.default"] },
      emu.env("imds"),
    );
    const claims = decodePayload(result?.token as string);
    expect(claims).toMatchObject({ aud: "https://storage.azure.com", appid: uami.clientId, oid: uami.objectId, xms_mirid: uami.resourceId });
    const entry = emu.requests().find((r) => r.route === "imds" && r.status === 200);
    expect(entry?.headers.metadata).toBe("true");
    expect(entry?.url).toContain(`client_id=${uami.clientId}`);
  });

  it("verifies a managed-identity token with jose against the JWKS", async () => {
    const [result] = await runAzureIdentity({ kind: "managedIdentity", scopes: ["api://resource/.default"] }, emu.env("imds"));
    const res = await httpsGetJson(emu.jwksUri(), emu.caPem as string);
    const { payload } = await jwtVerify(result?.token as string, createLocalJWKSet(res.body as never), { issuer: emu.issuer(), audience: "api://resource" });
    expect(payload.oid).toBe(emu.defaults.managedIdentity.systemObjectId);
  });
});
