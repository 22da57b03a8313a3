/**
 * `@id/entra/config`: what a credential checks when it is constructed — authority hosts, transport
 * options, plain-object options — without the transport, the parser or the flows. A credential that
 * loads its token requests on first use imports this at start-up and `@id/entra` only then, so a
 * code-splitting bundler keeps the transport out of the app's start-up chunk. The same functions as
 * `@id/entra`'s (shared, not copied, in the published files).
 */
export { DEFAULT_AUTHORITY_HOST, normalizeAuthorityHost, tokenEndpointUrl } from "./authority.js";
export { checkHttpClientOptions } from "./options.js";
export type { CheckedHttpClientOptions, FetchLike, HttpClientOptions, RetryOptions } from "./options.js";
export { isJsonObject } from "./validate.js";
