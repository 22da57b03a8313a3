/**
 * The managed-identity sources an app needs only on some hosts — AKS workload identity token exchange,
 * Service Fabric (with its certificate-pinning transport), Azure Machine Learning, Cloud Shell and Azure
 * Arc (with its key-file reader) — and the IMDS probe's request, which only credential chains make.
 * Published as the subpath `@id/managed-identity/sources` and loaded by `ManagedIdentityCredential` with a
 * dynamic `import()` the first time a token (or a probe) is requested on such a host, so an app on IMDS or
 * App Service never loads this code (nor ships it, when its bundler splits code).
 */
import { CredentialUnavailableError } from "@id/core";
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

/** Refuses a user-assigned identity (or, with `kinds`, those kinds) on a source that cannot serve it. */
function refuseIdentity(identity: IdentitySelector, why: string, kinds = ["clientId", "resourceId", "objectId"]): void {
  if (kinds.includes(identity.kind)) throw new CredentialUnavailableError(`ManagedIdentityCredential: ${identity.kind} was given, but ${why}.`);
}

/**
 * Creates the source `config` names, or throws `CredentialUnavailableError` when it cannot serve the
 * requested identity (Service Fabric and Cloud Shell have one identity only; Azure ML takes a client id
 * only). `http` is built from `transport`; Service Fabric builds its own from it, on the pinned `fetch`.
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
      refuseIdentity(identity, "a Service Fabric application's identity is fixed by the cluster configuration; create the credential without an id");
      return createServiceFabricSource(config.endpoint, config.secret, createHttpClient({ ...transport, fetch: createPinnedFetch(config.thumbprint), dispatcher: undefined }));
    case "AzureML":
      refuseIdentity(identity, "Azure Machine Learning selects a user-assigned identity by client id only; pass its clientId", ["resourceId", "objectId"]);
      return createAzureMlSource(config.endpoint, config.secret, config.defaultClientId, http, identity);
    case "CloudShell":
      refuseIdentity(identity, "Cloud Shell does not support a user-assigned identity (its tokens are the signed-in user's); create the credential without an id");
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
