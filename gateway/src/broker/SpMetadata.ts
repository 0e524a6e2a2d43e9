// Rule 10: our SP metadata as eHerkenning brokers want it (eherkenning.md §7): a signed
// EntityDescriptor with the URN entityID, AuthnRequestsSigned/WantAssertionsSigned, ONE
// KeyDescriptor without `use` (KeyName + certificate: the same key signs and decrypts), an
// HTTP-Artifact ACS with isDefault, an AttributeConsumingService whose RequestedAttribute is the
// ServiceID, no NameIDFormat, no identifying attributes, Organization and two ContactPersons.
import { randomBytes } from 'node:crypto';
import { BINDING, NS, PROTOCOL_SAML2 } from './constants.ts';
import { escapeXml } from './Dom.ts';
import { signXml, type SigningKey } from './XmlSigner.ts';

export interface SpMetadataInput {
  entityId: string;
  acsUrl: string;
  assertionConsumerServiceIndex: number;
  attributeConsumingServiceIndex: number;
  serviceId: string;
  serviceName: { nl: string; en: string };
  organisationName: { nl: string; en: string };
  organisationUrl: string;
  contact: { name: string; email: string; phone: string };
  /** Logius puts version="1.13" on the EntityDescriptor; not in the OASIS schema, so off by default. */
  includeVersionAttribute?: boolean;
}

function certBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

function contact(type: 'technical' | 'administrative', i: SpMetadataInput): string {
  const mail = i.contact.email.startsWith('mailto:') ? i.contact.email : `mailto:${i.contact.email}`;
  return (
    `<md:ContactPerson contactType="${type}">` +
    `<md:Company>${escapeXml(i.organisationName.nl)}</md:Company>` +
    `<md:GivenName>${escapeXml(i.contact.name)}</md:GivenName>` +
    `<md:EmailAddress>${escapeXml(mail)}</md:EmailAddress>` +
    `<md:TelephoneNumber>${escapeXml(i.contact.phone)}</md:TelephoneNumber>` +
    `</md:ContactPerson>`
  );
}

export function buildSpMetadata(i: SpMetadataInput, key: SigningKey): string {
  const id = `_${randomBytes(20).toString('hex')}`;
  const xml =
    `<md:EntityDescriptor xmlns:md="${NS.md}" xmlns:ds="${NS.ds}" ID="${id}" entityID="${escapeXml(i.entityId)}"` +
    `${i.includeVersionAttribute ? ' version="1.13"' : ''}>` +
    `<md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="${PROTOCOL_SAML2}">` +
    `<md:KeyDescriptor><ds:KeyInfo><ds:KeyName>${key.keyName}</ds:KeyName>` +
    `<ds:X509Data><ds:X509Certificate>${certBody(key.certPem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:AssertionConsumerService Binding="${BINDING.artifact}" Location="${escapeXml(i.acsUrl)}"` +
    ` index="${i.assertionConsumerServiceIndex}" isDefault="true"/>` +
    `<md:AttributeConsumingService index="${i.attributeConsumingServiceIndex}" isDefault="true">` +
    `<md:ServiceName xml:lang="nl">${escapeXml(i.serviceName.nl)}</md:ServiceName>` +
    `<md:ServiceName xml:lang="en">${escapeXml(i.serviceName.en)}</md:ServiceName>` +
    `<md:RequestedAttribute Name="${escapeXml(i.serviceId)}" isRequired="true"/>` +
    `</md:AttributeConsumingService>` +
    `</md:SPSSODescriptor>` +
    `<md:Organization>` +
    `<md:OrganizationName xml:lang="nl">${escapeXml(i.organisationName.nl)}</md:OrganizationName>` +
    `<md:OrganizationName xml:lang="en">${escapeXml(i.organisationName.en)}</md:OrganizationName>` +
    `<md:OrganizationDisplayName xml:lang="nl">${escapeXml(i.organisationName.nl)}</md:OrganizationDisplayName>` +
    `<md:OrganizationDisplayName xml:lang="en">${escapeXml(i.organisationName.en)}</md:OrganizationDisplayName>` +
    `<md:OrganizationURL xml:lang="nl">${escapeXml(i.organisationUrl)}</md:OrganizationURL>` +
    `<md:OrganizationURL xml:lang="en">${escapeXml(i.organisationUrl)}</md:OrganizationURL>` +
    `</md:Organization>` +
    contact('technical', i) +
    contact('administrative', i) +
    `</md:EntityDescriptor>`;
  return `<?xml version="1.0" encoding="UTF-8"?>${signXml(xml, key, { placement: 'first-child', keyInfo: 'x509' })}`;
}
