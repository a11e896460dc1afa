import { spawn } from 'node:child_process';

/** What a finished command printed (stdout and stderr in one string), how it ended and how long it took. */
export interface Finished {
  output: string;
  code: number | null;
  elapsedMs: number;
}

/** How to run a command. */
export interface RunOptions {
  cwd: string;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** SIGINT after this long. Default 60 s. */
  timeoutMs?: number;
  /** SIGINT half a second after the output matches (for servers such as `ajs project run`). */
  stopWhen?: RegExp;
}

/** Runs a command to its end; never rejects (a command that cannot start ends with code null). */
export function runCommand(command: string, args: string[], options: RunOptions): Promise<Finished> {
  const startedMs = Date.now();
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stopping = false;
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (!stopping && options.stopWhen?.test(output)) {
      stopping = true;
      setTimeout(() => child.kill('SIGINT'), 500);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const timer = setTimeout(() => child.kill('SIGINT'), options.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    const finish = (code: number | null) => {
      clearTimeout(timer);
      resolve({ output, code, elapsedMs: Date.now() - startedMs });
    };
    child.once('error', (err) => {
      output += String(err);
      finish(null);
    });
    child.once('exit', finish);
  });
}

/** The environment every `ajs` call needs here (see scripts/ajs.js): no registry wait, no npm error block. */
export const AJS_ENV: NodeJS.ProcessEnv = { npm_config_offline: 'true', npm_config_loglevel: 'silent' };
