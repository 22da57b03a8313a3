// Gets an authorization code from the emulator the way a browser would: GET /authorize, POST its sign-in form,
// read the code from the redirect.
import { createHash, randomBytes } from "node:crypto";
import type { Emulator } from "@id/emulator";

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export interface SignIn {
  clientId: string;
  redirectUri: string;
  scope?: string;
  codeChallenge?: string;
  tenantId?: string;
}

export async function authorizationCode(emu: Emulator, request: SignIn): Promise<string> {
  const params: Record<string, string> = {
    client_id: request.clientId,
    response_type: "code",
    redirect_uri: request.redirectUri,
    scope: request.scope ?? "https://graph.microsoft.com/User.Read openid profile offline_access",
    state: randomBytes(8).toString("hex"),
  };
  if (request.codeChallenge !== undefined) {
    params.code_challenge = request.codeChallenge;
    params.code_challenge_method = "S256";
  }
  const url = `${emu.url}/${request.tenantId ?? emu.defaults.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams(params).toString()}`;
  const page = await fetch(url);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`authorize page: ${page.status} ${html.slice(0, 200)}`);
  const hidden = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]?.replace(/&amp;/g, "&")]));
  const res = await fetch(url, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...hidden, username: emu.defaults.user.username, password: emu.defaults.user.password }).toString(),
  });
  const location = res.headers.get("location");
  if (res.status !== 302 || location === null) throw new Error(`sign-in: ${res.status}`);
  const code = new URL(location).searchParams.get("code");
  if (code === null) throw new Error(`sign-in redirect without a code: ${location}`);
  return code;
}
