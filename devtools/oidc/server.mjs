// Development/test OpenID Connect provider for OpenPEP (npm oidc-provider v9).
// NOT for production: in-memory storage, keys generated at startup, and any
// email signs in with any non-empty password (the portal decides who gets in).
// Start: `node devtools/oidc/server.mjs` (see devtools/oidc_provider.py for tests).
//
// With no OIDC_CONFIG it is the demo provider `make run` starts. OIDC_CONFIG (JSON) makes an
// instance behave like a real provider configured one particular way; every key is optional:
//   issuer_path                 "/realms/openpep": the issuer has a path (Keycloak, Entra)
//   tenant_issuer               "/{tenantid}/v2.0": like Entra's /organizations endpoint, discovery
//                               advertises this template and each ID token is issued by the
//                               account's own tenant (its `tid` claim)
//   signing_alg                 "RS256" (default), "PS256" or "ES256"
//   token_endpoint_auth_method  "client_secret_basic" (default) or "client_secret_post"
//   clock_skew_seconds          how far this provider's clock is ahead (negative: behind)
//   claims                      claims every account gets, over the defaults
//                               {"email": "{login}", "email_verified": true, "name": "{name}"};
//                               null removes one; "{login}", "{name}" and "{oid}" are filled in
//   accounts                    {"<login>": {claims}}: per-account claims over those
//   userinfo_only               claim names left out of the ID token (userinfo still has them)
//   subject_salt                changes every `sub` (as a new app registration does at Entra)
//   logout_confirmation         "without_id_token_hint" (default: sign-out with a valid
//                               id_token_hint needs no confirmation, as at Keycloak) or "always"
//   rp_initiated_logout         false: offers no end_session_endpoint (as Google does not)
//   id_token_ttl_seconds        how long its ID tokens last (3600 by default)
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const env = process.env;
const config = readConfig(env.OIDC_CONFIG);
const port = Number(env.OIDC_PORT || 9400);
const origin = `http://127.0.0.1:${port}`;
const issuer = env.OIDC_ISSUER || origin + (config.issuer_path || '');
const mountPath = new URL(issuer).pathname.replace(/\/$/, '');
const clientId = env.OIDC_CLIENT_ID || 'openpep-demo';
const clientSecret = env.OIDC_CLIENT_SECRET || 'openpep-demo-secret';
const signingAlg = config.signing_alg || 'RS256';
const DEMO_USERS = ['dt.oakfield', 'dt.riverside', 'sw', 'sw.manager', 'carer', 'reviewer', 'vs.head', 'admin']
  .map((name) => `${name}@demo.openpep.test`);
const DEFAULT_CLAIMS = { email: '{login}', email_verified: true, name: '{name}' };
const STANDARD_CLAIMS = { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] };

function readConfig(raw) {
  if (!raw) return {};
  const parsed = JSON.parse(raw);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('OIDC_CONFIG must be a JSON object');
  for (const key of ['issuer_path', 'tenant_issuer']) {
    if (parsed[key] !== undefined && !/^\/[\w./{}-]*[^/]$/.test(parsed[key])) throw new Error(`OIDC_CONFIG ${key} must start with / and not end with one`);
  }
  if (parsed.claims && 'sub' in parsed.claims) throw new Error('OIDC_CONFIG claims cannot set sub: use subject_salt');
  return parsed;
}

// A provider whose clock is wrong: everything it stamps (iat, exp) is off by the skew.
if (config.clock_skew_seconds) {
  const realNow = Date.now;
  const skew = Number(config.clock_skew_seconds) * 1000;
  Date.now = () => realNow() + skew;
}

