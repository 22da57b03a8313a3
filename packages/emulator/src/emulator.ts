/**
 * startEmulator(): a local Microsoft Entra ID (v2.0) and managed-identity emulator on loopback.
 * One HTTP(S) listener serves Entra, IMDS, App Service, Arc, Cloud Shell, Azure ML, Pipelines and the
 * workload-identity issuer; Service Fabric gets its own HTTPS listener with a self-signed certificate.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import type {
  ConfigureOptions,
  Emulator,
  EmulatorDefaults,
  EmulatorOptions,
  EnvSource,
  RequestLogEntry,
  UserAssertionOptions,
} from "./api.js";
import { authorize, deviceAuthorization, deviceLogin, logout, settleDeviceCode } from "./authorize.js";
import type { EmulatorContext, IncomingRequest, Settings, Stores } from "./context.js";
import { openIdConfiguration, instanceDiscovery, jwks } from "./discovery.js";
import {
  Directory,
  publicView,
  type FederatedCredential,
  type ManagedIdentity,
  type RegisterApplicationOptions,
  type RegisteredApplication,
  type RegisteredUser,
  type RegisterManagedIdentityOptions,
  type RegisterUserOptions,
  type User,
} from "./directory.js";
import { TOOL_CLIENT_IDS, writeDeveloperTools, type DeveloperTools, type DeveloperToolsOptions } from "./developer-tools.js";
import { EntraErrorSignal, entraError, entraErrorBody } from "./entra-error.js";
import { FaultList, type FaultOptions } from "./faults.js";
import { generateRsaKeyPair, KeyRing, SigningKey, type KeyPair } from "./keys.js";
import {
  appService,
  arc,
  azureML,
  cloudShell,
  imds,
  serviceFabric,
} from "./managed-identity.js";
import {
  pipelinesIssuer,
  pipelinesOidcToken,
  TOKEN_EXCHANGE_AUDIENCE,
  workloadIssuer,
  workloadIssuerDocument,
  type ServiceConnection,
} from "./pipelines.js";
import { applyFaultHeaders, closeServer, delay, faultReply, headerRecord, headerValue, listen, notFound, readBody, send } from "./http.js";
import { jsonReply, type Reply } from "./reply.js";
import { tokenEndpoint, tokenEndpointV1 } from "./token-endpoint.js";
import { TokenIssuer } from "./tokens.js";
import { createCertificate } from "./x509.js";

// Well-known ids of the default directory (stable across runs, so CLI users can keep their settings).
const DEFAULT_TENANT = "7e1d0000-0000-4000-8000-000000000001";
const ID = (n: number): string => `7e1d0000-0000-4000-8000-${n.toString().padStart(12, "0")}`;

function positiveInteger(name: string, value: unknown, allowZero = false): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new TypeError(`startEmulator: "${name}" must be a ${allowZero ? "non-negative" : "positive"} integer (got ${String(value)})`);
  }
  return value;
}

/** A log entry as stored: headers kept as Node's rawHeaders array until requests() is called. */
type StoredEntry = Omit<RequestLogEntry, "headers"> & { rawHeaders: string[] };

/** The request log keeps the latest MAX_LOG entries (trimmed in batches). */
const MAX_LOG = 10_000;

type ListenerKind = "main" | "plain" | "serviceFabric";

interface Route {
  name: string;
  handle: (req: IncomingRequest) => Promise<Reply> | Reply;
}

const ENTRA_ROUTES = new Set(["token", "authorize", "devicecode", "discovery", "jwks", "instanceDiscovery", "logout", "notFound", "index"]);

