import { hex, registerWords, type ModbusRegisterSpec, type ModbusTemplate, type RegisterField } from './modbusTemplate.js';

/**
 * Turns a template's register map into as few Modbus requests as possible, and
 * decodes register words into numbers. Only registers that touch are merged:
 * reading a gap could hit an address the meter refuses (exception 2).
 */

/** Eastron meters accept up to 40 parameters (80 registers) per request; stay well under any meter's limit. */
const MAX_REGISTERS_PER_READ = 32;

export interface PlannedField {
  name: RegisterField;
  /** Position of the field's first word in the read's answer. */
  offset: number;
  spec: ModbusRegisterSpec;
}

export interface PlannedRead {
  functionCode: 3 | 4;
  address: number;
  count: number;
  fields: PlannedField[];
}

export function planReads(template: Pick<ModbusTemplate, 'registers'>): PlannedRead[] {
  const specs = (Object.entries(template.registers) as Array<[RegisterField, ModbusRegisterSpec | undefined]>)
    .filter((entry): entry is [RegisterField, ModbusRegisterSpec] => entry[1] !== undefined)
    .sort(([, a], [, b]) => a.functionCode - b.functionCode || a.address - b.address);
  const reads: PlannedRead[] = [];
  for (const [name, spec] of specs) {
    const words = registerWords(spec.type);
    const last = reads.at(-1);
    if (last && last.functionCode === spec.functionCode && last.address + last.count === spec.address && last.count + words <= MAX_REGISTERS_PER_READ) {
      last.fields.push({ name, offset: last.count, spec });
      last.count += words;
    } else {
      reads.push({ functionCode: spec.functionCode, address: spec.address, count: words, fields: [{ name, offset: 0, spec }] });
    }
  }
  return reads;
}

/**
 * Decodes one value from register words (each 0–65535, high byte first as
 * Modbus sends it). Returns the raw value, before the template's scale.
 */
export function decodeRegister(words: readonly number[], offset: number, type: ModbusRegisterSpec['type'], wordOrder: ModbusRegisterSpec['wordOrder'] = 'high-first'): number {
  const count = registerWords(type);
  if (offset + count > words.length) {
    throw new Error(`answer too short: needed ${count} register(s) at position ${offset}, got ${words.length}`);
  }
  const buffer = Buffer.alloc(2 * count);
  if (count === 1) {
    buffer.writeUInt16BE(words[offset]!, 0);
    return type === 'int16' ? buffer.readInt16BE(0) : buffer.readUInt16BE(0);
  }
  const [first, second] = [words[offset]!, words[offset + 1]!];
  buffer.writeUInt16BE(wordOrder === 'high-first' ? first : second, 0);
  buffer.writeUInt16BE(wordOrder === 'high-first' ? second : first, 2);
  if (type === 'float32') return buffer.readFloatBE(0);
  return type === 'int32' ? buffer.readInt32BE(0) : buffer.readUInt32BE(0);
}

/** "input 0x0048" / "holding 0xFC00", as a volunteer would find it in a datasheet. */
export function describeRegister(functionCode: 3 | 4, address: number): string {
  return `${functionCode === 4 ? 'input' : 'holding'} register ${hex(address)}`;
}
