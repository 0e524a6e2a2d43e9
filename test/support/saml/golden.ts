// Golden eHerkenning answers for the broker-face tests, built and signed here with the XML
// libraries directly (no code shared with the gateway or idp-mock): a SOAP ArtifactResponse →
// Response → signed Assertion with Advice, ServiceID/ServiceUUID, and ActingSubjectID +
// LegalSubjectID as EncryptedIDs in the RetrievalMethod layout (eherkenning.md §2.5, §3, §5).
// Hooks let a test mutate the XML before signing, after signing and after encryption.
import { createCipheriv, constants, publicEncrypt, randomBytes } from 'node:crypto';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import type { Identity } from './pki.ts';

export const NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  xenc11: 'http://www.w3.org/2009/xmlenc11#',
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  xs: 'http://www.w3.org/2001/XMLSchema',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
};

export const ENC = {
  aes128cbc: 'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  aes256cbc: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  aes128gcm: 'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  aes256gcm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  tripleDes: 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc',
  rsaOaepMgf1p: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
  rsaOaep11: 'http://www.w3.org/2009/xmlenc11#rsa-oaep',
  rsa15: 'http://www.w3.org/2001/04/xmlenc#rsa-1_5',
};

export const SIG = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  c14n: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
};

export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  authnFailed: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
  requestUnsupported: 'urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported',
  requestDenied: 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied',
};

export const PSEUDONYM = `${'AB'.repeat(32)}@${'CD'.repeat(16)}`;

export interface Recipient {
  cert: Identity;
  entityId: string;
  /** KeyName on the EncryptedKey; default the SHA-256 fingerprint. */
  keyName?: string | null;
}

export interface EncryptionChoice {
  content: string;
  keyTransport: string;
  /** OAEP digest URI (rsa-oaep-mgf1p uses SHA-1 unless told). */
  oaepDigest?: string;
  /** 'sibling' (eHerkenning RetrievalMethod layout) or 'nested' (EncryptedKey in KeyInfo). */
  layout?: 'sibling' | 'nested';
}

export interface SignChoice {
  key: Identity;
  signatureAlgorithm?: string;
  digestAlgorithm?: string;
  /** What goes in KeyInfo: KeyName (default), the X509 certificate of `key`, or nothing. */
  keyInfo?: 'keyname' | 'x509' | 'none';
  inclusivePrefixes?: string[];
}

export interface GoldenOptions {
  brokerEntityId: string;
  spEntityId: string;
  acsUrl: string;
  requestId: string;
  resolveId: string;
  now: number;
  serviceId: string;
  serviceUuid: string;
  level?: string | null;
  pseudonym?: string;
  pseudonymQualifier?: string;
  legalSubjects?: Array<{ qualifier: string; value: string }>;
  vestigingsnr?: string;
  recipients: Recipient[];
  encryption?: EncryptionChoice;
  assertionId?: string;
  responseId?: string;
  artifactResponseId?: string;
  status?: { top: string; second?: string };
  /** Leave out the Assertion (failure responses). Default: only when status is not Success. */
  withAssertion?: boolean;
  advice?: boolean;
  signAssertion?: SignChoice | null;
  signResponse?: SignChoice | null;
  signArtifactResponse?: SignChoice | null;
  /** Change the assertion DOM before it is signed. */
  mutateAssertion?: (assertion: Element, doc: Document) => void;
  /** Change the ArtifactResponse DOM (assertion already signed) before it is signed. */
  mutateArtifactResponse?: (artifactResponse: Element, doc: Document) => void;
  /** Change the final SOAP XML. */
  afterSign?: (xml: string) => string;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
export const newId = (): string => `_${randomBytes(16).toString('hex')}`;

export function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml');
}
export function serialize(node: Node): string {
  return new XMLSerializer().serializeToString(node);
}

