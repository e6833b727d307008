import { formatDsmrSerialSettings } from './dsmrSerialSettings.js';

/**
 * DSMR P1 telegrams: framing, CRC and the registers the hub needs.
 *
 * A telegram (P1 companion standard, "P1 telegram"):
 *
 *   /XXXZ Ident CR LF          identification; XXX manufacturer, Z a digit
 *   CR LF
 *   OBIS(value)(value)... CR LF   one object per line, e.g. 1-0:1.8.1(001581.123*kWh)
 *   ...
 *   !CCCC CR LF                DSMR 4/5: CRC16 as 4 hex digits, MSB first
 *   ! CR LF                    DSMR 2.2/3: no CRC
 *
 * The CRC is CRC-16/ARC (polynomial x16+x15+x2+1 = 0xA001 reflected, init 0,
 * no final XOR, LSB first) over every byte from '/' up to and including '!'.
 * Without a CRC (DSMR 2.2/3) nothing vouches for the bytes, so such a
 * telegram is accepted only if every byte is ASCII and every line is a
 * well-formed object; with a matching CRC, odd lines are skipped instead.
 */

/** A telegram that has not reached '!' within this many bytes is dropped. The largest real ones are about 3 KB. */
export const DSMR_MAX_TELEGRAM_BYTES = 8192;

const SLASH = 0x2f;
const BANG = 0x21;
const CR = 0x0d;
const LF = 0x0a;

export interface DsmrTelegram {
  /** The identification line without '/', e.g. "ISk5\2MT382-1000". */
  readonly header: string;
  /**
   * The version as the meter states it: 1-3:0.2.8 ("42" = DSMR 4.2, "50" = 5.0)
   * or, on Belgian e-MUCS meters, 0-0:96.1.4 (e.g. "50217"). null when the
   * telegram states none (DSMR 2.2 and 3 do not).
   */
  readonly versionCode: string | null;
  /** For people: "DSMR 4.2", "DSMR 5.0", "e-MUCS 50217", "DSMR 2.2/3". */
  readonly version: string;
  /** The CRC as sent (4 hex digits), or null for a DSMR 2.2/3 telegram that has none. */
  readonly crc: string | null;
  /** Sum of the import tariff registers 1-0:1.8.1, 1-0:1.8.2, … (or the total 1-0:1.8.0), integer Wh. */
  readonly importWh: number;
  /** Sum of the export tariff registers 1-0:2.8.x (or 1-0:2.8.0); absent if the meter sends none. */
  readonly exportWh?: number;
  /** 1-0:1.7.0 minus 1-0:2.7.0, integer W (negative while exporting); absent if 1-0:1.7.0 is missing or empty. */
  readonly powerW?: number;
  /** 0-0:96.1.1 exactly as sent (hex of ASCII in DSMR 4/5); absent if missing or empty. */
  readonly serial?: string;
  /** Every object in the telegram: OBIS code → the values in its parentheses, as sent. */
  readonly objects: ReadonlyMap<string, readonly string[]>;
}

/**
 * What the start of a receive buffer holds. `end` is how many bytes the
 * caller may drop after handling the frame.
 * - telegram: '/' … '!' plus the CRC if any (the trailing CR LF is left as whitespace)
 * - bad: a telegram start that cannot become a telegram (truncated or a broken end line)
 * - garbage: bytes from a non-whitespace byte up to the next '/' (or the end of the buffer)
 * - whitespace: CR, LF, space or tab between telegrams
 * - incomplete: nothing can be decided until more bytes arrive
 */
export type DsmrFrame =
  | { readonly kind: 'telegram'; readonly bytes: Buffer; readonly end: number }
  | { readonly kind: 'bad'; readonly end: number; readonly reason: string }
  | { readonly kind: 'garbage'; readonly end: number; readonly sample: Buffer }
  | { readonly kind: 'whitespace'; readonly end: number }
  | { readonly kind: 'incomplete' };

