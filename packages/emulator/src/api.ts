/** The public API of @id/emulator: options, the emulator object, defaults, the request log, env sources. */
import type { DeveloperTools, DeveloperToolsOptions } from "./developer-tools.js";
import type {
  ManagedIdentity,
  RegisterApplicationOptions,
  RegisteredApplication,
  RegisteredUser,
  RegisterManagedIdentityOptions,
  RegisterUserOptions,
} from "./directory.js";
import type { FaultOptions } from "./faults.js";

export interface EmulatorOptions {
  /** Serve HTTPS (creates a CA and a localhost server certificate unless `tls` is given). Default false. */
  https?: boolean;
  /** Port, default 0 (any free port). */
  port?: number;
  /** Address to listen on, default "127.0.0.1". */
  host?: string;
  /** expires_in of issued tokens, seconds, default 3599. */
  tokenLifetimeSeconds?: number;
  /** When set, token responses carry refresh_in (seconds). */
  refreshInSeconds?: number;
  /** Lifetime of CAE tokens (requests whose claims declare cp1), seconds; default tokenLifetimeSeconds. */
  caeTokenLifetimeSeconds?: number;
  /** refresh_in of CAE token responses, seconds; default refreshInSeconds. */
  caeRefreshInSeconds?: number;
  /** Directory where the Arc 401 challenge writes its .key files; default: a temporary directory. */
  arcKeyDirectory?: string;
  /** Largest request body accepted, bytes, default 1 MiB; larger bodies get 413. */
  maxBodyBytes?: number;
  /** `interval` of device-code responses, seconds, default 5. */
  deviceCodeIntervalSeconds?: number;
  /** Reject a client assertion whose jti was already used (off by default: MSAL reuses assertions). */
  rejectReplayedAssertions?: boolean;
  /** Clock skew tolerated for assertion nbf/exp, seconds, default 300. */
  clockSkewSeconds?: number;
  /**
   * Sign this user (username; `true` = the default user) in at /authorize without showing the form, so a
   * plain HTTP client following redirects completes "interactive" flows. `prompt=login` still shows the form.
   */
  autoSignIn?: string | boolean;
  /** Use these PEMs for HTTPS instead of generating a CA and server certificate. */
  tls?: { certPem: string; keyPem: string; caPem?: string };
}

export interface ConfigureOptions {
  /** See EmulatorOptions.autoSignIn; false turns it off. */
  autoSignIn?: string | boolean;
  tokenLifetimeSeconds?: number;
  /** Seconds, or null to stop sending refresh_in. */
  refreshInSeconds?: number | null;
  /** Seconds, or null to use tokenLifetimeSeconds. */
  caeTokenLifetimeSeconds?: number | null;
  /** Seconds, or null to use refreshInSeconds. */
  caeRefreshInSeconds?: number | null;
  rejectReplayedAssertions?: boolean;
  deviceCodeIntervalSeconds?: number;
}

export interface EmulatorDefaults {
  /** The default tenant; "organizations" and "common" resolve to it too. */
  tenantId: string;
  /** Verified domain of the default tenant (also accepted in URLs). */
  tenantDomain: string;
  secretApp: { clientId: string; clientSecret: string };
  certificateApp: {
    clientId: string;
    certificatePem: string;
    /** PKCS#8 PEM. */
    privateKeyPem: string;
    thumbprintSha1: string;
    thumbprintSha256: string;
  };
  publicApp: { clientId: string; redirectUri: string };
  apiApp: { clientId: string; clientSecret: string };
  user: { username: string; password: string; objectId: string };
  managedIdentity: {
    systemObjectId: string;
    systemClientId: string;
    userAssigned: { clientId: string; objectId: string; resourceId: string };
  };
  /** App trusting the emulator's service-account issuer (env("workloadIdentity")). */
  workloadIdentity: { clientId: string; issuer: string; subject: string };
  /** Azure Pipelines service connection (env("pipelines")). */
  pipelines: { serviceConnectionId: string; clientId: string; systemAccessToken: string; issuer: string; subject: string };
}

