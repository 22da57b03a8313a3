export { ClientAssertionCredential } from "./client-assertion-credential.js";
export type { ClientAssertionCredentialOptions, GetAssertion } from "./client-assertion-credential.js";
export { AzureAuthorityHosts } from "@id/entra";
export { AuthenticationError, CredentialUnavailableError } from "@id/core";
export type { AccessToken, GetTokenOptions, TokenCredential } from "@id/core";
