// AKS workload identity token exchange over real loopback HTTP: a node:http server plays the Entra
// v2.0 token endpoint (AZURE_AUTHORITY_HOST points at it) and checks the federated client assertion.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuthenticationError, CredentialUnavailableError } from "@id/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "../src/index.js";
import { json, startServer, useEnv } from "./servers.js";
import type { Handler, TestServer } from "./servers.js";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT = "aks-workload-client";
let server: TestServer;
let tokenFile: string;

const entra: Handler = (req, res, body) => {
  const form = new URLSearchParams(body);
  if (form.get("client_assertion") === "expired-assertion") {
    return json(401, { error: "invalid_client", error_description: "AADSTS700024: Client assertion is not within its valid time range.", error_codes: [700024] })(req, res, body);
  }
  json(200, { token_type: "Bearer", expires_in: 3599, access_token: `exchanged:${form.get("client_assertion")}:${form.get("scope")}` })(req, res, body);
};

beforeEach(async () => {
  server = await startServer({}, entra);
  tokenFile = join(mkdtempSync(join(tmpdir(), "id-wi-")), "azure-identity-token");
  writeFileSync(tokenFile, "service-account-jwt-1\n");
  useEnv({ AZURE_FEDERATED_TOKEN_FILE: tokenFile, AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_AUTHORITY_HOST: server.url });
});
afterEach(async () => {
  await server.close();
});

describe("workload identity token exchange", () => {
  it("posts client credentials with the file's content (trimmed) as the client assertion", async () => {
    const credential = new ManagedIdentityCredential();
    expect(credential.source).toBe("TokenExchange");
    const token = await credential.getToken("https://vault.azure.net/.default");
    expect(token.token).toBe("exchanged:service-account-jwt-1:https://vault.azure.net/.default");
    const [request] = server.requests;
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe(`/${TENANT}/oauth2/v2.0/token`);
    expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({
      client_id: CLIENT,
      scope: "https://vault.azure.net/.default",
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: "service-account-jwt-1",
    });
  });

  it("caches: concurrent and repeated calls, and a fresh credential, make one request", async () => {
    const credential = new ManagedIdentityCredential();
    await Promise.all(Array.from({ length: 100 }, () => credential.getToken("https://cache.example/.default")));
    await new ManagedIdentityCredential().getToken("https://cache.example/.default");
    expect(server.requests).toHaveLength(1);
  });

  it("re-reads the file when the kubelet rotates it", async () => {
    const credential = new ManagedIdentityCredential();
    await credential.getToken("https://one.example/.default");
    writeFileSync(tokenFile, "service-account-jwt-2-rotated");
    expect((await credential.getToken("https://two.example/.default")).token).toBe("exchanged:service-account-jwt-2-rotated:https://two.example/.default");
  });

  it("a client id option wins over AZURE_CLIENT_ID", async () => {
    await new ManagedIdentityCredential("explicit-client").getToken("https://explicit.example/.default");
    expect(new URLSearchParams(server.requests[0]!.body).get("client_id")).toBe("explicit-client");
  });

  it("a missing or empty file → CredentialUnavailableError", async () => {
    writeFileSync(tokenFile, "  \n");
    await expect(new ManagedIdentityCredential().getToken("https://empty.example/.default")).rejects.toThrow(/federated token file .* is empty/);
    rmSync(tokenFile);
    const error = await new ManagedIdentityCredential().getToken("https://missing.example/.default").catch((e: unknown) => e);
    expect(CredentialUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/ENOENT/);
    expect(server.requests).toHaveLength(0);
  });

  it("Entra's refusal is an AuthenticationError with the AADSTS code", async () => {
    writeFileSync(tokenFile, "expired-assertion");
    const error = await new ManagedIdentityCredential().getToken("https://refused.example/.default").catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 401, error: "invalid_client", errorCodes: [700024] });
    expect((error as Error).message).not.toContain("expired-assertion");
  });

  it("sends claims and the CAE capability to Entra; claims skip the cache, CAE tokens are cached apart", async () => {
    const credential = new ManagedIdentityCredential();
    await credential.getToken("https://cae.example/.default");
    await credential.getToken("https://cae.example/.default", { enableCae: true });
    await credential.getToken("https://cae.example/.default", { enableCae: true });
    await credential.getToken("https://cae.example/.default", { claims: '{"access_token":{"nbf":{"essential":true}}}' });
    const claims = server.requests.map((r) => new URLSearchParams(r.body).get("claims"));
    expect(claims).toHaveLength(3);
    expect(claims[0]).toBeNull();
    expect(JSON.parse(claims[1]!)).toEqual({ access_token: { xms_cc: { values: ["cp1"] } } });
    expect(JSON.parse(claims[2]!)).toEqual({ access_token: { nbf: { essential: true } } });
  });

  it("another tenant than AZURE_TENANT_ID → CredentialUnavailableError, nothing sent; the same tenant is fine", async () => {
    const credential = new ManagedIdentityCredential();
    const error = await credential.getToken("https://tenant.example/.default", { tenantId: "other-tenant" }).catch((e: unknown) => e);
    expect(CredentialUnavailableError.isInstance(error)).toBe(true);
    expect(server.requests).toHaveLength(0);
    await credential.getToken("https://tenant.example/.default", { tenantId: TENANT });
    expect(server.requests).toHaveLength(1);
  });

  it("a malformed authority host fails at construction, naming it", () => {
    useEnv({ AZURE_FEDERATED_TOKEN_FILE: tokenFile, AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_AUTHORITY_HOST: "http://login.example.com" });
    expect(() => new ManagedIdentityCredential()).toThrow(/"AZURE_AUTHORITY_HOST" must use https/);
    expect(() => new ManagedIdentityCredential({ authorityHost: "not a url" })).toThrow(TypeError);
  });

  it("a resource id or object id cannot be used for the exchange: the next source is used", () => {
    expect(new ManagedIdentityCredential({ resourceId: "/subscriptions/x" }).source).toBe("Imds");
    expect(new ManagedIdentityCredential({ objectId: "o" }).source).toBe("Imds");
  });

  it("without a client id there is no exchange", () => {
    useEnv({ AZURE_FEDERATED_TOKEN_FILE: tokenFile, AZURE_TENANT_ID: TENANT });
    expect(new ManagedIdentityCredential().source).toBe("Imds");
  });
});
