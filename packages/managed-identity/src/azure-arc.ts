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
import type { HttpClient } from "@id/entra";
import { ArcChallengeError, keyFilePathFromChallenge, readArcKeyFile } from "./arc-key-file.js";
import type { IdentitySelector } from "./identity-selector.js";
import { who } from "./source-name.js";
import { managedIdentityError } from "./token-response.js";
import { ID_PARAMETERS, getRequest, idParameter, sendTokenRequest } from "./token-source.js";
import type { TokenSource } from "./token-source.js";

function challengeRefused(reason: string): AuthenticationError {
  const description = `The Azure Arc agent's challenge was refused: ${reason}.`;
  return new AuthenticationError(401, { error: "invalid_arc_challenge", errorDescription: description }, {
    message: `${who("AzureArc")}: ${description} Only a .key file directly inside the agent's token directory, of at most 4,096 bytes, is read.`,
  });
}

/** `keyDirectory` is the agent's token directory (undefined on platforms where Arc does not run). */
export function createAzureArcSource(endpoint: string, keyDirectory: string | undefined, http: HttpClient, identity: IdentitySelector): TokenSource {
  return {
    name: "AzureArc",
    async requestToken(resource, context) {
      const request = (headers: Record<string, string>) => getRequest(endpoint, { "api-version": "2020-06-01", resource, ...idParameter(identity) }, { Metadata: "true", ...headers });
      const challenge = await http.send(request({}), { abortSignal: context.signal, timeoutInMs: context.timeoutInMs, description: `${who("AzureArc")} token request` });
      if (challenge.status !== 401) {
        throw challenge.status < 300 ? challengeRefused(`the agent answered status ${challenge.status} without asking for the key file`) : managedIdentityError("AzureArc", challenge);
      }
      if (keyDirectory === undefined) {
        throw new CredentialUnavailableError(`${who("AzureArc")}: Azure Arc runs only on Linux and Windows; this platform (${process.platform}) has no agent token directory.`);
      }
      let key: string;
      try {
        key = await readArcKeyFile(keyFilePathFromChallenge(challenge.headers.get("www-authenticate")), keyDirectory);
      } catch (error) {
        throw error instanceof ArcChallengeError ? challengeRefused(error.message) : error;
      }
      const { token, body } = await sendTokenRequest("AzureArc", http, request({ authorization: `Basic ${key}` }), context);
      if (identity.kind !== "system") {
        const echoed = body[ID_PARAMETERS[identity.kind]] ?? (identity.kind === "resourceId" ? body["mi_res_id"] : undefined);
        if (typeof echoed !== "string" || echoed.toLowerCase() !== identity.value.toLowerCase()) {
          throw new CredentialUnavailableError(
            `${who("AzureArc")}: the agent did not confirm the user-assigned identity (${identity.kind} ${identity.value}); an agent without user-assigned support returns its system identity's token, which was refused. Update the Azure Connected Machine agent, or use the system-assigned identity.`,
          );
        }
      }
      return token;
    },
  };
}
