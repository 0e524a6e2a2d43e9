// Inputs for our SP metadata and dienstcatalogus, for tests that sign or read the documents
// themselves (the Harness serves the configured ones).
import type { ServiceCatalogueInput } from '../../../gateway/src/broker/ServiceCatalogue.ts';
import type { SpMetadataInput } from '../../../gateway/src/broker/SpMetadata.ts';
import { ACS, SERVICE_ID, SERVICE_UUID, SP_ENTITY, T0 } from './harness.ts';

export function spMetadataInput(extra: Partial<SpMetadataInput> = {}): SpMetadataInput {
  return {
    entityId: SP_ENTITY,
    acsUrl: ACS,
    assertionConsumerServiceIndex: 0,
    attributeConsumingServiceIndex: 1,
    serviceId: SERVICE_ID,
    serviceName: { nl: 'Mijn DUO zakelijk', en: 'My DUO business' },
    organisationName: { nl: 'DUO', en: 'DUO' },
    organisationUrl: 'https://duo.nl',
    contact: { name: 'Beheer & co', email: 'beheer@duo.example', phone: '+31 50 000 0000' },
    ...extra,
  };
}

export function serviceCatalogueInput(extra: Partial<ServiceCatalogueInput> = {}): ServiceCatalogueInput {
  return {
    oin: '00000001234567890000',
    serviceId: SERVICE_ID,
    serviceUuid: SERVICE_UUID,
    serviceInstanceUuid: '9a3c1f63-8c1e-4b0e-9d77-2b7b3f4a2c02',
    level: 'urn:etoegang:core:assurance-class:loa3',
    serviceName: { nl: 'Mijn DUO zakelijk', en: 'My DUO business' },
    serviceDescription: { nl: 'Gegevens uitwisselen met DUO', en: 'Exchange data with DUO' },
    organisationName: { nl: 'DUO', en: 'DUO' },
    serviceUrl: 'https://duo.nl',
    brokerOins: ['00000003999999990000'],
    environment: 'T',
    sequence: 1,
    now: T0,
    ...extra,
  };
}
