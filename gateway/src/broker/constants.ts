// Namespaces, binding and algorithm URIs, status codes and attribute names of the eHerkenning
// DV-HM interface. One place, so a typo cannot hide in a comparison somewhere.

export const NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  xenc11: 'http://www.w3.org/2009/xmlenc11#',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  esc: 'urn:etoegang:1.13:service-catalog',
  xml: 'http://www.w3.org/XML/1998/namespace',
} as const;

export const BINDING = {
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  artifact: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact',
  soap: 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP',
} as const;

export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  versionMismatch: 'urn:oasis:names:tc:SAML:2.0:status:VersionMismatch',
  authnFailed: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
  requestUnsupported: 'urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported',
  requestDenied: 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied',
} as const;

export const NAMEID_FORMAT = {
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  entity: 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity',
} as const;

export const CM_BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
export const PROTOCOL_SAML2 = 'urn:oasis:names:tc:SAML:2.0:protocol';

/** XML Signature algorithms. Only the ALLOWED_* sets are ever accepted on input. */
export const ALG = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
} as const;

export const ALLOWED_SIGNATURE_ALGORITHMS: ReadonlySet<string> = new Set([ALG.rsaSha256, ALG.rsaSha512]);
export const ALLOWED_DIGEST_ALGORITHMS: ReadonlySet<string> = new Set([ALG.sha256, ALG.sha512]);

/** XML Encryption algorithms. */
export const ENC = {
  aes128cbc: 'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  aes256cbc: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  aes128gcm: 'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  aes256gcm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  tripleDes: 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc',
  rsaOaepMgf1p: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
  rsaOaep11: 'http://www.w3.org/2009/xmlenc11#rsa-oaep',
  rsa15: 'http://www.w3.org/2001/04/xmlenc#rsa-1_5',
  typeElement: 'http://www.w3.org/2001/04/xmlenc#Element',
  typeEncryptedKey: 'http://www.w3.org/2001/04/xmlenc#EncryptedKey',
} as const;

export const ALLOWED_CONTENT_ENCRYPTION: ReadonlySet<string> = new Set([
  ENC.aes128cbc,
  ENC.aes256cbc,
  ENC.aes128gcm,
  ENC.aes256gcm,
]);
export const ALLOWED_KEY_TRANSPORT: ReadonlySet<string> = new Set([ENC.rsaOaepMgf1p, ENC.rsaOaep11]);
/** OAEP message digests (DigestMethod inside the key transport EncryptionMethod). */
export const ALLOWED_OAEP_DIGESTS: ReadonlySet<string> = new Set([
  'http://www.w3.org/2000/09/xmldsig#sha1',
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);
/** MGF1 digests for xmlenc11#rsa-oaep. */
export const ALLOWED_MGF: ReadonlySet<string> = new Set([
  'http://www.w3.org/2009/xmlenc11#mgf1sha1',
  'http://www.w3.org/2009/xmlenc11#mgf1sha256',
  'http://www.w3.org/2009/xmlenc11#mgf1sha512',
]);

export const LOA = {
  loa1: 'urn:etoegang:core:assurance-class:loa1',
  loa2: 'urn:etoegang:core:assurance-class:loa2',
  loa2plus: 'urn:etoegang:core:assurance-class:loa2plus',
  loa3: 'urn:etoegang:core:assurance-class:loa3',
  loa4: 'urn:etoegang:core:assurance-class:loa4',
} as const;

/** Order of the levels; only loa3 and loa4 are ever accepted. */
export const LOA_RANK: ReadonlyMap<string, number> = new Map([
  [LOA.loa1, 1],
  [LOA.loa2, 2],
  [LOA.loa2plus, 3],
  [LOA.loa3, 4],
  [LOA.loa4, 5],
]);

export const ATTR = {
  serviceId: 'urn:etoegang:core:ServiceID',
  serviceUuid: 'urn:etoegang:core:ServiceUUID',
  actingSubjectId: 'urn:etoegang:core:ActingSubjectID',
  legalSubjectId: 'urn:etoegang:core:LegalSubjectID',
  vestigingsnr: 'urn:etoegang:1.9:ServiceRestriction:Vestigingsnr',
} as const;

export const ENTITY_CONCERNED = {
  kvk: 'urn:etoegang:1.9:EntityConcernedID:KvKnr',
  rsin: 'urn:etoegang:1.9:EntityConcernedID:RSIN',
} as const;
