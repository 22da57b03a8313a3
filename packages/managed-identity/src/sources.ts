/**
 * The managed-identity sources an app needs only on some hosts — AKS workload identity token exchange,
 * Service Fabric (with its certificate-pinning transport), Azure Machine Learning, Cloud Shell and Azure
 * Arc (with its key-file reader) — and the IMDS probe's request, which only credential chains make.
 * Published as the subpath `@id/managed-identity/sources` and loaded by `ManagedIdentityCredential` with a
 * dynamic `import()` the first time a token (or a probe) is requested on such a host, so an app on IMDS or
 * App Service never loads this code (nor ships it, when its bundler splits code).
 */
import { createHttpClient } from "@id/entra";
import type { HttpClient, HttpClientOptions } from "@id/entra";
import { defaultArcKeyDirectory } from "./arc-key-file.js";
import { createAzureArcSource } from "./azure-arc.js";
import { createAzureMlSource } from "./azure-ml.js";
import { createCloudShellSource } from "./cloud-shell.js";
import type { SourceConfig } from "./detect-source.js";
import type { IdentitySelector } from "./identity-selector.js";
import { requestImdsProbe } from "./imds-probe-request.js";
import { LAZY_SOURCES } from "./lazy.js";
import { createPinnedFetch } from "./pinned-fetch.js";
import { createServiceFabricSource } from "./service-fabric.js";
import { createTokenExchange } from "./token-exchange.js";
import type { TokenSource } from "./token-source.js";

/** A config of a source this module creates. */
export type LazySourceConfig = Exclude<SourceConfig, { name: "Imds" | "AppService" }>;

/**
 * Creates the source `config` names. `http` is built from `transport`; Service Fabric builds its own from it, on the pinned `fetch`.
 * `arcKeyDirectory` is the option; `programData` the variable its Windows default is under.
 */
export function createLazySource(
  config: LazySourceConfig,
  http: HttpClient,
  transport: HttpClientOptions,
  identity: IdentitySelector,
  arcKeyDirectory: string | undefined,
  programData: string | undefined,
): TokenSource {
  switch (config.name) {
    case "TokenExchange":
      return createTokenExchange(config, http);
    case "ServiceFabric":
      return createServiceFabricSource(config.endpoint, config.secret, createHttpClient({ ...transport, fetch: createPinnedFetch(config.thumbprint), dispatcher: undefined }));
    case "AzureML":
      return createAzureMlSource(config.endpoint, config.secret, config.defaultClientId, http, identity);
    case "CloudShell":
      return createCloudShellSource(config.endpoint, http);
    case "AzureArc":
      return createAzureArcSource(config.endpoint, arcKeyDirectory ?? defaultArcKeyDirectory(process.platform, programData), http, identity);
  }
}

/**
 * Makes these sources available to `ManagedIdentityCredential` without the dynamic import (for apps that
 * want them loaded eagerly at start-up). Call it once, before the first `getToken`.
 */
export function registerManagedIdentitySources(): void {
  (globalThis as Record<symbol, unknown>)[LAZY_SOURCES] = { createLazySource, probeImds: requestImdsProbe };
}

export { requestImdsProbe as probeImds };
