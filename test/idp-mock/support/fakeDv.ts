// A fake DV (the gateway's role) for the idp-mock tests only: its metadata, signed
// AuthnRequests (POST and Redirect binding), signed ArtifactResolves sent over mutual TLS,
// and the checks a DV would make on what comes back. Test code; not the gateway's code.
import { X509Certificate, createHash, sign as cryptoSign } from 'node:crypto';
import https from 'node:https';
import { deflateRawSync } from 'node:zlib';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import xmlenc from 'xml-encryption';
import type { Issued } from './pki.ts';

export const DV_ENTITY_ID = 'urn:etoegang:DV:00000001234567890000:entities:9001';
export const SERVICE_ID = 'urn:etoegang:DV:00000001234567890000:services:1';
export const SERVICE_UUID = '4f2e1f63-8c1e-4b0e-9d77-2b7b3f4a2c01';
export const ACS_URL = 'https://gateway.test/saml/acs';
export const ACS_URL_2 = 'https://gateway.test/saml/acs-two';
export const MOCK_ENTITY_ID = 'urn:etoegang:HM:00000003999999990000:entities:9632';

export const N = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
};

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#';

function b64Cert(pem: string): string {
  return new X509Certificate(pem).raw.toString('base64');
}

export function fingerprint(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

let counter = 0;
export function freshId(): string {
  counter += 1;
  return `_dv${Date.now().toString(36)}${counter}${Math.random().toString(36).slice(2, 10)}`;
}

export function dvMetadata(cert: Issued, opts: { withService2?: boolean } = {}): string {
  return (
    `<md:EntityDescriptor xmlns:md="${N.md}" xmlns:ds="${N.ds}" entityID="${DV_ENTITY_ID}">` +
    `<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="true" WantAssertionsSigned="true">` +
    `<md:KeyDescriptor><ds:KeyInfo><ds:KeyName>${fingerprint(cert.certPem)}</ds:KeyName><ds:X509Data><ds:X509Certificate>${b64Cert(
      cert.certPem,
    )}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="${ACS_URL}" index="0" isDefault="true"/>` +
    `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="${ACS_URL_2}" index="1"/>` +
    `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://gateway.test/saml/post" index="5"/>` +
    `<md:AttributeConsumingService index="1" isDefault="true"><md:ServiceName xml:lang="nl">Mijn DUO voor zakelijke klanten</md:ServiceName>` +
    `<md:RequestedAttribute Name="${SERVICE_ID}"/></md:AttributeConsumingService>` +
    (opts.withService2
      ? `<md:AttributeConsumingService index="2"><md:ServiceName xml:lang="nl">Tweede dienst</md:ServiceName>` +
        `<md:RequestedAttribute Name="urn:etoegang:DV:00000001234567890000:services:2"/>` +
        `<md:RequestedAttribute Name="urn:etoegang:1.11:attribute-represented:CompanyName" isRequired="false"/></md:AttributeConsumingService>`
      : '') +
    `</md:SPSSODescriptor></md:EntityDescriptor>`
  );
}

export function signEnveloped(xml: string, key: Issued, opts: { sha1?: boolean } = {}): string {
  const sig = new SignedXml({
    privateKey: key.keyPem,
    signatureAlgorithm: opts.sha1 ? 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' : RSA_SHA256,
    canonicalizationAlgorithm: EXC,
    getKeyInfoContent: () => `<ds:KeyName>${fingerprint(key.certPem)}</ds:KeyName>`,
  });
  sig.addReference({
    xpath: '/*',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', EXC],
    digestAlgorithm: opts.sha1 ? 'http://www.w3.org/2000/09/xmldsig#sha1' : 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: "/*/*[local-name(.)='Issuer']", action: 'after' },
  });
  return sig.getSignedXml();
}

export interface AuthnRequestOptions {
  destination: string;
  id?: string;
  issueInstant?: Date;
  issuer?: string;
  acsIndex?: number | null;
  attrIndex?: number | null;
  level?: string | null;
  extraAttributes?: string;
}

export function authnRequestXml(o: AuthnRequestOptions): { id: string; xml: string } {
  const id = o.id ?? freshId();
  const acsIndex = o.acsIndex === undefined ? 0 : o.acsIndex;
  const attrIndex = o.attrIndex === undefined ? 1 : o.attrIndex;
  const level = o.level === undefined ? 'urn:etoegang:core:assurance-class:loa3' : o.level;
  const xml =
    `<samlp:AuthnRequest xmlns:samlp="${N.samlp}" xmlns:saml="${N.saml}" ID="${id}" Version="2.0" ` +
    `IssueInstant="${(o.issueInstant ?? new Date()).toISOString()}" Destination="${o.destination}" ForceAuthn="true"` +
    (acsIndex !== null ? ` AssertionConsumerServiceIndex="${acsIndex}"` : '') +
    (attrIndex !== null ? ` AttributeConsumingServiceIndex="${attrIndex}"` : '') +
    (o.extraAttributes ? ` ${o.extraAttributes}` : '') +
    `><saml:Issuer>${o.issuer ?? DV_ENTITY_ID}</saml:Issuer>` +
    (level
      ? `<samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>${level}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>`
      : '') +
    `</samlp:AuthnRequest>`;
  return { id, xml };
}

/** Form body for the HTTP-POST binding. */
export function postBinding(signedXml: string, relayState?: string): Record<string, string> {
  return {
    SAMLRequest: Buffer.from(signedXml, 'utf8').toString('base64'),
    ...(relayState !== undefined ? { RelayState: relayState } : {}),
  };
}

