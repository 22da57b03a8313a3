/**
 * `ManagedIdentityCredential` authenticates as the managed identity of the Azure resource the code runs
 * on — system-assigned, or a user-assigned one named by client id, resource id or object id. The source
 * (AKS workload identity token exchange, Service Fabric, App Service, Azure Machine Learning, Cloud
 * Shell, Azure Arc, IMDS) is chosen once, in the constructor, from the environment.
 *
 * Tokens live in core's process-wide cache: a cached token costs no request, 1,000 concurrent first
 * callers make one request, a re-created credential reuses the tokens, and a token past its refresh time
 * is refreshed once in the background while the valid one is served.
 *
 * Docs: https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token
 */
import { existsSync } from "node:fs";
import {
  CredentialUnavailableError,
  InvalidArgumentError,
  cachePartition,
  getLogger,
  getTokenCache,
  normalizeScopes,
  readEnv,
  scopeToResource,
  tokenCacheKey,
} from "@id/core";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@id/core";
import { createHttpClient, resolveRetryOptions } from "@id/entra";
import type { FetchLike, HttpClientOptions, RetryOptions } from "@id/entra";
import { createAppServiceSource } from "./app-service.js";
import { arcAgentBinary, defaultArcKeyDirectory } from "./arc-key-file.js";
import { ENVIRONMENT_VARIABLES, detectSource } from "./detect-source.js";
import type { ManagedIdentityEnvironment, SourceConfig } from "./detect-source.js";
import { describeIdentity, resolveIdentitySelector } from "./identity-selector.js";
import type { IdentitySelector } from "./identity-selector.js";
import { DEFAULT_IMDS_PROBE_TIMEOUT_MS } from "./imds-probe.js";
import { IMDS_RETRY_DEFAULTS, createImdsSource } from "./imds.js";
import { loadLazySources } from "./lazy.js";
import type { ExchangeGetToken } from "./sources.js";
import { SOURCE_LABEL, who } from "./token-response.js";
import type { SourceName } from "./token-response.js";
import type { TokenSource } from "./token-source.js";

/** Options of `ManagedIdentityCredential`. */
export interface ManagedIdentityCredentialOptions {
  /** Client (application) id of a user-assigned identity. At most one of `clientId`, `resourceId`, `objectId`. */
  clientId?: string;
  /** ARM resource id of a user-assigned identity (`/subscriptions/…/userAssignedIdentities/<name>`). */
  resourceId?: string;
  /** Object (principal) id of a user-assigned identity. */
  objectId?: string;
  /** Authority host of the workload identity token exchange. Default `AZURE_AUTHORITY_HOST`, else the public cloud. */
  authorityHost?: string;
  /**
   * Retries. Defaults: IMDS 7 retries from 2 s, doubling to 60 s, within 120 s (covers IMDS's ~70 s
   * upgrade window); every other source 3 retries from 800 ms, up to 8 s each, within 15 s.
   * Fields given here replace the source's defaults one by one.
   */
  retryOptions?: RetryOptions;
  /** Milliseconds one attempt may take. Default 30,000. `getToken`'s `requestOptions.timeout` overrides it. */
  timeoutInMs?: number;
  /** The `fetch` to use (not for Service Fabric, whose pinned transport is built in). Default the global one. */
  fetch?: FetchLike;
  /** An undici `Dispatcher` passed to `fetch` (a proxy, …). Not used for Service Fabric. */
  dispatcher?: unknown;
  /** Largest response body accepted, bytes. Default 1 MiB. */
  maxResponseBytes?: number;
  /**
   * Before the first IMDS request, check that IMDS answers at all (one request, `imdsProbeTimeoutInMs`,
   * remembered for the process). For credential chains, so a machine without IMDS moves on within a
   * second. Skipped when the source is known: any source but IMDS, `AZURE_POD_IDENTITY_AUTHORITY_HOST`
   * set, or `AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential`. Default false.
   */
  probeImds?: boolean;
  /** Milliseconds the IMDS probe waits. Default 1,000. */
  imdsProbeTimeoutInMs?: number;
  /** The Azure Arc agent's token directory. Default `/var/opt/azcmagent/tokens` (Linux), `%ProgramData%\AzureConnectedMachineAgent\Tokens` (Windows). */
  arcKeyDirectory?: string;
}

