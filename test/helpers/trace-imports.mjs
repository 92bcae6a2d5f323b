// Registered with `node --import`: records every module URL the process
// resolves, one per line, in the file named by $EXCAMERA_TRACE_IMPORTS (for
// tests of what a command loads).
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (process.env.EXCAMERA_TRACE_IMPORTS) appendFileSync(process.env.EXCAMERA_TRACE_IMPORTS, r.url + '\\n');
  return r;
}
`));
