/**
 * Validates a JUnit XML report against `junit.xsd` with libxml2's schema validator (xmllint,
 * compiled to WebAssembly): the same check a CI system's parser would make, without one.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateXML } from 'xmllint-wasm';

const SCHEMA = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'junit.xsd'), 'utf8');

/** The validator's complaints about `xml`: empty when it is a valid JUnit report. */
export async function junitProblems(xml: string): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: 'report.xml', contents: xml }],
    schema: [{ fileName: 'junit.xsd', contents: SCHEMA }],
  });
  return result.valid ? [] : result.errors.map((error) => error.rawMessage);
}
