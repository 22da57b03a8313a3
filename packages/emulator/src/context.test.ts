import { describe, expect, it } from "vitest";
import { MAX_STORE_ENTRIES, remember } from "./context.js";

describe("remember", () => {
  it("keeps a store bounded: drops expired entries, then the oldest", () => {
    const store = new Map<string, { expiresAt: number }>();
    const future = Date.now() + 60_000;
    for (let i = 0; i < MAX_STORE_ENTRIES; i++) store.set(`k${i}`, { expiresAt: i % 2 === 0 ? 0 : future });
    remember(store, "new", { expiresAt: future });
    expect(store.size).toBe(MAX_STORE_ENTRIES / 2 + 1);
    expect(store.has("k0")).toBe(false);
    expect(store.has("k1")).toBe(true);
    for (let i = 0; i < MAX_STORE_ENTRIES; i++) store.set(`m${i}`, { expiresAt: future });
    remember(store, "last", { expiresAt: future });
    expect(store.size).toBeLessThan(MAX_STORE_ENTRIES);
    expect(store.has("k1")).toBe(false);
    expect(store.has("last")).toBe(true);
  });
});
