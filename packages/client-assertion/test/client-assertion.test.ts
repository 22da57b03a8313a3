// ClientAssertionCredential against a real loopback token endpoint (@id/test-servers/entra-server).
import { inspect } from "node:util";
import { AuthenticationError, CredentialUnavailableError, setLogLevel, setLogSink } from "@id/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientAssertionCredential } from "../src/index.js";
import type { ClientAssertionCredentialOptions, GetAssertion } from "../src/index.js";
import { startFakeEntra } from "@id/test-servers/entra-server";
import type { FakeEntra } from "@id/test-servers/entra-server";

let entra: FakeEntra;
let scopeN = 0;
const freshScope = () => `api://assert-${++scopeN}/.default`;

beforeAll(async () => {
  entra = await startFakeEntra();
});
afterAll(() => entra.close());

function credential(getAssertion: GetAssertion = () => entra.validAssertion, options: ClientAssertionCredentialOptions = {}) {
  return new ClientAssertionCredential(entra.tenantId, entra.clientId, getAssertion, { authorityHost: entra.url, retryOptions: { retryDelayInMs: 5 }, ...options });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

describe("ClientAssertionCredential", () => {
  it("sends the assertion with the jwt-bearer type; sync and async callbacks", async () => {
    const before = entra.requests.length;
    const t1 = await credential(() => entra.validAssertion).getToken(freshScope());
    const t2 = await credential(async () => entra.validAssertion).getToken(freshScope());
    expect(t1.token).toMatch(/^token-/);
    expect(t2.token).not.toBe(t1.token);
    const sent = entra.requests.slice(before);
    expect(sent).toHaveLength(2);
    expect(sent[0]!.form).toMatchObject({
      grant_type: "client_credentials",
      client_id: entra.clientId,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: entra.validAssertion,
    });
    expect(sent[0]!.form["client_secret"]).toBeUndefined();
    expect(sent[0]!.url).not.toContain(entra.validAssertion);
  });

  it("calls getAssertion for every token request, and only then", async () => {
    let calls = 0;
    const c = credential(() => {
      calls += 1;
      return entra.validAssertion;
    });
    const scope = freshScope();
    await Promise.all(Array.from({ length: 100 }, () => c.getToken(scope)));
    await c.getToken(scope);
    expect(calls).toBe(1);
    await c.getToken(freshScope());
    await c.getToken(scope, { claims: '{"access_token":{"nbf":{"essential":true,"value":"1"}}}' });
    expect(calls).toBe(3);
  });

  it("maps a rejected assertion to AuthenticationError with the AADSTS code", async () => {
    const error = await failure(credential(() => "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.bad").getToken(freshScope()));
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as AuthenticationError).errorCodes).toEqual([700027]);
    expect((error as AuthenticationError).statusCode).toBe(401);
  });

  it("reports a throwing getAssertion as AuthenticationError client_assertion_failed, without a request", async () => {
    const before = entra.requests.length;
    const cause = new Error("token file missing");
    const error = await failure(
      credential(() => {
        throw cause;
      }).getToken(freshScope()),
    );
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect((error as AuthenticationError).error).toBe("client_assertion_failed");
    expect((error as Error).message).toContain("getAssertion threw (Error: token file missing)");
    expect((error as Error).cause).toBe(cause);
    const rejected = await failure(credential(() => Promise.reject(new TypeError("boom"))).getToken(freshScope()));
    expect((rejected as Error).message).toContain("TypeError: boom");
    expect(entra.requests.length).toBe(before);
  });

  it("reports a non-string or empty assertion as a coded TypeError", async () => {
    for (const value of [undefined, null, 42, "", "  ", { jwt: "x" }]) {
      const error = await failure(credential(() => value as never).getToken(freshScope()));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as { code: string }).code).toBe("invalid_client_assertion");
    }
  });

  it("keeps assertion content out of messages and logs", async () => {
    const lines: string[] = [];
    setLogSink((_l, line) => lines.push(line));
    setLogLevel("verbose");
    try {
      const secretAssertion = "eyJhbGciOiJSUzI1NiJ9.eyJzZWNyZXQiOiJ5ZXMifQ.c2lnbmF0dXJlLXZhbHVl";
      const errors = [
        await failure(credential(() => secretAssertion).getToken(freshScope())),
        await failure(
          credential(() => {
            throw new Error(`could not refresh ${secretAssertion}`);
          }).getToken(freshScope()),
        ),
      ];
      // The caller's own error stays reachable as `cause` (its content is the caller's); our message and
      // the rest of our error never repeat it.
      const texts = [
        ...lines,
        ...errors.flatMap((e) => [String(e), (e as Error).message, JSON.stringify(e)]),
        inspect(errors[0]),
        ...entra.requests.map((r) => r.url),
      ];
      expect(lines.length).toBeGreaterThan(0);
      for (const text of texts) expect(text).not.toContain(secretAssertion);
    } finally {
      setLogLevel(undefined);
      setLogSink((level, line) => console.error(`${level.toUpperCase()} ${line}`));
    }
  });

  it("applies the tenant rule, CAE and abort like every client-credentials credential", async () => {
    const scope = freshScope();
    expect(CredentialUnavailableError.isInstance(await failure(credential().getToken(scope, { tenantId: entra.otherTenantId })))).toBe(true);
    const multi = credential(undefined, { additionallyAllowedTenants: ["*"] });
    expect((await multi.getToken(scope, { tenantId: entra.otherTenantId })).token).toContain(entra.otherTenantId);
    await multi.getToken(scope, { enableCae: true });
    expect(JSON.parse(entra.requests.at(-1)!.form["claims"]!)).toEqual({ access_token: { xms_cc: { values: ["cp1"] } } });
    await expect(multi.getToken(freshScope(), { abortSignal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
  });

  it("validates constructor arguments with coded TypeErrors", () => {
    const cases: Array<[() => unknown, string]> = [
      [() => new ClientAssertionCredential("../x", "c", () => "a"), "invalid_tenant_id"],
      [() => new ClientAssertionCredential("t", "", () => "a"), "invalid_client_id"],
      [() => new ClientAssertionCredential("t", "c", undefined as never), "invalid_get_assertion"],
      [() => new ClientAssertionCredential("t", "c", "a-jwt" as never), "invalid_get_assertion"],
      [() => new ClientAssertionCredential("t", "c", () => "a", { authorityHost: "ftp://x" }), "invalid_authority_host"],
    ];
    for (const [make, code] of cases) {
      let error: unknown;
      try {
        make();
      } catch (e) {
        error = e;
      }
      expect(error, code).toBeInstanceOf(TypeError);
      expect((error as { code: string }).code).toBe(code);
    }
  });
});
