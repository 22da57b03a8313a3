// Every source against @id/emulator's managed-identity endpoints (real loopback HTTP, and HTTPS with a
// pinned self-signed certificate for Service Fabric): real RS256 tokens, the request log, and faults.
import { startEmulator } from "@id/emulator";
import type { Emulator, EnvSource } from "@id/emulator";
import { AuthenticationError, CredentialUnavailableError } from "@id/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "../src/index.js";
import type { ManagedIdentityCredentialOptions } from "../src/index.js";
import { fastRetries, useEnv } from "./servers.js";

let emu: Emulator;
let n = 0;
/** A scope no earlier test used (the token cache is process-wide). */
const freshScope = (): string => `https://resource-${++n}.example/.default`;

function claimsOf(jwt: string): Record<string, unknown> {
  const parts = jwt.split(".");
  expect(parts).toHaveLength(3);
  return JSON.parse(Buffer.from(parts[1] as string, "base64url").toString("utf8")) as Record<string, unknown>;
}

function credential(source: EnvSource, options: ManagedIdentityCredentialOptions = {}): ManagedIdentityCredential {
  useEnv(emu.env(source));
  return new ManagedIdentityCredential({ arcKeyDirectory: emu.arcKeyDirectory, ...options });
}

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.clearRequests();
  emu.clearFaults();
});

describe.each([
  ["imds", "Imds", "imds", 1],
  ["appService", "AppService", "appService", 1],
  ["azureML", "AzureML", "azureML", 1],
  ["serviceFabric", "ServiceFabric", "serviceFabric", 1],
  ["arc", "AzureArc", "arc", 2],
  ["cloudShell", "CloudShell", "cloudShell", 1],
] as const)("emulator: %s", (env, source, route, requestsPerToken) => {
  it("system-assigned (or the signed-in user for Cloud Shell): a real token, one request, cached after", async () => {
    const c = credential(env);
    expect(c.source).toBe(source);
    const scope = freshScope();
    const started = Date.now();
    const tokens = await Promise.all(Array.from({ length: 200 }, () => c.getToken(scope)));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    const token = tokens[0]!;
    const claims = claimsOf(token.token);
    expect(claims["aud"]).toBe(scope.replace("/.default", ""));
    if (env !== "cloudShell") expect(claims["oid"]).toBe(emu.defaults.managedIdentity.systemObjectId);
    expect(token.expiresOnTimestamp).toBeGreaterThan(started + 3500_000);
    const log = emu.requests().filter((r) => r.route === route);
    expect(log).toHaveLength(requestsPerToken);
    expect(log.every((r) => r.status === (r === log[0] && requestsPerToken === 2 ? 401 : 200))).toBe(true);
    await credential(env).getToken(scope);
    expect(emu.requests().filter((r) => r.route === route)).toHaveLength(requestsPerToken);
  });

  it("500 then success, and 429 with Retry-After then success", async () => {
    emu.fault({ route, status: 500, times: 1 });
    expect(claimsOf((await credential(env, { retryOptions: fastRetries }).getToken(freshScope())).token)["aud"]).toBeDefined();
    emu.clearRequests();
    emu.fault({ route, status: 429, retryAfter: 1, times: 1 });
    await credential(env, { retryOptions: fastRetries }).getToken(freshScope());
    const log = emu.requests().filter((r) => r.route === route);
    expect(log[0]?.status).toBe(429);
    expect(log[1]!.time - log[0]!.time).toBeGreaterThanOrEqual(950);
  });

  it("a reset connection and a truncated body are retried", async () => {
    emu.fault({ route, reset: true, times: 1 });
    await credential(env, { retryOptions: fastRetries }).getToken(freshScope());
    emu.fault({ route, truncated: true, times: 1 });
    await credential(env, { retryOptions: fastRetries }).getToken(freshScope());
  });

  it("a malformed answer is an AuthenticationError (Arc: a challenge naming a non-.key file)", async () => {
    // Arc: the challenge is answered normally; the token answer is malformed.
    if (requestsPerToken === 2) {
      emu.fault({ route, status: 401, headers: { "www-authenticate": `Basic realm=${emu.arcKeyDirectory}/none.txt` }, times: 1 });
      await expect(credential(env, { retryOptions: fastRetries }).getToken(freshScope())).rejects.toMatchObject({ error: "invalid_arc_challenge" });
      return;
    }
    emu.fault({ route, status: 200, body: '{"access_token": "x", "expires_on": ', times: 1 });
    const error = await credential(env, { retryOptions: fastRetries }).getToken(freshScope()).catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ error: "invalid_token_response" });
  });

  it("a server that never answers times out", async () => {
    emu.fault({ route, hang: true, times: 2 });
    const error = await credential(env, { timeoutInMs: 150, retryOptions: { ...fastRetries, maxRetries: 1 } }).getToken(freshScope()).catch((e: unknown) => e);
    // Every source here has answered before in this process (IMDS too), so no answer is a real failure.
    expect(error).toMatchObject({ name: "AuthenticationError", error: "timeout" });
  });
});

describe("emulator: user-assigned identities", () => {
  const ua = () => emu.defaults.managedIdentity.userAssigned;
  it.each(["imds", "appService", "arc"] as const)("%s: by client id, resource id and object id", async (env) => {
    for (const options of [{ clientId: ua().clientId }, { resourceId: ua().resourceId }, { objectId: ua().objectId }]) {
      const token = await credential(env, options).getToken(freshScope());
      expect(claimsOf(token.token)["oid"]).toBe(ua().objectId);
    }
  });

  it("azureML: by client id", async () => {
    const token = await credential("azureML", { clientId: ua().clientId }).getToken(freshScope());
    expect(claimsOf(token.token)["oid"]).toBe(ua().objectId);
    expect(emu.requests().at(-1)?.url).toContain(`clientid=${ua().clientId}`);
  });

  it.each(["imds", "appService", "arc"] as const)("%s: an identity that is not assigned → CredentialUnavailableError", async (env) => {
    const error = await credential(env, { clientId: "00000000-0000-0000-0000-00000000dead" }).getToken(freshScope()).catch((e: unknown) => e);
    expect(CredentialUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/not available here/);
  });
});

describe("emulator: IMDS retries", () => {
  it("410 (upgrade) twice, then success", async () => {
    emu.fault({ route: "imds", status: 410, times: 2 });
    await credential("imds", { retryOptions: fastRetries }).getToken(freshScope());
    expect(emu.requests().map((r) => r.status)).toEqual([410, 410, 200]);
  });

  it("404 (updating), then success", async () => {
    emu.fault({ route: "imds", status: 404, times: 1 });
    await credential("imds", { retryOptions: fastRetries }).getToken(freshScope());
    expect(emu.requests().map((r) => r.status)).toEqual([404, 200]);
  });
});

describe("emulator: workload identity token exchange", () => {
  it("exchanges the service-account token at the token endpoint", async () => {
    const c = credential("workloadIdentity");
    expect(c.source).toBe("TokenExchange");
    const token = await c.getToken(freshScope());
    expect(claimsOf(token.token)["appid"] ?? claimsOf(token.token)["azp"]).toBe(emu.defaults.workloadIdentity.clientId);
    const [request] = emu.requests();
    expect(request).toMatchObject({ route: "token", grantType: "client_credentials", status: 200 });
    expect(request?.form?.["client_assertion_type"]).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  });
});
