import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { SYSTEM_COMMANDS, findOrInstall } from '@llmpt/devstack';

const execFileAsync = promisify(execFile);

export interface ToolRun {
  code: number;
  output: string;
}

/** Runs promtool or amtool (Debian's, installed if missing); resolves with its exit and output. */
export async function tool(name: 'promtool' | 'amtool', args: string[]): Promise<ToolRun> {
  const bin = await findOrInstall(SYSTEM_COMMANDS[name]);
  try {
    const { stdout, stderr } = await execFileAsync(bin, args, { maxBuffer: 16 << 20 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout}${e.stderr}` };
  }
}
