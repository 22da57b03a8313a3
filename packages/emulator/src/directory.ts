/**
 * The emulator's directory: tenants, applications (with secrets, certificates, redirect URIs, federated
 * credentials), users and managed identities. Everything lives in memory, per emulator instance.
 */
import { X509Certificate, createHash, randomBytes, randomUUID, type KeyObject } from "node:crypto";

export interface FederatedCredential {
  /** `iss` the assertion must carry (exact match). */
  issuer: string;
  /** `sub` the assertion must carry (exact, case-sensitive match). */
  subject: string;
  /** Audience the assertion must contain, default `api://AzureADTokenExchange`. */
  audience?: string;
  /**
   * Keys that verify the assertion's signature (a JWKS). Without them, assertions from the emulator's own
   * issuers are verified with the emulator's key and assertions from other issuers are not signature-checked.
   */
  jwks?: { keys: Array<Record<string, unknown>> };
}

export interface RegisterApplicationOptions {
  /** Tenant to register in; default: the default tenant. */
  tenantId?: string;
  /** Application (client) id; default: a new GUID. */
  clientId?: string;
  /** Client secrets. When no credential of any kind is given, one secret is generated. */
  secrets?: string[];
  /** PEM certificates whose private keys may sign client assertions. */
  certificatePems?: string[];
  /** Redirect URIs accepted by /authorize and the authorization-code grant (exact match). */
  redirectUris?: string[];
  /** A public client (no secret; auth code with PKCE, device code, ROPC). */
  publicClient?: boolean;
  /** Federated identity credentials (workload identity, pipelines, any OIDC issuer). */
  federatedCredentials?: FederatedCredential[];
  /**
   * Subject name + issuer ("SNI") certificate trust: a certificate that is not registered by thumbprint is
   * accepted when the assertion's `x5c` chain leads to one of `issuerPems` and the leaf's CN equals `subject`.
   */
  trustedSubjects?: Array<{ subject: string; issuerPems: string[] }>;
  /** Display name (shown on the sign-in page). */
  displayName?: string;
}

export interface RegisteredCertificate {
  pem: string;
  publicKey: KeyObject;
  /** base64url SHA-1 of the DER (`x5t`). */
  x5t: string;
  /** base64url SHA-256 of the DER (`x5t#S256`). */
  x5tS256: string;
  thumbprintSha1: string;
  thumbprintSha256: string;
  derBase64: string;
}

export interface Application {
  tenantId: string;
  clientId: string;
  /** Object id of the app's service principal (the `oid` of app-only tokens). */
  objectId: string;
  displayName: string;
  secrets: string[];
  certificates: RegisteredCertificate[];
  redirectUris: string[];
  publicClient: boolean;
  federatedCredentials: FederatedCredential[];
  trustedSubjects: Array<{ subject: string; issuers: X509Certificate[] }>;
}

export interface RegisteredApplication {
  tenantId: string;
  clientId: string;
  objectId: string;
  /** The first client secret, when the app has one. */
  clientSecret?: string;
  secrets: string[];
  redirectUris: string[];
  publicClient: boolean;
}

export interface RegisterUserOptions {
  username: string;
  password: string;
  tenantId?: string;
  /** Object id; default: a new GUID. */
  objectId?: string;
  /** Display name; default: the part of the username before "@". */
  displayName?: string;
}

export interface User {
  tenantId: string;
  username: string;
  password: string;
  objectId: string;
  displayName: string;
}

export interface RegisteredUser {
  tenantId: string;
  username: string;
  objectId: string;
  displayName: string;
}

export interface ManagedIdentity {
  clientId: string;
  objectId: string;
  resourceId: string;
  systemAssigned: boolean;
}

export interface RegisterManagedIdentityOptions {
  clientId?: string;
  objectId?: string;
  resourceId?: string;
}

