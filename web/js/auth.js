// Who is signed in. Locally (config.auth "local") the sign-in page picks a demo user and
// /_local/token mints their token; deployed (config.auth "cognito") the Cognito hosted UI signs
// in with the authorization-code flow and PKCE. Either way the ID token is kept in
// sessionStorage (gone when the tab closes) and its claims describe the user. Deployed, the ID token lives
// an hour (template.yaml): the pages trade the refresh token for a new one shortly before it ends.

import { nowMs } from "./config.js";

const SESSION_KEY = "houqin.session";
const PKCE_KEY = "houqin.pkce";
const REFRESH_BEFORE_MS = 5 * 60 * 1000; // a token ending within 5 minutes is renewed before the next request

/** The signed-in user {personId, name, roles, childIds, expiresAt, token}, or null. */
export function currentUser() {
  const session = storedSession();
  if (!session?.token) return null;
  const user = userFromClaims(session.claims, session.token);
  // The service's clock: a local cloud may run at another time. An ended token that can be renewed is kept.
  if (user.expiresAt && user.expiresAt <= nowMs() && !session.refreshToken) {
    forgetSession();
    return null;
  }
  return user;
}

function storedSession() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  } catch {
    return null;
  }
}

/**
 * The ID token to send now (or null): deployed, one that ends within 5 minutes is first renewed with the
 * refresh token at the hosted UI's token endpoint; if that fails, the user is signed out.
 */
export async function freshToken(config) {
  const session = storedSession();
  if (!session?.token) return null;
  const endsAt = (session.claims.exp || 0) * 1000;
  if (!session.refreshToken || endsAt - nowMs() > REFRESH_BEFORE_MS) return currentUser()?.token ?? null;
  const { domain, clientId } = cognitoSettings(config);
  try {
    const response = await fetch(`${domain}/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", client_id: clientId, refresh_token: session.refreshToken }),
    });
    if (!response.ok) throw new Error(`token endpoint: HTTP ${response.status}`);
    return keepToken((await response.json()).id_token, session.refreshToken).token;
  } catch (err) {
    console.warn("could not renew the sign-in", err);
    forgetSession();
    return null;
  }
}

export function hasRole(user, roles) {
  return Boolean(user) && user.roles.some((role) => roles.includes(role));
}

function userFromClaims(claims, token) {
  const list = (value) => (Array.isArray(value) ? value : String(value || "").split(",")).filter(Boolean);
  return {
    token,
    personId: claims["custom:person_id"] || claims["cognito:username"] || "",
    name: claims.name || claims["custom:person_id"] || "",
    roles: list(claims["cognito:groups"]),
    childIds: list(claims["custom:child_ids"]),
    expiresAt: claims.exp ? claims.exp * 1000 : null,
  };
}

/** The claims of a JWT (not verified here: the API gateway verifies every request). */
export function decodeJwt(token) {
  const payload = token.split(".")[1] || "";
  const base64 = payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function keepToken(token, refreshToken = null) {
  const claims = decodeJwt(token);
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token, claims, refreshToken }));
  return userFromClaims(claims, token);
}

/** Forget the token here (an expired token, or the first step of signing out). */
export function forgetSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

// ------------------------------------------------------------------ local demo sign-in
export async function demoUsers() {
  const response = await fetch("/_local/demo-users", { cache: "no-store" });
  if (!response.ok) throw new Error(`/_local/demo-users: HTTP ${response.status}`);
  return (await response.json()).users;
}

export async function signInAsDemoUser(personId) {
  const response = await fetch(`/_local/token?person_id=${encodeURIComponent(personId)}`, { cache: "no-store" });
  if (!response.ok) throw new Error(`/_local/token: HTTP ${response.status}`);
  return keepToken((await response.json()).token);
}

// ------------------------------------------------------------------ Cognito hosted UI
function cognitoSettings(config) {
  return {
    domain: String(config.cognitoDomain || "").replace(/\/+$/, "").replace(/^(?!https?:\/\/)/, "https://"),
    clientId: config.clientId,
    redirectUri: config.redirectUri || config.redirect || `${location.origin}${location.pathname}`,
  };
}

function randomText(bytes = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Go to the hosted UI; `returnTo` is the hash to show after signing in. */
export async function startCognitoSignIn(config, returnTo = "#/home") {
  const { domain, clientId, redirectUri } = cognitoSettings(config);
  const verifier = randomText(48);
  const state = randomText(16);
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, returnTo }));
  const query = new URLSearchParams({
    response_type: "code", client_id: clientId, redirect_uri: redirectUri, scope: "openid email profile",
    state, code_challenge: challenge, code_challenge_method: "S256",
  });
  location.assign(`${domain}/oauth2/authorize?${query}`);
}

/**
 * Back from the hosted UI with ?code=&state=: trade the code for tokens and keep the ID token.
 * Returns the hash to go to, or null when this page load is not a sign-in callback.
 */
export async function completeCognitoSignIn(config) {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  if (!code) return null;
  const pending = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", location.pathname + location.hash); // the code is single-use
  if (!pending || pending.state !== params.get("state")) throw new Error("sign-in state does not match");
  const { domain, clientId, redirectUri } = cognitoSettings(config);
  const response = await fetch(`${domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code", client_id: clientId, code, redirect_uri: redirectUri,
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new Error(`token endpoint: HTTP ${response.status}`);
  const tokens = await response.json();
  keepToken(tokens.id_token, tokens.refresh_token || null);
  return pending.returnTo || "#/home";
}

/** Forget the token; deployed, also end the hosted UI's session. */
export function signOut(config) {
  forgetSession();
  if (config.auth === "cognito") {
    const { domain, clientId, redirectUri } = cognitoSettings(config);
    location.assign(`${domain}/logout?${new URLSearchParams({ client_id: clientId, logout_uri: redirectUri })}`);
  }
}
