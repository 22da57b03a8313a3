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
import {
  CredentialUnavailableError,
  cacheKey,
  cachePartition,
  checkTenantId,
  freshToken,
  getLogger,
  getTokenCache,
  normalizeScopes,
  readEnv,
  scopeKey,
  scopeToResource,
} from "@id/core";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@id/core";
import { checkHttpClientOptions, isJsonObject } from "@id/entra/config";
import type { FetchLike, HttpClientOptions, RetryOptions } from "@id/entra/config";
import { detectSource } from "./detect-source.js";
import { describeIdentity, invalid, resolveIdentitySelector } from "./identity-selector.js";
import type { IdentitySelector } from "./identity-selector.js";
import { DEFAULT_IMDS_PROBE_TIMEOUT_MS } from "./imds-probe.js";
import { loadSources } from "./lazy.js";
import type { SourceSettings } from "./sources.js";
import { SOURCE_LABEL, who } from "./source-name.js";
import type { SourceName } from "./source-name.js";
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

/**
 * IMDS retry defaults: 7 retries, backoff 2 s doubling to at most 60 s (each wait jittered between half
 * and all of it), within 120 s. The shortest possible schedule waits 1+2+4+8+16+30 = 61 s over six
 * retries and 91 s over seven, so a 410 upgrade window of ~70 s is always covered.
 */
export const IMDS_RETRY_DEFAULTS: Readonly<Required<RetryOptions>> = Object.freeze({
  maxRetries: 7,
  retryDelayInMs: 2000,
  maxRetryDelayInMs: 60_000,
  maxRetryTimeInMs: 120_000,
});

/** Defaults of every source but IMDS: retry briefly. */
export const SOURCE_RETRY_DEFAULTS: Readonly<Required<RetryOptions>> = Object.freeze({
  maxRetries: 3,
  retryDelayInMs: 800,
  maxRetryDelayInMs: 8000,
  maxRetryTimeInMs: 15_000,
});

const SERVED_LIMIT = 256;
const logger = /* @__PURE__ */ getLogger("ManagedIdentityCredential");
const logged = new Set<string>();

export class ManagedIdentityCredential implements TokenCredential {
  /** The source chosen from the environment. */
  readonly source: SourceName;
  readonly #identity: IdentitySelector;
  /** The source, made (with its transport) on first use. */
  readonly #tokenSource: () => Promise<TokenSource>;
  readonly #partition: string;
  /** The token last served by scope ("+" and the scope with CAE); bounded by SERVED_LIMIT. */
  readonly #served = new Map<string, AccessToken>();
  /** The token exchange's tenant (only the exchange honours `tenantId` and `enableCae`, and sends `claims`). */
  readonly #exchangeTenant: string | undefined;