// oidc-provider prints NOTICEs with console.info (stdout); stdout is reserved for
// the single "ready" line, so send them to stderr. The in-memory adapter warning
// is expected for a dev tool, so drop it. Patched before the (dynamic) import.
console.info = (...args) => console.error(...args);
const warn = console.warn;
console.warn = (...args) => { if (!String(args[0]).includes('in-memory adapter')) warn(...args); };
const { default: Provider } = await import('oidc-provider');

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const hash = (text) => createHash('sha256').update(text).digest('hex');
// Stable, opaque subject identifier: the same email always gets the same sub.
const subFor = (email) => hash(`${config.subject_salt || 'openpep-demo'}:${email}`).slice(0, 32);
// Entra's object id: one per person in a tenant, whatever the app (so no salt).
const oidFor = (email) => hash(`oid:${email}`).slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
const nameFor = (email) => email.split('@')[0].split(/[._+-]+/).filter(Boolean)
  .map((w) => w[0].toUpperCase() + w.slice(1)).join(' ');
const accounts = new Map(); // sub -> email, filled in at login

// The claims of one account: defaults, then the instance's, then the account's own.
function claimsFor(login) {
  const merged = { ...DEFAULT_CLAIMS, ...(config.claims || {}), ...(config.accounts?.[login] || {}) };
  const fill = (value) => (typeof value === 'string'
    ? value.replaceAll('{login}', login).replaceAll('{name}', nameFor(login)).replaceAll('{oid}', oidFor(login))
    : value);
  return Object.fromEntries(Object.entries(merged)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => [key, fill(value)]));
}

// Every claim an account may carry must be declared: the ones no standard scope names ride on openid.
function declaredClaims() {
  const names = new Set(Object.keys({ ...DEFAULT_CLAIMS, ...(config.claims || {}) }));
  for (const claims of Object.values(config.accounts || {})) Object.keys(claims).forEach((n) => names.add(n));
  const standard = new Set(Object.values(STANDARD_CLAIMS).flat());
  return { ...STANDARD_CLAIMS, openid: ['sub', ...[...names].filter((n) => !standard.has(n))] };
}

function signingKey(alg) {
  const pair = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (!['RS256', 'PS256', 'ES256'].includes(alg)) throw new Error(`unsupported signing_alg ${alg}`);
  return { ...pair.privateKey.export({ format: 'jwk' }), kid: `dev-${alg.toLowerCase()}`, use: 'sig', alg };
}

// Per request: which tenant is issuing (Entra-like instances) and whether this is discovery.
const requestScope = new AsyncLocalStorage();

function tenantOfIdTokenHint(url) {
  const hint = new URL(url, origin).searchParams.get('id_token_hint');
  try {
    return hint ? JSON.parse(Buffer.from(hint.split('.')[1], 'base64url')).tid : undefined;
  } catch {
    return undefined;
  }
}

// RFC 8252-style loopback rule: tests serve the portal on random ports.
function isLoopbackHttp(value) {
  const url = URL.parse(value);
  return Boolean(url) && url.protocol === 'http:' && !url.username && !url.password && !url.hash
    && ['127.0.0.1', 'localhost'].includes(url.hostname);
}

