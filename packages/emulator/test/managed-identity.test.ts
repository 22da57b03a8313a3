import { X509Certificate, createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import type { TLSSocket } from "node:tls";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../src/index.js";
import { decodePayload, getJson, postForm } from "./helpers.js";

let emu: Emulator;
let arcDir: string;

beforeAll(async () => {
  arcDir = mkdtempSync(join(tmpdir(), "arc-keys-"));
  emu = await startEmulator({ arcKeyDirectory: arcDir });
});
afterAll(async () => {
  await emu.close();
  rmSync(arcDir, { recursive: true, force: true });
});

const RESOURCE = "https://vault.azure.net";

describe("IMDS", () => {
  const base = () => `${emu.env("imds").AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token`;

  it("issues a system-assigned token with every value a string", async () => {
    const { status, body, headers } = await getJson(`${base()}?api-version=2018-02-01&resource=${encodeURIComponent(RESOURCE)}`, { Metadata: "true" });
    expect(status).toBe(200);
    expect(headers.get("server")).toMatch(/^IMDS\//);
    for (const field of ["access_token", "expires_in", "expires_on", "not_before", "resource", "token_type", "client_id", "ext_expires_in"]) {
      expect(typeof body[field]).toBe("string");
    }
    expect(body.refresh_token).toBe("");
    expect(Number(body.expires_on)).toBeGreaterThan(Date.now() / 1000 + 3000);
    expect(body).not.toHaveProperty("message");
    expect(decodePayload(body.access_token as string)).toMatchObject({ aud: RESOURCE, oid: emu.defaults.managedIdentity.systemObjectId });
  });

  it("selects user-assigned identities by client_id, object_id and msi_res_id", async () => {
    const uami = emu.defaults.managedIdentity.userAssigned;
    for (const q of [`client_id=${uami.clientId}`, `object_id=${uami.objectId}`, `msi_res_id=${encodeURIComponent(uami.resourceId)}`]) {
      const { status, body } = await getJson(`${base()}?api-version=2019-08-01&resource=${RESOURCE}&${q}`, { Metadata: "true" });
      expect(status).toBe(200);
      expect(decodePayload(body.access_token as string).oid).toBe(uami.objectId);
    }
    const added = emu.registerManagedIdentity();
    const { body } = await getJson(`${base()}?api-version=2018-02-01&resource=${RESOURCE}&client_id=${added.clientId}`, { Metadata: "true" });
    expect(decodePayload(body.access_token as string).oid).toBe(added.objectId);
  });

  it("answers the probe and bad requests with IMDS's 400s", async () => {
    const probe = await getJson(base());
    expect(probe.status).toBe(400);
    expect(probe.body.error_description).toBe("Required metadata header not specified");
    const noResource = await getJson(`${base()}?api-version=2018-02-01`, { Metadata: "true" });
    expect(noResource.body.error_description).toBe("Required audience parameter not specified");
    const unknown = await getJson(`${base()}?api-version=2018-02-01&resource=${RESOURCE}&client_id=00000000-0000-0000-0000-000000000000`, { Metadata: "true" });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ error: "invalid_request", error_description: "Identity not found" });
    const badVersion = await getJson(`${base()}?api-version=1999-01-01&resource=${RESOURCE}`, { Metadata: "true" });
    expect(badVersion.status).toBe(400);
  });

  it("injects 410 then 200 (upgrade in progress)", async () => {
    emu.fault({ route: "imds", status: 410 });
    const first = await getJson(`${base()}?api-version=2018-02-01&resource=${RESOURCE}`, { Metadata: "true" });
    expect(first.status).toBe(410);
    expect(first.body.error).toBeDefined();
    expect((await getJson(`${base()}?api-version=2018-02-01&resource=${RESOURCE}`, { Metadata: "true" })).status).toBe(200);
  });
});

