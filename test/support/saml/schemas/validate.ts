// Validate a document against one of our profile schemas with xmllint (libxml2 in
// WebAssembly). Every .xsd of this folder is preloaded, so the imports between them resolve
// in xmllint's in-memory file system; nothing is read from the network.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { validateXML } from 'xmllint-wasm';

export type ProfileSchema = 'dv-metadata.xsd' | 'service-catalogue.xsd';

const files = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.xsd'))
  .map((f) => ({ fileName: f, contents: readFileSync(path.join(import.meta.dirname, f), 'utf8') }));

/** The validation errors (message text without file and line); empty when valid. */
export async function schemaErrors(xml: string, schema: ProfileSchema): Promise<string[]> {
  const main = files.find((f) => f.fileName === schema);
  if (!main) throw new Error(`no schema ${schema}`);
  const result = await validateXML({ xml: [{ fileName: 'document.xml', contents: xml }], schema: main, preload: files });
  if (result.valid) return [];
  // (A schema that does not compile makes validateXML throw.) "Invalid" without a reason
  // would let a negative test pass for the wrong cause: make it loud instead.
  if (result.errors.length === 0) throw new Error(`xmllint said invalid without errors:\n${result.rawOutput}`);
  return result.errors.map((e) => e.message);
}
