/**
 * The Docker engine for the packaging tests: found (or installed with apt as root) through
 * devstack's SYSTEM_COMMANDS, started when none answers, and stopped only if started here.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { SYSTEM_COMMANDS, findOrInstall } from '@llmpt/devstack';

const run = promisify(execFile);

export interface DockerTools {
  docker: string;
  compose: string;
  /** Folder of debootstrap, prepended to PATH for ops/docker/base-image.sh. */
  binDirs: string[];
}

export async function dockerTools(): Promise<DockerTools> {
  const docker = await findOrInstall(SYSTEM_COMMANDS.docker);
  const compose = await findOrInstall(SYSTEM_COMMANDS['docker-compose']);
  const debootstrap = await findOrInstall(SYSTEM_COMMANDS.debootstrap);
  return { docker, compose, binDirs: [path.dirname(docker), path.dirname(debootstrap)] };
}

async function engineAnswers(docker: string): Promise<boolean> {
  try {
    await run(docker, ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export interface Engine {
  /** Stops the engine if this process started it (by its pid), else nothing. */
  release(): Promise<void>;
}

/**
 * A running engine: the one already there, or `dockerd --bridge=none --iptables=false` started
 * here (this machine has no bridge networking; containers use the host's network).
 */
export async function ensureEngine(docker: string): Promise<Engine> {
  if (await engineAnswers(docker)) return { release: () => Promise.resolve() };
  const dockerd = await findOrInstall(SYSTEM_COMMANDS.dockerd);
  const log = path.join(mkdtempSync(path.join(tmpdir(), 'llmpt-dockerd-')), 'dockerd.log');
  const fd = openSync(log, 'a');
  const child: ChildProcess = spawn(dockerd, ['--bridge=none', '--iptables=false'], {
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!(await engineAnswers(docker))) {
    if (child.exitCode !== null) throw new Error(`dockerd exited (${child.exitCode}); see ${log}`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`dockerd did not answer within 60 s; see ${log}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    async release() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    },
  };
}
