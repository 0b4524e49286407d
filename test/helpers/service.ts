import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface CommandOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
}

/** Runs a one-shot command (migrations); throws with its output when it fails or outlives the timeout. */
export function runCommand(command: string, args: string[], options: CommandOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} ended with ${signal ?? `exit ${code}`}:\n${output.slice(-4000)}`));
    });
  });
}

export interface Service {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a long-running server in its own process group, so stop() ends it and every child it forked
 * (runserver, puma workers) with one signal: SIGTERM, then SIGKILL after a grace period.
 */
export function startService(command: string, args: string[], options: Omit<CommandOptions, 'timeoutMs'>): Service {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (d) => (output = (output + d).slice(-20_000)));
  child.stderr?.on('data', (d) => (output = (output + d).slice(-20_000)));
  child.on('error', (error) => (output += `\n[spawn error] ${error.message}`));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Polls url until it answers with any HTTP status (the server is up), the process dies, or timeoutMs passes.
 * Returns how long the wait took.
 */
export async function waitForHttp(url: string, service: Service, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new Error(`the server exited (${service.child.exitCode ?? service.child.signalCode}) before answering ${url}:\n${service.output().slice(-4000)}`);
    }
    try {
      const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      return Date.now() - started;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await service.stop();
  throw new Error(`no answer from ${url} within ${timeoutMs} ms:\n${service.output().slice(-4000)}`);
}

/** Is a command on PATH and does it run? (`command --version`-style probe with a short timeout.) */
export function commandWorks(command: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? result.error.message : ''}`.trim() };
}
