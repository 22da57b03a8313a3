/**
 * Managed-identity endpoints, each with the path, headers, query and response shape of the real source
 * (protocols.md §2): IMDS, App Service (2019-08-01), Azure Arc (401 challenge + key file), Cloud Shell,
 * Service Fabric (its own HTTPS listener) and Azure Machine Learning.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { header, type EmulatorContext, type IncomingRequest } from "./context.js";
import type { ManagedIdentity, User } from "./directory.js";
import { jsonReply, type Reply } from "./reply.js";

export const IMDS_API_VERSIONS = new Set(["2018-02-01", "2019-08-01", "2019-11-01", "2020-06-01", "2021-02-01", "2017-12-01", "2018-10-01"]);
export const ARC_API_VERSIONS = new Set(["2019-11-01", "2020-06-01", "2021-02-01", "2019-08-15"]);
const IMDS_SERVER = "IMDS/150.870.65.1854";
/** The Azure CLI's client id: Cloud Shell tokens are issued to it. */
const AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

export type ManagedIdentitySource = "imds" | "appService" | "arc" | "cloudShell" | "serviceFabric" | "azureML";

/** Error body of a managed-identity source for a status (used by handlers and by status faults). */
export function managedIdentityErrorBody(source: string, status: number, message: string): Record<string, unknown> {
  const correlationId = randomUUID();
  switch (source) {
    case "appService":
      return { statusCode: status, message, correlationId };
    case "serviceFabric": {
      const code = status === 401 ? "SecretHeaderNotFound" : status === 404 ? "ManagedIdentityNotFound" : status === 429 ? "TooManyRequests" : status >= 500 ? "InternalServerError" : "BadRequest";
      return { error: { correlationId, code, message } };
    }
    default: {
      const error = status === 400 ? "invalid_request" : status === 401 ? "unauthorized_client" : status === 404 ? "not_found" : status === 429 ? "too_many_requests" : status >= 500 ? "unknown" : "invalid_request";
      return { error, error_description: message };
    }
  }
}

function miError(source: ManagedIdentitySource, status: number, message: string, headers: Record<string, string> = {}): Reply {
  const extra: Record<string, string> = source === "imds" ? { server: IMDS_SERVER } : {};
  return jsonReply(status, managedIdentityErrorBody(source, status, message), { ...extra, ...headers });
}

interface Selector {
  clientId?: string;
  objectId?: string;
  resourceId?: string;
}

function selectorFrom(query: URLSearchParams, names: { clientId: string[]; objectId: string[]; resourceId: string[] }): Selector | "ambiguous" {
  const pick = (keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = query.get(k);
      if (v !== null && v !== "") return v;
    }
    return undefined;
  };
  const selector: Selector = {};
  const clientId = pick(names.clientId);
  const objectId = pick(names.objectId);
  const resourceId = pick(names.resourceId);
  if (clientId !== undefined) selector.clientId = clientId;
  if (objectId !== undefined) selector.objectId = objectId;
  if (resourceId !== undefined) selector.resourceId = resourceId;
  return Object.keys(selector).length > 1 ? "ambiguous" : selector;
}

interface IssuedToken {
  accessToken: string;
  expiresOn: number;
  notBefore: number;
}

async function issue(ctx: EmulatorContext, identity: ManagedIdentity, resource: string): Promise<IssuedToken> {
  const now = Math.floor(Date.now() / 1000);
  const accessToken = await ctx.tokens.managedIdentityToken(identity, ctx.directory.defaultTenantId, resource);
  return { accessToken, expiresOn: now + ctx.tokens.lifetime, notBefore: now };
}

/** The IMDS-style body: every value a string (IMDS, Arc, Cloud Shell). */
function imdsStyleBody(ctx: EmulatorContext, token: IssuedToken, resource: string, clientId: string | undefined): Record<string, string> {
  const body: Record<string, string> = {
    access_token: token.accessToken,
    refresh_token: "",
    expires_in: String(ctx.tokens.lifetime),
    expires_on: String(token.expiresOn),
    ext_expires_in: String(ctx.tokens.lifetime),
    not_before: String(token.notBefore),
    resource,
    token_type: "Bearer",
  };
  if (clientId !== undefined) body.client_id = clientId;
  return body;
}

function metadataHeaderOk(req: IncomingRequest): boolean {
  return (header(req, "metadata") ?? "").toLowerCase() === "true";
}

