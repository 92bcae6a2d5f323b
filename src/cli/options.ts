// Numeric flags checked where they are declared: `--speed abc` is refused
// naming the flag and the text that was given ("got abc", never "got NaN"),
// and a value out of range names its flag and the range, before any work.
//
// The options leave out yargs' `type: 'number'`, which would turn "abc" into
// NaN before the check could see the text; yargs still parses "4" as 4.

import type { Options } from 'yargs';
import { UsageError } from './errors.js';

interface NumberSpec {
  readonly describe: string;
  readonly alias?: string;
  readonly default?: number;
  readonly min?: number;
  readonly max?: number;
  /** Values must be above `min` rather than at least `min`. */
  readonly exclusiveMin?: boolean;
  readonly hidden?: boolean;
}

/** The value of `--name` as a number, or a usage error quoting what was given. */
export function parseNumber(name: string, value: unknown, integer: boolean): number {
  const text = Array.isArray(value) ? value.map(String).join(' ') : String(value);
  if (Array.isArray(value)) throw new UsageError(`--${name} was given more than once (${text})`);
  const v = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(v)) throw new UsageError(`--${name} takes ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(text)}`);
  if (integer && !Number.isInteger(v)) throw new UsageError(`--${name} takes an integer, got ${text}`);
  return v;
}

function range(spec: NumberSpec): string {
  const { min, max } = spec;
  if (min !== undefined && max !== undefined) return `${min}..${max}`;
  if (min !== undefined) return spec.exclusiveMin ? `> ${min}` : `>= ${min}`;
  if (max !== undefined) return `<= ${max}`;
  return '';
}

function numberOption(name: string, spec: NumberSpec, integer: boolean): Options {
  const coerce = (value: unknown): number => {
    const v = parseNumber(name, value, integer);
    const { min, max } = spec;
    const low = min !== undefined && (spec.exclusiveMin ? v <= min : v < min);
    if (low || (max !== undefined && v > max)) throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} ${range(spec)}, got ${v}`);
    return v;
  };
  return {
    describe: spec.describe,
    requiresArg: true,
    coerce,
    ...(spec.alias !== undefined ? { alias: spec.alias } : {}),
    ...(spec.default !== undefined ? { default: spec.default } : {}),
    ...(spec.hidden ? { hidden: true } : {}),
  };
}

/** An integer flag within [min, max]. */
export function integerOption(name: string, spec: NumberSpec): Options {
  return numberOption(name, spec, true);
}

/** A number flag within [min, max] (or above `min` with `exclusiveMin`). */
export function realOption(name: string, spec: NumberSpec): Options {
  return numberOption(name, spec, false);
}

/** A comma-separated list of integers within [min, max], 1 to 64 of them. */
export function parseIntegerList(name: string, text: string, min: number, max: number): number[] {
  const parts = String(text).split(',');
  if (parts.length > 64) throw new UsageError(`--${name} takes 1 to 64 comma-separated integers, got ${parts.length}`);
  return parts.map((part) => {
    const v = parseNumber(name, part.trim(), true);
    if (v < min || v > max) throw new UsageError(`--${name} values must be integers ${min}..${max}, got ${v}`);
    return v;
  });
}
