import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the `commonwatt` CLI from source, as a user would run the built one. */
export function cliArgs(args: string[]): string[] {
  return ['--import', 'tsx', 'hub/cli/main.ts', ...args];
}

export interface HubProcess {
  child: ChildProcess;
  mqttPort: number;
  httpPort: number;
  output(): string;
}

/** Starts `commonwatt start` in a child process and waits for its "ready" log line. */
export function spawnHub(dataDir: string, env: Record<string, string> = {}): Promise<HubProcess> {
  const child = spawn(process.execPath, cliArgs(['start', '--data-dir', dataDir, '--mqtt-port', '0', '--http-port', '0', '--host', '127.0.0.1']), {
    cwd: REPO_ROOT,
    env: { ...process.env, COMMONWATT_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hub did not become ready in 20 s:\n${out}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.includes('"msg":"ready'));
      if (!line) return;
      clearTimeout(timer);
      const ready = JSON.parse(line) as { mqttPort: number; httpPort: number };
      resolve({ child, mqttPort: ready.mqttPort, httpPort: ready.httpPort, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code} before it was ready:\n${out}`));
    });
  });
}

export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
