/**
 * Client authentication at the token endpoint (protocols.md §1.2, §1.5–1.7): client_secret in the body or
 * HTTP Basic, certificate assertions (RS256 + x5t, PS256 + x5t#S256, optional x5c) and federated assertions.
 */
import { X509Certificate, createHash } from "node:crypto";
import { createLocalJWKSet, compactVerify } from "jose";
import type { Application, RegisteredCertificate, Tenant } from "./directory.js";
import { fail } from "./entra-error.js";
import { header, type EmulatorContext, type IncomingRequest } from "./context.js";
import { audiences, decodeJwt, numericClaim, verifySignature, type DecodedJwt } from "./jwt.js";

export const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface AuthenticatedClient {
  app: Application;
  method: "none" | "secret" | "certificate" | "federated";
  /** `appidacr` of issued tokens: "0" public, "1" secret, "2" certificate/assertion. */
  appidacr: "0" | "1" | "2";
}

interface BasicCredentials {
  clientId: string;
  clientSecret: string;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}

function basicCredentials(req: IncomingRequest): BasicCredentials | undefined {
  const authorization = header(req, "authorization");
  if (authorization === undefined) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
  if (!match) return fail("invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'. The Authorization header is not a valid Basic credential.");
  const decoded = Buffer.from(match[1] as string, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return fail("invalid_client", 7000218, "The Authorization header is not a valid Basic credential (expected base64 of client_id:client_secret).");
  return { clientId: safeDecode(decoded.slice(0, colon)), clientSecret: safeDecode(decoded.slice(colon + 1)) };
}

function appNotFound(clientId: string, tenant: Tenant): never {
  return fail(
    "unauthorized_client",
    700016,
    `Application with identifier '${clientId}' was not found in the directory '${tenant.domain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  );
}

/** Authenticates the client of a token request. `confidentialOnly` rejects public clients (client credentials, OBO). */
export async function authenticateClient(
  ctx: EmulatorContext,
  req: IncomingRequest,
  tenant: Tenant,
  tenantSegment: string,
  options: { confidentialOnly: boolean },
): Promise<AuthenticatedClient> {
  const form = req.form;
  const basic = basicCredentials(req);
  const assertion = form.client_assertion;
  const assertionType = form.client_assertion_type;
  let clientId = form.client_id;
  if (basic) {
    if (clientId !== undefined && clientId.toLowerCase() !== basic.clientId.toLowerCase()) {
      fail("invalid_request", 9002313, "Invalid request. Request is malformed or invalid. The client_id in the body does not match the Authorization header.");
    }
    clientId = basic.clientId;
  }
  if ((clientId === undefined || clientId === "") && assertion !== undefined) {
    const sub = decodeJwt(assertion)?.payload.sub;
    if (typeof sub === "string") clientId = sub;
  }
  if (clientId === undefined || clientId === "") {
    return fail("invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
  }
  req.log.clientId = clientId;
  const app = tenant.apps.get(clientId.toLowerCase());
  if (!app) return appNotFound(clientId, tenant);

  const secret = basic?.clientSecret ?? form.client_secret;
  if (assertion !== undefined && assertionType !== JWT_BEARER_ASSERTION) {
    fail("invalid_request", 900144, "The request body must contain the following parameter: 'client_assertion_type' with the value 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.");
  }

  if (app.publicClient) {
    if (secret !== undefined || assertion !== undefined) {
      fail("invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.");
    }
    if (options.confidentialOnly) {
      fail("invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    return { app, method: "none", appidacr: "0" };
  }

  if (secret !== undefined && assertion !== undefined) {
    fail("invalid_request", 9002313, "Invalid request. Request is malformed or invalid. Send either client_secret or client_assertion, not both.");
  }
  if (secret !== undefined) {
    if (!app.secrets.includes(secret)) {
      fail("invalid_client", 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`);
    }
    return { app, method: "secret", appidacr: "1" };
  }
  if (assertion !== undefined) {
    const method = await verifyClientAssertion(ctx, req, tenant, tenantSegment, app, assertion);
    return { app, method, appidacr: "2" };
  }
  return fail("invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
}

function hasThumbprint(jwt: DecodedJwt): boolean {
  return typeof jwt.header.x5t === "string" || typeof jwt.header["x5t#S256"] === "string" || Array.isArray(jwt.header.x5c);
}

