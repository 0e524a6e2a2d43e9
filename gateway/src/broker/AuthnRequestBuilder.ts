// The signed AuthnRequest (DV → HM): ForceAuthn, IsPassive=false, the service by
// AttributeConsumingServiceIndex, our ACS by AssertionConsumerServiceIndex, loa `minimum`,
// Destination = the broker's SSO endpoint from its metadata. Sent with the POST binding (an
// auto-submitting form under a nonce CSP) or the Redirect binding (DEFLATE + query signature).
import { deflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import type { Response } from 'express';
import { ALG, NS } from './constants.ts';
import { escapeXml, formatInstant } from './Dom.ts';
import { signRedirectQuery, signXml, type SigningKey } from './XmlSigner.ts';

export interface AuthnRequestFields {
  id: string;
  now: number;
  destination: string;
  issuer: string;
  attributeConsumingServiceIndex: number;
  assertionConsumerServiceIndex: number;
  level: string;
}

export function buildAuthnRequest(f: AuthnRequestFields): string {
  return (
    `<samlp:AuthnRequest xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${f.id}" Version="2.0"` +
    ` IssueInstant="${formatInstant(f.now)}" Destination="${escapeXml(f.destination)}"` +
    ` ForceAuthn="true" IsPassive="false"` +
    ` AssertionConsumerServiceIndex="${f.assertionConsumerServiceIndex}"` +
    ` AttributeConsumingServiceIndex="${f.attributeConsumingServiceIndex}">` +
    `<saml:Issuer>${escapeXml(f.issuer)}</saml:Issuer>` +
    `<samlp:RequestedAuthnContext Comparison="minimum">` +
    `<saml:AuthnContextClassRef>${escapeXml(f.level)}</saml:AuthnContextClassRef>` +
    `</samlp:RequestedAuthnContext>` +
    `</samlp:AuthnRequest>`
  );
}

/** POST binding: the enveloped-signed request, base64. */
export function signedForPost(xml: string, signer: SigningKey): string {
  return Buffer.from(signXml(xml, signer, { placement: 'after-issuer', keyInfo: 'keyname' }), 'utf8').toString('base64');
}

/** Redirect binding: the unsigned request DEFLATEd, with SigAlg and Signature on the query. */
export function redirectUrl(endpoint: string, xml: string, relayState: string, signer: SigningKey): string {
  const samlRequest = deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64');
  const octets =
    `SAMLRequest=${encodeURIComponent(samlRequest)}` +
    `&RelayState=${encodeURIComponent(relayState)}` +
    `&SigAlg=${encodeURIComponent(ALG.rsaSha256)}`;
  const signature = signRedirectQuery(octets, signer.key);
  return `${endpoint}${endpoint.includes('?') ? '&' : '?'}${octets}&Signature=${encodeURIComponent(signature)}`;
}

const TEXT = {
  nl: { title: 'Doorsturen naar eHerkenning', body: 'U wordt doorgestuurd naar eHerkenning.', button: 'Doorgaan' },
  en: { title: 'Redirecting to eHerkenning', body: 'You are being redirected to eHerkenning.', button: 'Continue' },
};

/**
 * The auto-submitting POST form. It sets its own CSP for this one page: only our nonce'd
 * script runs and the form may only go to the broker. The button works without JavaScript.
 */
export function sendPostForm(
  res: Response,
  opts: { endpoint: string; samlRequest: string; relayState: string; lang: 'nl' | 'en' },
): void {
  const existing = res.locals?.cspNonce;
  const nonce = typeof existing === 'string' && /^[A-Za-z0-9+/=_-]{8,}$/.test(existing) ? existing : randomBytes(16).toString('base64');
  const t = TEXT[opts.lang];
  const target = new URL(opts.endpoint).origin;
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; form-action ${target}; base-uri 'none'; frame-ancestors 'none'`,
  );
  res.status(200).type('html').send(
    `<!DOCTYPE html><html lang="${opts.lang}"><head><meta charset="utf-8"><title>${t.title}</title>` +
      `<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>` +
      `<form id="saml" method="post" action="${escapeXml(opts.endpoint)}">` +
      `<input type="hidden" name="SAMLRequest" value="${escapeXml(opts.samlRequest)}">` +
      `<input type="hidden" name="RelayState" value="${escapeXml(opts.relayState)}">` +
      `<p>${t.body}</p><button type="submit">${t.button}</button></form>` +
      `<script nonce="${nonce}">document.getElementById('saml').submit();</script>` +
      `</body></html>`,
  );
}