/** GET /metadata/identity/oauth2/token (IMDS, §2.3). */
export async function imds(ctx: EmulatorContext, req: IncomingRequest): Promise<Reply> {
  if (req.method !== "GET") return miError("imds", 405, "The requested HTTP method is not supported; use GET.");
  if (!metadataHeaderOk(req)) return miError("imds", 400, "Required metadata header not specified");
  const apiVersion = req.query.get("api-version");
  if (!apiVersion) return miError("imds", 400, "Required query variable 'api-version' is missing");
  if (!IMDS_API_VERSIONS.has(apiVersion)) return miError("imds", 400, `Invalid api-version '${apiVersion}'`);
  const resource = req.query.get("resource");
  if (!resource) return miError("imds", 400, "Required audience parameter not specified");
  const selector = selectorFrom(req.query, { clientId: ["client_id"], objectId: ["object_id"], resourceId: ["msi_res_id", "mi_res_id"] });
  if (selector === "ambiguous") return miError("imds", 400, "Multiple identity selectors specified; use only one of client_id, object_id, msi_res_id");
  const identity = ctx.directory.findManagedIdentity(selector);
  if (!identity) return miError("imds", 400, "Identity not found");
  req.log.clientId = identity.clientId;
  const token = await issue(ctx, identity, resource);
  return jsonReply(200, imdsStyleBody(ctx, token, resource, identity.clientId), { server: IMDS_SERVER });
}

/** GET {IDENTITY_ENDPOINT}?api-version=2019-08-01 with X-IDENTITY-HEADER (App Service, §2.4). */
export async function appService(ctx: EmulatorContext, req: IncomingRequest): Promise<Reply> {
  if (req.method !== "GET") return miError("appService", 405, "The requested HTTP method is not supported; use GET.");
  const identityHeader = header(req, "x-identity-header");
  if (identityHeader === undefined || identityHeader === "") {
    return miError("appService", 400, "The X-IDENTITY-HEADER header is missing. Send the value of IDENTITY_HEADER.");
  }
  if (identityHeader !== ctx.secrets.identityHeader) return miError("appService", 401, "The X-IDENTITY-HEADER header does not match IDENTITY_HEADER.");
  const apiVersion = req.query.get("api-version");
  if (apiVersion !== "2019-08-01") return miError("appService", 400, `The api-version '${apiVersion ?? ""}' is not supported; use 2019-08-01.`);
  const resource = req.query.get("resource");
  if (!resource) return miError("appService", 400, "The resource parameter is missing.");
  const selector = selectorFrom(req.query, {
    clientId: ["client_id"],
    objectId: ["principal_id", "object_id"],
    resourceId: ["mi_res_id", "msi_res_id"],
  });
  if (selector === "ambiguous") return miError("appService", 400, "Only one of client_id, principal_id/object_id, mi_res_id may be given.");
  const identity = ctx.directory.findManagedIdentity(selector);
  if (!identity) return miError("appService", 400, "Unable to load the proper Managed Identity.");
  req.log.clientId = identity.clientId;
  const token = await issue(ctx, identity, resource);
  return jsonReply(200, {
    access_token: token.accessToken,
    expires_on: String(token.expiresOn),
    resource,
    token_type: "Bearer",
    client_id: identity.clientId,
  });
}

/** Azure Arc (HIMDS, §2.5): 401 + WWW-Authenticate: Basic realm=<key file>, then Authorization: Basic <file content>. */
export async function arc(ctx: EmulatorContext, req: IncomingRequest): Promise<Reply> {
  if (req.method !== "GET") return miError("arc", 405, "The requested HTTP method is not supported; use GET.");
  if (!metadataHeaderOk(req)) return miError("arc", 400, "Required metadata header not specified");
  const apiVersion = req.query.get("api-version");
  if (!apiVersion) return miError("arc", 400, "Required query variable 'api-version' is missing");
  if (!ARC_API_VERSIONS.has(apiVersion)) return miError("arc", 400, `Invalid api-version '${apiVersion}'`);
  const resource = req.query.get("resource");
  if (!resource) return miError("arc", 400, "Required audience parameter not specified");
  const authorization = header(req, "authorization");
  const now = Date.now();
  const presented = authorization === undefined ? undefined : /^Basic (.+)$/s.exec(authorization)?.[1];
  const valid = presented !== undefined && (ctx.stores.arcKeys.get(presented)?.expiresAt ?? 0) > now;
  if (!valid) {
    const secret = randomBytes(32).toString("hex");
    const file = join(ctx.arcKeyDirectory, `${randomUUID()}.key`);
    writeFileSync(file, secret, { mode: 0o600 });
    ctx.stores.arcKeys.set(secret, { expiresAt: now + 5 * 60 * 1000, file });
    return miError("arc", 401, authorization === undefined ? "Authentication required: read the key file named in WWW-Authenticate." : "The presented key is not valid.", {
      "www-authenticate": `Basic realm=${file}`,
    });
  }
  const selector = selectorFrom(req.query, { clientId: ["client_id"], objectId: ["object_id"], resourceId: ["msi_res_id"] });
  if (selector === "ambiguous") return miError("arc", 400, "Multiple identity selectors specified");
  const identity = ctx.directory.findManagedIdentity(selector);
  if (!identity) return miError("arc", 400, "Identity not found");
  req.log.clientId = identity.clientId;
  const token = await issue(ctx, identity, resource);
  const body: Record<string, string> = imdsStyleBody(ctx, token, resource, undefined);
  // Echo the selector (MSAL Go checks the echo for user-assigned identities on Arc).
  if (selector.clientId !== undefined) body.client_id = identity.clientId;
  if (selector.objectId !== undefined) body.object_id = identity.objectId;
  if (selector.resourceId !== undefined) body.msi_res_id = identity.resourceId;
  return jsonReply(200, body);
}

