import { describe, expect, it } from "vitest";
import { getBearerTokenProvider } from "./bearer-token-provider.js";
import { ChainedTokenCredential } from "./chained-token-credential.js";
import { AggregateAuthenticationError, AuthenticationError, AuthenticationRequiredError, CredentialUnavailableError } from "./errors.js";
import type { AccessToken, GetTokenOptions, TokenCredential } from "./types.js";

class Fixed implements TokenCredential {
  calls = 0;
  constructor(private readonly outcome: () => AccessToken | null | Promise<AccessToken | null>) {}
  async getToken(): Promise<AccessToken | null> {
    this.calls += 1;
    return this.outcome();
  }
}

const token = (name: string, lifetimeMs = 3_600_000): AccessToken => ({
  token: name,
  expiresOnTimestamp: Date.now() + lifetimeMs,
  refreshAfterTimestamp: Date.now() + lifetimeMs / 2,
});

describe("ChainedTokenCredential", () => {
  it("moves on past unavailable and authentication-required credentials", async () => {
    const a = new Fixed(() => Promise.reject(new CredentialUnavailableError("a unavailable")));
    const b = new Fixed(() => Promise.reject(new AuthenticationRequiredError({ scopes: ["s"] })));
    const c = new Fixed(() => token("from-c"));
    const d = new Fixed(() => token("from-d"));
    const chain = new ChainedTokenCredential(a, b, c, d);
    expect((await chain.getToken("s"))?.token).toBe("from-c");
    expect([a.calls, b.calls, c.calls, d.calls]).toEqual([1, 1, 1, 0]);
  });

  it("stops at the first real failure and throws it unchanged", async () => {
    const refused = new AuthenticationError(401, { error: "invalid_client", errorDescription: "AADSTS7000215: Invalid client secret provided." });
    const later = new Fixed(() => token("never"));
    const chain = new ChainedTokenCredential(new Fixed(() => Promise.reject(refused)), later);
    await expect(chain.getToken("s")).rejects.toBe(refused);
    expect(later.calls).toBe(0);
  });

  it("stops on a plain Error too (a bug is not 'unavailable')", async () => {
    const chain = new ChainedTokenCredential(new Fixed(() => Promise.reject(new RangeError("bug"))), new Fixed(() => token("x")));
    await expect(chain.getToken("s")).rejects.toThrow(RangeError);
  });

  it("throws AggregateAuthenticationError listing every attempt when all are unavailable", async () => {
    const chain = new ChainedTokenCredential(
      new Fixed(() => Promise.reject(new CredentialUnavailableError("EnvironmentCredential: AZURE_TENANT_ID is not set."))),
      new Fixed(() => null),
    );
    const error = await chain.getToken("s").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateAuthenticationError);
    expect((error as AggregateAuthenticationError).message).toBe(
      [
        "ChainedTokenCredential authentication failed.",
        "CredentialUnavailableError: EnvironmentCredential: AZURE_TENANT_ID is not set.",
        "CredentialUnavailableError: Fixed returned no token.",
      ].join("\n"),
    );
    expect((error as AggregateAuthenticationError).errors).toHaveLength(2);
  });

  it("passes scopes and options through", async () => {
    let seen: [string | string[], GetTokenOptions | undefined] | undefined;
    const spy: TokenCredential = {
      getToken: async (scopes, options) => {
        seen = [scopes, options];
        return token("t");
      },
    };
    await new ChainedTokenCredential(spy).getToken(["a", "b"], { tenantId: "x" });
    expect(seen).toEqual([["a", "b"], { tenantId: "x" }]);
  });

  it("rejects a non-credential at construction", () => {
    expect(() => new ChainedTokenCredential({} as TokenCredential)).toThrow(/argument 0 is not a credential/);
  });

  it("throws AggregateAuthenticationError for an empty chain", async () => {
    await expect(new ChainedTokenCredential().getToken("s")).rejects.toThrow(/The chain has no credentials/);
  });
});

describe("getBearerTokenProvider", () => {
  it("returns the token string and asks the credential once while the token is fresh", async () => {
    const source = new Fixed(() => token("bearer-1"));
    const provider = getBearerTokenProvider(source, "https://cognitiveservices.azure.com/.default");
    const values = await Promise.all([provider(), provider(), provider()]);
    expect(values).toEqual(["bearer-1", "bearer-1", "bearer-1"]);
    expect(await provider()).toBe("bearer-1");
    expect(source.calls).toBe(1);
  });

  it("asks again once the token's refresh time has passed, serving the old token meanwhile", async () => {
    let n = 0;
    const source = new Fixed(() => {
      n += 1;
      return { token: `t${n}`, expiresOnTimestamp: Date.now() + 3_600_000, refreshAfterTimestamp: Date.now() - 1 };
    });
    const provider = getBearerTokenProvider(source, "s");
    expect(await provider()).toBe("t1");
    expect(await provider()).toBe("t1"); // refresh started in the background
    await new Promise((r) => setTimeout(r, 0));
    expect(await provider()).toBe("t2");
  });

  it("fails when the credential returns no token, and validates its arguments", async () => {
    await expect(getBearerTokenProvider(new Fixed(() => null), "s")()).rejects.toThrow(CredentialUnavailableError);
    expect(() => getBearerTokenProvider({} as TokenCredential, "s")).toThrow(TypeError);
    expect(() => getBearerTokenProvider(new Fixed(() => null), [])).toThrow(/at least one scope/);
  });
});
