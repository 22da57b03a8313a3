/**
 * `getBearerTokenProvider(credential, scopes)`: a `() => Promise<string>` for clients that want a bearer
 * string (OpenAI, fetch wrappers). It keeps the last token and asks the credential again only when the
 * token's refresh time has passed, sharing one pending call among concurrent callers — so it costs no
 * request per call even with a credential that has no cache of its own.
 */
import { CredentialUnavailableError } from "./errors.js";
import { normalizeScopes } from "./scopes.js";
import type { AccessToken, GetTokenOptions, TokenCredential } from "./types.js";

const FALLBACK_REFRESH_MARGIN_MS = 120_000;

export function getBearerTokenProvider(
  credential: TokenCredential,
  scopes: string | string[],
  options: Omit<GetTokenOptions, "abortSignal"> = {},
): () => Promise<string> {
  if (credential === null || typeof credential !== "object" || typeof credential.getToken !== "function") {
    throw new TypeError(`getBearerTokenProvider: "credential" must have a getToken method.`);
  }
  const fixedScopes = normalizeScopes(scopes);
  const fixedOptions: GetTokenOptions = { ...options };
  let current: AccessToken | undefined;
  let pending: Promise<string> | undefined;

  const fetchToken = (): Promise<string> =>
    (pending ??= credential
      .getToken(fixedScopes, fixedOptions)
      .then((token) => {
        if (token === null || token === undefined) throw new CredentialUnavailableError("The credential returned no token.");
        current = token;
        return token.token;
      })
      .finally(() => {
        pending = undefined;
      }));

  return () => {
    const now = Date.now();
    if (current !== undefined) {
      const refreshAt = current.refreshAfterTimestamp ?? current.expiresOnTimestamp - FALLBACK_REFRESH_MARGIN_MS;
      if (now < refreshAt) return Promise.resolve(current.token);
      if (now < current.expiresOnTimestamp - 30_000) {
        void fetchToken().catch(() => undefined); // keep serving the valid token
        return Promise.resolve(current.token);
      }
    }
    return fetchToken();
  };
}
