/**
 * Browser-facing pages: /{tenant}/oauth2/v2.0/authorize (a real HTML sign-in form that a person or a headless
 * browser completes; protocols.md §1.8), /{tenant}/oauth2/v2.0/devicecode and /devicelogin (§1.11), logout.
 */
import { randomBytes } from "node:crypto";
import { MAX_STORE_ENTRIES, remember, type EmulatorContext, type IncomingRequest } from "./context.js";
import type { Application, Tenant, User } from "./directory.js";
import { EntraErrorSignal, fail } from "./entra-error.js";
import { escapeHtml, htmlReply, jsonReply, redirectReply, type Reply } from "./reply.js";
import { splitScopes } from "./scopes.js";
import { requireParam, resolveTenant } from "./token-endpoint.js";

const CODE_LIFETIME_MS = 10 * 60 * 1000;
const DEVICE_CODE_LIFETIME_S = 900;

/** Exact match, or a registered loopback `http://localhost`/`http://127.0.0.1` URI that matches any port. */
export function redirectUriAllowed(app: Application, candidate: string): boolean {
  if (app.redirectUris.includes(candidate)) return true;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  return app.redirectUris.some((registered) => {
    let r: URL;
    try {
      r = new URL(registered);
    } catch {
      return false;
    }
    const loopback = r.protocol === "http:" && (r.hostname === "localhost" || r.hostname === "127.0.0.1" || r.hostname === "[::1]");
    return loopback && r.port === "" && url.protocol === r.protocol && url.hostname === r.hostname && url.pathname === r.pathname;
  });
}

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;background:#f2f2f2;margin:0}main{max-width:420px;margin:8vh auto;background:#fff;padding:32px 40px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:24px;font-weight:600}label{display:block;margin:12px 0 4px}input[type=text],input[type=password],input[type=email]{width:100%;box-sizing:border-box;padding:6px 8px;font-size:15px}
button{margin-top:20px;padding:8px 24px;background:#0067b8;color:#fff;border:0;font-size:15px}.error{color:#e81123}.muted{color:#666;font-size:13px}</style>
</head><body><main>
${content}
<p class="muted">@id emulator — not Microsoft Entra ID</p>
</main></body></html>`;
}

function errorPage(status: number, code: number, message: string): Reply {
  return htmlReply(status, page("Sign in", `<h1>Sorry, but we're having trouble signing you in.</h1><p class="error" id="error">AADSTS${code}: ${escapeHtml(message)}</p>`));
}

function hiddenFields(params: Record<string, string>): string {
  return Object.entries(params)
    .filter(([name]) => name !== "username" && name !== "password")
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join("\n");
}

function signInForm(app: Application, params: Record<string, string>, error?: string): Reply {
  const loginHint = params.login_hint ?? params.username ?? "";
  return htmlReply(
    200,
    page(
      "Sign in to your account",
      `<h1>Sign in</h1>
<p>to continue to <b id="app-name">${escapeHtml(app.displayName)}</b></p>
${error ? `<p class="error" id="error">${escapeHtml(error)}</p>` : ""}
<form method="post" id="sign-in">
${hiddenFields(params)}
<label for="username">Email, phone, or Skype</label>
<input type="email" id="username" name="username" autocomplete="username" value="${escapeHtml(loginHint)}" required>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" id="submit">Sign in</button>
</form>`,
    ),
  );
}

function redirectWith(redirectUri: string, responseMode: string | undefined, params: Record<string, string>): Reply {
  if (responseMode === "form_post") {
    const inputs = Object.entries(params)
      .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
      .join("");
    return htmlReply(
      200,
      `<!doctype html><html><head><title>Working...</title></head><body onload="document.forms[0].submit()"><form method="POST" action="${escapeHtml(redirectUri)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form></body></html>`,
    );
  }
  const encoded = new URLSearchParams(params).toString();
  if (responseMode === "fragment") return redirectReply(`${redirectUri}#${encoded}`);
  return redirectReply(`${redirectUri}${redirectUri.includes("?") ? "&" : "?"}${encoded}`);
}

function findUser(ctx: EmulatorContext, tenant: Tenant, username: string | undefined, password: string | undefined): User | undefined {
  if (!username || !password) return undefined;
  const user = ctx.directory.findUser(tenant, username);
  return user && user.password === password ? user : undefined;
}

