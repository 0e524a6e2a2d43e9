// One login the way a browser and a DUO app make it, hop by hop, over the lean client:
//   app → GET /oidc/auth → /interaction/<uid> (login page: sector, "Log in met eHerkenning") →
//   POST /interaction/<uid>/login → (gateway signs an AuthnRequest) POST form to the
//   broker's SSO → 302 back to /saml/acs with an artifact → (gateway resolves it over mutual TLS,
//   verifies, decrypts) → /interaction/<uid>/eherkenning → /oidc/auth/<uid> → redirect_uri?code
//   → app POSTs /oidc/token with the code and its PKCE verifier.
// The steps are separate so the ACS bench can run the first part ahead and time the ACS alone.
import { createHash, randomBytes } from 'node:crypto';
import { BENCH_CLIENT, LOGIN_SCOPE } from './shared.ts';
import { CookieJar, parseForm, redirectTarget, request, type HttpResponse } from './http.ts';

const HTML = { accept: 'text/html,application/xhtml+xml' };

function b64url(buf: Buffer): string {
  return buf.toString('base64url');
}

export interface LoginContext {
  gatewayUrl: string;
  clientSecret: string;
}

export interface StartedLogin {
  jar: CookieJar;
  verifier: string;
  state: string;
  nonce: string;
  /** /interaction/<uid> on the gateway. */
  interactionUrl: URL;
}

export interface BrokerLeg {
  /** The gateway's ACS URL with SAMLart and RelayState, as the broker redirected the browser. */
  acsUrl: URL;
}

/** App → gateway: the authorization request, answered with the interaction. */
export async function authorize(ctx: LoginContext): Promise<StartedLogin> {
  const jar = new CookieJar();
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const url = new URL(`${ctx.gatewayUrl}/oidc/auth`);
  url.search = new URLSearchParams({
    client_id: BENCH_CLIENT.client_id,
    redirect_uri: BENCH_CLIENT.redirect_uri,
    response_type: 'code',
    scope: LOGIN_SCOPE,
    state,
    nonce,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  }).toString();
  const res = await request(url, { headers: HTML, jar });
  const interactionUrl = redirectTarget(res, url, 'authorize');
  if (!/^\/interaction\/[^/]+$/.test(interactionUrl.pathname)) throw new Error(`authorize: unexpected ${interactionUrl.pathname}`);
  return { jar, verifier, state, nonce, interactionUrl };
}

/** Where the gateway's interaction page leads: a login page to submit, or (older gateways) the broker at once. */
export type LoginPage =
  | { kind: 'page'; action: URL; fields: URLSearchParams }
  | { kind: 'broker'; sso: { action: URL; fields: URLSearchParams | null } };

function brokerForm(res: HttpResponse, from: URL, what: string): { action: URL; fields: URLSearchParams | null } {
  if (res.status === 200) {
    const form = parseForm(res.body, from);
    if (!form.fields.get('SAMLRequest')) throw new Error(`${what}: no SAMLRequest on the page (${res.body.slice(0, 200).replace(/\s+/g, ' ')})`);
    return form;
  }
  return { action: redirectTarget(res, from, what), fields: null };
}

/** The interaction page: the login page ("Log in met eHerkenning", with a sector to pick). */
export async function openLoginPage(login: StartedLogin): Promise<LoginPage> {
  const res = await request(login.interactionUrl, { headers: HTML, jar: login.jar });
  if (res.status === 200 && !/name="SAMLRequest"/.test(res.body)) {
    const form = parseForm(res.body, login.interactionUrl, /\/login$/);
    return { kind: 'page', ...form };
  }
  return { kind: 'broker', sso: brokerForm(res, login.interactionUrl, 'interaction') };
}

/** Gateway → broker: submitting the login page makes the gateway sign an AuthnRequest (POST binding form, or a Redirect). */
export async function startAtGateway(login: StartedLogin, page: LoginPage): Promise<{ action: URL; fields: URLSearchParams | null }> {
  if (page.kind === 'broker') return page.sso;
  const res = await request(page.action, {
    method: 'POST',
    headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
    body: page.fields.toString(),
    jar: login.jar,
  });
  return brokerForm(res, page.action, 'startLogin');
}

