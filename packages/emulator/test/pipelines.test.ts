import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../src/index.js";
import { decodePayload, getJson, postForm } from "./helpers.js";

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});

describe("Azure Pipelines OIDC", () => {
  it("returns an oidcToken that the pipelines app exchanges as a federated assertion", async () => {
    const env = emu.env("pipelines");
    const url = `${env.SYSTEM_OIDCREQUESTURI}?api-version=7.1&serviceConnectionId=${env.AZURESUBSCRIPTION_SERVICE_CONNECTION_ID}`;
    const res = await fetch(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${env.SYSTEM_ACCESSTOKEN}`, "Content-Type": "application/json", "X-TFS-FedAuthRedirect": "Suppress" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-vss-e2eid")).toBeTruthy();
    const { oidcToken } = (await res.json()) as { oidcToken: string };
    expect(decodePayload(oidcToken)).toMatchObject({ aud: "api://AzureADTokenExchange", iss: emu.defaults.pipelines.issuer, sub: emu.defaults.pipelines.subject });
    const token = await postForm(`${env.AZURE_AUTHORITY_HOST}/${env.AZURESUBSCRIPTION_TENANT_ID}/oauth2/v2.0/token`, {
      client_id: env.AZURESUBSCRIPTION_CLIENT_ID as string,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: oidcToken,
      scope: "https://management.azure.com/.default",
      grant_type: "client_credentials",
    });
    expect(token.status).toBe(200);
    expect(decodePayload(token.body.access_token as string).appid).toBe(emu.defaults.pipelines.clientId);
  });

  it("answers a wrong access token 401, an unknown connection 404 and a wrong api-version 400, with x-vss-e2eid", async () => {
    const env = emu.env("pipelines");
    const base = env.SYSTEM_OIDCREQUESTURI as string;
    const post = (q: string, token: string) => fetch(`${base}?${q}`, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
    const unauthorized = await post(`api-version=7.1&serviceConnectionId=${env.AZURESUBSCRIPTION_SERVICE_CONNECTION_ID}`, "wrong");
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get("x-vss-e2eid")).toBeTruthy();
    expect(unauthorized.headers.get("x-msedge-ref")).toBeTruthy();
    expect((await post("api-version=7.1&serviceConnectionId=nope", env.SYSTEM_ACCESSTOKEN as string)).status).toBe(404);
    expect((await post(`api-version=5.0&serviceConnectionId=${env.AZURESUBSCRIPTION_SERVICE_CONNECTION_ID}`, env.SYSTEM_ACCESSTOKEN as string)).status).toBe(400);
    emu.fault({ route: "pipelines", status: 500 });
    expect((await post(`api-version=7.1&serviceConnectionId=${env.AZURESUBSCRIPTION_SERVICE_CONNECTION_ID}`, env.SYSTEM_ACCESSTOKEN as string)).status).toBe(500);
  });
});

describe("workload-identity issuer", () => {
  it("publishes discovery and keys that verify the projected token", async () => {
    const discovery = await getJson(`${emu.url}/k8s/.well-known/openid-configuration`);
    expect(discovery.body.issuer).toBe(emu.defaults.workloadIdentity.issuer);
    const { readFileSync } = await import("node:fs");
    const token = readFileSync(emu.env("workloadIdentity").AZURE_FEDERATED_TOKEN_FILE as string, "utf8");
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(discovery.body.jwks_uri as string)), {
      issuer: emu.defaults.workloadIdentity.issuer,
      audience: "api://AzureADTokenExchange",
    });
    expect(payload.sub).toBe(emu.defaults.workloadIdentity.subject);
  });
});