function findCertificate(app: Application, jwt: DecodedJwt): { certificate?: RegisteredCertificate; presented: string } {
  const s256 = jwt.header["x5t#S256"];
  const s1 = jwt.header.x5t;
  const kid = jwt.header.kid;
  if (typeof s256 === "string") {
    return { certificate: app.certificates.find((c) => c.x5tS256 === s256), presented: Buffer.from(s256, "base64url").toString("hex").toUpperCase() };
  }
  if (typeof s1 === "string") {
    return { certificate: app.certificates.find((c) => c.x5t === s1), presented: Buffer.from(s1, "base64url").toString("hex").toUpperCase() };
  }
  if (typeof kid === "string") {
    const upper = kid.toUpperCase();
    return { certificate: app.certificates.find((c) => c.thumbprintSha1 === upper || c.x5t === kid), presented: upper };
  }
  const x5c = jwt.header.x5c;
  if (Array.isArray(x5c) && typeof x5c[0] === "string") {
    const leaf = x5c[0];
    const certificate = app.certificates.find((c) => c.derBase64 === leaf);
    return { certificate, presented: certificate?.thumbprintSha1 ?? "(x5c leaf)" };
  }
  return { presented: "(none)" };
}

function checkTimes(ctx: EmulatorContext, payload: Record<string, unknown>): void {
  const now = Math.floor(Date.now() / 1000);
  const skew = ctx.settings.clockSkewSeconds;
  const exp = numericClaim(payload, "exp");
  const nbf = numericClaim(payload, "nbf");
  if (exp === undefined) fail("invalid_client", 700024, "Client assertion is not within its valid time range. The assertion has no 'exp' claim.");
  if (now >= exp + skew) {
    fail("invalid_client", 700024, `Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, assertion valid to: ${new Date(exp * 1000).toISOString()}.`);
  }
  if (nbf !== undefined && nbf > now + skew) {
    fail("invalid_client", 700024, `Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, assertion valid from: ${new Date(nbf * 1000).toISOString()}.`);
  }
}

function audienceMatches(req: IncomingRequest, tenant: Tenant, tenantSegment: string, aud: string[]): boolean {
  const segments = new Set([tenant.id, tenant.domain, tenantSegment.toLowerCase()]);
  const ownPort = new URL(req.origin).port;
  return aud.some((candidate) => {
    let url: URL;
    try {
      url = new URL(candidate);
    } catch {
      return false;
    }
    if (url.port !== ownPort) return false;
    const parts = url.pathname.toLowerCase().replace(/\/+$/, "").split("/");
    // ["", tenant, "oauth2", ("v2.0",) "token"]
    const seg = parts[1] ?? "";
    const rest = parts.slice(2).join("/");
    return segments.has(seg) && (rest === "oauth2/v2.0/token" || rest === "oauth2/token");
  });
}

async function verifyClientAssertion(
  ctx: EmulatorContext,
  req: IncomingRequest,
  tenant: Tenant,
  tenantSegment: string,
  app: Application,
  assertion: string,
): Promise<"certificate" | "federated"> {
  const jwt = decodeJwt(assertion);
  if (!jwt) return fail("invalid_request", 50027, "JWT token is invalid or malformed.");
  const alg = jwt.header.alg;
  const iss = jwt.payload.iss;
  const sub = jwt.payload.sub;
  const federatedIssuer = typeof iss === "string" && app.federatedCredentials.some((f) => f.issuer === iss);
  const certificatePath = !federatedIssuer && (hasThumbprint(jwt) || iss === app.clientId);

  if (certificatePath) {
    if (alg !== "RS256" && alg !== "PS256") {
      fail("invalid_client", 5002738, `Invalid JWT token. '${String(alg)}' is not a supported signature algorithm. Supported algorithms: RS256, PS256.`);
    }
    const found = findCertificate(app, jwt);
    const { presented } = found;
    const certificate = found.certificate ?? subjectNameIssuerCertificate(app, jwt);
    if (!certificate) {
      fail(
        "invalid_client",
        700027,
        `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${presented}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'.]`,
      );
    }
    const x5c = jwt.header.x5c;
    if (Array.isArray(x5c) && x5c[0] !== certificate.derBase64) {
      fail("invalid_client", 700027, "Client assertion contains an invalid signature. [Reason - The leaf certificate in x5c does not match the certificate named by the thumbprint.]");
    }
    if (!verifySignature(jwt, certificate.publicKey, alg as string)) {
      fail("invalid_client", 700027, `Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${presented}']`);
    }
    if (iss !== sub) fail("invalid_client", 50048, "Subject mismatches Issuer claim in the client assertion.");
    if (iss !== app.clientId) fail("invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter.");
    if (!audienceMatches(req, tenant, tenantSegment, audiences(jwt.payload))) {
      fail("invalid_client", 70002, "Error validating credentials. AADSTS50012: Client assertion audience claim does not match Realm issuer.", { extraCodes: [50012] });
    }
    checkTimes(ctx, jwt.payload);
    if (ctx.settings.rejectReplayedAssertions) {
      const jti = jwt.payload.jti;
      if (typeof jti !== "string" || jti === "") fail("invalid_client", 700027, "Client assertion is missing the 'jti' claim.");
      const key = `${app.clientId}|${jti}`;
      const now = Date.now();
      const seen = ctx.stores.jtis.get(key);
      if (seen !== undefined && seen > now) fail("invalid_client", 700027, "Client assertion contains a 'jti' that was already used. [Reason - The assertion was replayed.]");
      ctx.stores.jtis.set(key, ((numericClaim(jwt.payload, "exp") ?? 0) + ctx.settings.clockSkewSeconds) * 1000);
      if (ctx.stores.jtis.size > 50_000) for (const [k, exp] of ctx.stores.jtis) if (exp <= now) ctx.stores.jtis.delete(k);
    }
    return "certificate";
  }

  // Federated credential (workload identity federation, §1.7).
  const issuer = typeof iss === "string" ? iss : "";
  const candidates = app.federatedCredentials.filter((f) => f.issuer === issuer);
  if (candidates.length === 0) {
    fail("invalid_client", 700211, `No matching federated identity record found for presented assertion issuer '${issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`);
  }
  const bySubject = candidates.filter((f) => f.subject === sub);
  if (bySubject.length === 0) {
    fail("invalid_client", 700213, `No matching federated identity record found for presented assertion subject '${String(sub)}'. Please note that the matching is done using a case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.`);
  }
  const aud = audiences(jwt.payload);
  const fic = bySubject.find((f) => aud.includes(f.audience ?? "api://AzureADTokenExchange"));
  if (!fic) {
    fail("invalid_client", 700212, `No matching federated identity record found for presented assertion audience '${aud.join(",")}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`);
  }
  let verified = true;
  if (fic.jwks) {
    try {
      await compactVerify(assertion, createLocalJWKSet(fic.jwks as never), { algorithms: ["RS256", "PS256", "ES256"] });
    } catch {
      verified = false;
    }
  } else if (ctx.ownIssuers().includes(issuer)) {
    const key = ctx.key.publicKeyFor(jwt.header.kid);
    verified = alg === "RS256" && key !== undefined && verifySignature(jwt, key, "RS256");
  }
  if (!verified) fail("invalid_client", 700027, "Client assertion failed signature validation. [Reason - The federated assertion's signature does not verify with the issuer's keys.]");
  checkTimes(ctx, jwt.payload);
  return "federated";
}