describe("App Service", () => {
  it("checks X-IDENTITY-HEADER and api-version 2019-08-01; expires_on is a string", async () => {
    const env = emu.env("appService");
    const url = `${env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${RESOURCE}`;
    const ok = await getJson(url, { "X-IDENTITY-HEADER": env.IDENTITY_HEADER as string });
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.body).sort()).toEqual(["access_token", "client_id", "expires_on", "resource", "token_type"]);
    expect(typeof ok.body.expires_on).toBe("string");
    const missing = await getJson(url);
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ statusCode: 400 });
    expect(missing.body.correlationId).toBeDefined();
    expect((await getJson(url, { "X-IDENTITY-HEADER": "wrong" })).status).toBe(401);
    const uami = emu.defaults.managedIdentity.userAssigned;
    for (const q of [`client_id=${uami.clientId}`, `principal_id=${uami.objectId}`, `object_id=${uami.objectId}`, `mi_res_id=${encodeURIComponent(uami.resourceId)}`]) {
      const res = await getJson(`${url}&${q}`, { "X-IDENTITY-HEADER": env.IDENTITY_HEADER as string });
      expect(res.body.client_id).toBe(uami.clientId);
    }
    const unknown = await getJson(`${url}&client_id=00000000-0000-0000-0000-000000000000`, { "X-IDENTITY-HEADER": env.IDENTITY_HEADER as string });
    expect(unknown.body.message).toBe("Unable to load the proper Managed Identity.");
  });
});