/** Defaults of every source but IMDS: retry briefly. */
export const SOURCE_RETRY_DEFAULTS: Readonly<Required<RetryOptions>> = Object.freeze({
  maxRetries: 3,
  retryDelayInMs: 800,
  maxRetryDelayInMs: 8000,
  maxRetryTimeInMs: 15_000,
});

const logger = /* @__PURE__ */ getLogger("ManagedIdentityCredential");
const logged = new Set<string>();

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mergeRetryOptions(defaults: Readonly<Required<RetryOptions>>, given: unknown): RetryOptions {
  if (given === undefined) return defaults;
  if (!isObject(given)) throw invalid("retryOptions", "an object");
  const merged: Record<string, unknown> = { ...defaults };
  for (const [name, value] of Object.entries(given)) if (value !== undefined) merged[name] = value;
  return resolveRetryOptions(merged);
}

/** A `TypeError` (code `invalid_argument`) for an option: `"field" must be …`. */
function invalid(field: string, what: string): InvalidArgumentError {
  return new InvalidArgumentError("invalid_argument", `"${field}" must be ${what}.`);
}

function positiveMs(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw invalid(field, "a positive number of milliseconds");
  return value;
}

export class ManagedIdentityCredential implements TokenCredential {
  /** The source chosen from the environment. */
  readonly source: SourceName;
  readonly #identity: IdentitySelector;
  /** The source, or (for a source loaded lazily) a function that loads it once. */
  readonly #tokenSource: TokenSource | (() => Promise<TokenSource | ExchangeGetToken>);
  readonly #partition: string;

