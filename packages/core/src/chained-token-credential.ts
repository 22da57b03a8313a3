/**
 * Tries credentials in order and returns the first token. It moves on only when a credential says it
 * cannot work here (`CredentialUnavailableError`) or needs interaction (`AuthenticationRequiredError`);
 * any other error stops the chain and is thrown as is, so a real failure is never hidden. When every
 * credential is unavailable it throws `AggregateAuthenticationError`, one line per attempt.
 */
import { AggregateAuthenticationError, CredentialUnavailableError, isChainContinuable } from "./errors.js";
import { getLogger } from "./logger.js";
import type { AccessToken, GetTokenOptions, TokenCredential } from "./types.js";

const logger = /* @__PURE__ */ getLogger("ChainedTokenCredential");

export class ChainedTokenCredential implements TokenCredential {
  readonly #sources: readonly TokenCredential[];

  constructor(...sources: TokenCredential[]) {
    sources.forEach((source, i) => {
      if (source === null || typeof source !== "object" || typeof (source as TokenCredential).getToken !== "function") {
        throw new TypeError(`ChainedTokenCredential: argument ${i} is not a credential (it has no getToken method).`);
      }
    });
    this.#sources = Object.freeze([...sources]);
  }

  async getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    const errors: unknown[] = [];
    for (const source of this.#sources) {
      let token: AccessToken | null;
      try {
        token = await source.getToken(scopes, options);
      } catch (error) {
        if (isChainContinuable(error)) {
          errors.push(error);
          continue;
        }
        logger.warning(`${nameOf(source)} failed; the chain stops:`, error);
        throw error;
      }
      if (token !== null && token !== undefined) {
        logger.info(`${nameOf(source)} returned a token.`);
        return token;
      }
      errors.push(new CredentialUnavailableError(`${nameOf(source)} returned no token.`));
    }
    if (errors.length === 0) errors.push(new CredentialUnavailableError("The chain has no credentials."));
    const error = new AggregateAuthenticationError(errors, "ChainedTokenCredential authentication failed.");
    logger.warning(error.message);
    throw error;
  }
}

function nameOf(source: TokenCredential): string {
  return (source as { constructor?: { name?: string } }).constructor?.name || "credential";
}
