import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** Two pseudo-terminals joined back to back by socat: bytes written to one are read from the other. */
export interface PtyPair {
  /** /dev/pts/N paths, in the order socat reported them. */
  readonly paths: readonly [string, string];
  /** Kills socat and waits for it to exit. */
  close(): Promise<void>;
}

/**
 * Starts `socat -d -d pty,raw,echo=0 pty,raw,echo=0` and resolves once socat
 * is passing data. A pty ignores baud rate and parity: a test that needs a
 * mismatched UART must garble the bytes itself.
 */
export async function openSocatPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  const socat = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = once(socat, 'exit');
  let stderr = '';
  const paths = await new Promise<[string, string]>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`socat did not report two ptys within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socat.kill();
      reject(err);
    };
    socat.on('error', (err) => fail(new Error(`cannot start socat (apt-get install socat): ${err.message}`, { cause: err })));
    socat.stderr.setEncoding('utf8');
    socat.stderr.on('data', (text: string) => {
      stderr += text;
      const found = [...stderr.matchAll(/PTY is (\S+)/g)].map((m) => m[1]!);
      if (found.length === 2 && stderr.includes('starting data transfer loop')) {
        clearTimeout(timer);
        resolve([found[0]!, found[1]!]);
      }
    });
  });
  return {
    paths,
    async close() {
      if (socat.exitCode === null && socat.signalCode === null) socat.kill();
      await exited;
      socat.stderr.destroy();
    },
  };
}