/** CRC-16/ARC as DSMR 4/5 use it: poly 0xA001 (reflected 0x8005), init 0, no final XOR. */
export function dsmrCrc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** Finds the first frame in `buf`; call again on `buf.subarray(frame.end)` until 'incomplete'. */
export function nextDsmrFrame(buf: Buffer, maxTelegramBytes = DSMR_MAX_TELEGRAM_BYTES): DsmrFrame {
  if (buf.length === 0) return { kind: 'incomplete' };
  const start = buf.indexOf(SLASH);
  if (start !== 0) {
    const end = start === -1 ? buf.length : start;
    const text = buf.subarray(0, end).findIndex((byte) => !isWhitespace(byte));
    if (text !== 0) return { kind: 'whitespace', end: text === -1 ? end : text };
    return { kind: 'garbage', end, sample: Buffer.from(buf.subarray(0, Math.min(end, 16))) };
  }

  const limit = Math.min(buf.length, maxTelegramBytes);
  const bang = findEndMark(buf, limit);
  const next = findHeader(buf, bang === -1 ? limit : bang);
  if (next.at !== -1) {
    const header = buf.toString('latin1', next.at, next.at + 5);
    return { kind: 'bad', end: next.at, reason: `telegram truncated: a new telegram ('${header}') began before its '!' (bytes lost on the P1 line)` };
  }
  if (next.undecided) return { kind: 'incomplete' };
  if (bang === -1) {
    if (buf.length < maxTelegramBytes) return { kind: 'incomplete' };
    const resume = buf.indexOf(SLASH, 1);
    return { kind: 'bad', end: resume === -1 ? buf.length : resume, reason: `telegram truncated: no '!' within ${maxTelegramBytes} bytes` };
  }

  // The end line: '!' then CR LF (DSMR 2.2/3) or 4 hex CRC digits (DSMR 4/5).
  const after = buf[bang + 1];
  if (after === undefined) return { kind: 'incomplete' };
  if (after === CR || after === LF) return { kind: 'telegram', bytes: buf.subarray(0, bang + 1), end: bang + 1 };
  if (buf.length < bang + 5) {
    return buf.subarray(bang + 1).every(isHexDigit) ? { kind: 'incomplete' } : badEndLine(buf, bang);
  }
  if (!buf.subarray(bang + 1, bang + 5).every(isHexDigit)) return badEndLine(buf, bang);
  return { kind: 'telegram', bytes: buf.subarray(0, bang + 5), end: bang + 5 };
}

/**
 * Parses one telegram as `nextDsmrFrame` delivers it ('/' … '!' and the CRC, if any;
 * trailing CR LF allowed). Throws an Error saying what failed.
 * `checkCrc: false` reads a telegram whose CRC does not match (for probing only:
 * its values may be corrupt).
 */
