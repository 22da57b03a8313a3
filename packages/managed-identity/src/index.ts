export { IMDS_RETRY_DEFAULTS, ManagedIdentityCredential, SOURCE_RETRY_DEFAULTS } from "./managed-identity-credential.js";
export type { ManagedIdentityCredentialOptions } from "./managed-identity-credential.js";
export { DEFAULT_IMDS_PROBE_TIMEOUT_MS, probeImds } from "./imds-probe.js";
export type { ImdsProbeOptions } from "./imds-probe.js";
export { ARC_KEY_FILE_MAX_BYTES } from "./arc-agent.js";
export type { SourceName } from "./source-name.js";
