// Rule 10: the SP metadata and the dienstcatalogus the gateway serves validate against our own
// profile schemas (test/support/saml/schemas, written from eherkenning.md §6–7), with xmllint
// in WebAssembly; and the schemas bite: each negative case breaks one profile rule and must be
// reported for that rule, not for something else.
import assert from 'node:assert/strict';
import request from 'supertest';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { buildServiceCatalogue, type ServiceCatalogueInput } from '../../gateway/src/broker/ServiceCatalogue.ts';
import { buildSpMetadata, type SpMetadataInput } from '../../gateway/src/broker/SpMetadata.ts';
import type { SigningKey } from '../../gateway/src/broker/XmlSigner.ts';
import { Harness, SERVICE_ID, SERVICE_UUID, SP_ENTITY } from '../support/saml/harness.ts';
import { schemaErrors, type ProfileSchema } from '../support/saml/schemas/validate.ts';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const ESC = 'urn:etoegang:1.13:service-catalog';

/** Change a document through the DOM (robust against attribute order and prefixes). */
function mutate(xml: string, change: (doc: Document) => void): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  change(doc);
  return new XMLSerializer().serializeToString(doc);
}

function first(doc: Document, ns: string, local: string): Element {
  const el = doc.getElementsByTagNameNS(ns, local)[0];
  if (!el) throw new Error(`no ${local}`);
  return el;
}

async function assertInvalid(xml: string, schema: ProfileSchema, because: RegExp): Promise<void> {
  const errors = await schemaErrors(xml, schema);
  assert.notDeepEqual(errors, [], 'expected the document to be invalid');
  assert.ok(
    errors.some((e) => because.test(e)),
    `expected an error matching ${because}, got:\n${errors.join('\n')}`,
  );
}

