// The authorize endpoint completed by a real browser: Debian's Chromium (/usr/bin/chromium), driven by
// playwright-core, opens the sign-in page, types the default user's password, submits, and is redirected to a
// loopback server this test runs; the code is then redeemed with PKCE and the tokens verified against the JWKS.
// Chromium only ever reaches loopback: every hostname resolves to nothing (--host-resolver-rules) and a route
// handler aborts — and records — any request to a non-loopback address.
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../src/index.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];
const SCOPE = "https://graph.microsoft.com/User.Read openid profile offline_access";
const NONCE = "n-0S6_WzA2Mj";

function isLoopbackUrl(url: string): boolean {
  if (url.startsWith("about:") || url.startsWith("data:")) return true;
  const { hostname } = new URL(url);
  return hostname === "127.0.0.1" || hostname === "localhost" || hostname === "[::1]";
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

const chromiumPresent = existsSync(CHROMIUM);

if (!chromiumPresent && process.env.ID_SKIP_BROWSER_TESTS === "1") {
  it.skip(`browser sign-in (skipped: ${CHROMIUM} is missing and ID_SKIP_BROWSER_TESTS=1)`, () => {});
} else if (!chromiumPresent) {
  it("browser sign-in needs Chromium", () => {
    throw new Error(`${CHROMIUM} is missing: run \`apt-get install chromium\` (as root), or set ID_SKIP_BROWSER_TESTS=1 to skip the browser tests`);
  });
} else {
  describe("the /authorize sign-in page in headless Chromium", () => {
    let emu: Emulator | undefined;
    let callback: Server | undefined;
    let context: BrowserContext | undefined;
    let profileDir: string | undefined;
    let redirectUri = "";
    /** Query strings of the requests the loopback redirect server received. */
    const received: URLSearchParams[] = [];
    /** Requests Chromium tried to send off loopback (aborted). */
    const offLoopback: string[] = [];

    beforeAll(async () => {
      emu = await startEmulator();
      callback = createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        if (url.pathname === "/") received.push(url.searchParams);
        res.writeHead(url.pathname === "/" ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
        res.end('<!doctype html><html><head><title>Signed in</title></head><body><p id="done">You can close this window.</p></body></html>');
      });
      await new Promise<void>((resolve, reject) => {
        callback?.once("error", reject);
        callback?.listen(0, "127.0.0.1", resolve);
      });
      redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/`;

      profileDir = await mkdtemp(join(tmpdir(), "id-emulator-chromium-"));
      const { chromium } = await import("playwright-core");
      context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 15_000 });
      await context.route("**/*", async (route) => {
        const url = route.request().url();
        if (isLoopbackUrl(url)) return route.continue();
        offLoopback.push(url);
        return route.abort("blockedbyclient");
      });
    }, 30_000);

    afterAll(async () => {
      const results = await Promise.allSettled([
        context?.close(),
        emu?.close(),
        new Promise<void>((resolve) => {
          if (!callback) return resolve();
          callback.closeAllConnections();
          callback.close(() => resolve());
        }),
      ]);
      if (profileDir) await rm(profileDir, { recursive: true, force: true });
      const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failure) throw failure.reason;
    });

    afterEach(() => {
      expect(offLoopback, "Chromium tried to leave loopback").toEqual([]);
    });

    function authorizeUrl(state: string, challenge: string): string {
      const params = new URLSearchParams({
        client_id: emu!.defaults.publicApp.clientId,
        response_type: "code",
        redirect_uri: redirectUri,
        scope: SCOPE,
        state,
        nonce: NONCE,
        code_challenge: challenge,
        code_challenge_method: "S256",
      });
      return `${emu!.url}/${emu!.defaults.tenantId}/oauth2/v2.0/authorize?${params.toString()}`;
    }

    async function openSignIn(state: string, challenge: string): Promise<Page> {
      const page = await context!.newPage();
      const response = await page.goto(authorizeUrl(state, challenge));
      expect(response?.status()).toBe(200);
      expect(await page.title()).toBe("Sign in to your account");
      await expect.poll(() => page.locator("#sign-in").isVisible()).toBe(true);
      return page;
    }

    it("signs the default user in, redirects with state and a code, and the code redeems for verifiable tokens", async () => {
      const { user, publicApp, tenantId } = emu!.defaults;
      const { verifier, challenge } = pkce();
      const state = randomBytes(12).toString("base64url");
      const page = await openSignIn(state, challenge);
      try {
        // Rendered as a sign-in page: the app name, visible fields and the styled button.
        expect(await page.locator("#app-name").textContent()).toBe("emulator public app");
        for (const id of ["#username", "#password", "#submit"]) expect(await page.locator(id).isVisible(), id).toBe(true);
        expect(await page.locator("#password").getAttribute("type")).toBe("password");
        expect(await page.locator("#submit").evaluate((el) => getComputedStyle(el).backgroundColor)).toBe("rgb(0, 103, 184)");

        await page.fill("#username", user.username);
        await page.fill("#password", user.password);
        await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectUri), { timeout: 5_000 }), page.click("#submit")]);
        expect(await page.locator("#done").textContent()).toBe("You can close this window.");
      } finally {
        await page.close();
      }

      expect(received).toHaveLength(1);
      const query = received.splice(0)[0]!;
      expect(query.get("state")).toBe(state);
      expect(query.get("error")).toBeNull();
      const code = query.get("code");
      expect(code).toMatch(/^[A-Za-z0-9._~-]{20,}$/);
      expect(query.get("session_state")).toMatch(/^[0-9a-f]{32}$/);

      const res = await fetch(emu!.tokenEndpoint(tenantId), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          client_id: publicApp.clientId,
          grant_type: "authorization_code",
          code: code!,
          redirect_uri: redirectUri,
          code_verifier: verifier,
          scope: SCOPE,
        }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.token_type).toBe("Bearer");

      const jwks = createRemoteJWKSet(new URL(emu!.jwksUri(tenantId)));
      const access = await jwtVerify(body.access_token as string, jwks, { issuer: emu!.issuer(tenantId), audience: "https://graph.microsoft.com" });
      expect(access.protectedHeader.alg).toBe("RS256");
      expect(access.payload).toMatchObject({ oid: user.objectId, preferred_username: user.username, scp: "User.Read", azp: publicApp.clientId, tid: tenantId, idtyp: "user" });
      const id = await jwtVerify(body.id_token as string, jwks, { issuer: emu!.issuer(tenantId), audience: publicApp.clientId });
      expect(id.payload).toMatchObject({ nonce: NONCE, oid: user.objectId, preferred_username: user.username, tid: tenantId });
      expect(typeof body.refresh_token).toBe("string");

      // The code is single-use, and bound to the verifier: a second redemption is refused.
      const again = await fetch(emu!.tokenEndpoint(tenantId), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ client_id: publicApp.clientId, grant_type: "authorization_code", code: code!, redirect_uri: redirectUri, code_verifier: verifier }),
      });
      expect(again.status).toBe(400);
      expect(((await again.json()) as Record<string, unknown>).error_codes).toEqual([54005]);
    });

    it("shows an error on a wrong password, keeps the username, never echoes the password, and does not redirect", async () => {
      const { user } = emu!.defaults;
      const wrongPassword = `wrong-${randomBytes(6).toString("hex")}`;
      const { challenge } = pkce();
      const page = await openSignIn("wrong-password", challenge);
      try {
        await page.fill("#username", user.username);
        await page.fill("#password", wrongPassword);
        const posted = page.waitForResponse((r) => r.request().method() === "POST" && r.url().startsWith(emu!.url));
        await page.click("#submit");
        expect((await posted).status()).toBe(200);
        await page.waitForLoadState("load");
        await expect.poll(() => page.locator("#error").isVisible()).toBe(true);
        expect(await page.locator("#error").textContent()).toContain("AADSTS50126");
        expect(page.url().startsWith(emu!.url)).toBe(true);
        expect(await page.locator("#sign-in").isVisible()).toBe(true);
        expect(await page.locator("#username").inputValue()).toBe(user.username);
        expect(await page.locator("#password").inputValue()).toBe("");
        expect(await page.content()).not.toContain(wrongPassword);
      } finally {
        await page.close();
      }
      expect(received).toEqual([]);
      const posts = emu!.requests().filter((r) => r.route === "authorize" && r.method === "POST");
      expect(posts.at(-1)?.status).toBe(200);
    });
  });
}