describe("Azure Arc", () => {
  it("challenges with a key file in arcKeyDirectory, then accepts its content as Basic credentials", async () => {
    const env = emu.env("arc");
    expect(env.IMDS_ENDPOINT).toBeDefined();
    const url = `${env.IDENTITY_ENDPOINT}?api-version=2019-11-01&resource=${RESOURCE}`;
    const challenge = await fetch(url, { headers: { Metadata: "true" } });
    expect(challenge.status).toBe(401);
    const header = challenge.headers.get("www-authenticate") as string;
    expect(header).toMatch(/^Basic realm=\S+\.key$/);
    const file = header.slice("Basic realm=".length);
    expect(dirname(file)).toBe(arcDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = readFileSync(file, "utf8");
    const ok = await getJson(url, { Metadata: "true", Authorization: `Basic ${key}` });
    expect(ok.status).toBe(200);
    expect(typeof ok.body.expires_on).toBe("string");
    expect(decodePayload(ok.body.access_token as string).oid).toBe(emu.defaults.managedIdentity.systemObjectId);
    const wrong = await fetch(url, { headers: { Metadata: "true", Authorization: "Basic not-the-key" } });
    expect(wrong.status).toBe(401);
    const noMetadata = await getJson(url, { Authorization: `Basic ${key}` });
    expect(noMetadata.status).toBe(400);
  });
});

describe("Cloud Shell", () => {
  it("takes a POST form with Metadata: true and returns the user's token", async () => {
    const env = emu.env("cloudShell");
    const ok = await postForm(env.MSI_ENDPOINT as string, { resource: RESOURCE }, { Metadata: "true" });
    expect(ok.status).toBe(200);
    expect(typeof ok.body.expires_on).toBe("string");
    expect(decodePayload(ok.body.access_token as string)).toMatchObject({ oid: emu.defaults.user.objectId, idtyp: "user", aud: RESOURCE });
    expect((await postForm(env.MSI_ENDPOINT as string, { resource: RESOURCE })).status).toBe(400);
    expect((await getJson(env.MSI_ENDPOINT as string, { Metadata: "true" })).status).toBe(405);
  });
});

function sfGet(url: string, headers: Record<string, string>, thumbprint: string): Promise<{ status: number; body: Record<string, unknown>; peer: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        headers,
        agent: false,
        rejectUnauthorized: false, // pinned below, like MSAL Go: compare the leaf's SHA-1
        checkServerIdentity: () => undefined,
      },
      (res) => {
        const cert = (res.socket as TLSSocket).getPeerCertificate();
        const peer = createHash("sha1").update(cert.raw).digest("hex").toUpperCase();
        if (peer !== thumbprint) {
          req.destroy(new Error("thumbprint mismatch"));
          return;
        }
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>, peer }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("Service Fabric", () => {
  it("serves HTTPS with a self-signed certificate whose thumbprint is exported; expires_on is a number", async () => {
    const env = emu.env("serviceFabric");
    expect(env.IDENTITY_ENDPOINT).toMatch(/^https:\/\/localhost:\d+\/metadata\/identity\/oauth2\/token$/);
    expect(env.IDENTITY_SERVER_THUMBPRINT).toMatch(/^[0-9A-F]{40}$/);
    expect(new X509Certificate(emu.serviceFabric.certificatePem).fingerprint.replace(/:/g, "")).toBe(env.IDENTITY_SERVER_THUMBPRINT);
    const url = `${env.IDENTITY_ENDPOINT}?api-version=2019-07-01-preview&resource=${RESOURCE}`;
    const ok = await sfGet(url, { secret: env.IDENTITY_HEADER as string }, env.IDENTITY_SERVER_THUMBPRINT as string);
    expect(ok.status).toBe(200);
    expect(typeof ok.body.expires_on).toBe("number");
    expect(ok.body.token_type).toBe("Bearer");
    const missing = await sfGet(url, {}, env.IDENTITY_SERVER_THUMBPRINT as string);
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({ code: "SecretHeaderNotFound" });
    const wrong = await sfGet(url, { secret: "nope" }, env.IDENTITY_SERVER_THUMBPRINT as string);
    expect(wrong.status).toBe(404);
    const badVersion = await sfGet(url.replace("2019-07-01-preview", "2018-01-01"), { secret: env.IDENTITY_HEADER as string }, env.IDENTITY_SERVER_THUMBPRINT as string);
    expect(badVersion.body.error).toMatchObject({ code: "InvalidApiVersion" });
    expect(emu.requests().filter((r) => r.route === "serviceFabric").length).toBeGreaterThanOrEqual(4);
  });
});

describe("Azure Machine Learning", () => {
  it("checks the secret header and api-version 2017-09-01; clientid selects; expires_on is a number", async () => {
    const env = emu.env("azureML");
    const url = `${env.MSI_ENDPOINT}?api-version=2017-09-01&resource=${RESOURCE}`;
    const system = await getJson(`${url}&clientid=${env.DEFAULT_IDENTITY_CLIENT_ID}`, { secret: env.MSI_SECRET as string, Metadata: "true" });
    expect(system.status).toBe(200);
    expect(typeof system.body.expires_on).toBe("number");
    expect(decodePayload(system.body.access_token as string).oid).toBe(emu.defaults.managedIdentity.systemObjectId);
    const uami = await getJson(`${url}&clientid=${emu.defaults.managedIdentity.userAssigned.clientId}`, { secret: env.MSI_SECRET as string });
    expect(decodePayload(uami.body.access_token as string).oid).toBe(emu.defaults.managedIdentity.userAssigned.objectId);
    expect((await getJson(url, {})).status).toBe(401);
    expect((await getJson(url, { secret: "wrong" })).status).toBe(401);
  });
});

describe("env()", () => {
  it("returns the variables of each source and throws for an unknown one", () => {
    expect(Object.keys(emu.env("imds"))).toEqual(["AZURE_POD_IDENTITY_AUTHORITY_HOST"]);
    expect(Object.keys(emu.env("appService")).sort()).toEqual(["IDENTITY_ENDPOINT", "IDENTITY_HEADER"]);
    expect(Object.keys(emu.env("clientSecret")).sort()).toEqual(["AZURE_AUTHORITY_HOST", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"]);
    const cert = emu.env("clientCertificate");
    expect(existsSync(cert.AZURE_CLIENT_CERTIFICATE_PATH as string)).toBe(true);
    expect(readFileSync(cert.AZURE_CLIENT_CERTIFICATE_PATH as string, "utf8")).toContain("PRIVATE KEY");
    expect(() => emu.env("nope" as never)).toThrow(TypeError);
  });
});
