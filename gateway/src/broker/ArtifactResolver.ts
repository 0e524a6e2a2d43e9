// Rule 9: resolve an artifact at the broker that issued it. A signed ArtifactResolve in a SOAP
// 1.1 envelope, sent over mutual TLS (SoapClient), and the answer unwrapped from its envelope
// after the XML guard. Signature checks of the answer are the caller's next step.
import { randomBytes } from 'node:crypto';
import { NS } from './constants.ts';
import { BrokerRejection, reject } from './BrokerRejection.ts';
import { elementChildren, escapeXml, formatInstant, isElement } from './Dom.ts';
import { soapPost, type SoapRequest } from './SoapClient.ts';
import { signXml, type SigningKey } from './XmlSigner.ts';
import { MESSAGE_LIMITS, decodeXml, parseXml, type XmlLimits } from './XmlGuard.ts';

export interface ResolveTarget {
  /** The ArtifactResolutionService URL from the broker metadata. */
  url: string;
  contentType: SoapRequest['contentType'];
  caPem: string;
}

export interface ResolveSettings {
  issuer: string;
  signer: SigningKey;
  tlsClient: { keyPem: string; certPem: string };
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxResponseBytes: number;
}

export interface ResolvedArtifact {
  /** Our ArtifactResolve ID; the ArtifactResponse must answer it. */
  resolveId: string;
  /** samlp:ArtifactResponse inside the SOAP Body of the guarded (XmlGuard) answer. */
  artifactResponse: Element;
}

export function newSamlId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

export function buildArtifactResolve(opts: { id: string; now: number; destination: string; issuer: string; artifact: string }): string {
  return (
    `<samlp:ArtifactResolve xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${opts.id}" Version="2.0"` +
    ` IssueInstant="${formatInstant(opts.now)}" Destination="${escapeXml(opts.destination)}">` +
    `<saml:Issuer>${escapeXml(opts.issuer)}</saml:Issuer>` +
    `<samlp:Artifact>${escapeXml(opts.artifact)}</samlp:Artifact>` +
    `</samlp:ArtifactResolve>`
  );
}

export function soapEnvelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${NS.soap11}"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
}

/** Unwrap the SOAP answer: Envelope → (Header) Body → exactly one ArtifactResponse (or a Fault). */
export function unwrapSoap(doc: Document): Element {
  const env = doc.documentElement;
  const soapNs = env.namespaceURI === NS.soap11 || env.namespaceURI === NS.soap12 ? env.namespaceURI : null;
  if (!soapNs || env.localName !== 'Envelope') reject('artifact-response-invalid', { why: 'not a SOAP envelope' });
  const parts = elementChildren(env);
  const bodies = parts.filter((p) => isElement(p, soapNs!, 'Body'));
  const headers = parts.filter((p) => isElement(p, soapNs!, 'Header'));
  if (bodies.length !== 1 || headers.length > 1 || parts.length !== bodies.length + headers.length) {
    reject('artifact-response-invalid', { why: 'SOAP envelope structure' });
  }
  const content = elementChildren(bodies[0]!);
  if (content.length === 1 && isElement(content[0], soapNs!, 'Fault')) reject('artifact-resolve-soap-fault');
  if (content.length !== 1 || !isElement(content[0], NS.samlp, 'ArtifactResponse')) {
    reject('artifact-response-invalid', { why: 'SOAP body content' });
  }
  return content[0]!;
}

export async function resolveArtifact(
  artifact: string,
  target: ResolveTarget,
  settings: ResolveSettings,
  now: number,
  post: (req: SoapRequest) => Promise<Buffer> = soapPost,
): Promise<ResolvedArtifact> {
  const resolveId = newSamlId();
  const signed = signXml(
    buildArtifactResolve({ id: resolveId, now, destination: target.url, issuer: settings.issuer, artifact }),
    settings.signer,
    { placement: 'after-issuer', keyInfo: 'keyname' },
  );
  const answer = await post({
    url: target.url,
    body: soapEnvelope(signed),
    contentType: target.contentType,
    clientKeyPem: settings.tlsClient.keyPem,
    clientCertPem: settings.tlsClient.certPem,
    caPem: target.caPem,
    connectTimeoutMs: settings.connectTimeoutMs,
    totalTimeoutMs: settings.totalTimeoutMs,
    maxResponseBytes: settings.maxResponseBytes,
  });
  const limits: XmlLimits = { ...MESSAGE_LIMITS, maxBytes: settings.maxResponseBytes };
  const xml = decodeXml(answer, limits);
  let doc: Document;
  try {
    doc = parseXml(xml, limits);
  } catch (e) {
    if (e instanceof BrokerRejection) throw e;
    return reject('xml-malformed');
  }
  return { resolveId, artifactResponse: unwrapSoap(doc) };
}
