export { AuthorizationCodeCredential } from "./authorization-code-credential.js";
export type { AuthorizationCodeCredentialOptions } from "./authorization-code-credential.js";
