// ClientAssertionCredential against @id/emulator over real loopback HTTP: a federated token (workload
// identity) and certificate assertions signed here with node:crypto.
import { createHash, createPrivateKey, randomUUID, sign } from "node:crypto";
import { readFile } from "node:fs/promises";
import { AuthenticationError, CredentialUnavailableError } from "@id/core";
import { startEmulator } from "@id/emulator";
import type { Emulator } from "@id/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ClientAssertionCredential } from "../src/index.js";

let emu: Emulator;
let n = 0;
const freshScope = () => `api://emu-assert-${++n}/.default`;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());
afterEach(() => emu.clearFaults());

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** An RS256 certificate assertion (x5t), as MSAL builds it, with adjustable times. */
function certificateAssertion(options: { exp?: number; nbf?: number; aud?: string } = {}): string {
  const app = emu.defaults.certificateApp;
  const der = Buffer.from(app.certificatePem.replace(/-----[^-]+-----|\s/g, ""), "base64");
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: "RS256", typ: "JWT", x5t: createHash("sha1").update(der).digest("base64url") };
  const payload = {
    aud: options.aud ?? emu.tokenEndpoint(),
    iss: app.clientId,
    sub: app.clientId,
    jti: randomUUID(),
    nbf: options.nbf ?? now,
    exp: options.exp ?? now + 600,
  };
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = sign("sha256", Buffer.from(input), createPrivateKey(app.privateKeyPem)).toString("base64url");
  return `${input}.${signature}`;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

describe("ClientAssertionCredential against the emulator", () => {
  it("exchanges a federated (workload identity) token read by an async getAssertion", async () => {
    const env = emu.env("workloadIdentity");
    let calls = 0;
    const c = new ClientAssertionCredential(
      env["AZURE_TENANT_ID"]!,
      env["AZURE_CLIENT_ID"]!,
      async () => {
        calls += 1;
        return (await readFile(env["AZURE_FEDERATED_TOKEN_FILE"]!, "utf8")).trim();
      },
      { authorityHost: emu.authorityHost },
    );
    emu.clearRequests();
    const scope = freshScope();
    const token = await c.getToken(scope);
    await c.getToken(scope);
    expect(token.token.split(".")).toHaveLength(3);
    expect(calls).toBe(1);
    const log = emu.requests();
    expect(log).toHaveLength(1);
    expect(log[0]!.form).toMatchObject({
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_id: env["AZURE_CLIENT_ID"],
    });
    expect(log[0]!.url).not.toContain(log[0]!.form!["client_assertion"]!);
  });

  it("signs in with a certificate assertion from a sync getAssertion, calling it for each request", async () => {
    let calls = 0;
    const c = new ClientAssertionCredential(
      emu.defaults.tenantId,
      emu.defaults.certificateApp.clientId,
      () => {
        calls += 1;
        return certificateAssertion();
      },
      { authorityHost: emu.authorityHost },
    );
    await c.getToken(freshScope());
    await c.getToken(freshScope());
    expect(calls).toBe(2);
  });

  it("an expired assertion → AuthenticationError with AADSTS700024", async () => {
    const past = Math.floor(Date.now() / 1000) - 7200;
    const c = new ClientAssertionCredential(emu.defaults.tenantId, emu.defaults.certificateApp.clientId, () => certificateAssertion({ nbf: past - 600, exp: past }), {
      authorityHost: emu.authorityHost,
    });
    const error = await failure(c.getToken(freshScope()));
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as AuthenticationError).errorCodes).toContain(700024);
    expect((error as AuthenticationError).statusCode).toBe(401);
  });

  it("a wrong-audience assertion is refused with Entra's code", async () => {
    const c = new ClientAssertionCredential(emu.defaults.tenantId, emu.defaults.certificateApp.clientId, () => certificateAssertion({ aud: "https://elsewhere.example/token" }), {
      authorityHost: emu.authorityHost,
    });
    const error = await failure(c.getToken(freshScope()));
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as AuthenticationError).statusCode).toBeGreaterThanOrEqual(400);
    expect((error as AuthenticationError).errorCodes.length).toBeGreaterThan(0);
  });

  it("a throwing getAssertion sends no request; a tenant not allowed sends none either", async () => {
    emu.clearRequests();
    const throwing = new ClientAssertionCredential(
      emu.defaults.tenantId,
      emu.defaults.certificateApp.clientId,
      () => {
        throw new Error("identity provider down");
      },
      { authorityHost: emu.authorityHost },
    );
    const error = await failure(throwing.getToken(freshScope()));
    expect((error as AuthenticationError).error).toBe("client_assertion_failed");
    const c = new ClientAssertionCredential(emu.defaults.tenantId, emu.defaults.certificateApp.clientId, () => certificateAssertion(), { authorityHost: emu.authorityHost });
    expect(CredentialUnavailableError.isInstance(await failure(c.getToken(freshScope(), { tenantId: "7e1d0000-0000-4000-8000-0000000000bb" })))).toBe(true);
    expect(emu.requests()).toHaveLength(0);
  });

  it("retries a 500 and honours the request log's single request for concurrent callers", async () => {
    const c = new ClientAssertionCredential(emu.defaults.tenantId, emu.defaults.certificateApp.clientId, () => certificateAssertion(), {
      authorityHost: emu.authorityHost,
      retryOptions: { retryDelayInMs: 5 },
    });
    emu.fault({ route: "token", status: 500 });
    emu.clearRequests();
    const scope = freshScope();
    const tokens = await Promise.all(Array.from({ length: 200 }, () => c.getToken(scope)));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(emu.requests().map((r) => r.status)).toEqual([500, 200]);
  });
});
