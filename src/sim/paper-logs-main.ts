// `npm run paper-logs -- DIR [--match TEXT]`: the per-phase figures of the
// ExCamera authors' published logs in DIR (the files whose names contain
// TEXT), as JSON — the figures paper-profile.ts takes from the logs. See
// paper-logs.ts for the format.
//
//   npm run paper-logs -- excamera-results/runs/xc-enc_14e88/sintel-s06_k16-logs_new --match _y10_
//   npm run paper-logs -- excamera-results/runs/xc-enc_14e88/sintel-s06_k01-logs --match _y30_

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SimError } from './errors.js';
import { logFigures, parseTransitionLog } from './paper-logs.js';

const USAGE = 'usage: npm run paper-logs -- DIR [--match TEXT]   (DIR: a directory of xcenc_transitions_*.log files)';
const MAX_LOG_BYTES = 64 << 20;

function main(argv: readonly string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const m = argv.indexOf('--match');
  const match = m >= 0 ? argv[m + 1] : '';
  const dirs = argv.filter((a, i) => !a.startsWith('--') && (m < 0 || i !== m + 1));
  if (dirs.length !== 1 || match === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const dir = dirs[0]!;
  try {
    const files = readdirSync(dir)
      .filter((f) => f.startsWith('xcenc_transitions') && f.endsWith('.log') && f.includes(match))
      .sort();
    if (files.length === 0) throw new SimError('invalid-argument', `${dir}: no xcenc_transitions_*.log file${match ? ` with "${match}" in its name` : ''}`);
    const runs = files.map((f) => {
      const path = join(dir, f);
      if (statSync(path).size > MAX_LOG_BYTES) throw new SimError('invalid-argument', `${path}: larger than ${MAX_LOG_BYTES} bytes, not a transition log`);
      return parseTransitionLog(readFileSync(path, 'utf8'), path);
    });
    process.stdout.write(`${JSON.stringify({ dir, match, files, ...logFigures(runs) }, null, 2)}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`paper-logs: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
