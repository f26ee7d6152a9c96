import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

/**
 * The CLIs' flags (node:util parseArgs, strict): on an unknown flag, a missing value or a
 * positional argument, prints the problem and the usage and returns null (the caller exits 2
 * before doing anything).
 */
export function parseFlags<const O extends ParseArgsOptionsConfig>(
  args: string[],
  options: O,
  usage: string,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage}`);
    return null;
  }
}
