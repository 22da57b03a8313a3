// Corrupted inputs must fail with the package's typed errors, never with a stray RangeError, DOMException
// or a hang: a deterministic mutation run over a PFX and a PEM.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { prepareSource } from "./certificate-source.js";

const fixtures = join(import.meta.dirname, "..", "test", "fixtures");
const PASSWORD = readFileSync(join(fixtures, "password.txt"), "utf8");

/** xorshift32: deterministic, so a failure is reproducible. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

function mutate(bytes: Uint8Array, next: () => number): Uint8Array {
  const out = bytes.slice(0, next() < 0.2 ? Math.floor(next() * bytes.length) : bytes.length);
  const flips = 1 + Math.floor(next() * 4);
  for (let i = 0; i < flips && out.length > 0; i++) out[Math.floor(next() * out.length)] = Math.floor(next() * 256);
  return out;
}

function isTyped(error: unknown): boolean {
  const e = error as { name?: string; code?: string };
  return (e.name === "TypeError" && typeof e.code === "string") || e.name === "CredentialUnavailableError";
}

describe("corrupted certificates", () => {
  it("300 mutated PFX files: each loads or fails with a typed error", async () => {
    const pfx = new Uint8Array(readFileSync(join(fixtures, "rsa-3des.pfx")));
    const next = random(0x1d5eed);
    const untyped: string[] = [];
    for (let i = 0; i < 300; i++) {
      try {
        await prepareSource({ certificate: mutate(pfx, next), certificatePassword: PASSWORD }, "Fuzz").load();
      } catch (error) {
        if (!isTyped(error)) untyped.push(`${i}: ${String(error)}`);
      }
    }
    expect(untyped).toEqual([]);
  }, 60_000);

  it("300 mutated PEM texts: each loads or fails with a typed error", async () => {
    const pem = new TextEncoder().encode(readFileSync(join(fixtures, "rsa-encrypted.pem"), "utf8"));
    const next = random(0xbeef);
    const untyped: string[] = [];
    for (let i = 0; i < 300; i++) {
      try {
        await prepareSource({ certificate: new TextDecoder().decode(mutate(pem, next)), certificatePassword: PASSWORD }, "Fuzz").load();
      } catch (error) {
        if (!isTyped(error)) untyped.push(`${i}: ${String(error)}`);
      }
    }
    expect(untyped).toEqual([]);
  }, 60_000);
});
