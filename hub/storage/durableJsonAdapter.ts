import { open, rename, readFile, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

/**
 * A lowdb adapter that survives power cuts: it writes a temp file, fsyncs it,
 * renames it over the document and fsyncs the directory so the rename itself is
 * on disk. lowdb's own TextFile adapter is atomic but never fsyncs, so after a
 * power cut the renamed file can be empty.
 */
export class DurableJsonAdapter<T> implements Adapter<T> {
  readonly #file: string;
  /** Writes run one after another: they share one temp file name. */
  #writing: Promise<void> = Promise.resolve();

  constructor(file: string) {
    this.#file = file;
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(`Cannot read ${this.#file}: ${(error as Error).message}`, { cause: error });
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new Error(
        `${this.#file} is not valid JSON (${(error as Error).message}). Restore it from a backup or from ${this.#file}.bak if present.`,
        { cause: error },
      );
    }
  }

  write(data: T): Promise<void> {
    const next = this.#writing.then(() => this.#write(data));
    this.#writing = next.catch(() => {});
    return next;
  }

  async #write(data: T): Promise<void> {
    await writeFileDurably(this.#file, `${JSON.stringify(data, null, 2)}\n`);
  }
}

/**
 * Replaces a file so that a power cut leaves either the old or the new
 * content: temp file, fsync, rename, fsync of the directory. Callers must not
 * write the same file concurrently (the temp name is per file).
 */
export async function writeFileDurably(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  // A stable name: a temp file left by a power cut is simply overwritten next time.
  const temp = join(dir, `.${basename(file)}.tmp`);
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => {});
    throw error;
  }
  await handle.close();
  await rename(temp, file);
  await syncDirectory(dir);
}

/** fsync a directory so that a rename or unlink in it is durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
