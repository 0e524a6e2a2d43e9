// Signed broker metadata for the tests, shaped like the iWelcome staging broker's
// (EntitiesDescriptor, KeyDescriptor use="signing" with KeyName + X509, SOAP ARS, SSO POST and
// Redirect), signed with the broker's metadata key.
import { newId, signElement } from './golden.ts';
import type { Identity } from './pki.ts';

export interface BrokerMetadataOptions {
  entityId: string;
  signingCerts: Identity[];
  metadataSigner: Identity;
  arsUrl: string;
  ssoPost?: string | null;
  ssoRedirect?: string | null;
  validUntil?: string;
  /** Sign it (default) or leave it unsigned. */
  signed?: boolean;
}

export function buildBrokerMetadata(o: BrokerMetadataOptions): string {
  const id = newId();
  const certs = o.signingCerts
    .map(
      (c) =>
        `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:KeyName>${c.sha256}</ds:KeyName><ds:X509Data><ds:X509Certificate>` +
        `${c.certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
    )
    .join('');
  const sso = (binding: string, url: string | null | undefined): string =>
    url ? `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${url}"/>` : '';
  const xml =
    `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"` +
    ` ID="${id}" Name="urn:etoegang:1.13:T:1" cacheDuration="P7D"${o.validUntil ? ` validUntil="${o.validUntil}"` : ''}>` +
    `<md:EntityDescriptor entityID="${o.entityId}">` +
    `<md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
    certs +
    `<md:ArtifactResolutionService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="${o.arsUrl}" index="0" isDefault="true"/>` +
    sso('HTTP-POST', o.ssoPost === undefined ? 'https://broker.test/broker/sso/1.13' : o.ssoPost) +
    sso('HTTP-Redirect', o.ssoRedirect === undefined ? 'https://broker.test/broker/sso/1.13/redirect' : o.ssoRedirect) +
    `</md:IDPSSODescriptor></md:EntityDescriptor></md:EntitiesDescriptor>`;
  return o.signed === false ? xml : signElement(xml, id, { key: o.metadataSigner, keyInfo: 'x509' }, 'first');
}
