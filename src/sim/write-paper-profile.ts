// Writes profiles/paper-sintel-4k.json and profiles/paper-tears-4k.json from
// paperProfile(), so the shipped JSON is always the derivation's output
// (`npm run profiles`).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { paperProfile, SINTEL, TEARS } from './paper-profile.js';
import { PROFILE_DIR, serializeProfile } from './profile.js';

for (const film of [SINTEL, TEARS]) {
  const target = join(PROFILE_DIR, `${film.name}.json`);
  writeFileSync(target, serializeProfile(paperProfile(film)));
  process.stdout.write(`wrote ${target}\n`);
}