export function parseDsmrTelegram(bytes: Uint8Array, options: { checkCrc?: boolean } = {}): DsmrTelegram {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf[0] !== SLASH) throw new Error(`telegram does not start with '/' (got byte 0x${hex2(buf[0] ?? 0)})`);
  const bang = findEndMark(buf, buf.length);
  if (bang === -1) throw new Error(`telegram truncated: no '!' at the start of a line in ${buf.length} bytes`);

  const trailer = buf.subarray(bang + 1);
  let crc: string | null = null;
  if (trailer.length >= 4 && trailer.subarray(0, 4).every(isHexDigit) && trailer.subarray(4).every(isCrOrLf)) {
    crc = trailer.toString('latin1', 0, 4).toUpperCase();
  } else if (!trailer.every(isCrOrLf)) {
    throw new Error(`end line '!${printable(trailer.toString('latin1'))}' is neither '!' with a 4-digit CRC (DSMR 4/5) nor a bare '!' (DSMR 2.2/3)`);
  }
  const verified = crc !== null && options.checkCrc !== false;
  if (verified) {
    const computed = dsmrCrc16(buf.subarray(0, bang + 1));
    if (computed !== Number.parseInt(crc!, 16)) {
      throw new Error(`CRC mismatch: telegram says ${crc}, computed ${hex4(computed)} (corrupt bytes on the P1 line)`);
    }
  }
  for (let i = 0; i < bang; i++) {
    const byte = buf[i]!;
    if ((byte < 0x20 || byte > 0x7e) && byte !== CR && byte !== LF) {
      throw new Error(
        `byte 0x${hex2(byte)} at offset ${i} is not ASCII text: the serial settings may not match the meter ` +
          `(DSMR 4/5: ${formatDsmrSerialSettings('4/5')}; DSMR 2.2/3: ${formatDsmrSerialSettings('2.2/3')})`,
      );
    }
  }

  const lines = buf.toString('latin1', 0, bang).split(/\r?\n/);
  const header = lines[0]!.slice(1);
  const objects = new Map<string, string[]>();
  let previous: string[] | null = null;
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line === '') continue;
    const object = OBJECT_LINE.exec(line);
    const continuation = object === null ? VALUES_ONLY.exec(line) : null;
    if (object) {
      const values = splitValues(object[2]!);
      if (objects.has(object[1]!)) previous = null;
      else objects.set(object[1]!, (previous = values));
    } else if (continuation && previous) {
      // DSMR 2.2 sends the gas reading on the line after 0-1:24.3.0.
      previous.push(...splitValues(continuation[0]));
    } else if (!verified) {
      throw new Error(`line ${n + 1} is not an OBIS object with values in parentheses: '${printable(line)}'`);
    }
  }

  const versionCode = firstValue(objects, '1-3:0.2.8') ?? firstValue(objects, '0-0:96.1.4') ?? null;
  const version = describeVersion(objects, versionCode, crc);
  if (crc === null && versionCode !== null && /^[4-9]/.test(versionCode)) {
    throw new Error(`${version} telegram has no CRC after '!' (DSMR 4 and later always send one): its end line was damaged`);
  }

  const importWh = sumTariffs(objects, '1-0:1.8');
  if (importWh === undefined) throw new Error('no 1-0:1.8.x register in telegram');
  const exportWh = sumTariffs(objects, '1-0:2.8');
  const powerIn = quantity(objects, '1-0:1.7.0', POWER_UNITS);
  const powerOut = quantity(objects, '1-0:2.7.0', POWER_UNITS);
  const serial = firstValue(objects, '0-0:96.1.1');

  return {
    header,
    versionCode,
    version,
    crc,
    importWh,
    ...(exportWh === undefined ? {} : { exportWh }),
    ...(powerIn === undefined ? {} : { powerW: powerIn - (powerOut ?? 0) }),
    ...(serial === undefined ? {} : { serial }),
    objects,
  };
}

/** "1-0:1.8.1(001581.123*kWh)": the OBIS code, then the values. */
const OBJECT_LINE = /^(\d{1,3}-\d{1,3}:\d{1,3}\.\d{1,3}\.\d{1,3})((?:\([^()]*\))+)$/;
/** "(00001.001)": the second line of a DSMR 2.2 gas reading. */
const VALUES_ONLY = /^(?:\([^()]*\))+$/;
/** Units accepted per quantity (meters differ in case too), and the power of ten that turns them into Wh or W. */
const ENERGY_UNITS: Readonly<Record<string, number>> = { kWh: 3, Wh: 0 };
const POWER_UNITS: Readonly<Record<string, number>> = { kW: 3, W: 0 };

function splitValues(text: string): string[] {
  return text.slice(1, -1).split(')(');
}

