// Writes profiles/paper-sintel-4k.json from paperSintelProfile(), so the
// shipped JSON is always the derivation's output (`npm run profiles`).

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { paperSintelProfile } from './paper-profile.js';
import { serializeProfile } from './profile.js';

const target = fileURLToPath(new URL('../../../profiles/paper-sintel-4k.json', import.meta.url));
writeFileSync(target, serializeProfile(paperSintelProfile()));
process.stdout.write(`wrote ${target}\n`);
