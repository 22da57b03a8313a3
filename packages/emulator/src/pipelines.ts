/**
 * Azure Pipelines OIDC endpoint (protocols.md §4) and the workload-identity service-account token issuer
 * (§2.9). Both mint JWTs with the emulator's key; apps trust them through federated credentials.
 */
import { randomUUID } from "node:crypto";
import { header, type EmulatorContext, type IncomingRequest } from "./context.js";
import { jsonReply, type Reply } from "./reply.js";

export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

export interface ServiceConnection {
  id: string;
  clientId: string;
  tenantId: string;
  /** `sub` of the OIDC token. */
  subject: string;
}

function vssHeaders(): Record<string, string> {
  return { "x-vss-e2eid": randomUUID(), "x-msedge-ref": `Ref A: ${randomUUID().replace(/-/g, "").toUpperCase()} Ref B: EMU Ref C: ${new Date().toISOString()}` };
}

function vssError(status: number, message: string, typeKey: string): Reply {
  return jsonReply(
    status,
    { $id: "1", innerException: null, message, typeName: `Microsoft.TeamFoundation.${typeKey}, Microsoft.TeamFoundation`, typeKey, errorCode: 0, eventId: 3000 },
    vssHeaders(),
  );
}

export function pipelinesErrorBody(status: number): Record<string, unknown> {
  return { $id: "1", innerException: null, message: `Injected fault: HTTP ${status}`, typeKey: "InjectedFault", errorCode: 0, eventId: 3000 };
}

export function pipelinesIssuer(origin: string): string {
  return `${origin}/pipelines`;
}

export function workloadIssuer(origin: string): string {
  return `${origin}/k8s`;
}

/** POST {SYSTEM_OIDCREQUESTURI}?api-version=7.1&serviceConnectionId=<id> with Authorization: Bearer <System.AccessToken>. */
export async function pipelinesOidcToken(
  ctx: EmulatorContext,
  req: IncomingRequest,
  connections: Map<string, ServiceConnection>,
): Promise<Reply> {
  if (req.method !== "POST") return vssError(405, "The requested resource does not support http method 'GET'.", "HttpMethodNotAllowed");
  const authorization = header(req, "authorization") ?? "";
  const bearer = /^Bearer (.+)$/i.exec(authorization)?.[1];
  if (bearer !== ctx.secrets.pipelinesAccessToken) {
    return vssError(401, "TF400813: The user '' is not authorized to access this resource.", "UnauthorizedRequestException");
  }
  const apiVersion = req.query.get("api-version") ?? "";
  if (!apiVersion.startsWith("7.1")) {
    return vssError(400, `The requested REST API version of ${apiVersion || "(none)"} is not supported; use 7.1.`, "VssVersionOutOfRangeException");
  }
  const id = req.query.get("serviceConnectionId") ?? "";
  const connection = connections.get(id.toLowerCase());
  if (!connection) {
    return vssError(404, `The service connection '${id}' does not exist or has not been authorized for use.`, "ServiceEndpointNotFoundException");
  }
  req.log.clientId = connection.clientId;
  const now = Math.floor(Date.now() / 1000);
  const oidcToken = await ctx.key.signJwt({
    jti: randomUUID(),
    sub: connection.subject,
    aud: TOKEN_EXCHANGE_AUDIENCE,
    iss: pipelinesIssuer(req.origin),
    nbf: now,
    iat: now,
    exp: now + 600,
  });
  return jsonReply(200, { oidcToken }, vssHeaders());
}

/** OIDC discovery and JWKS of the service-account issuer, like a Kubernetes cluster publishes them. */
export function workloadIssuerDocument(ctx: EmulatorContext, req: IncomingRequest, kind: "discovery" | "jwks"): Reply {
  const issuer = workloadIssuer(req.origin);
  if (kind === "jwks") return jsonReply(200, { keys: ctx.key.jwks() });
  return jsonReply(200, {
    issuer,
    jwks_uri: `${issuer}/openid/v1/jwks`,
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
  });
}
