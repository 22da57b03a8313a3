export { ClientSecretCredential } from "./client-secret-credential.js";
export type { ClientSecretCredentialOptions } from "./client-secret-credential.js";
export { AzureAuthorityHosts } from "@id/entra";
export { AuthenticationError, CredentialUnavailableError } from "@id/core";
export type { AccessToken, GetTokenOptions, TokenCredential } from "@id/core";
