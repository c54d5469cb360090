// Build step (npm run build, test/global-setup.ts): openapi/openapi.yaml →
// dist/openapi/openapi.json. The service serves and reads the document at
// start; parsing 37 KB of YAML there cost ≈ 10 MiB of RSS (the yaml library
// and the young-generation growth its parse causes), JSON.parse costs almost
// nothing. The YAML stays the one source; this file is output, never edited.
//
//   node scripts/openapi-json.mjs            # writes dist/openapi/openapi.json
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';

export const SOURCE = fileURLToPath(new URL('../openapi/openapi.yaml', import.meta.url));
export const OUTPUT = fileURLToPath(new URL('../dist/openapi/openapi.json', import.meta.url));

/** The YAML document as JSON text; throws on anything JSON cannot hold the same way. */
export function openapiJson(yamlText) {
  const document = parse(yamlText);
  const text = JSON.stringify(document);
  // A YAML value JSON would change (a date, Infinity, an undefined) must fail the build, not the document.
  if (!isDeepStrictEqual(JSON.parse(text), document)) throw new Error('openapi.yaml holds a value JSON cannot represent');
  return text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, `${openapiJson(readFileSync(SOURCE, 'utf8'))}\n`);
}
