// Receiving an AuthnRequest on the SingleSignOnService: HTTP-POST (enveloped XML signature)
// and HTTP-Redirect (DEFLATE + base64, signature over the query string). Everything that
// makes the request untrustworthy ends on an error page here; nothing is sent to the ACS.
import { verify as cryptoVerify } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import type { DvMetadata } from './dvMetadata.ts';
import { levelFromUrn, type Level } from './personas.ts';
import { ALG, verifyEnvelopedSignature } from './signature.ts';
import { NS, children, child, is, parseInstant, parseXml, textOf } from './xml.ts';

export class SsoRequestError extends Error {
  constructor(
    /** Stable code shown on the error page and logged. */
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
    this.name = 'SsoRequestError';
  }
}

export interface EncodedRequest {
  binding: 'POST' | 'Redirect';
  xml: string;
  relayState: string | undefined;
  /** Redirect binding only: the query signature. */
  redirectSignature?: { sigAlg: string; signature: string; signedString: string };
}

const MAX_REQUEST_BYTES = 100_000;

export function decodePostBinding(body: Record<string, unknown>): EncodedRequest {
  const samlRequest = body.SAMLRequest;
  if (typeof samlRequest !== 'string' || samlRequest.length === 0) {
    throw new SsoRequestError('no-request', 'SAMLRequest ontbreekt');
  }
  if (samlRequest.length > (MAX_REQUEST_BYTES * 4) / 3 + 4) throw new SsoRequestError('too-large', 'SAMLRequest is te groot');
  const xml = Buffer.from(samlRequest, 'base64').toString('utf8');
  const rs = body.RelayState;
  return { binding: 'POST', xml, relayState: typeof rs === 'string' ? rs : undefined };
}

/** `rawQuery` is the query string exactly as received (without '?'). */
export function decodeRedirectBinding(rawQuery: string): EncodedRequest {
  const raw = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    if (raw.has(k)) throw new SsoRequestError('duplicate-parameter', `parameter ${k} komt twee keer voor`);
    raw.set(k, v);
  }
  const dec = (v: string | undefined): string | undefined =>
    v === undefined ? undefined : decodeURIComponent(v.replace(/\+/g, ' '));
  const samlRequest = dec(raw.get('SAMLRequest'));
  if (!samlRequest) throw new SsoRequestError('no-request', 'SAMLRequest ontbreekt');
  let xml: string;
  try {
    xml = inflateRawSync(Buffer.from(samlRequest, 'base64'), { maxOutputLength: MAX_REQUEST_BYTES }).toString('utf8');
  } catch {
    throw new SsoRequestError('bad-encoding', 'SAMLRequest is geen geldige DEFLATE + base64');
  }
  const relayState = dec(raw.get('RelayState'));
  const sigAlg = dec(raw.get('SigAlg'));
  const signature = dec(raw.get('Signature'));
  const out: EncodedRequest = { binding: 'Redirect', xml, relayState };
  if (sigAlg !== undefined && signature !== undefined) {
    const signedString =
      `SAMLRequest=${raw.get('SAMLRequest')}` +
      (raw.has('RelayState') ? `&RelayState=${raw.get('RelayState')}` : '') +
      `&SigAlg=${raw.get('SigAlg')}`;
    out.redirectSignature = { sigAlg, signature, signedString };
  }
  return out;
}

export interface AuthnRequestInfo {
  id: string;
  issuer: string;
  destination: string;
  issueInstant: number;
  binding: 'POST' | 'Redirect';
  relayState: string | undefined;
  forceAuthn: boolean;
  isPassive: boolean;
  assertionConsumerServiceIndex?: number;
  assertionConsumerServiceUrl?: string;
  protocolBinding?: string;
  attributeConsumingServiceIndex?: number;
  /** Levels named in RequestedAuthnContext (empty when absent). */
  requestedLevels: Level[];
  /** ClassRefs in RequestedAuthnContext that are not eHerkenning levels. */
  unknownClassRefs: string[];
  comparison: string;
  providerName?: string;
}

function verifyRedirectSignature(
  sig: NonNullable<EncodedRequest['redirectSignature']>,
  certs: readonly string[],
  allowSha1: boolean,
): { ok: boolean; reason: string } {
  const hash =
    sig.sigAlg === ALG.rsaSha256 ? 'sha256' : sig.sigAlg === ALG.rsaSha512 ? 'sha512' : sig.sigAlg === ALG.rsaSha1 && allowSha1 ? 'sha1' : null;
  if (!hash) return { ok: false, reason: `SigAlg ${sig.sigAlg} not allowed` };
  const signature = Buffer.from(sig.signature, 'base64');
  for (const cert of certs) {
    try {
      if (cryptoVerify(hash, Buffer.from(sig.signedString, 'utf8'), cert, signature)) return { ok: true, reason: '' };
    } catch {
      /* try the next certificate */
    }
  }
  return { ok: false, reason: 'query signature does not verify' };
}

function optionalIndex(el: Element, name: string): number | undefined {
  const v = el.getAttribute(name);
  if (v === null || v === '') return undefined;
  if (!/^\d{1,5}$/.test(v)) throw new SsoRequestError('bad-request', `${name} is geen getal`);
  return Number(v);
}

