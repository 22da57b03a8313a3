/**
 * The token sources — IMDS, App Service, AKS workload identity token exchange, Service Fabric (with its
 * certificate-pinning transport), Azure Machine Learning, Cloud Shell and Azure Arc (with its key-file
 * reader) — with the transport, the response parser and the IMDS probe's request. Published as the
 * subpath `@id/managed-identity/sources` and loaded by `ManagedIdentityCredential` with a dynamic
 * `import()` the first time a token (or a probe) is requested, so an app loads at start-up only the
 * credential, its construction-time checks and the cache (with code splitting, the rest is a chunk of its
 * own, and Service Fabric's pinned transport one more).
 */
import { createHttpClient } from "@id/entra";
import type { HttpClientOptions } from "@id/entra";
import { createAppServiceSource } from "./app-service.js";
import { defaultArcKeyDirectory } from "./arc-key-file.js";
import { createAzureArcSource } from "./azure-arc.js";
import { createAzureMlSource } from "./azure-ml.js";
import { createCloudShellSource } from "./cloud-shell.js";
import type { SourceConfig } from "./detect-source.js";
import type { IdentitySelector } from "./identity-selector.js";
import { createImdsSource } from "./imds.js";
import type { ImdsProbeSettings } from "./imds.js";
import { requestImdsProbe } from "./imds-probe-request.js";
import { SOURCES } from "./lazy.js";
import { createServiceFabricSource } from "./service-fabric.js";
import { createTokenExchange } from "./token-exchange.js";
import type { TokenSource } from "./token-source.js";

/** What the constructor checked and settled, for the source it chose. */
export interface SourceSettings {
  /** The transport options (checked; the retry defaults are the source's). */
  transport: HttpClientOptions;
  identity: IdentitySelector;
  /** IMDS: the probe before the first request, or undefined for none. */
  imdsProbe: ImdsProbeSettings;
  /** The `arcKeyDirectory` option; `programData` the variable its Windows default is under. */
  arcKeyDirectory: string | undefined;
  programData: string | undefined;
}

/** Creates the source `config` names, with its transport (Service Fabric's on its pinned `fetch`). */
export async function createSource(config: SourceConfig, settings: SourceSettings): Promise<TokenSource> {
  const { transport, identity } = settings;
  if (config.name === "ServiceFabric") {
    // The pinned transport needs node:tls, node:http, node:net, node:stream and node:crypto, ~8 ms to load:
    // only a Service Fabric host loads it.
    const { createPinnedFetch } = await import("./pinned-fetch.js");
    return createServiceFabricSource(config.endpoint, config.secret, createHttpClient({ ...transport, fetch: createPinnedFetch(config.thumbprint), dispatcher: undefined }));
  }
  const http = createHttpClient(transport);
  switch (config.name) {
    case "Imds":
      return createImdsSource(config.endpoint, http, identity, settings.imdsProbe);
    case "AppService":
      return createAppServiceSource(config.endpoint, config.secret, http, identity);
    case "TokenExchange":
      return createTokenExchange(config, http);
    case "AzureML":
      return createAzureMlSource(config.endpoint, config.secret, config.defaultClientId, http, identity);
    case "CloudShell":
      return createCloudShellSource(config.endpoint, http);
    case "AzureArc":
      return createAzureArcSource(config.endpoint, settings.arcKeyDirectory ?? defaultArcKeyDirectory(process.platform, settings.programData), http, identity);
  }
}

/**
 * Makes the sources available to `ManagedIdentityCredential` without the dynamic import (for apps that
 * want them loaded eagerly at start-up). Call it once, before the first `getToken`.
 */
export function registerManagedIdentitySources(): void {
  (globalThis as Record<symbol, unknown>)[SOURCES] = { createSource, probeImds: requestImdsProbe };
}

export { requestImdsProbe as probeImds };