// Shared accessible page shell (no scripts, no external assets).
function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font-family:system-ui,Arial,sans-serif;color:#0b0c0c;background:#fff;margin:0;line-height:1.5;overflow-wrap:anywhere}
main{max-width:32rem;margin:2rem auto;padding:0 1rem} label{display:block;font-weight:700;margin-top:1rem}
input{display:block;width:100%;box-sizing:border-box;font-size:1.1rem;padding:.4rem;border:2px solid #0b0c0c}
button{margin-top:1.5rem;font-size:1.1rem;padding:.5rem 1.2rem;color:#fff;background:#00703c;border:0;cursor:pointer}
button.secondary{color:#0b0c0c;background:#f3f2f1;margin-left:.5rem}
input:focus,button:focus{outline:3px solid #fd0;outline-offset:0;box-shadow:inset 0 0 0 2px #0b0c0c}
.error{border-left:5px solid #b10e1e;padding:.5rem 1rem;color:#b10e1e;font-weight:700}
.note{background:#f3f2f1;padding:.5rem 1rem;margin-top:2rem}
</style></head>
<body><main>
${body}
</main></body>
</html>`;
}

const errorPage = (html) => page('Sign-in error', `<h1>Sign-in error</h1>${html}`);

// error: { field: 'login' | 'password', message } when re-showing the form.
function loginPage(uid, { login = '', error } = {}) {
  const invalid = (field) => (error?.field === field ? ' aria-invalid="true" aria-describedby="login-error"' : '');
  return page(`${error ? 'Error: ' : ''}Sign in to the OpenPEP demo`, `
<h1>Sign in to the OpenPEP demo</h1>
${error ? `<div class="error" id="login-error" role="alert"><p>${esc(error.message)}</p></div>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" novalidate>
<label for="login">Email address</label>
<input id="login" name="login" type="email" autocomplete="username" spellcheck="false" value="${esc(login)}"${invalid('login')}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"${invalid('password')}>
<button type="submit">Sign in</button>
</form>
<div class="note">
<h2>About this page</h2>
<p>This is a demonstration sign-in provider for development and testing only.
It accepts these demo users with any password (other email addresses work too;
the portal decides who may use it):</p>
<ul>${DEMO_USERS.map((u) => `<li>${u}</li>`).join('')}</ul>
</div>`);
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    // Registered for schema validation only; the loopback rule below is what applies.
    redirect_uris: ['http://127.0.0.1:5000/auth/demo/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1:5000/'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: config.token_endpoint_auth_method || 'client_secret_basic',
    id_token_signed_response_alg: signingAlg,
  }],
  scopes: ['openid', 'email', 'profile'],
  claims: declaredClaims(),
  ...(config.token_endpoint_auth_method ? { clientAuthMethods: [config.token_endpoint_auth_method] } : {}),
  // Put scope claims (email, name) into the ID token as well as userinfo; the
  // portal reads them from the ID token (authlib token["userinfo"]).
  conformIdTokenClaims: false,
  responseTypes: ['code'],
  pkce: { required: () => true }, // v9 only supports S256
  // Don't silently fall back to the placeholder redirect URI when none is sent.
  allowOmittingSingleRegisteredRedirectUri: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: config.rp_initiated_logout !== false,
      async logoutSource(ctx, form) {
        // A valid id_token_hint says which client signs the person out: no need to ask.
        if (ctx.oidc.entities.IdTokenHint && config.logout_confirmation !== 'always') {
          ctx.body = page('Signing you out', `<h1>Signing you out</h1>
<form method="post" action="${esc(ctx.oidc.urlFor('end_session_confirm'))}">
<input type="hidden" name="xsrf" value="${esc(ctx.oidc.session.state.secret)}"><input type="hidden" name="logout" value="yes">
<p>If nothing happens, select Continue.</p><button type="submit">Continue</button>
</form>
<script>document.forms[0].submit();</script>`);
          return;
        }
        ctx.body = page('Sign out', `<h1>Do you want to sign out of the OpenPEP demo provider?</h1>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<h1>You have signed out</h1><p>You can close this page.</p>');
      },
    },
  },
  // Fresh keys per run (no "development keys" warning); clients fetch the JWKS anyway.
  jwks: { keys: [signingKey(signingAlg)] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: Number(config.id_token_ttl_seconds || 3600), Interaction: 1800, Session: 8 * 3600, Grant: 8 * 3600 },
  clientBasedCORS: () => false,
  // Accounts only exist in memory once someone has signed in with that email.
  async findAccount(ctx, sub) {
    const email = accounts.get(sub);
    if (!email) return undefined;
    const claims = claimsFor(email);
    const scope = requestScope.getStore();
    if (scope && claims.tid) scope.tenant = claims.tid; // the ID token about to be issued is theirs
    const idTokenOmits = new Set(config.userinfo_only || []);
    return {
      accountId: sub,
      claims: async (use) => ({
        ...Object.fromEntries(Object.entries(claims).filter(([name]) => use !== 'id_token' || !idTokenOmits.has(name))),
        sub,
      }),
    };
  },
  // Skip consent for this first-party client: grant the OIDC scopes straight away.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = errorPage(`<dl>${Object.entries(out)
      .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`);
  },
});
// Like Entra's /organizations endpoint: discovery names the template, each token its tenant.
if (config.tenant_issuer) {
  Object.defineProperty(provider, 'issuer', {
    configurable: true,
    get() {
      const scope = requestScope.getStore();
      if (scope?.discovery) return origin + config.tenant_issuer;
      if (scope?.tenant) return origin + config.tenant_issuer.replace('{tenantid}', scope.tenant);
      return issuer;
    },
  });
}
provider.Client.prototype.redirectUriAllowed = (uri) => isLoopbackHttp(uri) && new URL(uri).pathname.endsWith('/callback');
provider.Client.prototype.postLogoutRedirectUriAllowed = (uri) => isLoopbackHttp(uri);

async function readForm(req) { // application/x-www-form-urlencoded
  req.setEncoding('utf8');
  let body = '';
  for await (const chunk of req) if ((body += chunk).length > 10_000) throw new Error('request body too large');
  return new URLSearchParams(body);
}

function send(res, status, html) {
  if (res.headersSent) return res.end();
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

const callback = provider.callback();
const server = createServer(async (req, res) => {
  const path = req.url.split('?')[0];
  const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(path);
  if (!match) {
    const scope = { discovery: path.endsWith('/.well-known/openid-configuration'), tenant: tenantOfIdTokenHint(req.url) };
    // An issuer with a path is served under that path, as if mounted there.
    if (mountPath && (path === mountPath || path.startsWith(`${mountPath}/`))) {
      req.originalUrl = req.url;
      const rest = req.url.slice(mountPath.length);
      req.url = rest.startsWith('/') ? rest : `/${rest}`;
    }
    // oidc-provider takes a secret either way; a provider set up for one method refuses the other.
    const strictAuth = config.token_endpoint_auth_method;
    if (strictAuth && req.method === 'POST' && req.url.split('?')[0] === '/token') {
      const sentBasic = /^basic /i.test(req.headers.authorization || '');
      if (sentBasic !== (strictAuth === 'client_secret_basic')) {
        res.writeHead(401, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        return res.end(JSON.stringify({ error: 'invalid_client', error_description: `client authentication must use ${strictAuth}` }));
      }
    }
    return requestScope.run(scope, () => callback(req, res));
  }
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== match[1]) return send(res, 400, errorPage('<p>This sign-in link has expired. Start again from the portal.</p>'));
    if (req.method === 'GET' && !match[2]) return send(res, 200, loginPage(details.uid));
    if (req.method !== 'POST' || !match[2]) return send(res, 405, page('Method not allowed', '<h1>Method not allowed</h1>'));
    const form = await readForm(req);
    const login = (form.get('login') || '').trim().toLowerCase();
    const password = form.get('password') || '';
    let error;
    if (!login) error = { field: 'login', message: 'Enter your email address' };
    else if (!/^[^\s@]+@[^\s@]+$/.test(login)) error = { field: 'login', message: 'Enter an email address in the correct format, like name@example.org' };
    else if (!password) error = { field: 'password', message: 'Enter your password' };
    if (error) return send(res, 400, loginPage(details.uid, { login, error }));
    const sub = subFor(login);
    accounts.set(sub, login);
    await provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
  } catch (err) {
    // Typically an expired/unknown interaction (SessionNotFound).
    send(res, 400, errorPage(`<p>${esc(err.error_description || err.message)}</p><p>Start again from the portal.</p>`));
  }
});

// Never outlive the parent: the Python helper holds our stdin open.
if (env.OIDC_EXIT_ON_STDIN_CLOSE === '1') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`oidc-provider ready ${issuer}\n`);
});
