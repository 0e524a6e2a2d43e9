// The broker's own signed metadata, modelled on a real eHerkenning broker's (iWelcome
// staging, eherkenning.md §7): EntitiesDescriptor → EntityDescriptor with the 1.13 version
// attribute, an IDPSSODescriptor that wants signed requests, KeyName + certificate, the
// SOAP ArtifactResolutionService and SingleSignOnService for POST and Redirect.
import { certBase64, type SigningKey } from './keys.ts';
import { signRoot } from './signature.ts';
import { BINDING, NS, esc, instant, newId } from './xml.ts';

export const NAME_ID_FORMATS = [
  'urn:etoegang:1.9:EntityConcernedID:KvKnr',
  'urn:etoegang:1.9:EntityConcernedID:Pseudo',
  'urn:etoegang:1.9:EntityConcernedID:RSIN',
  'urn:etoegang:1.11:EntityConcernedID:eIDASLegalIdentifier',
  'urn:etoegang:1.12:EntityConcernedID:BSN',
  'urn:etoegang:1.12:EntityConcernedID:PseudoID',
];

export interface IdpMetadataInput {
  entityId: string;
  ssoUrl: string;
  arsUrl: string;
  arsIndex: number;
  publicUrl: string;
  signing: SigningKey;
  now: number;
  /** e.g. PT1H (iWelcome publishes P7D). */
  cacheDuration: string;
  validDays: number;
}

export function buildIdpMetadata(m: IdpMetadataInput): string {
  if (!m.signing.certPem) throw new Error('the metadata signing key needs a certificate');
  const cert = certBase64(m.signing.certPem);
  const xml =
    `<md:EntitiesDescriptor xmlns:md="${NS.md}" xmlns:ds="${NS.ds}" xmlns:saml="${NS.saml}" xmlns:mdattr="${NS.mdattr}" ` +
    `ID="${newId()}" Name="urn:etoegang:1.13:T:idp-mock" cacheDuration="${esc(m.cacheDuration)}" ` +
    `validUntil="${instant(m.now + m.validDays * 86_400_000)}">` +
    `<md:EntityDescriptor xmlns:etm="${NS.etoegangMd}" etm:version="1.13" entityID="${esc(m.entityId)}">` +
    `<md:Extensions><mdattr:EntityAttributes>` +
    `<saml:Attribute Name="urn:oasis:names:tc:SAML:attribute:assurance-certification" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">` +
    `<saml:AttributeValue>urn:etoegang:core:assurance-class:loa4</saml:AttributeValue></saml:Attribute>` +
    `</mdattr:EntityAttributes></md:Extensions>` +
    `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">` +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:KeyName>${m.signing.keyName}</ds:KeyName>` +
    `<ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:ArtifactResolutionService Binding="${BINDING.soap}" Location="${esc(m.arsUrl)}" index="${m.arsIndex}" isDefault="true"/>` +
    NAME_ID_FORMATS.map((f) => `<md:NameIDFormat>${f}</md:NameIDFormat>`).join('') +
    `<md:SingleSignOnService Binding="${BINDING.post}" Location="${esc(m.ssoUrl)}"/>` +
    `<md:SingleSignOnService Binding="${BINDING.redirect}" Location="${esc(m.ssoUrl)}"/>` +
    `</md:IDPSSODescriptor>` +
    `<md:Organization><md:OrganizationName xml:lang="nl">idp-mock</md:OrganizationName>` +
    `<md:OrganizationDisplayName xml:lang="nl">Testmakelaar eHerkenning (mock)</md:OrganizationDisplayName>` +
    `<md:OrganizationURL xml:lang="nl">${esc(m.publicUrl)}/</md:OrganizationURL></md:Organization>` +
    `<md:ContactPerson contactType="administrative"><md:Company>idp-mock</md:Company>` +
    `<md:EmailAddress>mailto:idp-mock@example.invalid</md:EmailAddress></md:ContactPerson>` +
    `</md:EntityDescriptor></md:EntitiesDescriptor>`;
  return signRoot(xml, { key: m.signing, placement: 'first-child' });
}
