import { AuthenticationError, CredentialUnavailableError } from "@id/core";
import { describe, expect, it } from "vitest";
import { handleManagedIdentityResponse, managedIdentityError } from "./token-response.js";

const response = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers: new Headers(headers),
  body: typeof body === "string" ? body : JSON.stringify(body),
});

describe("managed-identity token parsing", () => {
  const started = Date.UTC(2026, 10, 21, 22, 0, 0);

  it.each([
    ["a numeric string", "1795298400"],
    ["a number", 1795298400],
    ["App Service 2017's Windows date", "11/21/2026 10:00:00 PM +00:00"],
    ["App Service 2017's Linux date", "11/21/2026 22:00:00 +00:00"],
  ])("expires_on as %s", (_label, value) => {
    const { token } = handleManagedIdentityResponse("AppService", response(200, { access_token: "t", expires_on: value }), started - 3600_000);
    expect(token.expiresOnTimestamp).toBe(Date.UTC(2026, 10, 21, 22, 0, 0));
  });

  it("expires_in when expires_on is absent; refresh_on becomes the refresh time", () => {
    const { token } = handleManagedIdentityResponse("Imds", response(200, { access_token: "t", expires_in: "3600", refresh_on: String(started / 1000 + 600) }), started);
    expect(token.expiresOnTimestamp).toBe(started + 3600_000);
    expect(token.refreshAfterTimestamp).toBe(started + 600_000);
  });

  it("a 200 carrying an error is an error", () => {
    expect(() => handleManagedIdentityResponse("Imds", response(200, { error: "invalid_request", error_description: "nope" }), started)).toThrow(/nope/);
  });

  it("reads the three error shapes", () => {
    const entra = managedIdentityError("Imds", response(500, { error: "unknown", error_description: "Failed", correlation_id: "c1" }));
    expect(entra).toMatchObject({ statusCode: 500, error: "unknown", errorDescription: "Failed", correlationId: "c1" });
    const appService = managedIdentityError("AppService", response(500, { statusCode: 500, message: "Boom", correlationId: "c2" }));
    expect(appService).toMatchObject({ error: "server_error", errorDescription: "Boom", correlationId: "c2" });
    const sf = managedIdentityError("ServiceFabric", response(400, { error: { code: "ArgumentNullOrEmpty", message: "resource", correlationId: "c3" } }));
    expect(sf).toMatchObject({ error: "ArgumentNullOrEmpty", correlationId: "c3" });
    for (const e of [entra, appService, sf]) expect(AuthenticationError.isInstance(e)).toBe(true);
  });

  it("names a non-JSON error body and the Retry-After of a 429", () => {
    const error = managedIdentityError("AzureArc", response(429, "<html>slow down</html>", { "retry-after": "7" }));
    expect(error.message).toMatch(/too_many_requests \(status 429\).*The body is not JSON.*Retry after 7/);
    expect(error.message).not.toContain("slow down");
  });

  it("'identity not found' only for 400 (and Service Fabric's 404)", () => {
    expect(CredentialUnavailableError.isInstance(managedIdentityError("Imds", response(400, { error: "invalid_request", error_description: "Identity not found" })))).toBe(true);
    expect(CredentialUnavailableError.isInstance(managedIdentityError("Imds", response(500, { error: "x", error_description: "Identity not found" })))).toBe(false);
    expect(CredentialUnavailableError.isInstance(managedIdentityError("ServiceFabric", response(404, { error: { code: "ManagedIdentityNotFound", message: "m" } })))).toBe(true);
  });
});