export function authorize(ctx: EmulatorContext, req: IncomingRequest, segment: string): Reply {
  const params: Record<string, string> = Object.fromEntries(req.query);
  if (req.method === "POST") Object.assign(params, req.form);
  let tenant: Tenant;
  try {
    tenant = resolveTenant(ctx, segment);
  } catch (error) {
    if (error instanceof EntraErrorSignal) return errorPage(400, error.input.code, error.input.description);
    throw error;
  }
  const clientId = params.client_id;
  if (!clientId) return errorPage(400, 900144, "The request body must contain the following parameter: 'client_id'.");
  req.log.clientId = clientId;
  const app = tenant.apps.get(clientId.toLowerCase());
  if (!app) return errorPage(400, 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant.domain}'.`);
  const redirectUri = params.redirect_uri ?? (app.redirectUris.length === 1 ? app.redirectUris[0] : undefined);
  if (!redirectUri || !redirectUriAllowed(app, redirectUri)) {
    return errorPage(
      400,
      50011,
      `The redirect URI '${redirectUri ?? ""}' specified in the request does not match the redirect URIs configured for the application '${app.clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`,
    );
  }
  const responseMode = params.response_mode;
  const state = params.state;
  const redirectError = (error: string, code: number, description: string): Reply => {
    const out: Record<string, string> = { error, error_description: `AADSTS${code}: ${description}` };
    if (state !== undefined) out.state = state;
    return redirectWith(redirectUri, responseMode, out);
  };
  const responseType = params.response_type ?? "";
  if (responseType.split(" ").sort().join(" ") !== "code") {
    return redirectError("unsupported_response_type", 700054, `response_type '${responseType}' is not enabled for the application.`);
  }
  if (splitScopes(params.scope).length === 0) {
    return redirectError("invalid_request", 900144, "The request body must contain the following parameter: 'scope'.");
  }
  const method = params.code_challenge_method ?? (params.code_challenge ? "plain" : undefined);
  if (method !== undefined && method !== "S256" && method !== "plain") {
    return redirectError("invalid_request", 501491, `Invalid code_challenge_method '${method}'. Supported values are 'S256' and 'plain'.`);
  }
  if (params.code_challenge !== undefined && !/^[A-Za-z0-9._~-]{43,128}$/.test(params.code_challenge)) {
    return redirectError("invalid_request", 501491, "Invalid size of Code_Challenge parameter.");
  }
  let user: User | undefined;
  const auto = ctx.settings.autoSignIn;
  if (auto !== undefined && params.prompt !== "login") {
    user = ctx.directory.findUser(tenant, auto);
    if (!user) return redirectError("invalid_request", 50034, `The user account ${auto} does not exist in the ${tenant.domain} directory.`);
  } else {
    if (params.prompt === "none") {
      return redirectError("login_required", 50058, "A silent sign-in request was sent but no user is signed in.");
    }
    if (req.method !== "POST" || params.username === undefined) return signInForm(app, params);
    user = findUser(ctx, tenant, params.username, params.password);
    if (!user) {
      return signInForm(app, params, "Your account or password is incorrect. If you don't remember your password, reset it now. (AADSTS50126)");
    }
  }
  const code = `1.AemuC.${randomBytes(48).toString("base64url")}`;
  remember(ctx.stores.codes, code, {
    code,
    tenantId: tenant.id,
    clientId: app.clientId,
    redirectUri,
    scopes: splitScopes(params.scope),
    user,
    codeChallenge: params.code_challenge,
    codeChallengeMethod: method,
    nonce: params.nonce,
    expiresAt: Date.now() + CODE_LIFETIME_MS,
    used: false,
  });
  const out: Record<string, string> = { code };
  if (state !== undefined) out.state = state;
  out.session_state = randomBytes(16).toString("hex");
  return redirectWith(redirectUri, responseMode, out);
}

const USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

function userCode(): string {
  const bytes = randomBytes(9);
  return Array.from(bytes, (b) => USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length]).join("");
}

