/** OIDC discovery per tenant, JWKS and instance discovery (protocols.md §1.14, §1.15). */
import type { EmulatorContext, IncomingRequest } from "./context.js";
import { fail } from "./entra-error.js";
import { jsonReply, type Reply } from "./reply.js";
import { resolveTenant } from "./token-endpoint.js";

const MULTI_TENANT = new Set(["common", "organizations"]);

export function openIdConfiguration(ctx: EmulatorContext, req: IncomingRequest, segment: string): Reply {
  const tenant = resolveTenant(ctx, segment);
  const multi = MULTI_TENANT.has(segment.toLowerCase());
  const seg = multi ? segment.toLowerCase() : tenant.id;
  const base = `${req.origin}/${seg}`;
  const issuer = multi ? `${req.origin}/{tenantid}/v2.0` : ctx.issuer(tenant.id);
  return jsonReply(200, {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer,
    request_uri_parameter_supported: false,
    userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host",
      "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash",
      "c_hash", "email",
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: "NA",
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  });
}

export function jwks(ctx: EmulatorContext, segment: string): Reply {
  const tenant = resolveTenant(ctx, segment);
  const issuer = MULTI_TENANT.has(segment.toLowerCase()) ? undefined : ctx.issuer(tenant.id);
  return jsonReply(200, { keys: ctx.key.jwks(issuer) });
}

export function instanceDiscovery(req: IncomingRequest): Reply {
  const endpoint = req.query.get("authorization_endpoint");
  const host = new URL(req.origin).host;
  let tenantSegment = "common";
  if (endpoint !== null && endpoint !== "") {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return fail("invalid_instance", 50049, "Unknown or invalid instance. The authorization_endpoint is not a valid URL.");
    }
    tenantSegment = url.pathname.split("/")[1] || "common";
    const known = new Set([host, `localhost:${new URL(req.origin).port}`, `127.0.0.1:${new URL(req.origin).port}`]);
    if (!known.has(url.host)) return fail("invalid_instance", 50049, "Unknown or invalid instance.");
  }
  return jsonReply(200, {
    tenant_discovery_endpoint: `${req.origin}/${tenantSegment}/v2.0/.well-known/openid-configuration`,
    "api-version": req.query.get("api-version") ?? "1.1",
    metadata: [
      {
        preferred_network: host,
        preferred_cache: host,
        aliases: [...new Set([host, `localhost:${new URL(req.origin).port}`, `127.0.0.1:${new URL(req.origin).port}`])],
      },
    ],
  });
}