export interface Tenant {
  id: string;
  /** A verified domain that also names the tenant in URLs. */
  domain: string;
  apps: Map<string, Application>;
  users: Map<string, User>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** Tenant aliases that resolve to the default tenant ("adfs" stands in for an AD FS authority). */
const ALIASES = new Set(["common", "organizations", "adfs"]);

export function parseCertificatePems(pemText: string): RegisteredCertificate[] {
  const blocks = pemText.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new TypeError("registerApplication: certificatePems entries must hold a PEM certificate");
  return blocks.slice(0, 1).map((block) => {
    const cert = new X509Certificate(block);
    const sha1 = createHash("sha1").update(cert.raw).digest();
    const sha256 = createHash("sha256").update(cert.raw).digest();
    return {
      pem: block,
      publicKey: cert.publicKey,
      x5t: sha1.toString("base64url"),
      x5tS256: sha256.toString("base64url"),
      thumbprintSha1: sha1.toString("hex").toUpperCase(),
      thumbprintSha256: sha256.toString("hex").toUpperCase(),
      derBase64: cert.raw.toString("base64"),
    };
  });
}

export function newSecret(): string {
  // Entra secrets look like "Abc8Q~..." (40 chars); any opaque string works.
  return `${randomBytes(3).toString("base64url")}8Q~${randomBytes(27).toString("base64url")}`;
}

export class Directory {
  readonly tenants = new Map<string, Tenant>();
  readonly managedIdentities: ManagedIdentity[] = [];

  constructor(readonly defaultTenantId: string) {
    this.addTenant(defaultTenantId, "emulator.onmicrosoft.com");
  }

  addTenant(id: string, domain = `tenant-${id.slice(0, 8)}.onmicrosoft.com`): Tenant {
    if (!isGuid(id)) throw new TypeError(`addTenant: tenant id must be a GUID (got "${id}")`);
    const key = id.toLowerCase();
    const existing = this.tenants.get(key);
    if (existing) return existing;
    const tenant: Tenant = { id: key, domain: domain.toLowerCase(), apps: new Map(), users: new Map() };
    this.tenants.set(key, tenant);
    return tenant;
  }

  /** Resolves a tenant URL segment (GUID, domain, "common", "organizations") to a tenant, or undefined. */
  findTenant(segment: string): Tenant | undefined {
    const key = segment.toLowerCase();
    if (ALIASES.has(key)) return this.tenants.get(this.defaultTenantId);
    const byId = this.tenants.get(key);
    if (byId) return byId;
    for (const tenant of this.tenants.values()) if (tenant.domain === key) return tenant;
    return undefined;
  }

  /** Tenant by id for registration: unknown GUIDs are created on first use. */
  tenantForRegistration(tenantId: string | undefined): Tenant {
    if (tenantId === undefined) return this.tenants.get(this.defaultTenantId) as Tenant;
    return this.findTenant(tenantId) ?? this.addTenant(tenantId);
  }

  registerApplication(options: RegisterApplicationOptions = {}): Application {
    if (options === null || typeof options !== "object") throw new TypeError("registerApplication: options must be an object");
    const tenant = this.tenantForRegistration(options.tenantId);
    const clientId = (options.clientId ?? randomUUID()).toLowerCase();
    if (!isGuid(clientId)) throw new TypeError(`registerApplication: clientId must be a GUID (got "${clientId}")`);
    for (const s of options.secrets ?? []) {
      if (typeof s !== "string" || s.length === 0) throw new TypeError("registerApplication: secrets must be non-empty strings");
    }
    const certificates = (options.certificatePems ?? []).flatMap((pem) => parseCertificatePems(pem));
    const secrets = [...(options.secrets ?? [])];
    const federatedCredentials = (options.federatedCredentials ?? []).map((f) => {
      if (!f || typeof f.issuer !== "string" || typeof f.subject !== "string") {
        throw new TypeError("registerApplication: federatedCredentials need issuer and subject strings");
      }
      return { ...f, audience: f.audience ?? "api://AzureADTokenExchange" };
    });
    const trustedSubjects = (options.trustedSubjects ?? []).map((t) => {
      if (!t || typeof t.subject !== "string" || t.subject === "" || !Array.isArray(t.issuerPems) || t.issuerPems.length === 0) {
        throw new TypeError("registerApplication: trustedSubjects need a subject and issuerPems");
      }
      return { subject: t.subject, issuers: t.issuerPems.map((pem) => new X509Certificate(pem)) };
    });
    const publicClient = options.publicClient === true;
    if (!publicClient && secrets.length === 0 && certificates.length === 0 && federatedCredentials.length === 0 && trustedSubjects.length === 0) {
      secrets.push(newSecret());
    }
    const app: Application = {
      tenantId: tenant.id,
      clientId,
      objectId: randomUUID(),
      displayName: options.displayName ?? `app ${clientId.slice(0, 8)}`,
      secrets,
      certificates,
      redirectUris: [...(options.redirectUris ?? [])],
      publicClient,
      federatedCredentials,
      trustedSubjects,
    };
    tenant.apps.set(clientId, app);
    return app;
  }