describe('broker face: SP metadata and dienstcatalogus against our profile schemas', function () {
  let h: Harness;
  let metadata: string;
  let catalogue: string;
  let signer: SigningKey;
  let mdInput: SpMetadataInput;
  let catInput: ServiceCatalogueInput;

  before(async () => {
    h = await Harness.create();
    // What a broker downloads, over HTTP, exactly as served.
    const m = await request(h.app).get('/saml/metadata');
    assert.equal(m.status, 200);
    metadata = m.text;
    const c = await request(h.app).get('/saml/dienstcatalogus');
    assert.equal(c.status, 200);
    catalogue = c.text;
    signer = { key: h.pki.spActive.keyPem, certPem: h.pki.spActive.certPem, keyName: h.pki.spActive.sha256 };
    const svc = h.config.service;
    mdInput = {
      entityId: SP_ENTITY,
      acsUrl: h.acsUrl,
      assertionConsumerServiceIndex: 0,
      attributeConsumingServiceIndex: 1,
      serviceId: SERVICE_ID,
      serviceName: svc.name,
      organisationName: svc.organisationName,
      organisationUrl: h.publicUrl,
      contact: svc.contact,
    };
    catInput = {
      oin: svc.oin,
      serviceId: SERVICE_ID,
      serviceUuid: SERVICE_UUID,
      serviceInstanceUuid: svc.serviceInstanceUuid,
      level: svc.minimumLevel,
      serviceName: svc.name,
      serviceDescription: svc.description,
      organisationName: svc.organisationName,
      serviceUrl: h.publicUrl,
      brokerOins: ['00000003999999990000'],
      environment: 'T',
      sequence: 1,
      now: h.clock.now(),
    };
  });
  after(async () => h?.close());

  describe('what the gateway serves is valid', () => {
    it('the SP metadata (GET /saml/metadata) is valid DV metadata', async () => {
      assert.deepEqual(await schemaErrors(metadata, 'dv-metadata.xsd'), []);
    });

    it('the SP metadata with Logius\' version="1.13" is valid too', async () => {
      const xml = buildSpMetadata({ ...mdInput, includeVersionAttribute: true }, signer);
      assert.deepEqual(await schemaErrors(xml, 'dv-metadata.xsd'), []);
    });

    it('the dienstcatalogus (GET /saml/dienstcatalogus) is a valid service catalogue', async () => {
      assert.deepEqual(await schemaErrors(catalogue, 'service-catalogue.xsd'), []);
    });

    it('a catalogue for two brokers (AdditionalHerkenningsmakelaarId) and names of exactly 64 characters is valid', async () => {
      const name = { nl: 'N'.repeat(64), en: 'E'.repeat(64) };
      const xml = buildServiceCatalogue({ ...catInput, serviceName: name, organisationName: name, brokerOins: ['00000003999999990000', '00000003888888880000'] }, signer);
      assert.deepEqual(await schemaErrors(xml, 'service-catalogue.xsd'), []);
    });
  });

  describe('the DV metadata schema bites', () => {
    it('refuses a NameIDFormat ("elements not listed MUST NOT be included")', async () => {
      const xml = mutate(metadata, (doc) => {
        const nif = doc.createElementNS(MD, 'md:NameIDFormat');
        nif.appendChild(doc.createTextNode('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'));
        const sp = first(doc, MD, 'SPSSODescriptor');
        sp.insertBefore(nif, first(doc, MD, 'AssertionConsumerService'));
      });
      await assertInvalid(xml, 'dv-metadata.xsd', /NameIDFormat.*not expected/);
    });

    it('refuses two KeyDescriptors (one certificate only)', async () => {
      const xml = mutate(metadata, (doc) => {
        const kd = first(doc, MD, 'KeyDescriptor');
        kd.parentNode!.insertBefore(kd.cloneNode(true), kd.nextSibling);
      });
      await assertInvalid(xml, 'dv-metadata.xsd', /KeyDescriptor.*not expected/);
    });

    it('refuses a KeyDescriptor with use="signing" (KPN asked to drop `use`)', async () => {
      const xml = mutate(metadata, (doc) => first(doc, MD, 'KeyDescriptor').setAttribute('use', 'signing'));
      await assertInvalid(xml, 'dv-metadata.xsd', /KeyDescriptor.*attribute 'use' is not allowed/);
    });

    it('refuses an HTTP-POST AssertionConsumerService (Artifact binding only)', async () => {
      const xml = mutate(metadata, (doc) =>
        first(doc, MD, 'AssertionConsumerService').setAttribute('Binding', 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'),
      );
      await assertInvalid(xml, 'dv-metadata.xsd', /AssertionConsumerService.*Binding.*HTTP-POST/);
    });

    it('refuses an ACS without index, and metadata without a default ACS or with two', async () => {
      await assertInvalid(
        mutate(metadata, (doc) => first(doc, MD, 'AssertionConsumerService').removeAttribute('index')),
        'dv-metadata.xsd',
        /AssertionConsumerService.*'index' is required/,
      );
      await assertInvalid(
        mutate(metadata, (doc) => first(doc, MD, 'AssertionConsumerService').removeAttribute('isDefault')),
        'dv-metadata.xsd',
        /aDefaultAcsExists/,
      );
      await assertInvalid(
        mutate(metadata, (doc) => {
          const acs = first(doc, MD, 'AssertionConsumerService');
          const second = acs.cloneNode(true) as Element;
          second.setAttribute('index', '1');
          acs.parentNode!.insertBefore(second, acs.nextSibling);
        }),
        'dv-metadata.xsd',
        /oneDefaultAcs/,
      );
    });

    it('refuses a URL as entityID (Maykin #58: always the URN)', async () => {
      const xml = mutate(metadata, (doc) => doc.documentElement.setAttribute('entityID', 'https://mijn.duo.nl/saml'));
      await assertInvalid(xml, 'dv-metadata.xsd', /entityID/);
    });

    it('refuses unsigned metadata, a signature without SignatureValue, and an RSA-SHA1 signature', async () => {
      await assertInvalid(
        mutate(metadata, (doc) => doc.documentElement.removeChild(first(doc, DS, 'Signature'))),
        'dv-metadata.xsd',
        /SPSSODescriptor.*not expected.*Signature/,
      );
      await assertInvalid(
        mutate(metadata, (doc) => first(doc, DS, 'Signature').removeChild(first(doc, DS, 'SignatureValue'))),
        'dv-metadata.xsd',
        /SignatureValue/,
      );
      await assertInvalid(
        mutate(metadata, (doc) => first(doc, DS, 'SignatureMethod').setAttribute('Algorithm', 'http://www.w3.org/2000/09/xmldsig#rsa-sha1')),
        'dv-metadata.xsd',
        /SignatureMethod.*Algorithm/,
      );
    });

    it('refuses an identifying attribute in the AttributeConsumingService (only the ServiceID)', async () => {
      const xml = mutate(metadata, (doc) => {
        const ra = first(doc, MD, 'RequestedAttribute');
        const kvk = ra.cloneNode(true) as Element;
        kvk.setAttribute('Name', 'urn:etoegang:1.9:EntityConcernedID:KvKnr');
        ra.parentNode!.appendChild(kvk);
      });
      await assertInvalid(xml, 'dv-metadata.xsd', /RequestedAttribute.*not expected/);
      const swapped = mutate(metadata, (doc) => first(doc, MD, 'RequestedAttribute').setAttribute('Name', 'urn:etoegang:1.9:EntityConcernedID:KvKnr'));
      await assertInvalid(swapped, 'dv-metadata.xsd', /RequestedAttribute.*Name/);
    });

    it('refuses a ServiceName in one language only, or twice in the same language', async () => {
      await assertInvalid(
        mutate(metadata, (doc) => {
          const en = doc.getElementsByTagNameNS(MD, 'ServiceName')[1]!;
          en.parentNode!.removeChild(en);
        }),
        'dv-metadata.xsd',
        /RequestedAttribute.*not expected.*ServiceName/,
      );
      await assertInvalid(
        mutate(metadata, (doc) => doc.getElementsByTagNameNS(MD, 'ServiceName')[1]!.setAttribute('xml:lang', 'nl')),
        'dv-metadata.xsd',
        /oneServiceNamePerLanguage/,
      );
    });

    it('refuses metadata without the administrative contact, or with a personal SurName', async () => {
      await assertInvalid(
        mutate(metadata, (doc) => doc.getElementsByTagNameNS(MD, 'ContactPerson')[1]!.setAttribute('contactType', 'technical')),
        'dv-metadata.xsd',
        /oneContactPerType/,
      );
      await assertInvalid(
        mutate(metadata, (doc) => {
          const given = first(doc, MD, 'GivenName');
          const sur = doc.createElementNS(MD, 'md:SurName');
          sur.appendChild(doc.createTextNode('Jansen'));
          given.parentNode!.insertBefore(sur, given.nextSibling);
        }),
        'dv-metadata.xsd',
        /SurName.*not expected/,
      );
    });
  });

  describe('the dienstcatalogus schema bites', () => {
    it('refuses a ServiceName over 64 characters (as our own builder would write it)', async () => {
      const xml = buildServiceCatalogue({ ...catInput, serviceName: { nl: 'N'.repeat(65), en: 'Mijn DUO' } }, signer);
      await assertInvalid(xml, 'service-catalogue.xsd', /ServiceName.*length.*64/);
    });

    it('refuses a ServiceDescription over 1024 and an OrganizationDisplayName over 64 characters', async () => {
      await assertInvalid(
        buildServiceCatalogue({ ...catInput, serviceDescription: { nl: 'x'.repeat(1025), en: 'y' } }, signer),
        'service-catalogue.xsd',
        /ServiceDescription.*length.*1024/,
      );
      await assertInvalid(
        buildServiceCatalogue({ ...catInput, organisationName: { nl: 'o'.repeat(65), en: 'DUO' } }, signer),
        'service-catalogue.xsd',
        /OrganizationDisplayName.*length.*64/,
      );
    });

    it('refuses the ServiceDefinition elements out of the §6.2 order', async () => {
      const xml = mutate(catalogue, (doc) => {
        const def = first(doc, ESC, 'ServiceDefinition');
        def.appendChild(first(doc, ESC, 'ServiceUUID')); // ServiceUUID moved from first to last
      });
      await assertInvalid(xml, 'service-catalogue.xsd', /ServiceName.*not expected.*ServiceUUID/);
    });

    it('refuses an encryption certificate without KeyName, and a KeyDescriptor not marked for encryption', async () => {
      await assertInvalid(
        mutate(catalogue, (doc) => {
          const kn = first(doc, DS, 'KeyName');
          kn.parentNode!.removeChild(kn);
        }),
        'service-catalogue.xsd',
        /keyNamePresent/,
      );
      await assertInvalid(
        mutate(catalogue, (doc) => first(doc, MD, 'KeyDescriptor').setAttribute('use', 'signing')),
        'service-catalogue.xsd',
        /KeyDescriptor.*use/,
      );
    });

    it('refuses a ServiceProviderID that is not an OIN, a malformed ServiceID and a level outside the scheme', async () => {
      await assertInvalid(
        mutate(catalogue, (doc) => (first(doc, ESC, 'ServiceProviderID').textContent = '1234567890')),
        'service-catalogue.xsd',
        /ServiceProviderID/,
      );
      await assertInvalid(
        buildServiceCatalogue({ ...catInput, serviceId: 'urn:etoegang:DV:00000001234567890000:services:0' }, signer),
        'service-catalogue.xsd',
        /ServiceID/,
      );
      await assertInvalid(
        buildServiceCatalogue({ ...catInput, level: 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password' }, signer),
        'service-catalogue.xsd',
        /AuthnContextClassRef/,
      );
    });

    it('refuses an unsigned catalogue and a Version outside urn:etoegang:<v>:service-catalogue:<T|P>:<n>', async () => {
      await assertInvalid(
        mutate(catalogue, (doc) => doc.documentElement.removeChild(first(doc, DS, 'Signature'))),
        'service-catalogue.xsd',
        /ServiceProvider.*not expected.*Signature/,
      );
      await assertInvalid(
        mutate(catalogue, (doc) => doc.documentElement.setAttributeNS(ESC, 'esc:Version', 'urn:etoegang:1.13:53')),
        'service-catalogue.xsd',
        /Version/,
      );
    });
  });
});