/** Encrypt a NameID into an EncryptedID for the given recipients. */
export function encryptNameId(nameIdXml: string, recipients: Recipient[], choice: EncryptionChoice): string {
  const content = choice.content;
  const spec: Record<string, { cipher: string; key: number; iv: number; gcm?: boolean }> = {
    [ENC.aes128cbc]: { cipher: 'aes-128-cbc', key: 16, iv: 16 },
    [ENC.aes256cbc]: { cipher: 'aes-256-cbc', key: 32, iv: 16 },
    [ENC.aes128gcm]: { cipher: 'aes-128-gcm', key: 16, iv: 12, gcm: true },
    [ENC.aes256gcm]: { cipher: 'aes-256-gcm', key: 32, iv: 12, gcm: true },
    [ENC.tripleDes]: { cipher: 'des-ede3-cbc', key: 24, iv: 8 },
  };
  const s = spec[content]!;
  const key = randomBytes(s.key);
  const iv = randomBytes(s.iv);
  const cipher = createCipheriv(s.cipher, key, iv);
  const body = Buffer.concat([cipher.update(nameIdXml, 'utf8'), cipher.final()]);
  const tag = s.gcm ? (cipher as unknown as { getAuthTag(): Buffer }).getAuthTag() : Buffer.alloc(0);
  const cipherValue = Buffer.concat([iv, body, tag]).toString('base64');
  const dataId = newId();
  const keys = recipients.map((r) => {
    const keyId = newId();
    let wrapped: Buffer;
    let params = '';
    if (choice.keyTransport === ENC.rsa15) {
      wrapped = publicEncrypt({ key: r.cert.certPem, padding: constants.RSA_PKCS1_PADDING }, key);
    } else if (choice.keyTransport === ENC.rsaOaep11) {
      wrapped = publicEncrypt({ key: r.cert.certPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, key);
      params = `<ds:DigestMethod Algorithm="${SIG.sha256}"/><xenc11:MGF xmlns:xenc11="${NS.xenc11}" Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/>`;
    } else {
      const sha256 = choice.oaepDigest === SIG.sha256;
      wrapped = publicEncrypt({ key: r.cert.certPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: sha256 ? 'sha256' : 'sha1' }, key);
      params = `<ds:DigestMethod Algorithm="${choice.oaepDigest ?? SIG.sha1}"/>`;
    }
    const keyName = r.keyName === undefined ? r.cert.sha256 : r.keyName;
    return {
      id: keyId,
      xml:
        `<xenc:EncryptedKey xmlns:xenc="${NS.xenc}" xmlns:ds="${NS.ds}" Id="${keyId}" Recipient="${r.entityId}">` +
        `<xenc:EncryptionMethod Algorithm="${choice.keyTransport}">${params}</xenc:EncryptionMethod>` +
        (keyName ? `<ds:KeyInfo><ds:KeyName>${keyName}</ds:KeyName></ds:KeyInfo>` : '') +
        `<xenc:CipherData><xenc:CipherValue>${wrapped.toString('base64')}</xenc:CipherValue></xenc:CipherData>` +
        `<xenc:ReferenceList><xenc:DataReference URI="#${dataId}"/></xenc:ReferenceList>` +
        `</xenc:EncryptedKey>`,
    };
  });
  const nested = choice.layout === 'nested';
  const keyInfo = nested
    ? `<ds:KeyInfo xmlns:ds="${NS.ds}">${keys.map((k) => k.xml).join('')}</ds:KeyInfo>`
    : `<ds:KeyInfo xmlns:ds="${NS.ds}"><ds:RetrievalMethod Type="http://www.w3.org/2001/04/xmlenc#EncryptedKey" URI="#${keys[0]!.id}"/></ds:KeyInfo>`;
  return (
    `<saml:EncryptedID xmlns:saml="${NS.saml}">` +
    `<xenc:EncryptedData xmlns:xenc="${NS.xenc}" Id="${dataId}" Type="http://www.w3.org/2001/04/xmlenc#Element">` +
    `<xenc:EncryptionMethod Algorithm="${content}"/>` +
    keyInfo +
    `<xenc:CipherData><xenc:CipherValue>${cipherValue}</xenc:CipherValue></xenc:CipherData>` +
    `</xenc:EncryptedData>` +
    (nested ? '' : keys.map((k) => k.xml).join('')) +
    `</saml:EncryptedID>`
  );
}

export function nameIdXml(qualifier: string, value: string, format = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'): string {
  return `<saml:NameID xmlns:saml="${NS.saml}" Format="${format}" NameQualifier="${qualifier}">${value}</saml:NameID>`;
}

/** Sign the element with this ID in `xml` (signature placed after its Issuer, or first). */
export function signElement(xml: string, id: string, choice: SignChoice, placement: 'after-issuer' | 'first' = 'after-issuer'): string {
  const keyInfo = choice.keyInfo ?? 'keyname';
  const sig = new SignedXml({
    privateKey: choice.key.keyPem,
    publicCert: choice.key.certPem,
    signatureAlgorithm: choice.signatureAlgorithm ?? SIG.rsaSha256,
    canonicalizationAlgorithm: SIG.excC14n,
    getKeyInfoContent: ({ prefix } = {}) => {
      const p = prefix ? `${prefix}:` : '';
      if (keyInfo === 'none') return null;
      if (keyInfo === 'x509') {
        const body = choice.key.certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
        return `<${p}X509Data><${p}X509Certificate>${body}</${p}X509Certificate></${p}X509Data>`;
      }
      return `<${p}KeyName>${choice.key.sha256}</${p}KeyName>`;
    },
  });
  sig.addReference({
    xpath: `//*[@ID='${id}']`,
    transforms: [SIG.enveloped, SIG.excC14n],
    digestAlgorithm: choice.digestAlgorithm ?? SIG.sha256,
    ...(choice.inclusivePrefixes ? { inclusiveNamespacesPrefixList: choice.inclusivePrefixes } : {}),
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location:
      placement === 'first'
        ? { reference: `//*[@ID='${id}']`, action: 'prepend' }
        : { reference: `//*[@ID='${id}']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

function attribute(name: string, values: string[]): string {
  return (
    `<saml:Attribute Name="${name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">` +
    values.map((v) => `<saml:AttributeValue>${v}</saml:AttributeValue>`).join('') +
    `</saml:Attribute>`
  );
}

function stringValue(v: string): string {
  return v;
}

export interface Golden {
  xml: string;
  assertionId: string;
  responseId: string;
  artifactResponseId: string;
}

/** Build the whole SOAP answer to an ArtifactResolve. */
export function buildGolden(o: GoldenOptions): Golden {
  const assertionId = o.assertionId ?? newId();
  const responseId = o.responseId ?? newId();
  const artifactResponseId = o.artifactResponseId ?? newId();
  const now = o.now;
  const status = o.status ?? { top: STATUS.success };
  const withAssertion = o.withAssertion ?? status.top === STATUS.success;
  const enc: EncryptionChoice = o.encryption ?? { content: ENC.aes256cbc, keyTransport: ENC.rsaOaepMgf1p };
  const level = o.level === undefined ? 'urn:etoegang:core:assurance-class:loa3' : o.level;
  const legal = o.legalSubjects ?? [{ qualifier: 'urn:etoegang:1.9:EntityConcernedID:KvKnr', value: '12345678' }];

  let assertionXml = '';
  if (withAssertion) {
    const acting = encryptNameId(
      nameIdXml(o.pseudonymQualifier ?? 'urn:etoegang:1.9:EntityConcernedID:Pseudo', o.pseudonym ?? PSEUDONYM),
      o.recipients,
      enc,
    );
    const legalValues = legal.map((l) => encryptNameId(nameIdXml(l.qualifier, l.value), o.recipients, enc));
    const innerId = newId();
    const advice =
      o.advice === false
        ? ''
        : `<saml:Advice><saml:Assertion ID="${innerId}" Version="2.0" IssueInstant="${iso(now - 5000)}">` +
          `<saml:Issuer>urn:etoegang:AD:00000009999999990000:entities:9001</saml:Issuer>` +
          `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">inner</saml:NameID></saml:Subject>` +
          `<saml:AuthnStatement AuthnInstant="${iso(now - 5000)}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:etoegang:core:assurance-class:loa2</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
          `<saml:AttributeStatement>${attribute('urn:etoegang:core:ServiceID', ['urn:etoegang:DV:00000009999999990000:services:7'])}</saml:AttributeStatement>` +
          `</saml:Assertion></saml:Advice>`;
    assertionXml =
      `<saml:Assertion xmlns:saml="${NS.saml}" xmlns:xs="${NS.xs}" xmlns:xsi="${NS.xsi}" ID="${assertionId}" Version="2.0" IssueInstant="${iso(now)}">` +
      `<saml:Issuer>${o.brokerEntityId}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient" NameQualifier="urn:etoegang:AD:00000009999999990000:entities:9001">${randomBytes(16).toString('hex')}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
      `<saml:SubjectConfirmationData InResponseTo="${o.requestId}" NotOnOrAfter="${iso(now + 240_000)}" Recipient="${o.acsUrl}"/>` +
      `</saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${iso(now - 60_000)}" NotOnOrAfter="${iso(now + 240_000)}">` +
      `<saml:AudienceRestriction><saml:Audience>${o.spEntityId}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      advice +
      `<saml:AuthnStatement AuthnInstant="${iso(now - 2000)}" SessionNotOnOrAfter="${iso(now + 2 * 3600_000)}">` +
      `<saml:AuthnContext>` +
      (level === null ? '' : `<saml:AuthnContextClassRef>${level}</saml:AuthnContextClassRef>`) +
      `<saml:AuthenticatingAuthority>urn:etoegang:AD:00000009999999990000:entities:9001</saml:AuthenticatingAuthority>` +
      `</saml:AuthnContext></saml:AuthnStatement>` +
      `<saml:AttributeStatement>` +
      attribute('urn:etoegang:core:ServiceID', [stringValue(o.serviceId)]) +
      attribute('urn:etoegang:core:ServiceUUID', [stringValue(o.serviceUuid)]) +
      attribute('urn:etoegang:core:ActingSubjectID', [acting]) +
      attribute('urn:etoegang:core:LegalSubjectID', legalValues) +
      (o.vestigingsnr ? attribute('urn:etoegang:1.9:ServiceRestriction:Vestigingsnr', [o.vestigingsnr]) : '') +
      `</saml:AttributeStatement>` +
      `</saml:Assertion>`;
    if (o.mutateAssertion) {
      const doc = parse(assertionXml);
      o.mutateAssertion(doc.documentElement, doc);
      assertionXml = serialize(doc);
    }
    const signA = o.signAssertion === undefined ? null : o.signAssertion;
    if (signA) assertionXml = signElement(assertionXml, assertionId, signA);
  }

  let responseXml =
    `<samlp:Response xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${responseId}" Version="2.0" IssueInstant="${iso(now)}"` +
    ` Destination="${o.acsUrl}" InResponseTo="${o.requestId}">` +
    `<saml:Issuer>${o.brokerEntityId}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${status.top}">` +
    (status.second ? `<samlp:StatusCode Value="${status.second}"/>` : '') +
    `</samlp:StatusCode></samlp:Status>` +
    assertionXml +
    `</samlp:Response>`;
  if (o.signResponse) responseXml = signElement(responseXml, responseId, o.signResponse);

  let arXml =
    `<samlp:ArtifactResponse xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${artifactResponseId}" Version="2.0"` +
    ` IssueInstant="${iso(now)}" InResponseTo="${o.resolveId}">` +
    `<saml:Issuer>${o.brokerEntityId}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${STATUS.success}"/></samlp:Status>` +
    responseXml +
    `</samlp:ArtifactResponse>`;
  if (o.mutateArtifactResponse) {
    const doc = parse(arXml);
    o.mutateArtifactResponse(doc.documentElement, doc);
    arXml = serialize(doc);
  }
  const signAr = o.signArtifactResponse === undefined ? null : o.signArtifactResponse;
  if (signAr) arXml = signElement(arXml, artifactResponseId, signAr);
  let xml = `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${NS.soap}"><soap:Body>${arXml}</soap:Body></soap:Envelope>`;
  if (o.afterSign) xml = o.afterSign(xml);
  return { xml, assertionId, responseId, artifactResponseId };
}