/**
 * Subject name + issuer trust (protocols.md §1.6, "SNI"): the assertion's x5c leaf, chained through the other
 * x5c entries to a trusted issuer, with the configured subject CN. Returns the leaf as a registered certificate.
 */
function subjectNameIssuerCertificate(app: Application, jwt: DecodedJwt): RegisteredCertificate | undefined {
  const x5c = jwt.header.x5c;
  if (app.trustedSubjects.length === 0 || !Array.isArray(x5c) || x5c.length === 0) return undefined;
  let chain: X509Certificate[];
  try {
    chain = x5c.map((entry) => {
      if (typeof entry !== "string") throw new TypeError("x5c entries must be strings");
      return new X509Certificate(Buffer.from(entry, "base64"));
    });
  } catch {
    return fail("invalid_client", 700027, "Client assertion contains an invalid signature. [Reason - The x5c header does not hold base64 DER certificates.]");
  }
  const leaf = chain[0] as X509Certificate;
  const now = Date.now();
  if (Date.parse(leaf.validFrom) > now || Date.parse(leaf.validTo) < now) {
    return fail("invalid_client", 700027, "Client assertion contains an invalid signature. [Reason - The x5c leaf certificate is outside its validity period.]");
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject)?.[1];
  const trusted = app.trustedSubjects.filter((t) => t.subject === cn);
  if (trusted.length === 0) {
    return fail("invalid_client", 700030, `Certificate with subject name '${cn ?? ""}' is not authorized for the application '${app.clientId}'.`);
  }
  const issuers = trusted.flatMap((t) => t.issuers);
  let current = leaf;
  for (let depth = 0; depth < 5; depth++) {
    if (issuers.some((issuer) => current.checkIssued(issuer) && current.verify(issuer.publicKey))) {
      const sha1 = createHash("sha1").update(leaf.raw).digest();
      const sha256 = createHash("sha256").update(leaf.raw).digest();
      const header = jwt.header;
      if ((typeof header.x5t === "string" && header.x5t !== sha1.toString("base64url")) || (typeof header["x5t#S256"] === "string" && header["x5t#S256"] !== sha256.toString("base64url"))) {
        return fail("invalid_client", 700027, "Client assertion contains an invalid signature. [Reason - The thumbprint does not match the x5c leaf certificate.]");
      }
      return {
        pem: leaf.toString(),
        publicKey: leaf.publicKey,
        x5t: sha1.toString("base64url"),
        x5tS256: sha256.toString("base64url"),
        thumbprintSha1: sha1.toString("hex").toUpperCase(),
        thumbprintSha256: sha256.toString("hex").toUpperCase(),
        derBase64: leaf.raw.toString("base64"),
      };
    }
    const next = chain.find((c) => c !== current && current.checkIssued(c) && current.verify(c.publicKey));
    if (!next) break;
    current = next;
  }
  return fail("invalid_client", 700030, `Certificate with subject name '${cn ?? ""}' was not issued by a trusted issuer for the application '${app.clientId}'.`);
}
