/**
 * The managed-identity sources an app needs only on some hosts — AKS workload identity token exchange
 * (which pulls in `@id/entra`'s token-endpoint client), Service Fabric (with its certificate-pinning
 * transport), Azure Machine Learning, Cloud Shell and Azure Arc (with its key-file reader). Published as
 * the subpath `@id/managed-identity/sources` and loaded by `ManagedIdentityCredential` with a dynamic
 * `import()` the first time a token is requested on such a host, so an app on IMDS or App Service never
 * ships or loads this code.
 *
 * A bundled app that runs on one of these hosts and does not ship `node_modules` calls
 * `registerManagedIdentitySources()` once at start-up (which makes the bundler include this module).
 */
import type { GetTokenOptions, AccessToken } from "@id/core";
import { createHttpClient } from "@id/entra";
import type { HttpClientOptions } from "@id/entra";
import { createAzureArcSource } from "./azure-arc.js";
import { createAzureMlSource } from "./azure-ml.js";
import { createCloudShellSource } from "./cloud-shell.js";
import type { SourceConfig } from "./detect-source.js";
import type { IdentitySelector } from "./identity-selector.js";
import { createPinnedFetch } from "./pinned-fetch.js";
import { createServiceFabricSource } from "./service-fabric.js";
import { createTokenExchange } from "./token-exchange.js";
import type { TokenSource } from "./token-source.js";
import { LAZY_SOURCES } from "./lazy.js";

/** A config of a source this module creates. */
export type LazySourceConfig = Exclude<SourceConfig, { name: "Imds" | "AppService" }>;

/** The token exchange's `getToken`. */
export type ExchangeGetToken = (scopes: string | string[], options?: GetTokenOptions) => Promise<AccessToken>;

/** Creates the source `config` names (the token exchange as a `getToken` of its own). */
export function createLazySource(
  config: LazySourceConfig,
  transport: HttpClientOptions,
  identity: IdentitySelector,
  arcKeyDirectory: string | undefined,
): TokenSource | ExchangeGetToken {
  switch (config.name) {
    case "TokenExchange":
      return createTokenExchange(config, transport);
    case "ServiceFabric":
      return createServiceFabricSource(config.endpoint, config.secret, createHttpClient({ ...transport, fetch: createPinnedFetch(config.thumbprint), dispatcher: undefined }));
    case "AzureML":
      return createAzureMlSource(config.endpoint, config.secret, config.defaultClientId, createHttpClient(transport), identity);
    case "CloudShell":
      return createCloudShellSource(config.endpoint, createHttpClient(transport));
    case "AzureArc":
      return createAzureArcSource(config.endpoint, arcKeyDirectory, createHttpClient(transport), identity);
  }
}

/**
 * Makes these sources available to `ManagedIdentityCredential` without a dynamic import: for an app
 * bundled into one file that runs on AKS workload identity, Service Fabric, Azure Machine Learning,
 * Cloud Shell or Azure Arc. Call it once, before the first `getToken`.
 */
export function registerManagedIdentitySources(): void {
  (globalThis as Record<symbol, unknown>)[LAZY_SOURCES] = { createLazySource };
}