function firstValue(objects: ReadonlyMap<string, readonly string[]>, code: string): string | undefined {
  const value = objects.get(code)?.[0];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The sum of the tariff registers `${prefix}.1`, `.2`, … if any is present,
 * otherwise the total `${prefix}.0`, otherwise undefined.
 */
function sumTariffs(objects: ReadonlyMap<string, readonly string[]>, prefix: string): number | undefined {
  let sum: number | undefined;
  for (const code of objects.keys()) {
    if (code.startsWith(`${prefix}.`) && code !== `${prefix}.0`) {
      sum = (sum ?? 0) + required(objects, code, ENERGY_UNITS);
    }
  }
  if (sum !== undefined) return sum;
  return objects.has(`${prefix}.0`) ? required(objects, `${prefix}.0`, ENERGY_UNITS) : undefined;
}

function required(objects: ReadonlyMap<string, readonly string[]>, code: string, units: Readonly<Record<string, number>>): number {
  const value = quantity(objects, code, units);
  if (value === undefined) throw new Error(`${code} is empty: the meter sent no value for a register the hub needs`);
  return value;
}

/** The last value of an object ("000123.456*kWh") as an integer in Wh or W; undefined if absent or empty. */
function quantity(objects: ReadonlyMap<string, readonly string[]>, code: string, units: Readonly<Record<string, number>>): number | undefined {
  const values = objects.get(code);
  const text = values?.[values.length - 1];
  if (text === undefined || text === '') return undefined;
  const star = text.indexOf('*');
  const expected = Object.keys(units).join(' or ');
  if (star === -1) throw new Error(`${code} value '${text}' has no unit (expected ${expected})`);
  const unit = text.slice(star + 1);
  const known = Object.keys(units).find((name) => name.toLowerCase() === unit.toLowerCase());
  if (known === undefined) throw new Error(`${code} value '${text}' has unit '${unit}' (expected ${expected})`);
  return scaleDecimal(text.slice(0, star), units[known]!, code);
}

/**
 * "000123.456" shifted 3 places → 123456, from the digits themselves so that no
 * binary float error creeps in (parseFloat('0.5005') * 1000 rounds to 500, not 501).
 * Digits past the shift are rounded half away from zero.
 */
function scaleDecimal(text: string, shift: number, code: string): number {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new Error(`${code} value '${text}' is not a decimal number`);
  const fraction = match[2] ?? '';
  const scaled = Number(match[1]! + fraction.slice(0, shift).padEnd(shift, '0'));
  const value = (fraction[shift] ?? '0') >= '5' ? scaled + 1 : scaled;
  if (!Number.isSafeInteger(value)) throw new Error(`${code} value '${text}' is too large`);
  return value;
}

function describeVersion(objects: ReadonlyMap<string, readonly string[]>, code: string | null, crc: string | null): string {
  if (code === null) return crc === null ? 'DSMR 2.2/3' : 'DSMR 4/5';
  if (firstValue(objects, '1-3:0.2.8') === undefined) return `e-MUCS ${code}`;
  return /^\d\d$/.test(code) ? `DSMR ${code[0]}.${code[1]}` : `DSMR ${code}`;
}

/** Index of the first '!' that starts a line (after LF) before `limit`, or -1. A '!' inside a value does not end a telegram. */
function findEndMark(buf: Buffer, limit: number): number {
  for (let at = buf.indexOf(BANG, 1); at !== -1 && at < limit; at = buf.indexOf(BANG, at + 1)) {
    if (buf[at - 1] === LF) return at;
  }
  return -1;
}

/**
 * The first '/' after the start that begins an identification ('/' + 3 letters
 * + a digit, IEC 62056-21), before `limit`: a new telegram, so the one being
 * read lost its end. `undecided` when a '/' near the end of the buffer may
 * still turn out to be one.
 */
function findHeader(buf: Buffer, limit: number): { at: number; undecided: boolean } {
  const shape = [isLetter, isLetter, isLetter, isDigit];
  for (let at = buf.indexOf(SLASH, 1); at !== -1 && at < limit; at = buf.indexOf(SLASH, at + 1)) {
    const available = Math.min(shape.length, buf.length - at - 1);
    let fits = true;
    for (let i = 0; i < available && fits; i++) fits = shape[i]!(buf[at + 1 + i]!);
    if (fits) return available === shape.length ? { at, undecided: false } : { at: -1, undecided: true };
  }
  return { at: -1, undecided: false };
}

function badEndLine(buf: Buffer, bang: number): DsmrFrame {
  const shown = printable(buf.toString('latin1', bang, Math.min(buf.length, bang + 6)));
  return { kind: 'bad', end: bang + 1, reason: `end line '${shown}' is neither '!' with a 4-digit CRC (DSMR 4/5) nor a bare '!' (DSMR 2.2/3)` };
}

function isWhitespace(byte: number): boolean {
  return byte === CR || byte === LF || byte === 0x20 || byte === 0x09;
}
function isCrOrLf(byte: number): boolean {
  return byte === CR || byte === LF;
}
function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}
function isLetter(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
}
function isHexDigit(byte: number): boolean {
  return isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}
function hex2(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}
function hex4(value: number): string {
  return value.toString(16).toUpperCase().padStart(4, '0');
}
/** Control and non-ASCII characters as \xNN, cut to 60 characters, for error messages. */
function printable(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return shown.replace(/[^\x20-\x7e]/g, (c) => `\\x${hex2(c.charCodeAt(0))}`);
}