function segmentOf(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

class EmulatorServer implements Emulator {
  url = "";
  authorityHost = "";
  caPem: string | undefined;
  caFile: string | undefined;
  defaults!: EmulatorDefaults;
  arcKeyDirectory: string;
  serviceFabric = { url: "", thumbprint: "", certificatePem: "" };
  managedIdentityUrl = "";

  private readonly directory = new Directory(DEFAULT_TENANT);
  private readonly faults = new FaultList();
  private log: StoredEntry[] = [];
  private readonly settings: Settings;
  private readonly stores: Stores = {
    codes: new Map(),
    refreshTokens: new Map(),
    deviceCodes: new Map(),
    userCodes: new Map(),
    jtis: new Map(),
    arcKeys: new Map(),
  };
  private readonly connections = new Map<string, ServiceConnection>();
  private readonly workDirectory: string;
  private readonly writtenFiles = new Set<string>();
  private readonly maxBodyBytes: number;
  private server!: Server;
  private sfServer!: Server;
  private plainServer: Server | undefined;
  private ctx!: EmulatorContext;
  private sfCtx!: EmulatorContext;
  private plainCtx!: EmulatorContext;
  private key!: KeyRing;
  private defaultUser!: User;
  private closed = false;
  private pendingAutoSignIn: string | boolean | undefined;
  /** False until start() has seeded the directory: earlier requests (a fixed port) get 503. */
  private ready = false;

  constructor(private readonly options: EmulatorOptions) {
    this.settings = {
      tokenLifetimeSeconds: options.tokenLifetimeSeconds === undefined ? 3599 : positiveInteger("tokenLifetimeSeconds", options.tokenLifetimeSeconds, true),
      refreshInSeconds: options.refreshInSeconds === undefined ? undefined : positiveInteger("refreshInSeconds", options.refreshInSeconds, true),
      caeTokenLifetimeSeconds:
        options.caeTokenLifetimeSeconds === undefined ? undefined : positiveInteger("caeTokenLifetimeSeconds", options.caeTokenLifetimeSeconds, true),
      caeRefreshInSeconds: options.caeRefreshInSeconds === undefined ? undefined : positiveInteger("caeRefreshInSeconds", options.caeRefreshInSeconds, true),
      rejectReplayedAssertions: options.rejectReplayedAssertions === true,
      deviceCodeIntervalSeconds:
        options.deviceCodeIntervalSeconds === undefined ? 5 : positiveInteger("deviceCodeIntervalSeconds", options.deviceCodeIntervalSeconds, true),
      clockSkewSeconds: options.clockSkewSeconds === undefined ? 300 : positiveInteger("clockSkewSeconds", options.clockSkewSeconds, true),
      autoSignIn: undefined,
    };
    this.pendingAutoSignIn = options.autoSignIn;
    this.maxBodyBytes = options.maxBodyBytes === undefined ? 1024 * 1024 : positiveInteger("maxBodyBytes", options.maxBodyBytes);
    if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) {
      throw new TypeError(`startEmulator: "port" must be an integer from 0 to 65535 (got ${String(options.port)})`);
    }
    if (options.host !== undefined && (typeof options.host !== "string" || options.host === "")) {
      throw new TypeError('startEmulator: "host" must be a non-empty string');
    }
    if (options.tls !== undefined) {
      const tls = options.tls;
      if (tls === null || typeof tls !== "object" || typeof tls.certPem !== "string" || typeof tls.keyPem !== "string") {
        throw new TypeError('startEmulator: "tls" must be { certPem, keyPem, caPem? } with PEM strings');
      }
      if (options.https !== true) throw new TypeError('startEmulator: "tls" needs "https: true"');
    }
    if (options.autoSignIn !== undefined && options.autoSignIn !== true && options.autoSignIn !== false && (typeof options.autoSignIn !== "string" || options.autoSignIn === "")) {
      throw new TypeError('startEmulator: "autoSignIn" must be a username, true (the default user) or false');
    }
    this.workDirectory = mkdtempSync(join(tmpdir(), "id-emulator-"));
    if (options.arcKeyDirectory !== undefined) {
      if (typeof options.arcKeyDirectory !== "string" || options.arcKeyDirectory === "") {
        throw new TypeError('startEmulator: "arcKeyDirectory" must be a directory path');
      }
      mkdirSync(options.arcKeyDirectory, { recursive: true });
      this.arcKeyDirectory = options.arcKeyDirectory;
    } else {
      this.arcKeyDirectory = join(this.workDirectory, "arc-tokens");
      mkdirSync(this.arcKeyDirectory, { mode: 0o700 });
    }
  }

  async start(): Promise<void> {
    const https = this.options.https === true;
    const needCa = https && this.options.tls === undefined;
    const [signing, [certApp, tlsPair], caPair] = await Promise.all([
      generateRsaKeyPair(),
      sharedFixtureKeys(),
      needCa ? generateRsaKeyPair() : Promise.resolve(undefined),
    ]);
    this.key = new KeyRing(new SigningKey(signing));
    const host = this.options.host ?? "127.0.0.1";

    // Main listener.
    let tlsMaterial: { key: string; cert: string } | undefined;
    if (https) {
      if (this.options.tls) {
        tlsMaterial = { key: this.options.tls.keyPem, cert: this.options.tls.certPem };
        this.caPem = this.options.tls.caPem ?? this.options.tls.certPem;
      } else {
        const ca = caPair as KeyPair;
        const caCert = createCertificate({ subject: "id-emulator local CA", publicKey: ca.publicKey, signingKey: ca.privateKey, isCA: true, days: 825 });
        const serverCert = createCertificate({
          subject: "localhost",
          publicKey: tlsPair.publicKey,
          signingKey: ca.privateKey,
          issuer: "id-emulator local CA",
          issuerPublicKey: ca.publicKey,
          altNames: ["localhost", "127.0.0.1", "::1"],
          days: 365,
        });
        tlsMaterial = { key: tlsPair.privateKey.export({ type: "pkcs8", format: "pem" }) as string, cert: serverCert.pem + caCert.pem };
        this.caPem = caCert.pem;
      }
      this.caFile = this.writeFile("ca.pem", this.caPem);
    }
    const handler = (kind: ListenerKind) => (req: IncomingMessage, res: ServerResponse) => {
      this.onRequest(kind, req, res).catch(() => {
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "application/json; charset=utf-8", connection: "close" });
          res.end(JSON.stringify(entraErrorBody({ error: "server_error", code: 90033, description: "A transient error has occurred. Please try again." })));
        } else res.destroy();
      });
    };
    this.server = tlsMaterial ? createHttpsServer({ ...tlsMaterial }, handler("main")) : createHttpServer(handler("main"));
    this.server.keepAliveTimeout = 5_000;
    const port = await listen(this.server, this.options.port ?? 0, host);
    const urlHost = https ? "localhost" : host.includes(":") ? `[${host}]` : host;
    this.url = `${https ? "https" : "http"}://${urlHost}:${port}`;
    this.authorityHost = this.url;
    this.managedIdentityUrl = this.url;
    if (https) {
      // Managed-identity endpoints are plain HTTP in the real world; serve them on a second listener.
      this.plainServer = createHttpServer(handler("plain"));
      this.plainServer.keepAliveTimeout = 5_000;
      const plainPort = await listen(this.plainServer, 0, "127.0.0.1");
      this.managedIdentityUrl = `http://127.0.0.1:${plainPort}`;
    }

    // Service Fabric listener: HTTPS with its own self-signed certificate (clients pin its thumbprint).
    const sfCert = createCertificate({ subject: "localhost", publicKey: tlsPair.publicKey, signingKey: tlsPair.privateKey, altNames: ["localhost", "127.0.0.1"], days: 365 });
    this.sfServer = createHttpsServer(
      { key: tlsPair.privateKey.export({ type: "pkcs8", format: "pem" }) as string, cert: sfCert.pem },
      handler("serviceFabric"),
    );
    const sfPort = await listen(this.sfServer, 0, "127.0.0.1");
    this.serviceFabric = { url: `https://localhost:${sfPort}`, thumbprint: sfCert.thumbprintSha1, certificatePem: sfCert.pem };

    const tokens = new TokenIssuer(this.key, this.settings, (tid) => this.issuer(tid));
    const secrets = {
      identityHeader: randomBytes(16).toString("hex"),
      serviceFabricSecret: randomBytes(16).toString("hex"),
      azureMlSecret: randomBytes(16).toString("hex"),
      pipelinesAccessToken: `emu-system-access-token-${randomBytes(16).toString("hex")}`,
    };
    const makeContext = (origin: string): EmulatorContext => ({
      directory: this.directory,
      key: this.key,
      tokens,
      settings: this.settings,
      stores: this.stores,
      origin,
      issuer: (tid) => this.issuer(tid),
      ownIssuers: () => [pipelinesIssuer(this.url), workloadIssuer(this.url), ...[...this.directory.tenants.keys()].map((t) => this.issuer(t))],
      secrets,
      arcKeyDirectory: this.arcKeyDirectory,
    });
    this.ctx = makeContext(this.url);
    this.sfCtx = makeContext(this.serviceFabric.url);
    this.plainCtx = makeContext(this.managedIdentityUrl);
    this.seedDefaults(certApp, secrets.pipelinesAccessToken);
    if (this.pendingAutoSignIn !== undefined) this.configure({ autoSignIn: this.pendingAutoSignIn });
    this.ready = true;
  }

  private seedDefaults(certPair: KeyPair, systemAccessToken: string): void {
    const d = this.directory;
    const secretApp = d.registerApplication({ clientId: ID(101), secrets: ["emulator-secret-app~client-secret-000001"], displayName: "emulator secret app" });
    const cert = createCertificate({ subject: "emulator certificate app", publicKey: certPair.publicKey, signingKey: certPair.privateKey, days: 365 });
    const certificateApp = d.registerApplication({ clientId: ID(102), certificatePems: [cert.pem], displayName: "emulator certificate app" });
    const publicApp = d.registerApplication({
      clientId: ID(103),
      publicClient: true,
      redirectUris: ["http://localhost", "http://127.0.0.1"],
      displayName: "emulator public app",
    });
    const apiApp = d.registerApplication({
      clientId: ID(104),
      secrets: ["emulator-api-app~client-secret-0000000002"],
      redirectUris: ["http://localhost"],
      displayName: "emulator middle-tier api",
    });
    const workloadSubject = "system:serviceaccount:default:workload-identity-sa";
    const workloadApp = d.registerApplication({
      clientId: ID(105),
      federatedCredentials: [{ issuer: workloadIssuer(this.url), subject: workloadSubject }],
      displayName: "emulator workload identity app",
    });
    const pipelinesSubject = "sc://emulator/emulator-project/emulator-service-connection";
    const pipelinesApp = d.registerApplication({
      clientId: ID(106),
      federatedCredentials: [{ issuer: pipelinesIssuer(this.url), subject: pipelinesSubject }],
      displayName: "emulator pipelines app",
    });
    const serviceConnectionId = ID(401);
    this.connections.set(serviceConnectionId, { id: serviceConnectionId, clientId: pipelinesApp.clientId, tenantId: DEFAULT_TENANT, subject: pipelinesSubject });
    d.registerApplication({ clientId: TOOL_CLIENT_IDS.az, publicClient: true, displayName: "Microsoft Azure CLI" });
    d.registerApplication({ clientId: TOOL_CLIENT_IDS.pwsh, publicClient: true, displayName: "Microsoft Azure PowerShell" });
    this.defaultUser = d.registerUser({ username: "alice@emulator.onmicrosoft.com", password: "Emulator-Passw0rd!", objectId: ID(201), displayName: "Alice Emulator" });
    const system = d.registerManagedIdentity({ clientId: ID(302), objectId: ID(301), resourceId: "/subscriptions/7e1d0000-0000-4000-8000-000000000000/resourceGroups/emulator/providers/Microsoft.Compute/virtualMachines/emulator-vm" }, true);
    const uami = d.registerManagedIdentity({
      clientId: ID(311),
      objectId: ID(312),
      resourceId: "/subscriptions/7e1d0000-0000-4000-8000-000000000000/resourcegroups/emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/emulator-uami",
    });
    this.defaults = Object.freeze({
      tenantId: DEFAULT_TENANT,
      tenantDomain: "emulator.onmicrosoft.com",
      secretApp: { clientId: secretApp.clientId, clientSecret: secretApp.secrets[0] as string },
      certificateApp: {
        clientId: certificateApp.clientId,
        certificatePem: cert.pem,
        privateKeyPem: certPair.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
        thumbprintSha1: cert.thumbprintSha1,
        thumbprintSha256: cert.thumbprintSha256,
      },
      publicApp: { clientId: publicApp.clientId, redirectUri: "http://localhost" },
      apiApp: { clientId: apiApp.clientId, clientSecret: apiApp.secrets[0] as string },
      user: { username: this.defaultUser.username, password: this.defaultUser.password, objectId: this.defaultUser.objectId },
      managedIdentity: {
        systemObjectId: system.objectId,
        systemClientId: system.clientId,
        userAssigned: { clientId: uami.clientId, objectId: uami.objectId, resourceId: uami.resourceId },
      },
      workloadIdentity: { clientId: workloadApp.clientId, issuer: workloadIssuer(this.url), subject: workloadSubject },
      pipelines: {
        serviceConnectionId,
        clientId: pipelinesApp.clientId,
        systemAccessToken,
        issuer: pipelinesIssuer(this.url),
        subject: pipelinesSubject,
      },
    }) as EmulatorDefaults;
  }

  private writeFile(name: string, content: string): string {
    const file = join(this.workDirectory, name);
    writeFileSync(file, content, { mode: 0o600 });
    this.writtenFiles.add(file);
    return file;
  }

  // ---- routing ----------------------------------------------------------------------------------------

  private route(kind: ListenerKind, path: string): Route {
    const ctx = kind === "main" ? this.ctx : kind === "plain" ? this.plainCtx : this.sfCtx;
    if (kind === "serviceFabric") {
      if (path === "/metadata/identity/oauth2/token") return { name: "serviceFabric", handle: (r) => serviceFabric(ctx, r) };
      return { name: "notFound", handle: () => notFound(path) };
    }
    let m: RegExpExecArray | null;
    if ((m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path))) {
      const seg = segmentOf(m[1] as string);
      return { name: "token", handle: (r) => tokenEndpoint(ctx, r, seg) };
    }
    if (path === "/metadata/identity/oauth2/token") return { name: "imds", handle: (r) => imds(ctx, r) };
    if (/^\/msi\/token$/i.test(path)) return { name: "appService", handle: (r) => appService(ctx, r) };
    if (path === "/arc/metadata/identity/oauth2/token") return { name: "arc", handle: (r) => arc(ctx, r) };
    if (path === "/cloudshell/oauth2/token") return { name: "cloudShell", handle: (r) => cloudShell(ctx, r, this.defaultUser) };
    if (path === "/ml/msi/token") return { name: "azureML", handle: (r) => azureML(ctx, r) };
    if (/^\/pipelines\/.+\/oidctoken$/.test(path)) return { name: "pipelines", handle: (r) => pipelinesOidcToken(ctx, r, this.connections) };
    if (path === "/common/discovery/instance") return { name: "instanceDiscovery", handle: (r) => instanceDiscovery(r) };
    if ((m = /^\/([^/]+)\/(?:v2\.0\/)?\.well-known\/openid-configuration$/.exec(path))) {
      const seg = segmentOf(m[1] as string);
      if (seg === "k8s") return { name: "workloadIssuer", handle: (r) => workloadIssuerDocument(ctx, r, "discovery") };
      return { name: "discovery", handle: (r) => openIdConfiguration(ctx, r, seg) };
    }
    if ((m = /^\/([^/]+)\/discovery\/(?:v2\.0\/)?keys$/.exec(path))) {
      const seg = segmentOf(m[1] as string);
      return { name: "jwks", handle: () => jwks(ctx, seg) };
    }
    if (path === "/k8s/openid/v1/jwks") return { name: "workloadIssuer", handle: (r) => workloadIssuerDocument(ctx, r, "jwks") };
    if ((m = /^\/([^/]+)\/oauth2\/v2\.0\/authorize$/.exec(path))) {
      const seg = segmentOf(m[1] as string);
      return { name: "authorize", handle: (r) => authorize(ctx, r, seg) };
    }
    if ((m = /^\/([^/]+)\/oauth2\/v2\.0\/devicecode$/.exec(path))) {
      const seg = segmentOf(m[1] as string);
      return { name: "devicecode", handle: (r) => deviceAuthorization(ctx, r, seg) };
    }
    if (/^\/([^/]+)\/oauth2\/v2\.0\/logout$/.test(path)) return { name: "logout", handle: (r) => logout(r) };
    // v1 token endpoint (AD FS style); after the managed-identity routes, which also end in /oauth2/token.
    if ((m = /^\/([^/]+)\/oauth2\/token$/.exec(path))) {
      const seg = segmentOf(m[1] as string);
      return { name: "token", handle: (r) => tokenEndpointV1(ctx, r, seg) };
    }
    if (path === "/devicelogin") return { name: "devicelogin", handle: (r) => deviceLogin(ctx, r) };
    if (path === "/" || path === "") return { name: "index", handle: () => jsonReply(200, this.describe()) };
    return { name: "notFound", handle: () => notFound(path) };
  }

  private async onRequest(kind: ListenerKind, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.ready) {
      req.resume();
      send(res, entraError({ error: "temporarily_unavailable", code: 90033, description: "The emulator is starting; retry shortly.", status: 503, headers: { "retry-after": "1" } }), true);
      return;
    }
    const time = Date.now();
    const origin = kind === "main" ? this.url : kind === "plain" ? this.managedIdentityUrl : this.serviceFabric.url;
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://emulator.invalid");
    } catch {
      url = new URL("http://emulator.invalid/");
    }
    const path = url.pathname;
    // Real services ignore one trailing slash (MSAL-node asks IMDS for ".../oauth2/token/").
    const route = this.route(kind, path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path);
    const entry: StoredEntry = {
      method: req.method ?? "GET",
      path,
      url: `${path}${url.search}`,
      route: route.name,
      status: 0,
      rawHeaders: req.rawHeaders,
      time,
    };
    this.log.push(entry);
    if (this.log.length > MAX_LOG + 1_000) this.log.splice(0, this.log.length - MAX_LOG);

    const { body, tooLarge } = await readBody(req, this.maxBodyBytes);
    const contentType = (req.headers["content-type"] ?? "").toLowerCase();
    const isForm = contentType.split(";")[0]?.trim() === "application/x-www-form-urlencoded";
    const form: Record<string, string> = {};
    if (isForm && !tooLarge) {
      for (const [k, v] of new URLSearchParams(body.toString("utf8"))) if (!(k in form)) form[k] = v;
      entry.form = form;
    }
    if (form.grant_type !== undefined) entry.grantType = form.grant_type;
    if (form.client_id !== undefined) entry.clientId = form.client_id;

    if (tooLarge) {
      const reply = entraError({
        error: "invalid_request",
        code: 9002313,
        description: `Invalid request. Request is malformed or invalid. The request body exceeds the limit of ${this.maxBodyBytes} bytes.`,
        status: 413,
      });
      entry.status = 413;
      send(res, reply, true);
      return;
    }

    const correlation = url.searchParams.get("client-request-id") ?? form["client-request-id"] ?? headerValue(req, "client-request-id") ?? headerValue(req, "x-ms-client-request-id");
    const incoming: IncomingRequest = {
      method: entry.method,
      path,
      query: url.searchParams,
      headers: req.headers,
      body,
      form,
      isForm,
      correlationId: correlation !== undefined && /^[A-Za-z0-9-]{1,64}$/.test(correlation) ? correlation : undefined,
      log: { route: route.name },
      origin,
    };

    const fault = this.faults.take(route.name, path, form.grant_type);
    if (fault?.latencyMs) await delay(fault.latencyMs);
    if (this.closed) return;
    if (fault?.reset) {
      req.socket.destroy();
      return;
    }
    if (fault?.hang) return; // close() destroys the socket

    let reply: Reply;
    if (fault && (fault.status !== undefined || fault.body !== undefined || fault.entraError !== undefined) && !fault.truncated && !fault.endlessBody) {
      reply = faultReply(route.name, fault, incoming.correlationId);
    } else {
      try {
        reply = await route.handle(incoming);
      } catch (error) {
        if (error instanceof EntraErrorSignal) reply = entraError({ ...error.input, correlationId: incoming.correlationId });
        else reply = entraError({ error: "server_error", code: 90033, description: "A transient error has occurred. Please try again.", status: 500, correlationId: incoming.correlationId });
      }
      if (fault) applyFaultHeaders(reply, fault);
    }
    if (incoming.log.grantType !== undefined) entry.grantType = incoming.log.grantType;
    if (incoming.log.clientId !== undefined) entry.clientId = incoming.log.clientId;
    if (ENTRA_ROUTES.has(route.name)) {
      reply.headers["x-ms-ests-server"] ??= "id-emulator";
      reply.headers["x-ms-request-id"] ??= randomUUID();
      if (incoming.correlationId !== undefined) reply.headers["client-request-id"] ??= incoming.correlationId;
    }
    if (this.closed) return;
    if (fault?.endlessBody) {
      const full = Buffer.from(reply.body);
      const headers = { ...reply.headers };
      for (const name of Object.keys(headers)) if (name.toLowerCase() === "content-length") delete headers[name];
      entry.status = reply.status;
      res.writeHead(reply.status, headers);
      res.write(full.subarray(0, Math.max(1, Math.floor(full.length / 2)))); // and nothing more, ever
      return;
    }
    if (fault?.truncated) {
      const full = Buffer.from(reply.body);
      res.writeHead(reply.status, { ...reply.headers, "content-length": String(full.length) });
      res.write(full.subarray(0, Math.max(1, Math.floor(full.length / 2))), () => res.destroy());
      return;
    }
    entry.status = reply.status;
    send(res, reply, false);
  }

  private describe(): Record<string, unknown> {
    return {
      name: "@id/emulator",
      url: this.url,
      tenantId: this.defaults.tenantId,
      endpoints: endpoints(this),
    };
  }

  // ---- public API -------------------------------------------------------------------------------------

  jwksUri(tenantId: string = DEFAULT_TENANT): string {
    return `${this.url}/${tenantId}/discovery/v2.0/keys`;
  }

  issuer(tenantId: string = DEFAULT_TENANT): string {
    return `${this.url}/${tenantId}/v2.0`;
  }

  tokenEndpoint(tenantId: string = DEFAULT_TENANT): string {
    return `${this.url}/${tenantId}/oauth2/v2.0/token`;
  }

  registerApplication(options: RegisterApplicationOptions = {}): RegisteredApplication {
    return publicView(this.directory.registerApplication(options));
  }

  registerUser(options: RegisterUserOptions): RegisteredUser {
    const user = this.directory.registerUser(options);
    return { tenantId: user.tenantId, username: user.username, objectId: user.objectId, displayName: user.displayName };
  }

  registerManagedIdentity(options: RegisterManagedIdentityOptions = {}): ManagedIdentity {
    return { ...this.directory.registerManagedIdentity(options) };
  }

  registerTenant(tenantId: string, domain?: string): { tenantId: string; domain: string } {
    const tenant = this.directory.addTenant(tenantId, domain);
    return { tenantId: tenant.id, domain: tenant.domain };
  }

  configure(options: ConfigureOptions): void {
    if (options === null || typeof options !== "object") throw new TypeError("configure: options must be an object");
    if (options.autoSignIn !== undefined) {
      const auto = options.autoSignIn;
      if (auto === false) this.settings.autoSignIn = undefined;
      else if (auto === true) this.settings.autoSignIn = this.defaults.user.username;
      else if (typeof auto === "string" && auto !== "") this.settings.autoSignIn = auto;
      else throw new TypeError('"autoSignIn" must be a username, true (the default user) or false');
    }
    if (options.tokenLifetimeSeconds !== undefined) this.settings.tokenLifetimeSeconds = positiveInteger("tokenLifetimeSeconds", options.tokenLifetimeSeconds, true);
    if (options.refreshInSeconds !== undefined) {
      this.settings.refreshInSeconds = options.refreshInSeconds === null ? undefined : positiveInteger("refreshInSeconds", options.refreshInSeconds, true);
    }
    if (options.caeTokenLifetimeSeconds !== undefined) {
      this.settings.caeTokenLifetimeSeconds =
        options.caeTokenLifetimeSeconds === null ? undefined : positiveInteger("caeTokenLifetimeSeconds", options.caeTokenLifetimeSeconds, true);
    }
    if (options.caeRefreshInSeconds !== undefined) {
      this.settings.caeRefreshInSeconds =
        options.caeRefreshInSeconds === null ? undefined : positiveInteger("caeRefreshInSeconds", options.caeRefreshInSeconds, true);
    }
    if (options.rejectReplayedAssertions !== undefined) this.settings.rejectReplayedAssertions = options.rejectReplayedAssertions === true;
    if (options.deviceCodeIntervalSeconds !== undefined) {
      this.settings.deviceCodeIntervalSeconds = positiveInteger("deviceCodeIntervalSeconds", options.deviceCodeIntervalSeconds, true);
    }
  }

  requests(): RequestLogEntry[] {
    return this.log.map(({ rawHeaders, ...e }) => {
      const out: RequestLogEntry = { ...e, headers: headerRecord(rawHeaders) };
      if (e.form) out.form = { ...e.form };
      return out;
    });
  }

  clearRequests(): void {
    this.log = [];
  }

  fault(options: FaultOptions): void {
    this.faults.add(options);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  env(source: EnvSource): Record<string, string> {
    const d = this.defaults;
    const mi = this.managedIdentityUrl;
    const authority: Record<string, string> = { AZURE_AUTHORITY_HOST: this.authorityHost };
    if (this.caFile) authority.NODE_EXTRA_CA_CERTS = this.caFile;
    switch (source) {
      case "imds":
        return { AZURE_POD_IDENTITY_AUTHORITY_HOST: mi };
      case "appService":
        return { IDENTITY_ENDPOINT: `${mi}/msi/token`, IDENTITY_HEADER: this.ctx.secrets.identityHeader };
      case "arc":
        return { IDENTITY_ENDPOINT: `${mi}/arc/metadata/identity/oauth2/token`, IMDS_ENDPOINT: `${mi}/arc` };
      case "cloudShell":
        return { MSI_ENDPOINT: `${mi}/cloudshell/oauth2/token` };
      case "serviceFabric":
        return {
          IDENTITY_ENDPOINT: `${this.serviceFabric.url}/metadata/identity/oauth2/token`,
          IDENTITY_HEADER: this.ctx.secrets.serviceFabricSecret,
          IDENTITY_SERVER_THUMBPRINT: this.serviceFabric.thumbprint,
          IDENTITY_API_VERSION: "2019-07-01-preview",
        };
      case "azureML":
        return {
          MSI_ENDPOINT: `${mi}/ml/msi/token`,
          MSI_SECRET: this.ctx.secrets.azureMlSecret,
          DEFAULT_IDENTITY_CLIENT_ID: d.managedIdentity.systemClientId,
        };
      case "workloadIdentity": {
        const now = Math.floor(Date.now() / 1000);
        const token = this.key.signJwtSync({
          aud: [TOKEN_EXCHANGE_AUDIENCE],
          exp: now + 3600,
          iat: now,
          iss: d.workloadIdentity.issuer,
          nbf: now,
          sub: d.workloadIdentity.subject,
          "kubernetes.io": { namespace: "default", serviceaccount: { name: "workload-identity-sa", uid: randomUUID() } },
        });
        const file = this.writeFile("azure-identity-token", token);
        return { AZURE_CLIENT_ID: d.workloadIdentity.clientId, AZURE_TENANT_ID: d.tenantId, AZURE_FEDERATED_TOKEN_FILE: file, ...authority };
      }
      case "pipelines":
        return {
          SYSTEM_OIDCREQUESTURI: `${this.url}/pipelines/emulator/emulator-project/_apis/distributedtask/hubs/build/plans/${ID(501)}/jobs/${ID(502)}/oidctoken`,
          SYSTEM_ACCESSTOKEN: d.pipelines.systemAccessToken,
          AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: d.pipelines.serviceConnectionId,
          AZURESUBSCRIPTION_CLIENT_ID: d.pipelines.clientId,
          AZURESUBSCRIPTION_TENANT_ID: d.tenantId,
          ...authority,
        };
      case "clientSecret":
        return { AZURE_TENANT_ID: d.tenantId, AZURE_CLIENT_ID: d.secretApp.clientId, AZURE_CLIENT_SECRET: d.secretApp.clientSecret, ...authority };
      case "clientCertificate": {
        const file = this.writeFile("client-certificate.pem", d.certificateApp.certificatePem + d.certificateApp.privateKeyPem);
        return { AZURE_TENANT_ID: d.tenantId, AZURE_CLIENT_ID: d.certificateApp.clientId, AZURE_CLIENT_CERTIFICATE_PATH: file, ...authority };
      }
      default:
        throw new TypeError(
          `env: unknown source "${String(source)}"; use one of imds, appService, arc, cloudShell, serviceFabric, azureML, workloadIdentity, pipelines, clientSecret, clientCertificate`,
        );
    }
  }

  private userByName(username: string | undefined, tenantId?: string): User {
    if (username === undefined) return this.defaultUser;
    const tenant = this.directory.findTenant(tenantId ?? DEFAULT_TENANT);
    const user = tenant ? this.directory.findUser(tenant, username) : undefined;
    if (!user) throw new TypeError(`unknown user "${username}"; register it with registerUser first`);
    return user;
  }

  approveDeviceCode(userCode: string, username?: string): void {
    if (typeof userCode !== "string") throw new TypeError("approveDeviceCode: userCode must be a string");
    const deviceCode = this.stores.userCodes.get(userCode.trim().toUpperCase());
    const entry = deviceCode === undefined ? undefined : this.stores.deviceCodes.get(deviceCode);
    const user = this.userByName(username, entry?.tenantId);
    const problem = settleDeviceCode(this.ctx, userCode, { user });
    if (problem) throw new Error(`approveDeviceCode: ${problem}`);
  }

  declineDeviceCode(userCode: string): void {
    const problem = settleDeviceCode(this.ctx, userCode, "declined");
    if (problem) throw new Error(`declineDeviceCode: ${problem}`);
  }

  writeDeveloperTools(directory: string, options: DeveloperToolsOptions = {}): DeveloperTools {
    return writeDeveloperTools(
      directory,
      { url: this.url, tenantId: this.defaults.tenantId, ca: this.caPem },
      { username: this.defaults.user.username, password: this.defaults.user.password },
      options,
      process.execPath,
      delimiter,
    );
  }

  userAssertion(options: UserAssertionOptions = {}): Promise<string> {
    const user = this.userByName(options.username, options.tenantId);
    return this.ctx.tokens.userToken(
      user,
      options.clientId ?? this.defaults.publicApp.clientId,
      options.audience ?? this.defaults.apiApp.clientId,
      options.scopes ?? ["access_as_user"],
      { cp1: false, appidacr: "0" },
    );
  }

  async rotateSigningKey(): Promise<{ kid: string }> {
    this.key.rotate(new SigningKey(await generateRsaKeyPair()));
    return { kid: this.key.kid };
  }

  revokeRefreshTokens(username?: string): number {
    let count = 0;
    for (const grant of this.stores.refreshTokens.values()) {
      if (grant.revoked) continue;
      if (username !== undefined && grant.user.username.toLowerCase() !== username.toLowerCase()) continue;
      grant.revoked = true;
      count++;
    }
    return count;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([closeServer(this.server), closeServer(this.sfServer), closeServer(this.plainServer)]);
    for (const file of this.writtenFiles) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
    for (const { file } of this.stores.arcKeys.values()) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
    rmSync(this.workDirectory, { recursive: true, force: true });
  }
}

