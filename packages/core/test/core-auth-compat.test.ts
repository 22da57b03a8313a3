// Proves structural compatibility with @azure/core-auth 1.x (a dev dependency only): the assignments
// below are checked by `tsc` (pnpm typecheck), and the runtime test uses core-auth's own type guard.
import type * as CoreAuth from "@azure/core-auth";
import { isTokenCredential } from "@azure/core-auth";
import { describe, expect, it } from "vitest";
import { ChainedTokenCredential } from "../src/chained-token-credential.js";
import type { AccessToken, GetTokenOptions, TokenCredential } from "../src/types.js";

// Ours → theirs, and theirs → ours.
const toTheirs = (credential: TokenCredential): CoreAuth.TokenCredential => credential;
const toOurs = (credential: CoreAuth.TokenCredential): TokenCredential => credential;
const tokenToTheirs = (token: AccessToken): CoreAuth.AccessToken => token;
const tokenToOurs = (token: CoreAuth.AccessToken): AccessToken => token;
const optionsToOurs = (options: CoreAuth.GetTokenOptions): GetTokenOptions => options;
const optionsToTheirs = (options: GetTokenOptions): CoreAuth.GetTokenOptions => options;

describe("@azure/core-auth compatibility", () => {
  it("an @id credential is a core-auth TokenCredential", () => {
    const chain: CoreAuth.TokenCredential = toTheirs(new ChainedTokenCredential());
    expect(isTokenCredential(chain)).toBe(true);
    expect([toOurs, tokenToTheirs, tokenToOurs, optionsToOurs, optionsToTheirs].every((f) => typeof f === "function")).toBe(true);
  });
});