/** Query string for the HTTP-Redirect binding (the XML itself unsigned; the query is signed). */
export function redirectBinding(xml: string, key: Issued, relayState?: string, opts: { tamper?: boolean } = {}): string {
  const enc = (v: string): string => encodeURIComponent(v);
  let q = `SAMLRequest=${enc(deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}`;
  if (relayState !== undefined) q += `&RelayState=${enc(relayState)}`;
  q += `&SigAlg=${enc(RSA_SHA256)}`;
  const signature = cryptoSign('sha256', Buffer.from(q, 'utf8'), key.keyPem).toString('base64');
  if (opts.tamper && relayState !== undefined) q = q.replace(`RelayState=${enc(relayState)}`, `RelayState=${enc(`${relayState}x`)}`);
  return `${q}&Signature=${enc(signature)}`;
}

export function artifactResolveEnvelope(
  artifact: string,
  key: Issued | null,
  o: { destination?: string | null; id?: string; issuer?: string; issueInstant?: Date } = {},
): { id: string; xml: string } {
  const id = o.id ?? freshId();
  const dest = o.destination === null || o.destination === undefined ? '' : ` Destination="${o.destination}"`;
  let resolve =
    `<samlp:ArtifactResolve xmlns:samlp="${N.samlp}" xmlns:saml="${N.saml}" ID="${id}" Version="2.0" ` +
    `IssueInstant="${(o.issueInstant ?? new Date()).toISOString()}"${dest}>` +
    `<saml:Issuer>${o.issuer ?? DV_ENTITY_ID}</saml:Issuer><samlp:Artifact>${artifact}</samlp:Artifact></samlp:ArtifactResolve>`;
  if (key) resolve = signEnveloped(resolve, key);
  return {
    id,
    xml: `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${N.soap}"><soap:Body>${resolve}</soap:Body></soap:Envelope>`,
  };
}

export interface HttpsResult {
  status: number;
  contentType: string;
  body: string;
}

export function postSoap(
  url: string,
  body: string,
  tls: { ca: string; client?: Issued | null },
  contentType = 'text/xml; charset=utf-8',
): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        ca: tls.ca,
        ...(tls.client ? { cert: tls.client.certPem, key: tls.client.keyPem } : {}),
        headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body), SOAPAction: '' },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// ---- reading what came back ---------------------------------------------------------------

export function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml');
}

export function kids(el: Element, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === local) out.push(n as Element);
  }
  return out;
}

export function kid(el: Element, ns: string, local: string): Element {
  const k = kids(el, ns, local)[0];
  if (!k) throw new Error(`no ${local} under ${el.localName}`);
  return k;
}

export function all(el: Element | Document, ns: string, local: string): Element[] {
  const list = el.getElementsByTagNameNS(ns, local);
  const out: Element[] = [];
  for (let i = 0; i < list.length; i++) out.push(list.item(i)!);
  return out;
}

export function text(el: Element | undefined): string {
  return (el?.textContent ?? '').trim();
}

export function serialize(node: Node): string {
  return new XMLSerializer().serializeToString(node);
}

/** Check the enveloped signature directly under `el` with xml-crypto against `certPem`. */
export function verifies(fullXml: string, el: Element, certPem: string): boolean {
  const sigEl = kids(el, N.ds, 'Signature')[0];
  if (!sigEl) return false;
  const sx = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
  sx.loadSignature(sigEl);
  try {
    const ok = sx.checkSignature(fullXml);
    const refs = sx.getReferences();
    return ok && refs.length === 1 && refs[0]!.uri === `#${el.getAttribute('ID')}`;
  } catch {
    return false;
  }
}

export function decrypt(encryptedId: Element, keyPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    xmlenc.decrypt(
      serialize(encryptedId),
      { key: keyPem, disallowDecryptionWithInsecureAlgorithm: false, warnInsecureAlgorithm: false },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/** The parts of a resolved ArtifactResponse. */
export interface Resolved {
  xml: string;
  doc: Document;
  artifactResponse: Element;
  response: Element | undefined;
  assertion: Element | undefined;
  statusCodes: string[];
  /** Attribute name → the AttributeValue elements (outer assertion only). */
  attributes: Map<string, Element[]>;
}

export function readResolved(xml: string): Resolved {
  const doc = parse(xml);
  const env = doc.documentElement!;
  const body = kid(env, N.soap, 'Body');
  const artifactResponse = kid(body, N.samlp, 'ArtifactResponse');
  const response = kids(artifactResponse, N.samlp, 'Response')[0];
  const assertion = response ? kids(response, N.saml, 'Assertion')[0] : undefined;
  const statusCodes: string[] = [];
  if (response) {
    let sc: Element | undefined = kid(kid(response, N.samlp, 'Status'), N.samlp, 'StatusCode');
    while (sc) {
      statusCodes.push(sc.getAttribute('Value') ?? '');
      sc = kids(sc, N.samlp, 'StatusCode')[0];
    }
  }
  const attributes = new Map<string, Element[]>();
  if (assertion) {
    for (const stmt of kids(assertion, N.saml, 'AttributeStatement')) {
      for (const a of kids(stmt, N.saml, 'Attribute')) {
        const name = a.getAttribute('Name') ?? '';
        attributes.set(name, [...(attributes.get(name) ?? []), ...kids(a, N.saml, 'AttributeValue')]);
      }
    }
  }
  return { xml, doc, artifactResponse, response, assertion, statusCodes, attributes };
}