export function deviceAuthorization(ctx: EmulatorContext, req: IncomingRequest, segment: string): Reply {
  if (req.method !== "POST") fail("invalid_request", 900561, `The endpoint only accepts POST requests. Received a ${req.method} request.`);
  const tenant = resolveTenant(ctx, segment);
  const clientId = requireParam(req.form, "client_id");
  req.log.clientId = clientId;
  const app = tenant.apps.get(clientId.toLowerCase());
  if (!app) fail("unauthorized_client", 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant.domain}'.`);
  const scope = requireParam(req.form, "scope");
  const deviceCode = `DAQABAAEAAAemu${randomBytes(48).toString("base64url")}`;
  let code = userCode();
  while (ctx.stores.userCodes.has(code)) code = userCode();
  const interval = ctx.settings.deviceCodeIntervalSeconds;
  remember(ctx.stores.deviceCodes, deviceCode, {
    deviceCode,
    userCode: code,
    tenantId: tenant.id,
    clientId: app.clientId,
    scopes: splitScopes(scope),
    expiresAt: Date.now() + DEVICE_CODE_LIFETIME_S * 1000,
    interval,
    lastPollAt: 0,
    state: "pending",
    user: undefined,
  });
  if (ctx.stores.userCodes.size >= MAX_STORE_ENTRIES) {
    for (const [user, device] of ctx.stores.userCodes) if (!ctx.stores.deviceCodes.has(device)) ctx.stores.userCodes.delete(user);
  }
  ctx.stores.userCodes.set(code, deviceCode);
  const verificationUri = `${req.origin}/devicelogin`;
  return jsonReply(200, {
    user_code: code,
    device_code: deviceCode,
    verification_uri: verificationUri,
    expires_in: DEVICE_CODE_LIFETIME_S,
    interval,
    message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${code} to authenticate.`,
  });
}

/** Approves or declines a pending device code; returns an error message when it cannot. */
export function settleDeviceCode(ctx: EmulatorContext, code: string, outcome: { user: User } | "declined"): string | undefined {
  const deviceCode = ctx.stores.userCodes.get(code.trim().toUpperCase());
  const entry = deviceCode === undefined ? undefined : ctx.stores.deviceCodes.get(deviceCode);
  if (!entry) return "That code wasn't found. Check the code and try again.";
  if (entry.expiresAt <= Date.now()) return "That code has expired. Start over on your device to get a new code.";
  if (entry.state !== "pending") return "That code was already used.";
  if (outcome === "declined") {
    entry.state = "declined";
    return undefined;
  }
  if (outcome.user.tenantId !== entry.tenantId) return "That account is not in the tenant the device asked for.";
  entry.user = outcome.user;
  entry.state = "approved";
  return undefined;
}

function deviceLoginForm(params: Record<string, string>, error?: string): Reply {
  return htmlReply(
    200,
    page(
      "Enter code",
      `<h1>Enter code</h1><p>Enter the code displayed on your app or device, then sign in.</p>
${error ? `<p class="error" id="error">${escapeHtml(error)}</p>` : ""}
<form method="post" id="device-login">
<label for="otc">Code</label><input type="text" id="otc" name="otc" value="${escapeHtml(params.otc ?? "")}" required>
<label for="username">Email</label><input type="email" id="username" name="username" value="${escapeHtml(params.username ?? "")}" required>
<label for="password">Password</label><input type="password" id="password" name="password" required>
<button type="submit" id="submit">Sign in</button>
</form>`,
    ),
  );
}

export function deviceLogin(ctx: EmulatorContext, req: IncomingRequest): Reply {
  const params: Record<string, string> = Object.fromEntries(req.query);
  if (req.method !== "POST") return deviceLoginForm(params);
  Object.assign(params, req.form);
  const code = params.otc ?? "";
  const deviceCode = ctx.stores.userCodes.get(code.trim().toUpperCase());
  const entry = deviceCode === undefined ? undefined : ctx.stores.deviceCodes.get(deviceCode);
  if (!entry) return deviceLoginForm(params, "That code wasn't found. Check the code and try again.");
  const tenant = ctx.directory.tenants.get(entry.tenantId) as Tenant;
  const user = findUser(ctx, tenant, params.username, params.password);
  if (!user) return deviceLoginForm(params, "Your account or password is incorrect. (AADSTS50126)");
  const problem = settleDeviceCode(ctx, code, { user });
  if (problem) return deviceLoginForm(params, problem);
  const app = tenant.apps.get(entry.clientId);
  return htmlReply(
    200,
    page("Signed in", `<h1 id="done">You have signed in</h1><p>You have signed in to ${escapeHtml(app?.displayName ?? entry.clientId)} on your device. You may now close this window.</p>`),
  );
}

export function logout(req: IncomingRequest): Reply {
  const target = req.query.get("post_logout_redirect_uri");
  // Redirect only to loopback addresses: the emulator must not become an open redirector.
  let loopback = false;
  try {
    const host = target ? new URL(target).hostname : "";
    loopback = host === "localhost" || host === "127.0.0.1" || host === "[::1]";
  } catch {
    loopback = false;
  }
  if (target && loopback) return redirectReply(target);
  return htmlReply(200, page("Signed out", `<h1 id="signed-out">You signed out of your account</h1>`));
}
