// Service Fabric over real loopback HTTPS: a node:https server with a self-signed certificate made by
// openssl; the credential trusts it only through IDENTITY_SERVER_THUMBPRINT.
import { AuthenticationError, CredentialUnavailableError } from "@id/core";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "../src/index.js";
import { inSeconds, json, selfSignedCertificate, startServer, useEnv } from "./servers.js";
import type { Handler, TestServer } from "./servers.js";
import { sharedSourceSuite } from "./source-suite.js";

const SECRET = "service-fabric-secret";
const SCOPE = "https://vault.azure.net/.default";
let certificate: Awaited<ReturnType<typeof selfSignedCertificate>>;
let server: TestServer;

const ok =
  (accessToken: string, extra: Record<string, unknown> = {}): Handler =>
  (req, res, body) => {
    if (req.headers["secret"] !== SECRET) {
      return json(401, { error: { correlationId: "c", code: "SecretHeaderNotFound", message: "Secret is not found in the request headers." } })(req, res, body);
    }
    // Service Fabric sends expires_on as a JSON number.
    json(200, { token_type: "Bearer", access_token: accessToken, expires_on: inSeconds(3600), resource: "https://vault.azure.net/", ...extra })(req, res, body);
  };

const env = (thumbprint: string, endpoint = `${server.url}/metadata/identity/oauth2/token`) =>
  useEnv({ IDENTITY_ENDPOINT: endpoint, IDENTITY_HEADER: SECRET, IDENTITY_SERVER_THUMBPRINT: thumbprint });

beforeAll(async () => {
  certificate = await selfSignedCertificate();
});
beforeEach(async () => {
  server = await startServer({ tls: certificate }, ok("sf-token"));
  env(certificate.sha1);
});
afterEach(async () => {
  await server.close();
});

describe("Service Fabric", () => {
  it("GET over HTTPS with api-version 2019-07-01-preview and the secret header; numeric expires_on", async () => {
    const credential = new ManagedIdentityCredential();
    expect(credential.source).toBe("ServiceFabric");
    const before = Date.now();
    const token = await credential.getToken(SCOPE);
    expect(token.token).toBe("sf-token");
    expect(token.expiresOnTimestamp).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3600_000 - 1000);
    const [request] = server.requests;
    expect(request?.method).toBe("GET");
    expect(request?.path).toBe("/metadata/identity/oauth2/token");
    expect(Object.fromEntries(request!.query)).toEqual({ "api-version": "2019-07-01-preview", resource: "https://vault.azure.net" });
    expect(request?.headers["secret"]).toBe(SECRET);
  });

  it("accepts the thumbprint with colons and in upper case, and a SHA-256 thumbprint", async () => {
    env(certificate.sha1.toUpperCase().replace(/(..)(?!$)/g, "$1:"));
    expect((await new ManagedIdentityCredential().getToken("https://a.example/.default")).token).toBe("sf-token");
    env(certificate.sha256);
    expect((await new ManagedIdentityCredential().getToken("https://b.example/.default")).token).toBe("sf-token");
  });

  it("a server whose certificate has another thumbprint is refused before the secret is sent, without retries", async () => {
    env("0".repeat(40));
    const started = Date.now();
    const error = await new ManagedIdentityCredential().getToken(SCOPE).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(700); // the default policy would wait ≥ 400 ms before a retry
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 0, error: "untrusted_server_certificate" });
    expect((error as Error).message).toMatch(/does not match IDENTITY_SERVER_THUMBPRINT; the request was not sent/);
    expect(server.requests).toHaveLength(0);
  });

  it("an http endpoint, or a malformed thumbprint, is refused at construction", () => {
    env(certificate.sha1, "http://127.0.0.1:1/token");
    expect(() => new ManagedIdentityCredential()).toThrow(/IDENTITY_ENDPOINT is malformed: it must be an absolute https URL/);
    env("not-a-thumbprint");
    expect(() => new ManagedIdentityCredential()).toThrow(TypeError);
    expect(() => new ManagedIdentityCredential()).toThrow(/IDENTITY_SERVER_THUMBPRINT is malformed/);
  });

  it.each(["clientId", "resourceId", "objectId"] as const)("a user-assigned %s is refused at construction", (option) => {
    expect(() => new ManagedIdentityCredential({ [option]: "x" })).toThrow(CredentialUnavailableError);
    expect(() => new ManagedIdentityCredential({ [option]: "x" })).toThrow(/fixed by the cluster configuration/);
  });

  it("404 ManagedIdentityNotFound → CredentialUnavailableError", async () => {
    server.script(json(404, { error: { correlationId: "sf-corr", code: "ManagedIdentityNotFound", message: "No managed identity is configured for this application." } }));
    const error = await new ManagedIdentityCredential().getToken(SCOPE).catch((e: unknown) => e);
    expect(CredentialUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/Service Fabric.*sf-corr/);
  });

  it("a wrong secret is an AuthenticationError carrying Service Fabric's error code", async () => {
    useEnv({ IDENTITY_ENDPOINT: `${server.url}/t`, IDENTITY_HEADER: "wrong", IDENTITY_SERVER_THUMBPRINT: certificate.sha1 });
    const error = await new ManagedIdentityCredential().getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AuthenticationError", statusCode: 401, error: "SecretHeaderNotFound", correlationId: "c" });
  });
});

sharedSourceSuite("Service Fabric", () => ({
  server,
  create: (options) => new ManagedIdentityCredential(options),
  ok,
  requestsPerToken: 1,
  errorBody: (status, message) => ({ error: { correlationId: "corr", code: status === 429 ? "TooManyRequests" : "InternalServerError", message } }),
}));
