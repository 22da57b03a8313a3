/**
 * Calling a user-supplied `getAssertion` (client assertion or federated token callback), shared by every
 * credential that takes one: a throwing callback becomes an `AuthenticationError` (`client_assertion_failed`,
 * the original error as `cause`, its message redacted); anything but a non-empty string is a `TypeError`
 * (`invalid_client_assertion`). The assertion itself never appears in a message.
 */
import { AuthenticationError, InvalidArgumentError, redact } from "@id/core";

export async function callGetAssertion(credentialName: string, getAssertion: () => unknown): Promise<string> {
  let assertion: unknown;
  try {
    assertion = await getAssertion();
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${redact(error.message).slice(0, 200)}` : typeof error;
    throw new AuthenticationError(
      0,
      { error: "client_assertion_failed", errorDescription: `getAssertion threw (${detail}).` },
      { cause: error, message: `${credentialName}: getAssertion threw (${detail}); no token request was sent. Check the callback that supplies the assertion.` },
    );
  }
  if (typeof assertion !== "string" || assertion.trim() === "") {
    const got = typeof assertion === "string" ? "an empty string" : assertion === null ? "null" : typeof assertion;
    throw new InvalidArgumentError(
      "invalid_client_assertion",
      `${credentialName}: getAssertion must return the client assertion (a JWT) as a non-empty string, or a promise of one; it returned ${got}.`,
    );
  }
  return assertion;
}
