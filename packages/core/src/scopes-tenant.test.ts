import { describe, expect, it } from "vitest";
import { CredentialUnavailableError } from "./errors.js";
import { assertProcessScope, normalizeScopes, scopeKey, scopeToResource } from "./scopes.js";
import { checkTenantId, defaultTenantId, isValidTenantId, resolveAdditionallyAllowedTenants, resolveTenantId } from "./tenant.js";

describe("scopes", () => {
  it("accepts a string or a non-empty array, and returns a copy", () => {
    const input = ["https://vault.azure.net/.default"];
    const out = normalizeScopes(input);
    expect(out).toEqual(input);
    expect(out).not.toBe(input);
    expect(normalizeScopes("https://graph.microsoft.com/.default")).toEqual(["https://graph.microsoft.com/.default"]);
  });

  it.each([
    [[], /"scopes" must contain at least one scope/],
    [[""], /"scopes\[0\]" must be a non-empty scope/],
    ["", /"scopes" must be a non-empty scope/],
    [["a", "b c"], /"scopes\[1\]" must be a non-empty scope .* without spaces/],
    [[42], /"scopes\[0\]" must be a non-empty scope .*; got number/],
    [null, /"scopes" must be a non-empty scope .*; got null/],
    [{ 0: "x" }, /got object/],
    ["x".repeat(1025), /at most 1024 characters/],
  ])("rejects %j with a TypeError naming the field", (input, message) => {
    let thrown: unknown;
    try {
      normalizeScopes(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as { code: string }).code).toBe("invalid_scope");
    expect((thrown as Error).message).toMatch(message);
  });

  it("keys scopes regardless of order and duplicates", () => {
    expect(scopeKey(["b", "a", "b"])).toBe(scopeKey(["a", "b"]));
    expect(scopeKey(["only"])).toBe("only");
  });

  it("lets only safe characters reach a process", () => {
    expect(assertProcessScope("https://management.core.windows.net//.default")).toBe("https://management.core.windows.net//.default");
    for (const bad of ["--query accessToken", "a;rm -rf", "a\nb", "$(x)", "a b", "ünï"]) {
      expect(() => assertProcessScope(bad)).toThrow(/only letters, digits and "-_.:\/" may be passed/);
    }
  });

  it("turns a scope into a resource", () => {
    expect(scopeToResource("https://vault.azure.net/.default")).toBe("https://vault.azure.net");
    expect(scopeToResource("https://vault.azure.net")).toBe("https://vault.azure.net");
  });
});

describe("tenants", () => {
  it("accepts GUIDs, domains and well-known names", () => {
    for (const ok of ["72f988bf-86f1-41af-91ab-2d7cd011db47", "contoso.onmicrosoft.com", "organizations", "common", "adfs"]) {
      expect(checkTenantId(ok)).toBe(ok);
    }
  });

  it.each(["a/b", "..", "../x", "a..b", "with space", "tenänt", "", ".", "x".repeat(257)])("rejects %j", (bad) => {
    expect(isValidTenantId(bad)).toBe(false);
    expect(() => checkTenantId(bad)).toThrow(TypeError);
    expect(() => checkTenantId(bad)).toThrow(/Invalid "tenantId": use the directory \(tenant\) id or a verified domain \(letters, digits, "-" and "\." only\)/);
  });

  it("names the type of a non-string tenant", () => {
    expect(() => checkTenantId(undefined, "AZURE_TENANT_ID")).toThrow(/Invalid "AZURE_TENANT_ID" \(got undefined\)/);
  });

  it("chooses the default tenant from the client id", () => {
    expect(defaultTenantId()).toBe("organizations");
    expect(defaultTenantId("04b07795-8ddb-461a-bbee-02f9e1bf7b46")).toBe("organizations");
    expect(defaultTenantId("another")).toBe("common");
  });

  it("normalises additionallyAllowedTenants", () => {
    expect(resolveAdditionallyAllowedTenants(undefined)).toEqual([]);
    expect(resolveAdditionallyAllowedTenants(["a", "*"])).toEqual(["*"]);
    expect(() => resolveAdditionallyAllowedTenants(["ok", "bad/one"])).toThrow(/additionallyAllowedTenants\[1\]/);
    expect(() => resolveAdditionallyAllowedTenants("*")).toThrow(/must be an array/);
  });

  it("resolves the request tenant by the multi-tenant rules", () => {
    expect(resolveTenantId({ configuredTenantId: "home" })).toBe("home");
    expect(resolveTenantId({ configuredTenantId: "home", requestedTenantId: "home" })).toBe("home");
    expect(resolveTenantId({ requestedTenantId: "other" })).toBe("other");
    expect(resolveTenantId({})).toBeUndefined();
    expect(resolveTenantId({ configuredTenantId: "home", requestedTenantId: "other", additionallyAllowedTenants: ["other"] })).toBe("other");
    expect(resolveTenantId({ configuredTenantId: "home", requestedTenantId: "other", additionallyAllowedTenants: ["*"] })).toBe("other");
    expect(resolveTenantId({ configuredTenantId: "home", requestedTenantId: "other", disableMultiTenantAuth: true })).toBe("home");
    expect(resolveTenantId({ configuredTenantId: "adfs", requestedTenantId: "other", additionallyAllowedTenants: ["*"] })).toBe("adfs");
  });

  it("refuses a tenant that is not allowed with CredentialUnavailableError and the incumbent's advice", () => {
    const attempt = () => resolveTenantId({ configuredTenantId: "home", requestedTenantId: "other", additionallyAllowedTenants: ["third"] });
    expect(attempt).toThrow(CredentialUnavailableError);
    expect(attempt).toThrow(
      'Tenant other is not allowed: add it, or "*" for any tenant, to the credential\'s additionallyAllowedTenants.',
    );
  });

  it("validates a requested tenant before anything else", () => {
    expect(() => resolveTenantId({ configuredTenantId: "home", requestedTenantId: "../evil", additionallyAllowedTenants: ["*"] })).toThrow(TypeError);
  });
});