/** Browser at the broker: it answers at once (preset) with a redirect to our ACS. */
export async function atBroker(login: StartedLogin, sso: { action: URL; fields: URLSearchParams | null }): Promise<BrokerLeg> {
  const res: HttpResponse = sso.fields
    ? await request(sso.action, {
        method: 'POST',
        headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
        body: sso.fields.toString(),
        jar: login.jar,
      })
    : await request(sso.action, { headers: HTML, jar: login.jar });
  const acsUrl = redirectTarget(res, sso.action, 'broker SSO');
  if (!acsUrl.searchParams.get('SAMLart')) throw new Error(`broker SSO: no artifact in ${acsUrl.pathname}`);
  return { acsUrl };
}

/** Browser → gateway ACS: the whole artifact login. Returns where the gateway sends it next. */
export async function acs(login: StartedLogin, leg: BrokerLeg): Promise<URL> {
  const res = await request(leg.acsUrl, { headers: HTML, jar: login.jar });
  const next = redirectTarget(res, leg.acsUrl, 'ACS');
  if (!next.pathname.endsWith('/eherkenning')) throw new Error(`ACS: sent to ${next.pathname}, not back to the interaction`);
  return next;
}

/** After the ACS: follow the gateway (koppeling found → login finished) back to the app's redirect_uri. */
export async function backToApp(login: StartedLogin, from: URL): Promise<string> {
  let url = from;
  for (let hop = 0; hop < 8; hop++) {
    const res = await request(url, { headers: HTML, jar: login.jar });
    const next = redirectTarget(res, url, `after ACS (${url.pathname})`);
    if (next.pathname.includes('/koppel')) throw new Error('the bench account is not linked: the gateway asked for koppelen');
    if (next.href.startsWith(BENCH_CLIENT.redirect_uri)) {
      if (next.searchParams.get('state') !== login.state) throw new Error('state mismatch at the redirect_uri');
      const code = next.searchParams.get('code');
      if (!code) throw new Error(`no code at the redirect_uri: ${next.search}`);
      return code;
    }
    url = next;
  }
  throw new Error('too many redirects after the ACS');
}

export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** App → token endpoint: code + PKCE verifier for tokens; checks the ID token's nonce and sub. */
export async function redeemCode(ctx: LoginContext, login: StartedLogin, code: string): Promise<{ sub: string }> {
  const url = new URL(`${ctx.gatewayUrl}/oidc/token`);
  const res = await request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      authorization: basicAuth(BENCH_CLIENT.client_id, ctx.clientSecret),
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: BENCH_CLIENT.redirect_uri,
      code_verifier: login.verifier,
    }).toString(),
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${res.body.slice(0, 300)}`);
  const tokens = JSON.parse(res.body) as { id_token?: string; access_token?: string };
  if (!tokens.id_token || !tokens.access_token) throw new Error('token: no id_token or access_token');
  const payload = JSON.parse(Buffer.from(tokens.id_token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: string; nonce?: string };
  if (payload.nonce !== login.nonce || !payload.sub) throw new Error('token: ID token without our nonce or a sub');
  return { sub: payload.sub };
}

/**
 * The same login against the bench's bare oidc-provider, whose interaction ends at once for the
 * bench account (no broker, no koppel step): authorize → /interaction/<uid> → /oidc/auth/<uid>
 * → redirect_uri?code → tokens. The same oidc-provider code paths as a gateway login.
 */
export async function bareLogin(ctx: LoginContext): Promise<void> {
  const login = await authorize(ctx);
  const code = await backToApp(login, login.interactionUrl);
  await redeemCode(ctx, login, code);
}

/** The whole login, start to tokens. */
export async function fullLogin(ctx: LoginContext): Promise<void> {
  const login = await authorize(ctx);
  const sso = await startAtGateway(login, await openLoginPage(login));
  const leg = await atBroker(login, sso);
  const next = await acs(login, leg);
  const code = await backToApp(login, next);
  await redeemCode(ctx, login, code);
}
