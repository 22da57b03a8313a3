import { CredentialUnavailableError, TokenCache } from "@id/core";
import { afterEach, describe, expect, it } from "vitest";
import { CLIENT_ASSERTION_TYPE, createClientCredentialFlow, createEntraClient, resolveAuthority } from "../src/index.js";
import type { ClientAuthenticationContext } from "../src/index.js";
import { json, startServer, token } from "./http-server.js";
import type { TestServer } from "./http-server.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function flow(url: string, extra: Partial<Parameters<typeof createClientCredentialFlow>[0]> = {}) {
  const contexts: ClientAuthenticationContext[] = [];
  const getToken = createClientCredentialFlow({
    credentialName: "TestCredential",
    kind: "test",
    tenantId: "home",
    clientId: "client-1",
    client: createEntraClient({ authority: resolveAuthority({ authorityHost: url }), retryOptions: { retryDelayInMs: 1 } }),
    credentialHash: Promise.resolve("hash-1"),
    cache: new TokenCache(),
    authenticate: (context) => {
      contexts.push(context);
      return { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: "assertion-value" };
    },
    ...extra,
  });
  return { getToken, contexts };
}

const form = (s: TestServer, i: number) => Object.fromEntries(new URLSearchParams(s.requests[i]!.body));

describe("createClientCredentialFlow", () => {
  it("requests with the client-credentials form and the authentication fields", async () => {
    server = await startServer(token("t1"));
    const { getToken, contexts } = flow(server.url);
    const token1 = await getToken(["api://a/.default"]);
    expect(token1.token).toBe("t1");
    expect(form(server, 0)).toEqual({
      client_id: "client-1",
      scope: "api://a/.default",
      grant_type: "client_credentials",
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: "assertion-value",
    });
    expect(contexts[0]).toMatchObject({ tenantId: "home", tokenEndpoint: `${server.url}/home/oauth2/v2.0/token` });
  });

  it("shares one request among 1,000 concurrent callers and then serves from the cache", async () => {
    server = await startServer((_req, res) => setTimeout(() => token("shared")(_req, res, ""), 50));
    const { getToken } = flow(server.url);
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => getToken("api://a/.default")));
    expect(new Set(tokens.map((t) => t.token))).toEqual(new Set(["shared"]));
    await getToken(["api://a/.default"]);
    expect(server.requests).toHaveLength(1);
  });

  it("makes a fresh request for claims and keeps CAE tokens apart", async () => {
    let n = 0;
    server = await startServer((req, res) => token(`t${++n}`)(req, res, ""));
    const { getToken } = flow(server.url);
    expect((await getToken("s/.default")).token).toBe("t1");
    expect((await getToken("s/.default", { enableCae: true })).token).toBe("t2");
    expect((await getToken("s/.default", { enableCae: true })).token).toBe("t2");
    expect((await getToken("s/.default", { enableCae: true, claims: '{"access_token":{"nbf":{"essential":true,"value":"1"}}}' })).token).toBe("t3");
    expect(server.requests).toHaveLength(3);
    expect(JSON.parse(form(server, 1)["claims"]!)).toEqual({ access_token: { xms_cc: { values: ["cp1"] } } });
    expect(form(server, 0)["claims"]).toBeUndefined();
  });

  it("applies the tenant rule", async () => {
    server = await startServer(token());
    const { getToken } = flow(server.url, { additionallyAllowedTenants: ["other"] });
    await getToken("s/.default", { tenantId: "other" });
    expect(server.requests[0]!.url).toMatch(/^\/other\//);
    await expect(getToken("s/.default", { tenantId: "third" })).rejects.toSatisfy((e) => CredentialUnavailableError.isInstance(e));
    await expect(getToken("s/.default", { tenantId: "../x" })).rejects.toThrow(TypeError);
    const pinned = flow(server.url, { additionallyAllowedTenants: ["*"], disableMultiTenantAuth: true });
    await pinned.getToken("s/.default", { tenantId: "other" });
    expect(server.requests[1]!.url).toMatch(/^\/home\//);
  });

  it("keeps tokens of each tenant apart, and serves every scope from the cache past the slot bound", async () => {
    server = await startServer((req, res, body) => {
      const tenant = req.url!.split("/")[1]!;
      const scope = new URLSearchParams(body).get("scope")!;
      token(`${tenant} ${scope}`)(req, res, body);
    });
    const { getToken } = flow(server.url, { additionallyAllowedTenants: ["*"] });
    expect((await getToken("s/.default")).token).toBe("home s/.default");
    expect((await getToken("s/.default", { tenantId: "other" })).token).toBe("other s/.default");
    expect((await getToken("s/.default", { tenantId: "other" })).token).toBe("other s/.default");
    expect((await getToken(["s/.default"])).token).toBe("home s/.default");
    expect(server.requests).toHaveLength(2);
    // More scopes than the flow keeps slots for (1,024): the slots start again, the cache still answers.
    const scopes = Array.from({ length: 1100 }, (_, i) => `api://r${i}/.default`);
    for (const scope of scopes) await getToken(scope);
    for (const scope of scopes) expect((await getToken(scope)).token).toBe(`home ${scope}`);
    expect(server.requests).toHaveLength(1102);
  });

  it("rejects bad scopes without a request", async () => {
    server = await startServer(token());
    const { getToken } = flow(server.url);
    await expect(getToken([])).rejects.toThrow(expect.objectContaining({ code: "invalid_scope" }));
    await expect(getToken("has space")).rejects.toThrow(TypeError);
    expect(server.requests).toHaveLength(0);
  });

  it("surfaces a failing authenticate() without a request", async () => {
    server = await startServer(token());
    const { getToken } = flow(server.url, {
      authenticate: () => {
        throw new Error("no assertion today");
      },
    });
    await expect(getToken("s/.default")).rejects.toThrow("no assertion today");
    expect(server.requests).toHaveLength(0);
  });

  it("surfaces a failed credential hash through getToken only", async () => {
    server = await startServer(token());
    const { getToken } = flow(server.url, { credentialHash: Promise.reject(new Error("no WebCrypto here")) });
    await new Promise((r) => setTimeout(r, 20));
    await expect(getToken("s/.default")).rejects.toThrow("no WebCrypto here");
    expect(server.requests).toHaveLength(0);
  });

  it("does not cache failures", async () => {
    server = await startServer(json(400, { error: "invalid_scope", error_description: "AADSTS70011: bad" }), token("ok"));
    const { getToken } = flow(server.url);
    await expect(getToken("s/.default")).rejects.toMatchObject({ errorCodes: [70011] });
    expect((await getToken("s/.default")).token).toBe("ok");
  });
});
