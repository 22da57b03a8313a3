/**
 * Azure Arc-enabled servers (the HIMDS agent): `GET {IDENTITY_ENDPOINT}?api-version=2020-06-01&resource=…`
 * with `Metadata: true`. The agent answers 401 with `WWW-Authenticate: Basic realm=<key file>`; the key
 * file is validated (a `.key` file directly inside the agent's token directory, at most 4,096 bytes) and
 * the same request is sent again with `Authorization: Basic <file content>`.
 *
 * User-assigned identities are sent as `client_id` / `object_id` / `msi_res_id`; the agent must echo the
 * same id in the response (an older agent ignores the selector and would return its system identity's
 * token), otherwise the token is refused.
 */
import { AuthenticationError, CredentialUnavailableError } from "@id/core";
import type { HttpClient, HttpRequest } from "@id/entra";
import { ArcChallengeError, keyFilePathFromChallenge, readArcKeyFile } from "./arc-key-file.js";
import type { IdentitySelector } from "./identity-selector.js";
import { managedIdentityError } from "./token-response.js";
import { sendTokenRequest, withQuery } from "./token-source.js";
import type { TokenRequestContext, TokenSource } from "./token-source.js";

export const AZURE_ARC_API_VERSION = "2020-06-01";

const ID_PARAMETER = { clientId: "client_id", objectId: "object_id", resourceId: "msi_res_id" } as const;

export function azureArcRequest(endpoint: string, resource: string, identity: IdentitySelector, key?: string): HttpRequest {
  return {
    method: "GET",
    url: withQuery(endpoint, {
      "api-version": AZURE_ARC_API_VERSION,
      resource,
      ...(identity.kind === "system" ? {} : { [ID_PARAMETER[identity.kind]]: identity.value }),
    }),
    headers: { Metadata: "true", accept: "application/json", ...(key === undefined ? {} : { authorization: `Basic ${key}` }) },
  };
}

function challengeRefused(reason: string): AuthenticationError {
  const description = `The Azure Arc agent's challenge was refused: ${reason}.`;
  return new AuthenticationError(401, { error: "invalid_arc_challenge", errorDescription: description }, {
    message: `ManagedIdentityCredential (Azure Arc): ${description} Only a .key file directly inside the agent's token directory, of at most 4,096 bytes, is read.`,
  });
}

/** `keyDirectory` is the agent's token directory (undefined on platforms where Arc does not run). */
export function createAzureArcSource(endpoint: string, keyDirectory: string | undefined, http: HttpClient, identity: IdentitySelector): TokenSource {
  async function requestToken(resource: string, context: TokenRequestContext) {
    const send = (key?: string) =>
      http.send(azureArcRequest(endpoint, resource, identity, key), {
        abortSignal: context.signal,
        timeoutInMs: context.timeoutInMs,
        description: "ManagedIdentityCredential (Azure Arc) token request",
      });
    const challenge = await send();
    if (challenge.status !== 401) throw challenge.status >= 200 && challenge.status <= 299
      ? challengeRefused(`the agent answered status ${challenge.status} without asking for the key file`)
      : managedIdentityError("AzureArc", challenge);
    if (keyDirectory === undefined) {
      throw new CredentialUnavailableError(
        `ManagedIdentityCredential (Azure Arc): Azure Arc runs only on Linux and Windows; this platform (${process.platform}) has no agent token directory.`,
      );
    }
    let key: string;
    try {
      key = await readArcKeyFile(keyFilePathFromChallenge(challenge.headers.get("www-authenticate")), keyDirectory);
    } catch (error) {
      if (error instanceof ArcChallengeError) throw challengeRefused(error.message);
      throw error;
    }
    const { token, body } = await sendTokenRequest("AzureArc", http, azureArcRequest(endpoint, resource, identity, key), context);
    if (identity.kind !== "system") {
      const names = identity.kind === "resourceId" ? ["msi_res_id", "mi_res_id"] : [ID_PARAMETER[identity.kind]];
      const echoed = names.map((n) => body[n]).find((v) => typeof v === "string");
      if (typeof echoed !== "string" || echoed.toLowerCase() !== identity.value.toLowerCase()) {
        throw new CredentialUnavailableError(
          `ManagedIdentityCredential (Azure Arc): the agent did not confirm the user-assigned identity (${identity.kind} ${identity.value}); an agent that does not support user-assigned identities returns its system identity's token, which was refused. Update the Azure Connected Machine agent, or use the system-assigned identity.`,
        );
      }
    }
    return token;
  }
  return { name: "AzureArc", endpoint, requestToken };
}
