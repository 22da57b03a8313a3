import { describe, expect, it } from "vitest";
import { AzureAuthorityHosts, normalizeAuthorityHost, regionalAuthorityHost, resolveAuthority, tokenEndpointUrl } from "./authority.js";

describe("normalizeAuthorityHost", () => {
  it("adds https when the scheme is missing and strips trailing slashes", () => {
    expect(normalizeAuthorityHost("login.microsoftonline.us/")).toBe("https://login.microsoftonline.us");
    expect(normalizeAuthorityHost("https://login.microsoftonline.com///")).toBe("https://login.microsoftonline.com");
    expect(normalizeAuthorityHost(" https://host.example/base/ ")).toBe("https://host.example/base");
  });
  it("allows plain http only to loopback hosts", () => {
    expect(normalizeAuthorityHost("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080");
    expect(normalizeAuthorityHost("http://localhost:1")).toBe("http://localhost:1");
    expect(normalizeAuthorityHost("http://[::1]:9")).toBe("http://[::1]:9");
    expect(() => normalizeAuthorityHost("http://login.microsoftonline.com")).toThrow(/must use https.*loopback/);
    expect(() => normalizeAuthorityHost("http://127.0.0.1.evil.example")).toThrow(TypeError);
  });
  it("rejects other schemes, queries, credentials and empty values with a coded TypeError", () => {
    for (const bad of ["ftp://x.example", "https://x.example/?a=1", "https://u:p@x.example", "https://x.example/#f", "", "   ", 42]) {
      let error: unknown;
      try {
        normalizeAuthorityHost(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TypeError);
      expect((error as { code: string }).code).toBe("invalid_authority_host");
    }
  });
});

describe("tokenEndpointUrl", () => {
  it("builds the v2.0 endpoint, and the AD FS one for tenant adfs", () => {
    expect(tokenEndpointUrl("https://login.microsoftonline.com", "contoso.onmicrosoft.com")).toBe(
      "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
    );
    expect(tokenEndpointUrl("https://adfs.contoso.com", "adfs")).toBe("https://adfs.contoso.com/adfs/oauth2/token");
  });
});

describe("resolveAuthority", () => {
  it("prefers the option, then the environment value, then the public cloud", () => {
    expect(resolveAuthority({ authorityHost: AzureAuthorityHosts.AzureGovernment, envAuthorityHost: "https://env.example" }).host).toBe(
      "https://login.microsoftonline.us",
    );
    expect(resolveAuthority({ envAuthorityHost: "env.example/" }).host).toBe("https://env.example");
    expect(resolveAuthority({}).host).toBe("https://login.microsoftonline.com");
  });
  it("names AZURE_AUTHORITY_HOST in the error when the environment value is bad", () => {
    expect(() => resolveAuthority({ envAuthorityHost: "http://example.com" })).toThrow(/AZURE_AUTHORITY_HOST/);
  });
  it("checks the tenant before it reaches the URL", () => {
    expect(() => resolveAuthority().tokenEndpoint("../x")).toThrow(TypeError);
  });
  it("uses regional hosts for client credentials", () => {
    const a = resolveAuthority({ regionalAuthority: "EastUS" });
    expect(a.requestHost).toBe("https://eastus.login.microsoft.com");
    expect(a.tokenEndpoint("t1")).toBe("https://eastus.login.microsoft.com/t1/oauth2/v2.0/token");
    expect(resolveAuthority({ authorityHost: AzureAuthorityHosts.AzureGovernment, regionalAuthority: "usgovvirginia" }).requestHost).toBe(
      "https://usgovvirginia.login.microsoftonline.us",
    );
    expect(resolveAuthority({ regionalAuthority: "AutoDiscoverRegion", detectedRegion: "westeurope" }).requestHost).toBe(
      "https://westeurope.login.microsoft.com",
    );
    expect(resolveAuthority({ regionalAuthority: "AutoDiscoverRegion" }).requestHost).toBe("https://login.microsoftonline.com");
    expect(() => resolveAuthority({ regionalAuthority: "east/us" })).toThrow(/region/);
    expect(regionalAuthorityHost("http://127.0.0.1:5", "eastus")).toBe("http://127.0.0.1:5");
  });
  it("returns a frozen object", () => {
    expect(Object.isFrozen(resolveAuthority())).toBe(true);
  });
});
