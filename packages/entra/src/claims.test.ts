import { describe, expect, it } from "vitest";
import { buildClaims, parseClaims } from "./claims.js";

const challenge = { access_token: { nbf: { essential: true, value: "1700000000" } } };

describe("buildClaims", () => {
  it("sends nothing without claims or CAE", () => {
    expect(buildClaims(undefined, false)).toBeUndefined();
    expect(buildClaims("", undefined)).toBeUndefined();
  });
  it("adds cp1 for CAE", () => {
    expect(JSON.parse(buildClaims(undefined, true) as string)).toEqual({ access_token: { xms_cc: { values: ["cp1"] } } });
  });
  it("merges cp1 into a claims challenge, keeping its claims", () => {
    expect(JSON.parse(buildClaims(JSON.stringify(challenge), true) as string)).toEqual({
      access_token: { nbf: { essential: true, value: "1700000000" }, xms_cc: { values: ["cp1"] } },
    });
    const withCp1 = { access_token: { xms_cc: { values: ["CP1", "other"] } } };
    expect(JSON.parse(buildClaims(JSON.stringify(withCp1), true) as string)).toEqual(withCp1);
  });
  it("passes a challenge through without CAE; the base64 form must be decoded by the caller", () => {
    expect(JSON.parse(buildClaims(JSON.stringify(challenge), false) as string)).toEqual(challenge);
    expect(parseClaims(` ${JSON.stringify(challenge)} `)).toEqual(challenge);
    expect(() => parseClaims(btoa(JSON.stringify(challenge)))).toThrow(expect.objectContaining({ code: "invalid_claims" }));
  });
  it("rejects claims that are not a JSON object with a coded TypeError", () => {
    for (const bad of ["not json", "[1]", "{\"a\":", "null"]) {
      expect(() => buildClaims(bad, true)).toThrow(expect.objectContaining({ name: "TypeError", code: "invalid_claims" }));
    }
  });
});
