import { describe, expect, it } from "vitest";
import { EntraErrorSignal } from "./entra-error.js";
import { appOnlyResource, delegatedScopes } from "./scopes.js";

function code(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof EntraErrorSignal) return error.input.code;
    throw error;
  }
  return undefined;
}

describe("appOnlyResource", () => {
  it("takes the resource of /.default scopes, keeping a trailing slash and GUID or api:// resources", () => {
    expect(appOnlyResource("https://management.azure.com//.default")).toBe("https://management.azure.com/");
    expect(appOnlyResource("00000003-0000-0000-c000-000000000000/.default")).toBe("00000003-0000-0000-c000-000000000000");
    expect(appOnlyResource("api://my-api/.default openid")).toBe("api://my-api");
  });

  it("maps bad scopes to Entra's codes", () => {
    expect(code(() => appOnlyResource(""))).toBe(900144);
    expect(code(() => appOnlyResource("https://graph.microsoft.com/User.Read"))).toBe(1002012);
    expect(code(() => appOnlyResource("User.Read"))).toBe(70011);
    expect(code(() => appOnlyResource("openid"))).toBe(70011);
    expect(code(() => appOnlyResource("not-a-uri/.default"))).toBe(70011);
    expect(code(() => appOnlyResource("https://a.example/.default https://b.example/.default"))).toBe(700022);
  });
});

describe("delegatedScopes", () => {
  it("splits resource, scp names and OIDC scopes", () => {
    expect(delegatedScopes("https://graph.microsoft.com/User.Read openid offline_access")).toMatchObject({
      resource: "https://graph.microsoft.com",
      names: ["User.Read"],
      openid: true,
      offlineAccess: true,
    });
    expect(delegatedScopes("User.Read Mail.Send")).toMatchObject({ resource: "https://graph.microsoft.com", names: ["User.Read", "Mail.Send"] });
    expect(delegatedScopes("api://my-api/access_as_user")).toMatchObject({ resource: "api://my-api", names: ["access_as_user"] });
    expect(delegatedScopes("https://vault.azure.net/.default")).toMatchObject({ resource: "https://vault.azure.net", names: ["user_impersonation"] });
    expect(delegatedScopes("openid profile")).toMatchObject({ resource: "https://graph.microsoft.com", names: ["User.Read"], openid: true, offlineAccess: false });
  });

  it("rejects two resources and malformed scopes", () => {
    expect(code(() => delegatedScopes("https://a.example/x https://b.example/y"))).toBe(700022);
    expect(code(() => delegatedScopes("bad<scope>"))).toBe(70011);
    expect(code(() => delegatedScopes(undefined))).toBe(900144);
  });
});