  /** System-assigned identity, or a user-assigned one named in `options`. */
  constructor(options?: ManagedIdentityCredentialOptions);
  /** The user-assigned identity with this client id. */
  constructor(clientId: string, options?: ManagedIdentityCredentialOptions);
  constructor(clientIdOrOptions?: string | ManagedIdentityCredentialOptions, maybeOptions?: ManagedIdentityCredentialOptions) {
    const clientIdArgument = typeof clientIdOrOptions === "string" ? clientIdOrOptions : undefined;
    const options: unknown = (clientIdArgument === undefined ? clientIdOrOptions : maybeOptions) ?? {};
    if (!isJsonObject(options) || (clientIdArgument === undefined && maybeOptions !== undefined)) {
      throw invalid("pass a client id (string) or an options object, or both in that order.");
    }
    const o = options as ManagedIdentityCredentialOptions;
    const identity = (this.#identity = resolveIdentitySelector(clientIdArgument, options));
    const check = (field: keyof ManagedIdentityCredentialOptions, ok: boolean, what: string): void => {
      if (o[field] !== undefined && !ok) throw invalid(`"${field}" must be ${what}.`);
    };
    check("authorityHost", typeof o.authorityHost === "string", `a string such as "https://login.microsoftonline.com"`);
    check("arcKeyDirectory", !!o.arcKeyDirectory && typeof o.arcKeyDirectory === "string", "a non-empty directory path");
    check("probeImds", typeof o.probeImds === "boolean", "a boolean");
    check("imdsProbeTimeoutInMs", (o.imdsProbeTimeoutInMs as number) > 0 && Number.isFinite(o.imdsProbeTimeoutInMs), "a positive number of milliseconds");
    check("retryOptions", isJsonObject(o.retryOptions), "an object");

    // The environment is read here, once.
    const config = detectSource(readEnv, identity, o.authorityHost);
    this.source = config.name;

    // Given retry fields replace the source's defaults one by one; the transport options are checked now,
    // and the source with its transport is made on the first token request (see sources.ts).
    const retryOptions: Record<string, unknown> = { ...(config.name === "Imds" ? IMDS_RETRY_DEFAULTS : SOURCE_RETRY_DEFAULTS) };
    for (const [name, value] of Object.entries(o.retryOptions ?? {})) if (value !== undefined) retryOptions[name] = value;
    const transport: HttpClientOptions = { fetch: o.fetch, dispatcher: o.dispatcher, timeoutInMs: o.timeoutInMs, maxResponseBytes: o.maxResponseBytes, retryOptions };
    checkHttpClientOptions(transport);
    const probe = o.probeImds === true && config.name === "Imds" && !config.hostFromEnvironment && readEnv("AZURE_TOKEN_CREDENTIALS")?.trim() !== "ManagedIdentityCredential";
    const settings: SourceSettings = {
      transport,
      identity,
      imdsProbe: probe ? { timeoutInMs: o.imdsProbeTimeoutInMs ?? DEFAULT_IMDS_PROBE_TIMEOUT_MS, fetch: o.fetch } : undefined,
      arcKeyDirectory: o.arcKeyDirectory,
      programData: readEnv("ProgramData"),
    };
    let created: Promise<TokenSource> | undefined;
    // Made once; a failure (the module missing, Azure Arc on an unsupported platform) is not remembered.
    this.#tokenSource = () =>
      (created ??= loadSources(who(config.name))
        .then((sources) => sources.createSource(config, settings))
        .catch((error: unknown) => {
          created = undefined;
          throw error;
        }));
    const exchange = config.name === "TokenExchange";
    this.#exchangeTenant = exchange ? config.tenantId : undefined;
    this.#partition = cachePartition({
      kind: "managed-identity",
      authority: `${config.name} ${config.endpoint}`,
      tenantId: "",
      clientId: exchange ? config.clientId : identity.kind === "system" ? "system" : `${identity.kind}=${identity.value}`,
      credentialHash: exchange ? config.tokenFilePath : undefined,
    });
    const line = `${exchange ? `client ${config.clientId}, assertion file ${config.tokenFilePath}, ` : ""}endpoint ${config.endpoint}, for ${describeIdentity(identity)}.`;
    if (!logged.has(line)) {
      logged.add(line);
      logger.info(`ManagedIdentityCredential will use ${SOURCE_LABEL[config.name]}: ${line}`);
    }
  }

  /**
   * A token for one scope (`https://vault.azure.net/.default` or the resource itself). Served from the
   * cache when fresh; otherwise one request to the source, shared by every concurrent caller.
   * Honours `abortSignal`, `requestOptions.timeout` and `claims` (which bypasses the cache); the token
   * exchange also `tenantId` (its own tenant only) and `enableCae`.
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    try {
      const scope = typeof scopes === "string" ? scopes : Array.isArray(scopes) && scopes.length === 1 ? scopes[0] : undefined;
      if (scope === undefined) {
        throw new CredentialUnavailableError(
          `ManagedIdentityCredential: managed identity issues a token for one scope at a time; ${normalizeScopes(scopes).length} were requested. Call getToken once per scope.`,
        );
      }
      const exchangeTenant = this.#exchangeTenant;
      // Only the token exchange has a tenant, and it has no additionally allowed tenants.
      if (exchangeTenant !== undefined && options?.tenantId !== undefined && checkTenantId(options.tenantId) !== exchangeTenant) {
        throw new CredentialUnavailableError(
          `${who("TokenExchange")}: tokens come from tenant ${exchangeTenant} (AZURE_TENANT_ID) only; tenant ${options.tenantId} was requested. Use a credential configured for that tenant.`,
        );
      }
      const enableCae = exchangeTenant !== undefined && options?.enableCae === true;
      // A call without claims or a per-call timeout serves the token it last got for the scope while core's
      // freshToken says it may: one Map lookup and one read of the token, no key, no closure.
      const memo = options?.claims || options?.requestOptions?.timeout !== undefined ? undefined : enableCae ? `+${scope}` : scope;
      const served = memo === undefined ? undefined : freshToken(this.#served.get(memo));
      if (served !== undefined) return Promise.resolve(served);
      const result = getTokenCache().getToken(cacheKey(this.#partition, scopeKey(normalizeScopes(scope)), enableCae), ({ signal }) => this.#acquire(scope, signal, options, enableCae), options);
      if (memo !== undefined && !(result instanceof Promise)) {
        if (this.#served.size >= SERVED_LIMIT) this.#served.clear();
        this.#served.set(memo, result);
      }
      return result instanceof Promise ? result : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #acquire(scope: string, signal: AbortSignal, options: GetTokenOptions | undefined, enableCae: boolean): Promise<AccessToken> {
    const source = await this.#tokenSource();
    try {
      const token = await source.requestToken(scopeToResource(scope), {
        signal,
        timeoutInMs: options?.requestOptions?.timeout,
        scope,
        claims: options?.claims,
        enableCae,
      });
      logger.info(`${who(source.name)}: token acquired for ${describeIdentity(this.#identity)}.`);
      return token;
    } catch (error) {
      logger.warning(`${who(source.name)}: token request failed:`, error);
      throw error;
    }
  }
}