/** Cloud Shell (§2.6): POST form `resource=`, `Metadata: true`; the token of the signed-in user. */
export async function cloudShell(ctx: EmulatorContext, req: IncomingRequest, user: User): Promise<Reply> {
  if (req.method !== "POST") return miError("cloudShell", 405, "The requested HTTP method is not supported; use POST.");
  if (!metadataHeaderOk(req)) return miError("cloudShell", 400, "Required metadata header not specified");
  const resource = req.form.resource;
  if (!resource) return miError("cloudShell", 400, "Required audience parameter not specified (form field 'resource').");
  const now = Math.floor(Date.now() / 1000);
  const accessToken = await ctx.tokens.userToken(user, AZURE_CLI_CLIENT_ID, resource, ["user_impersonation"], { cp1: false, appidacr: "0" });
  return jsonReply(200, imdsStyleBody(ctx, { accessToken, expiresOn: now + ctx.tokens.lifetime, notBefore: now }, resource, undefined));
}

/** Service Fabric (§2.7): `secret` header, api-version 2019-07-01-preview, numeric expires_on. */
export async function serviceFabric(ctx: EmulatorContext, req: IncomingRequest): Promise<Reply> {
  if (req.method !== "GET") return miError("serviceFabric", 405, "The requested HTTP method is not supported; use GET.");
  const secret = header(req, "secret");
  if (secret === undefined || secret === "") return miError("serviceFabric", 401, "Secret is not found in the request headers.");
  if (secret !== ctx.secrets.serviceFabricSecret) return miError("serviceFabric", 404, "The secret does not match a managed identity.");
  const apiVersion = req.query.get("api-version");
  if (apiVersion !== "2019-07-01-preview") {
    return jsonReply(400, { error: { correlationId: randomUUID(), code: "InvalidApiVersion", message: `The api-version '${apiVersion ?? ""}' is invalid. The supported version is '2019-07-01-preview'.` } });
  }
  const resource = req.query.get("resource");
  if (!resource) {
    return jsonReply(400, { error: { correlationId: randomUUID(), code: "ArgumentNullOrEmpty", message: "Value cannot be null or empty. Parameter name: resource" } });
  }
  const identity = ctx.directory.systemIdentity;
  req.log.clientId = identity.clientId;
  const token = await issue(ctx, identity, resource);
  return jsonReply(200, { token_type: "Bearer", access_token: token.accessToken, expires_on: token.expiresOn, resource });
}

/** Azure Machine Learning (§2.8): `secret` header, api-version 2017-09-01, `clientid`, numeric expires_on. */
export async function azureML(ctx: EmulatorContext, req: IncomingRequest): Promise<Reply> {
  if (req.method !== "GET") return miError("azureML", 405, "The requested HTTP method is not supported; use GET.");
  const secret = header(req, "secret");
  if (secret === undefined || secret === "") return miError("azureML", 401, "The secret header is missing. Send the value of MSI_SECRET.");
  if (secret !== ctx.secrets.azureMlSecret) return miError("azureML", 401, "The secret header does not match MSI_SECRET.");
  const apiVersion = req.query.get("api-version");
  if (apiVersion !== "2017-09-01") return miError("azureML", 400, `The api-version '${apiVersion ?? ""}' is not supported; use 2017-09-01.`);
  const resource = req.query.get("resource");
  if (!resource) return miError("azureML", 400, "Required audience parameter not specified");
  const clientId = req.query.get("clientid");
  const identity = clientId ? ctx.directory.findManagedIdentity({ clientId }) : ctx.directory.systemIdentity;
  if (!identity) return miError("azureML", 400, "Identity not found");
  req.log.clientId = identity.clientId;
  const token = await issue(ctx, identity, resource);
  return jsonReply(200, {
    access_token: token.accessToken,
    expires_on: token.expiresOn,
    resource,
    token_type: "Bearer",
    client_id: identity.clientId,
  });
}
