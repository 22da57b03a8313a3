import { describe, expect, it } from "vitest";
import { resolveIdentitySelector } from "./identity-selector.js";

describe("resolveIdentitySelector", () => {
  it("system-assigned when nothing is given", () => {
    expect(resolveIdentitySelector(undefined, {})).toEqual({ kind: "system" });
  });
  it("one id of each kind", () => {
    expect(resolveIdentitySelector("c", {})).toEqual({ kind: "clientId", value: "c" });
    expect(resolveIdentitySelector(undefined, { resourceId: "/r" })).toEqual({ kind: "resourceId", value: "/r" });
    expect(resolveIdentitySelector(undefined, { objectId: "o" })).toEqual({ kind: "objectId", value: "o" });
    expect(resolveIdentitySelector("c", { clientId: "c" })).toEqual({ kind: "clientId", value: "c" });
  });
  it("refuses several", () => {
    expect(() => resolveIdentitySelector(undefined, { clientId: "a", resourceId: "b", objectId: "c" })).toThrow(/"clientId" and "resourceId" and "objectId"/);
  });
});