/** Every endpoint of an emulator, for the CLI and the index page. */
export function endpoints(emu: Emulator): Record<string, string> {
  const t = emu.defaults.tenantId;
  return {
    authorityHost: emu.authorityHost,
    openIdConfiguration: `${emu.url}/${t}/v2.0/.well-known/openid-configuration`,
    jwks: emu.jwksUri(t),
    token: emu.tokenEndpoint(t),
    authorize: `${emu.url}/${t}/oauth2/v2.0/authorize`,
    deviceCode: `${emu.url}/${t}/oauth2/v2.0/devicecode`,
    deviceLogin: `${emu.url}/devicelogin`,
    instanceDiscovery: `${emu.url}/common/discovery/instance`,
    imds: `${emu.managedIdentityUrl}/metadata/identity/oauth2/token`,
    appService: `${emu.managedIdentityUrl}/msi/token`,
    arc: `${emu.managedIdentityUrl}/arc/metadata/identity/oauth2/token`,
    cloudShell: `${emu.managedIdentityUrl}/cloudshell/oauth2/token`,
    azureML: `${emu.managedIdentityUrl}/ml/msi/token`,
    serviceFabric: `${emu.serviceFabric.url}/metadata/identity/oauth2/token`,
    pipelinesOidc: emu.env("pipelines").SYSTEM_OIDCREQUESTURI as string,
    workloadIssuer: `${emu.url}/k8s/.well-known/openid-configuration`,
  };
}

/**
 * Key pairs of test fixtures that need no secrecy from each other: the certificate app's key and the TLS leaf
 * key (server and Service Fabric certificates). Generated once per process and shared by every emulator in it,
 * which halves start-up time; each emulator still creates its own certificates with them, its own signing key
 * and its own CA.
 */
let fixtureKeys: Promise<[KeyPair, KeyPair]> | undefined;

function sharedFixtureKeys(): Promise<[KeyPair, KeyPair]> {
  fixtureKeys ??= Promise.all([generateRsaKeyPair(), generateRsaKeyPair()]);
  fixtureKeys.catch(() => {
    fixtureKeys = undefined;
  });
  return fixtureKeys;
}

/** Starts an emulator; resolves once every listener accepts connections. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  if (options === null || typeof options !== "object") throw new TypeError("startEmulator: options must be an object");
  const emulator = new EmulatorServer(options);
  try {
    await emulator.start();
  } catch (error) {
    await emulator.close().catch(() => undefined);
    throw error;
  }
  return emulator;
}

export type {
  ConfigureOptions,
  Emulator,
  EmulatorDefaults,
  EmulatorOptions,
  EnvSource,
  FederatedCredential,
  RequestLogEntry,
  UserAssertionOptions,
};