export interface RequestLogEntry {
  method: string;
  path: string;
  /** Path plus query. */
  url: string;
  /** Route name ("token", "imds", …; "notFound" for unknown paths). */
  route: string;
  grantType?: string;
  clientId?: string;
  /** Response status; 0 when the connection was reset, hung or truncated by a fault. */
  status: number;
  headers: Record<string, string>;
  /** Parsed form body (raw values) when the request had one. */
  form?: Record<string, string>;
  /** Epoch milliseconds when the request arrived. */
  time: number;
}

export type EnvSource =
  | "imds"
  | "appService"
  | "arc"
  | "cloudShell"
  | "serviceFabric"
  | "azureML"
  | "workloadIdentity"
  | "pipelines"
  | "clientSecret"
  | "clientCertificate";

export interface UserAssertionOptions {
  /** Audience of the token (default: the default apiApp's client id). */
  audience?: string;
  /** Client the token is issued to (default: the default publicApp). */
  clientId?: string;
  /** User (default: the default user). */
  username?: string;
  tenantId?: string;
  scopes?: string[];
}

export interface Emulator {
  /** Base URL, e.g. "http://127.0.0.1:PORT" or "https://localhost:PORT". */
  readonly url: string;
  /** The authority host to give credentials (same origin as url). */
  readonly authorityHost: string;
  /** CA certificate PEM when https, else undefined. */
  readonly caPem: string | undefined;
  /** Path of a file holding caPem (for NODE_EXTRA_CA_CERTS) when https. */
  readonly caFile: string | undefined;
  readonly defaults: EmulatorDefaults;
  /** Where the Arc challenge writes its key files. */
  readonly arcKeyDirectory: string;
  /**
   * Base URL of the managed-identity endpoints: plain HTTP like the real ones. Equal to `url` in HTTP mode;
   * a second, plain-HTTP listener in HTTPS mode.
   */
  readonly managedIdentityUrl: string;
  /** Service Fabric listener: its URL and SHA-1 thumbprint (upper-case hex) of its self-signed certificate. */
  readonly serviceFabric: { url: string; thumbprint: string; certificatePem: string };
  jwksUri(tenantId?: string): string;
  issuer(tenantId?: string): string;
  tokenEndpoint(tenantId?: string): string;
  registerApplication(options?: RegisterApplicationOptions): RegisteredApplication;
  registerUser(options: RegisterUserOptions): RegisteredUser;
  registerManagedIdentity(options?: RegisterManagedIdentityOptions): ManagedIdentity;
  /** Adds a tenant (GUID) with an optional domain. */
  registerTenant(tenantId: string, domain?: string): { tenantId: string; domain: string };
  configure(options: ConfigureOptions): void;
  requests(): RequestLogEntry[];
  clearRequests(): void;
  fault(options: FaultOptions): void;
  clearFaults(): void;
  env(source: EnvSource): Record<string, string>;
  /** Approves a pending device code as a user (default: the default user). Throws when it cannot. */
  approveDeviceCode(userCode: string, username?: string): void;
  declineDeviceCode(userCode: string): void;
  /**
   * Writes fake `az`, `azd` and `pwsh` executables into `directory` (Unix); put `tools.path(process.env.PATH)`
   * in the PATH of the process under test.
   */
  writeDeveloperTools(directory: string, options?: DeveloperToolsOptions): DeveloperTools;
  /** A delegated access token issued by the emulator (e.g. the incoming assertion for on-behalf-of). */
  userAssertion(options?: UserAssertionOptions): Promise<string>;
  /**
   * Revokes refresh tokens (all, or a user's): redeeming one then fails with invalid_grant AADSTS50173.
   * Returns how many were revoked.
   */
  revokeRefreshTokens(username?: string): number;
  /**
   * Creates a new signing key: tokens issued from now on use it; the JWKS lists it first and keeps the previous
   * key (which still verifies) until the next rotation. Resolves with the new key's kid.
   */
  rotateSigningKey(): Promise<{ kid: string }>;
  close(): Promise<void>;
}