  /** System-assigned identity, or a user-assigned one named in `options`. */
  constructor(options?: ManagedIdentityCredentialOptions);
  /** The user-assigned identity with this client id. */
  constructor(clientId: string, options?: ManagedIdentityCredentialOptions);
  constructor(clientIdOrOptions?: string | ManagedIdentityCredentialOptions, maybeOptions?: ManagedIdentityCredentialOptions) {
    let clientIdArgument: string | undefined;
    let options: unknown;
    if (typeof clientIdOrOptions === "string") {
      clientIdArgument = clientIdOrOptions;
      options = maybeOptions ?? {};
    } else {
      options = clientIdOrOptions ?? {};
      if (maybeOptions !== undefined) {
        throw new InvalidArgumentError("invalid_argument", "ManagedIdentityCredential: pass the options as the only argument, or as the second one after a client id.");
      }
    }
    if (!isObject(options)) {
      throw new InvalidArgumentError("invalid_argument", `ManagedIdentityCredential: the first argument must be a client id (string) or an options object.`);
    }
    const o = options as ManagedIdentityCredentialOptions;
    this.#identity = resolveIdentitySelector(clientIdArgument, options);
    if (o.authorityHost !== undefined && typeof o.authorityHost !== "string") {
      throw invalid("authorityHost", `a string such as "https://login.microsoftonline.com"`);
    }
    if (o.arcKeyDirectory !== undefined && (typeof o.arcKeyDirectory !== "string" || o.arcKeyDirectory === "")) {
      throw invalid("arcKeyDirectory", "a non-empty directory path");
    }
    if (o.probeImds !== undefined && typeof o.probeImds !== "boolean") throw invalid("probeImds", "a boolean");
    const probeTimeout = positiveMs(o.imdsProbeTimeoutInMs, "imdsProbeTimeoutInMs", DEFAULT_IMDS_PROBE_TIMEOUT_MS);

    // The environment is read here, once.
    const env: ManagedIdentityEnvironment = {};
    for (const name of ENVIRONMENT_VARIABLES) env[name] = readEnv(name);
    const platform = process.platform;
    const programFiles = readEnv("ProgramFiles");
    const programData = readEnv("ProgramData");
    const tokenCredentialsChoice = readEnv("AZURE_TOKEN_CREDENTIALS");

    const config = detectSource(env, {
      identity: this.#identity,
      authorityHost: o.authorityHost,
      arcAgentInstalled: () => {
        const binary = arcAgentBinary(platform, programFiles);
        return binary !== undefined && existsSync(binary);
      },
    });
    this.source = config.name;

    const transport: HttpClientOptions = {
      fetch: o.fetch,
      dispatcher: o.dispatcher,
      timeoutInMs: o.timeoutInMs,
      maxResponseBytes: o.maxResponseBytes,
      retryOptions: mergeRetryOptions(config.name === "Imds" ? IMDS_RETRY_DEFAULTS : SOURCE_RETRY_DEFAULTS, o.retryOptions),
    };
    const arcKeyDirectory = o.arcKeyDirectory ?? defaultArcKeyDirectory(platform, programData);
    if (config.name === "Imds") {
      this.#tokenSource = createImdsSource(config.endpoint, createHttpClient(transport), this.#identity, {
        enabled: o.probeImds === true && tokenCredentialsChoice?.trim() !== "ManagedIdentityCredential" && !config.hostFromEnvironment,
        timeoutInMs: probeTimeout,
        fetch: transport.fetch,
      });
    } else if (config.name === "AppService") {
      this.#tokenSource = createAppServiceSource(config.endpoint, config.secret, createHttpClient(transport), this.#identity);
    } else {
      // Checked now, so a bad option fails at construction even though the source loads later.
      createHttpClient(transport);
      const identity = this.#identity;
      let created: Promise<TokenSource | ExchangeGetToken> | undefined;
      this.#tokenSource = () =>
        (created ??= loadLazySources(who(config.name)).then(
          (lazy) => lazy.createLazySource(config, transport, identity, arcKeyDirectory),
          (error: unknown) => {
            created = undefined;
            throw error;
          },
        ));
    }
    this.#partition =
      config.name === "TokenExchange"
        ? ""
        : cachePartition({
            kind: "managed-identity",
            authority: `${config.name} ${config.endpoint}`,
            tenantId: "",
            clientId: this.#identity.kind === "system" ? "system" : `${this.#identity.kind}=${this.#identity.value}`,
          });
    const line = `${describeEndpoint(config)}, for ${describeIdentity(this.#identity)}.`;
    if (!logged.has(line)) {
      logged.add(line);
      logger.info(`ManagedIdentityCredential will use ${SOURCE_LABEL[config.name]}: ${line}`);
    }
  }

  /**
   * A token for one scope (`https://vault.azure.net/.default` or the resource itself). Served from the
   * cache when fresh; otherwise one request to the source, shared by every concurrent caller.
   * Honours `abortSignal`, `requestOptions.timeout` and `claims` (which bypasses the cache).
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    try {
      const scope = typeof scopes === "string" ? scopes : Array.isArray(scopes) && scopes.length === 1 ? scopes[0] : undefined;
      if (scope === undefined) {
        const list = normalizeScopes(scopes);
        throw new CredentialUnavailableError(
          `ManagedIdentityCredential: managed identity issues a token for one scope at a time; ${list.length} were requested. Call getToken once per scope.`,
        );
      }
      if (this.#partition === "") {
        return (this.#tokenSource as () => Promise<ExchangeGetToken>)().then((exchange) => exchange(scope, options));
      }
      const key = tokenCacheKey(this.#partition, scope, false);
      const result = getTokenCache().getToken(key, ({ signal }) => this.#acquire(scope, signal, options), options);
      return result instanceof Promise ? result : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #acquire(scope: string, signal: AbortSignal, options: GetTokenOptions | undefined): Promise<AccessToken> {
    const source =
      typeof this.#tokenSource === "function" ? ((await this.#tokenSource()) as TokenSource) : this.#tokenSource;
    try {
      const token = await source.requestToken(scopeToResource(scope), { signal, timeoutInMs: options?.requestOptions?.timeout });
      logger.info(`${who(source.name)}: token acquired for ${describeIdentity(this.#identity)}.`);
      return token;
    } catch (error) {
      logger.warning(`${who(source.name)}: token request failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      throw error;
    }
  }
}

function describeEndpoint(config: SourceConfig): string {
  switch (config.name) {
    case "TokenExchange":
      return `tenant ${config.tenantId}, client ${config.clientId}, assertion file ${config.tokenFilePath}`;
    default:
      return `endpoint ${config.endpoint}`;
  }
}
