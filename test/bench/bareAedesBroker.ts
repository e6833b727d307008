import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Aedes } from 'aedes';
import type { BrokerProcess } from './hubProcess.js';

/**
 * A bare Aedes broker (in-memory persistence, no authentication, no hooks) in
 * its own process: the baseline the hub's ingest is compared with. Run as a
 * script it listens on a loopback port picked by the OS and sends the port to
 * its parent; imported, it exports the function that starts that process.
 */

const SELF = fileURLToPath(import.meta.url);

export async function startBareAedesProcess(): Promise<BrokerProcess> {
  const child = fork(SELF, ['--serve'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('Cannot spawn the bare Aedes broker.');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const exitedEarly = exited.then((code): never => {
    throw new Error(`The bare Aedes broker exited with code ${code} before listening.`);
  });
  exitedEarly.catch(() => {}); // settles at stop too, after the race is decided
  const port = await Promise.race([
    new Promise<number>((resolve) => child.once('message', (message) => resolve((message as { port: number }).port))),
    exitedEarly,
  ]);
  return {
    pid,
    mqttUrl: `mqtt://127.0.0.1:${port}`,
    async stop(timeoutMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const result = await Promise.race([exited, sleep(timeoutMs, 'timeout' as const, { ref: false })]);
      if (result !== 'timeout') return result;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

async function serve(): Promise<void> {
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
  });
  const stop = () => {
    server.close();
    aedes.close(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  // Never outlive the benchmark that started it.
  process.once('disconnect', stop);
}

if (process.argv[1] === SELF && process.argv[2] === '--serve') await serve();