export interface CheckOptions {
  ssoUrl: string;
  now: number;
  maxAgeSeconds: number;
  clockSkewSeconds: number;
  allowSha1: boolean;
}

/**
 * Parse and check an AuthnRequest against the DV metadata: structure, Issuer, signature,
 * Destination and IssueInstant. Replay (a seen ID) is the caller's business.
 * Returns `signature-invalid` errors distinctly so the caller can reload the metadata once.
 */
export function checkAuthnRequest(enc: EncodedRequest, md: DvMetadata, opts: CheckOptions): AuthnRequestInfo {
  let doc: Document;
  try {
    doc = parseXml(enc.xml, MAX_REQUEST_BYTES);
  } catch (err) {
    throw new SsoRequestError('bad-xml', `AuthnRequest is geen geldige XML (${(err as Error).message})`);
  }
  const root = doc.documentElement;
  if (!is(root, NS.samlp, 'AuthnRequest')) throw new SsoRequestError('not-authn-request', 'het bericht is geen samlp:AuthnRequest');
  if (root.getAttribute('Version') !== '2.0') throw new SsoRequestError('bad-version', 'Version is niet 2.0');
  const id = root.getAttribute('ID') ?? '';
  if (!/^[A-Za-z_][\w.-]{0,255}$/.test(id)) throw new SsoRequestError('bad-id', 'ID ontbreekt of is ongeldig');

  const issuerEls = children(root, NS.saml, 'Issuer');
  const issuer = textOf(issuerEls[0]);
  if (issuerEls.length !== 1 || issuer !== md.entityId) {
    throw new SsoRequestError('unknown-issuer', `Issuer ${JSON.stringify(issuer)} is niet de bekende dienstverlener ${md.entityId}`);
  }

  if (enc.binding === 'Redirect') {
    if (!enc.redirectSignature) throw new SsoRequestError('signature-missing', 'het verzoek is niet ondertekend (SigAlg/Signature ontbreken)');
    const v = verifyRedirectSignature(enc.redirectSignature, md.signingCerts, opts.allowSha1);
    if (!v.ok) throw new SsoRequestError('signature-invalid', `handtekening ongeldig: ${v.reason}`);
  } else {
    const v = verifyEnvelopedSignature(enc.xml, doc, root, md.signingCerts, { allowSha1: opts.allowSha1 });
    if (!v.ok) {
      throw new SsoRequestError(v.reason === 'unsigned' ? 'signature-missing' : 'signature-invalid', `handtekening ongeldig: ${v.reason}`);
    }
  }

  const destination = root.getAttribute('Destination') ?? '';
  if (destination !== opts.ssoUrl) {
    throw new SsoRequestError('wrong-destination', `Destination ${JSON.stringify(destination)} is niet ${opts.ssoUrl}`);
  }
  const issueInstant = parseInstant(root.getAttribute('IssueInstant'));
  if (Number.isNaN(issueInstant)) throw new SsoRequestError('bad-issue-instant', 'IssueInstant ontbreekt of is ongeldig');
  if (issueInstant > opts.now + opts.clockSkewSeconds * 1000) {
    throw new SsoRequestError('issue-instant-in-future', 'IssueInstant ligt in de toekomst');
  }
  if (opts.now - issueInstant > (opts.maxAgeSeconds + opts.clockSkewSeconds) * 1000) {
    throw new SsoRequestError('request-expired', 'het verzoek is te oud (IssueInstant)');
  }

  const requestedLevels: Level[] = [];
  const unknownClassRefs: string[] = [];
  let comparison = 'exact';
  const rac = child(root, NS.samlp, 'RequestedAuthnContext');
  if (rac) {
    comparison = rac.getAttribute('Comparison') ?? 'exact';
    for (const ref of children(rac, NS.saml, 'AuthnContextClassRef')) {
      const lvl = levelFromUrn(textOf(ref));
      if (lvl) requestedLevels.push(lvl);
      else unknownClassRefs.push(textOf(ref));
    }
  }

  const acsIndex = optionalIndex(root, 'AssertionConsumerServiceIndex');
  const attrIndex = optionalIndex(root, 'AttributeConsumingServiceIndex');
  const acsUrl = root.getAttribute('AssertionConsumerServiceURL');
  const protocolBinding = root.getAttribute('ProtocolBinding');
  const providerName = root.getAttribute('ProviderName');
  return {
    id,
    issuer,
    destination,
    issueInstant,
    binding: enc.binding,
    relayState: enc.relayState,
    forceAuthn: root.getAttribute('ForceAuthn') === 'true',
    isPassive: root.getAttribute('IsPassive') === 'true',
    ...(acsIndex !== undefined ? { assertionConsumerServiceIndex: acsIndex } : {}),
    ...(acsUrl ? { assertionConsumerServiceUrl: acsUrl } : {}),
    ...(protocolBinding ? { protocolBinding } : {}),
    ...(attrIndex !== undefined ? { attributeConsumingServiceIndex: attrIndex } : {}),
    requestedLevels,
    unknownClassRefs,
    comparison,
    ...(providerName ? { providerName } : {}),
  };
}
