export {
  AzureAuthorityHosts,
  DEFAULT_AUTHORITY_HOST,
  isLoopbackHostname,
  normalizeAuthorityHost,
  regionalAuthorityHost,
  resolveAuthority,
  tokenEndpointUrl,
} from "./authority.js";
export type { Authority, ResolveAuthorityOptions } from "./authority.js";
export { backoffDelayMs, isRetryableStatus, retryAfterMs } from "./retry-policy.js";
export { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_RETRY_OPTIONS, DEFAULT_TIMEOUT_MS, checkHttpClientOptions, resolveRetryOptions } from "./options.js";
export type { CheckedHttpClientOptions, FetchLike, HttpClientOptions, ResolvedRetryOptions, RetryOptions } from "./options.js";
export { createHttpClient, sleep } from "./http-client.js";
export type { HttpClient, HttpRequest, HttpResponse, SendOptions } from "./http-client.js";
export { errorFromResponse, parseJsonObject, parseTokenResponse } from "./token-response.js";
export type { TokenResult } from "./token-response.js";
export { createEntraClient } from "./entra-client.js";
export type { EntraClient, EntraClientOptions, RequestTokenOptions, TokenForm } from "./entra-client.js";
export { CLIENT_ASSERTION_TYPE, createClientCredentialFlow } from "./client-credential-flow.js";
export type {
  ClientAuthentication,
  ClientAuthenticationContext,
  ClientCredentialFlowOptions,
  GetToken,
} from "./client-credential-flow.js";
export { checkClientId, checkOptions, checkSecret, isJsonObject, readDisableMultiTenantAuth } from "./validate.js";
export { callGetAssertion } from "./get-assertion.js";
