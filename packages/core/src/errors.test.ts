import { describe, expect, it } from "vitest";
import {
  AggregateAuthenticationError,
  AuthenticationError,
  AuthenticationRequiredError,
  CredentialUnavailableError,
  InvalidArgumentError,
  isChainContinuable,
} from "./errors.js";

describe("errors", () => {
  it("carry stable codes and names", () => {
    expect(new CredentialUnavailableError("x")).toMatchObject({ code: "credential_unavailable", name: "CredentialUnavailableError" });
    expect(new AuthenticationRequiredError({ scopes: ["s"] })).toMatchObject({ code: "authentication_required", scopes: ["s"] });
    expect(new AggregateAuthenticationError([])).toMatchObject({ code: "all_credentials_failed" });
    expect(new InvalidArgumentError("invalid_scope", "bad")).toBeInstanceOf(TypeError);
  });

  it("isInstance works across copies of core (a Symbol.for marker, not the class)", () => {
    // An object built by "another copy" of core: same marker, different class.
    const foreign = Object.assign(new Error("from another copy"), { [Symbol.for("@id/core.CredentialUnavailableError")]: true });
    expect(foreign instanceof CredentialUnavailableError).toBe(false);
    expect(CredentialUnavailableError.isInstance(foreign)).toBe(true);
    expect(isChainContinuable(foreign)).toBe(true);
    expect(CredentialUnavailableError.isInstance(new Error("x"))).toBe(false);
    expect(AuthenticationError.isInstance(new CredentialUnavailableError("x"))).toBe(false);
    expect(CredentialUnavailableError.isInstance(null)).toBe(false);
    expect(CredentialUnavailableError.isInstance("CredentialUnavailableError")).toBe(false);
  });

  it("AuthenticationError exposes Entra's fields and hides the raw body from enumeration", () => {
    const raw = '{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\\r\\nTrace ID: t"}';
    const error = new AuthenticationError(
      401,
      {
        error: "invalid_client",
        errorDescription: "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t",
        errorCodes: [7000215],
        correlationId: "c",
        traceId: "t",
      },
      { rawBody: raw },
    );
    expect(error.message).toBe("invalid_client (status 401): AADSTS7000215: Invalid client secret provided.");
    expect(error).toMatchObject({ statusCode: 401, error: "invalid_client", errorCodes: [7000215], correlationId: "c", traceId: "t" });
    expect(error.errorResponse.errorCodes).toEqual([7000215]);
    expect(error.rawBody).toBe(raw);
    expect(Object.keys(error)).not.toContain("rawBody");
    expect(JSON.stringify(error)).not.toContain("AADSTS7000215: Invalid client secret provided.\\\\r");
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(isChainContinuable(error)).toBe(false);
  });

  it("AggregateAuthenticationError lists every attempt, one line each", () => {
    const error = new AggregateAuthenticationError([
      new CredentialUnavailableError("EnvironmentCredential is unavailable.\nSet AZURE_TENANT_ID."),
      new CredentialUnavailableError("Azure CLI not found."),
      "plain",
    ]);
    expect(error.message.split("\n")).toEqual([
      "ChainedTokenCredential authentication failed.",
      "CredentialUnavailableError: EnvironmentCredential is unavailable.",
      "CredentialUnavailableError: Azure CLI not found.",
      "Error: plain",
    ]);
    expect(error.errors).toHaveLength(3);
  });
});
