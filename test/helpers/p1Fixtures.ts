import { readFileSync } from 'node:fs';
import { dsmrCrc16 } from '../../sensors/drivers/dsmr/dsmrTelegram.js';

/**
 * Real P1 telegrams (copies of ../shared/fixtures/dsmr/, bytes as on the wire,
 * CRLF). Kept in test/fixtures/p1/ because uvu's file pattern 'dsmr' would
 * try to import any path containing "dsmr" as a test.
 */
export type P1FixtureName = 'v2.2-iskra-mt382' | 'v4.2-kaifa' | 'v5-iskra-mt382';

export function readP1Fixture(name: P1FixtureName): Buffer {
  return readFileSync(new URL(`../fixtures/p1/${name}.txt`, import.meta.url));
}

/**
 * A variant of a telegram: each [from, to] replaces text (which must occur
 * exactly once), then the end line is rebuilt: a fresh valid CRC if the
 * original had one (so the variant is a valid telegram), a bare '!' if not.
 */
export function editP1Telegram(telegram: Buffer, edits: ReadonlyArray<readonly [string, string]>): Buffer {
  let text = telegram.toString('latin1');
  for (const [from, to] of edits) {
    const at = text.indexOf(from);
    if (at === -1 || text.indexOf(from, at + 1) !== -1) throw new Error(`edit: '${from}' must occur exactly once in the telegram`);
    text = text.slice(0, at) + to + text.slice(at + from.length);
  }
  const bang = text.lastIndexOf('\r\n!') + 2;
  const hadCrc = /^![0-9A-F]{4}/i.test(text.slice(bang));
  const body = Buffer.from(text.slice(0, bang + 1), 'latin1');
  const crc = hadCrc ? dsmrCrc16(body).toString(16).toUpperCase().padStart(4, '0') : '';
  return Buffer.concat([body, Buffer.from(`${crc}\r\n`, 'latin1')]);
}

/** A copy of the telegram with one bit of the byte at `at` flipped, CRC left as it was: noise on the line. */
export function flipOneBit(telegram: Buffer, at: number): Buffer {
  const copy = Buffer.from(telegram);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}
