// Rule 10: the SP metadata and the dienstcatalogus validate against their XSDs (OASIS SAML 2.0
// metadata; the Afsprakenstelsel service-catalogue schema), with xmllint in WebAssembly.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { validateXML } from 'xmllint-wasm';
import { Harness } from '../support/saml/harness.ts';

const dir = path.join(import.meta.dirname, '..', 'support', 'saml', 'xsd');
const schemas = readdirSync(dir)
  .filter((f) => f.endsWith('.xsd'))
  .map((f) => ({ fileName: f, contents: readFileSync(path.join(dir, f), 'utf8') }));

async function validate(xml: string, schema: string): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: 'document.xml', contents: xml }],
    schema: schemas.find((s) => s.fileName === schema)!,
    preload: schemas,
  });
  return result.valid ? [] : result.errors.map((e) => e.rawMessage);
}

describe('broker face: XSD validation', function () {
  let h: Harness;
  before(async () => {
    h = await Harness.create();
  });
  after(async () => h?.close());

  it('SP metadata is valid SAML 2.0 metadata', async () => {
    assert.deepEqual(await validate(await h.face.spMetadata(), 'saml-schema-metadata-2.0.xsd'), []);
  });

  it('the dienstcatalogus is valid against the service-catalogue schema', async () => {
    assert.deepEqual(await validate(await h.face.serviceCatalogue(), 'eherkenning-dc.xsd'), []);
  });

  it('the validator really validates (a wrong element order is caught)', async () => {
    const broken = (await h.face.spMetadata()).replace(/(<md:Organization>[\s\S]*<\/md:Organization>)([\s\S]*)(<\/md:EntityDescriptor>)/, '$2$1$3');
    assert.notDeepEqual(await validate(broken, 'saml-schema-metadata-2.0.xsd'), []);
  });
});
