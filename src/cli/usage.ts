// yargs reports usage problems in its own words ("Unknown arguments: foo-bar,
// fooBar", "Not enough non-option arguments: got 0, need at least 1"); these
// are rewritten as one short line in this tool's words.

/**
 * yargs' own usage messages, as one line in this tool's words. `positionals`
 * are the running command's required arguments (`<input>`), to name the
 * missing one.
 */
export function usageMessage(message: string, argv: readonly string[], positionals: readonly string[] = []): string {
  const text = message.replace(/\s+/g, ' ').trim();
  const unknown = /^Unknown arguments?: (.*)$/.exec(text);
  if (unknown !== null) {
    // yargs lists a flag once as given and once in camelCase: name it once, as given.
    const names = unknown[1]!.split(', ');
    const given = names.filter((n) => !names.some((m) => m !== n && m.includes('-') && m.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) === n));
    const shown = given.map((n) => (argv.some((a) => a === `--${n}` || a.startsWith(`--${n}=`)) ? `--${n}` : argv.includes(`-${n}`) ? `-${n}` : n));
    const flags = shown.filter((s) => s.startsWith('-'));
    const words = shown.filter((s) => !s.startsWith('-'));
    return [flags.length > 0 ? `unknown option${flags.length > 1 ? 's' : ''} ${flags.join(', ')}` : '', words.length > 0 ? `unexpected argument${words.length > 1 ? 's' : ''} ${words.join(', ')}` : ''].filter(Boolean).join('; ');
  }
  const needsValue = /^Not enough arguments following: (.*)$/.exec(text);
  if (needsValue !== null) return `--${needsValue[1]} needs a value`;
  const missing = /^Missing required arguments?: (.*)$/.exec(text);
  if (missing !== null) return `missing ${missing[1]!.split(', ').map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(', ')}`;
  const notEnough = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(text);
  if (notEnough !== null) {
    const missed = positionals.slice(Number(notEnough[1]));
    return missed.length > 0 ? `missing ${missed.join(' ')}` : `missing an argument (got ${notEnough[1]}, need ${notEnough[2]})`;
  }
  return text;
}
