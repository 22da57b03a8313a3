/** Scope parsing for the v2.0 endpoint: resources, `/.default`, OIDC scopes (protocols.md §1.2, §1.5). */
import { isGuid } from "./directory.js";
import { fail } from "./entra-error.js";
import { OIDC_SCOPES } from "./tokens.js";

export const GRAPH = "https://graph.microsoft.com";

export function splitScopes(scope: string | undefined): string[] {
  return (scope ?? "").split(/\s+/).filter((s) => s.length > 0);
}

function isResourceLike(resource: string): boolean {
  return isGuid(resource) || /^[a-z][a-z0-9+.-]*:\/\/?[^\s]+$/i.test(resource) || /^api:\/\/[^\s]+$/i.test(resource);
}

/** Client credentials: exactly one resource, every scope `<resource>/.default`. Returns the resource. */
export function appOnlyResource(scope: string | undefined): string {
  const scopes = splitScopes(scope);
  if (scopes.length === 0) return fail("invalid_request", 900144, "The request body must contain the following parameter: 'scope'.");
  const resources = new Set<string>();
  for (const s of scopes) {
    if (OIDC_SCOPES.has(s.toLowerCase())) continue;
    if (!s.endsWith("/.default")) {
      if (s.includes("/") && isResourceLike(s.slice(0, s.lastIndexOf("/")))) {
        return fail(
          "invalid_scope",
          1002012,
          `The provided value for scope ${s} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        );
      }
      return fail("invalid_scope", 70011, `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${s} is not valid.`);
    }
    const resource = s.slice(0, -"/.default".length);
    if (!isResourceLike(resource)) {
      return fail("invalid_scope", 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${s} is not valid.`);
    }
    resources.add(resource);
  }
  if (resources.size === 0) {
    return fail("invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid. The scope must name a resource with /.default.");
  }
  if (resources.size > 1) {
    return fail("invalid_scope", 700022, "The provided value for the input parameter scope is not valid because it contains more than one resource. Scope " + [...resources].join(" ") + " is not valid.");
  }
  return [...resources][0] as string;
}

export interface DelegatedScopes {
  resource: string;
  /** `scp` names (without the resource prefix). */
  names: string[];
  /** All requested scopes, as granted (the `scope` field of the response). */
  granted: string[];
  openid: boolean;
  offlineAccess: boolean;
}

/** User flows: any number of OIDC scopes plus scopes of one resource (Graph when only names are given). */
export function delegatedScopes(scope: string | undefined): DelegatedScopes {
  const scopes = splitScopes(scope);
  if (scopes.length === 0) return fail("invalid_request", 900144, "The request body must contain the following parameter: 'scope'.");
  const resources = new Set<string>();
  const names: string[] = [];
  let openid = false;
  let offlineAccess = false;
  for (const s of scopes) {
    const lower = s.toLowerCase();
    if (OIDC_SCOPES.has(lower)) {
      if (lower === "openid") openid = true;
      if (lower === "offline_access") offlineAccess = true;
      continue;
    }
    const slash = s.lastIndexOf("/");
    if (slash <= 0 || (s.startsWith("api://") && slash < "api://".length)) {
      if (!/^[A-Za-z0-9._-]+$/.test(s)) return fail("invalid_scope", 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${s} is not valid.`);
      resources.add(GRAPH);
      names.push(s);
      continue;
    }
    const resource = s.slice(0, slash);
    const name = s.slice(slash + 1);
    if (!isResourceLike(resource) || name.length === 0) {
      return fail("invalid_scope", 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${s} is not valid.`);
    }
    resources.add(resource);
    names.push(name === ".default" ? "user_impersonation" : name);
  }
  if (resources.size > 1) {
    return fail("invalid_scope", 700022, "The provided value for the input parameter scope is not valid because it contains more than one resource.");
  }
  const resource = [...resources][0] ?? GRAPH;
  if (names.length === 0) names.push("User.Read");
  return { resource, names, granted: scopes, openid, offlineAccess };
}