  registerUser(options: RegisterUserOptions): User {
    if (!options || typeof options.username !== "string" || options.username.length === 0) {
      throw new TypeError("registerUser: username must be a non-empty string");
    }
    if (typeof options.password !== "string" || options.password.length === 0) {
      throw new TypeError("registerUser: password must be a non-empty string");
    }
    const tenant = this.tenantForRegistration(options.tenantId);
    const user: User = {
      tenantId: tenant.id,
      username: options.username,
      password: options.password,
      objectId: (options.objectId ?? randomUUID()).toLowerCase(),
      displayName: options.displayName ?? options.username.split("@")[0] ?? options.username,
    };
    tenant.users.set(options.username.toLowerCase(), user);
    return user;
  }

  findUser(tenant: Tenant, username: string): User | undefined {
    return tenant.users.get(username.toLowerCase());
  }

  registerManagedIdentity(options: RegisterManagedIdentityOptions = {}, systemAssigned = false): ManagedIdentity {
    if (options === null || typeof options !== "object") throw new TypeError("registerManagedIdentity: options must be an object");
    const clientId = (options.clientId ?? randomUUID()).toLowerCase();
    const objectId = (options.objectId ?? randomUUID()).toLowerCase();
    if (!isGuid(clientId) || !isGuid(objectId)) {
      throw new TypeError("registerManagedIdentity: clientId and objectId must be GUIDs");
    }
    if (options.resourceId !== undefined && !/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/.+/i.test(options.resourceId)) {
      throw new TypeError("registerManagedIdentity: resourceId must be an ARM id (/subscriptions/…/resourceGroups/…/providers/…)");
    }
    const name = `id-${clientId.slice(0, 8)}`;
    const identity: ManagedIdentity = {
      clientId,
      objectId,
      resourceId:
        options.resourceId ??
        `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
      systemAssigned,
    };
    this.managedIdentities.push(identity);
    return identity;
  }

  get systemIdentity(): ManagedIdentity {
    return this.managedIdentities.find((m) => m.systemAssigned) as ManagedIdentity;
  }

  /** Finds a managed identity by one selector; the system identity when none is given. */
  findManagedIdentity(selector: { clientId?: string; objectId?: string; resourceId?: string }): ManagedIdentity | undefined {
    if (selector.clientId !== undefined) {
      const id = selector.clientId.toLowerCase();
      return this.managedIdentities.find((m) => m.clientId === id);
    }
    if (selector.objectId !== undefined) {
      const id = selector.objectId.toLowerCase();
      return this.managedIdentities.find((m) => m.objectId === id);
    }
    if (selector.resourceId !== undefined) {
      const id = selector.resourceId.toLowerCase();
      return this.managedIdentities.find((m) => m.resourceId.toLowerCase() === id);
    }
    return this.systemIdentity;
  }
}

export function publicView(app: Application): RegisteredApplication {
  const view: RegisteredApplication = {
    tenantId: app.tenantId,
    clientId: app.clientId,
    objectId: app.objectId,
    secrets: [...app.secrets],
    redirectUris: [...app.redirectUris],
    publicClient: app.publicClient,
  };
  if (app.secrets[0] !== undefined) view.clientSecret = app.secrets[0];
  return view;
}
