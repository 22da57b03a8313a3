export type { AbortSignalLike, AccessToken, GetTokenOptions, TokenCredential, TracingContext } from "./types.js";
export {
  AggregateAuthenticationError,
  AuthenticationError,
  AuthenticationRequiredError,
  CredentialUnavailableError,
  InvalidArgumentError,
  isChainContinuable,
} from "./errors.js";
export type { ErrorResponse } from "./errors.js";
export { computeRefreshAfter, invalidTokenResponse, toAccessToken } from "./access-token.js";
export type { TokenResponseFields } from "./access-token.js";
export {
  DEFAULT_MAX_ENTRIES,
  EXPIRY_MARGIN_MS,
  REFRESH_RETRY_DELAY_MS,
  TokenCache,
  abortReason,
  cacheKey,
  cachePartition,
  configureTokenCache,
  freshToken,
  getTokenCache,
  tokenCacheKey,
} from "./token-cache.js";
export type { Acquire, AcquireContext, CachePartition, CacheReadOptions, TokenCacheOptions, TokenStore } from "./token-cache.js";
export { assertProcessScope, normalizeScopes, scopeKey, scopeToResource } from "./scopes.js";
export {
  DEVELOPER_SIGN_ON_CLIENT_ID,
  checkTenantId,
  defaultTenantId,
  isValidTenantId,
  resolveAdditionallyAllowedTenants,
  resolveTenantId,
} from "./tenant.js";
export type { TenantRequest } from "./tenant.js";
export { ChainedTokenCredential } from "./chained-token-credential.js";
export { getBearerTokenProvider } from "./bearer-token-provider.js";
export { getLogLevel, getLogger, setLogLevel, setLogSink } from "./logger.js";
export type { LogLevel, LogSink, Logger } from "./logger.js";
export { redact } from "./redact.js";
export { isEnvTrue, readEnv } from "./env.js";
export { sha256Hex } from "./hash.js";
