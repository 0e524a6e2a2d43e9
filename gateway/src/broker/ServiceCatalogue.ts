// Rule 10: the dienstcatalogus entry for Mijn DUO (eherkenning.md §6.2), namespace
// urn:etoegang:1.13:service-catalog, in the element order of the catalogue XSD. One
// ServiceDefinition (the machtiging target, with the level) and one ServiceInstance (our
// ServiceID, instance UUID and the encryption certificate), signed by us.
import { randomBytes } from 'node:crypto';
import { ENTITY_CONCERNED, NS } from './constants.ts';
import { escapeXml, formatInstant } from './Dom.ts';
import { signXml, type SigningKey } from './XmlSigner.ts';

export interface ServiceCatalogueInput {
  oin: string;
  serviceId: string;
  serviceUuid: string;
  serviceInstanceUuid: string;
  level: string;
  serviceName: { nl: string; en: string };
  serviceDescription: { nl: string; en: string };
  organisationName: { nl: string; en: string };
  serviceUrl: string;
  /** OINs of the brokers: the first is HerkenningsmakelaarId, the rest Additional…. */
  brokerOins: string[];
  /** 'T' (test) or 'P' (production) and a sequence number, for esc:Version. */
  environment: 'T' | 'P';
  sequence: number;
  now: number;
}

/** urn:etoegang:HM:<OIN>:entities:<n> → <OIN>. */
export function oinOfEntityId(entityId: string): string | null {
  return /^urn:etoegang:(?:HM|DV|AD|MR):(\d{20}):/.exec(entityId)?.[1] ?? null;
}

function certBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

function localized(tag: string, v: { nl: string; en: string }): string {
  return `<esc:${tag} xml:lang="nl">${escapeXml(v.nl)}</esc:${tag}><esc:${tag} xml:lang="en">${escapeXml(v.en)}</esc:${tag}>`;
}

export function buildServiceCatalogue(i: ServiceCatalogueInput, key: SigningKey): string {
  const [first, ...others] = i.brokerOins;
  if (!first) throw new Error('a dienstcatalogus needs the OIN of at least one broker');
  const id = `_${randomBytes(20).toString('hex')}`;
  const xml =
    `<esc:ServiceCatalogue xmlns:esc="${NS.esc}" xmlns:ds="${NS.ds}" xmlns:saml="${NS.saml}" xmlns:md="${NS.md}"` +
    ` ID="${id}" esc:IssueInstant="${formatInstant(i.now)}" esc:Version="urn:etoegang:1.13:service-catalogue:${i.environment}:${i.sequence}">` +
    `<esc:ServiceProvider esc:IsPublic="true">` +
    `<esc:ServiceProviderID>${i.oin}</esc:ServiceProviderID>` +
    localized('OrganizationDisplayName', i.organisationName) +
    `<esc:ServiceDefinition esc:IsPublic="true">` +
    `<esc:ServiceUUID>${escapeXml(i.serviceUuid)}</esc:ServiceUUID>` +
    localized('ServiceName', i.serviceName) +
    localized('ServiceDescription', i.serviceDescription) +
    `<saml:AuthnContextClassRef>${escapeXml(i.level)}</saml:AuthnContextClassRef>` +
    `<esc:HerkenningsmakelaarId>${first}</esc:HerkenningsmakelaarId>` +
    `<esc:EntityConcernedTypesAllowed setNumber="1">${ENTITY_CONCERNED.rsin}</esc:EntityConcernedTypesAllowed>` +
    `<esc:EntityConcernedTypesAllowed setNumber="1">${ENTITY_CONCERNED.kvk}</esc:EntityConcernedTypesAllowed>` +
    `<esc:EntityConcernedTypesAllowed setNumber="2">${ENTITY_CONCERNED.kvk}</esc:EntityConcernedTypesAllowed>` +
    `<esc:ServiceRestrictionsAllowed>urn:etoegang:1.9:ServiceRestriction:Vestigingsnr</esc:ServiceRestrictionsAllowed>` +
    `</esc:ServiceDefinition>` +
    `<esc:ServiceInstance esc:IsPublic="true">` +
    `<esc:ServiceID>${escapeXml(i.serviceId)}</esc:ServiceID>` +
    `<esc:ServiceUUID>${escapeXml(i.serviceInstanceUuid)}</esc:ServiceUUID>` +
    `<esc:InstanceOfService>${escapeXml(i.serviceUuid)}</esc:InstanceOfService>` +
    `<esc:ServiceURL xml:lang="nl">${escapeXml(i.serviceUrl)}</esc:ServiceURL>` +
    `<esc:ServiceURL xml:lang="en">${escapeXml(i.serviceUrl)}</esc:ServiceURL>` +
    `<esc:HerkenningsmakelaarId>${first}</esc:HerkenningsmakelaarId>` +
    others.map((o) => `<esc:AdditionalHerkenningsmakelaarId>${o}</esc:AdditionalHerkenningsmakelaarId>`).join('') +
    `<esc:SSOSupport>false</esc:SSOSupport>` +
    `<esc:ServiceCertificate><md:KeyDescriptor use="encryption"><ds:KeyInfo>` +
    `<ds:KeyName>${key.keyName}</ds:KeyName>` +
    `<ds:X509Data><ds:X509Certificate>${certBody(key.certPem)}</ds:X509Certificate></ds:X509Data>` +
    `</ds:KeyInfo></md:KeyDescriptor></esc:ServiceCertificate>` +
    `</esc:ServiceInstance>` +
    `</esc:ServiceProvider>` +
    `</esc:ServiceCatalogue>`;
  return `<?xml version="1.0" encoding="UTF-8"?>${signXml(xml, key, { placement: 'first-child', keyInfo: 'x509' })}`;
}
