import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DSMR_MAX_TELEGRAM_BYTES, dsmrCrc16, nextDsmrFrame, parseDsmrTelegram } from '../../sensors/drivers/dsmr/dsmrTelegram.js';
import { editP1Telegram, flipOneBit, readP1Fixture } from '../helpers/p1Fixtures.js';

const test = suite('DSMR telegram: real meters parse to the README registers; anything damaged is refused with the reason');

const v22 = readP1Fixture('v2.2-iskra-mt382');
const v42 = readP1Fixture('v4.2-kaifa');
const v5 = readP1Fixture('v5-iskra-mt382');

/** The README table (fixtures/README.md), registers only. */
const expected = {
  v22: { importWh: 2002, exportWh: 2002, powerW: 1010, serial: '00000000000000' },
  v42: { importWh: 3016829, exportWh: 0, powerW: 2027, serial: '3960221976967177082151037881335713' },
  v5: { importWh: 6825, exportWh: 2444, powerW: 244, serial: '4B384547303034303436333935353037' },
};

function registers(telegram: Buffer): Record<string, unknown> {
  const { importWh, exportWh, powerW, serial } = parseDsmrTelegram(telegram);
  return { importWh, exportWh, powerW, serial };
}

function parseError(telegram: Buffer): string {
  try {
    parseDsmrTelegram(telegram);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the telegram to be refused');
}

test('CRC-16/ARC gives the catalogue check value and the CRCs the real meters sent', () => {
  assert.is(dsmrCrc16(Buffer.from('123456789', 'latin1')), 0xbb3d);
  assert.is(dsmrCrc16(v42.subarray(0, v42.indexOf('\r\n!') + 3)), 0x6796);
  assert.is(dsmrCrc16(v5.subarray(0, v5.indexOf('\r\n!') + 3)), 0x6eee);
});

test('DSMR 2.2 Iskra MT382 (no CRC, gas on two lines) parses to the README registers', () => {
  const telegram = parseDsmrTelegram(v22);
  assert.equal(registers(v22), expected.v22);
  assert.is(telegram.crc, null);
  assert.is(telegram.versionCode, null);
  assert.is(telegram.version, 'DSMR 2.2/3');
  assert.is(telegram.header, 'ISk5\\2MT382-1004');
  assert.equal(telegram.objects.get('0-1:24.3.0'), ['161107190000', '00', '60', '1', '0-1:24.2.1', 'm3', '00001.001']);
  assert.equal(telegram.objects.get('0-0:96.13.1'), ['']);
});

test('DSMR 4.2 Kaifa (power-failure log with several values) parses to the README registers', () => {
  const telegram = parseDsmrTelegram(v42);
  assert.equal(registers(v42), expected.v42);
  assert.is(telegram.crc, '6796');
  assert.is(telegram.versionCode, '42');
  assert.is(telegram.version, 'DSMR 4.2');
  assert.is(telegram.objects.get('1-0:99.97.0')?.length, 8);
  assert.equal(telegram.objects.get('0-1:24.2.1'), ['161129200000W', '00981.443*m3']);
});

test('DSMR 5.0 Iskra MT382 (three phases, empty M-Bus channel) parses to the README registers', () => {
  const telegram = parseDsmrTelegram(v5);
  assert.equal(registers(v5), expected.v5);
  assert.is(telegram.crc, '6EEE');
  assert.is(telegram.version, 'DSMR 5.0');
  assert.equal(telegram.objects.get('0-2:96.1.0'), ['']);
  assert.equal(telegram.objects.get('1-0:99.97.0'), ['0', '0-0:96.7.19']);
});

test('a meter that counts in Wh and W gives the same integer registers as one in kWh and kW', () => {
  const inWh = editP1Telegram(v5, [
    ['1-0:1.8.1(000004.426*kWh)', '1-0:1.8.1(0000004426*Wh)'],
    ['1-0:1.8.2(000002.399*kWh)', '1-0:1.8.2(0000002399*Wh)'],
    ['1-0:2.8.1(000002.444*kWh)', '1-0:2.8.1(0000002444*Wh)'],
    ['1-0:2.8.2(000000.000*kWh)', '1-0:2.8.2(0000000000*Wh)'],
    ['1-0:1.7.0(00.244*kW)', '1-0:1.7.0(00244*W)'],
    ['1-0:2.7.0(00.000*kW)', '1-0:2.7.0(00000*W)'],
  ]);
  assert.equal(registers(inWh), expected.v5);
});

test('a Belgian e-MUCS telegram: version from 0-0:96.1.4, demand objects ignored, gas serial not taken for the meter serial', () => {
  const belgian = editP1Telegram(v5, [
    ['/ISk5\\2MT382-1000', '/FLU5\\253769484_A'],
    ['1-3:0.2.8(50)\r\n', '0-0:96.1.4(50217)\r\n'],
    [
      '1-0:2.8.2(000000.000*kWh)\r\n',
      '1-0:2.8.2(000000.000*kWh)\r\n' +
        '1-0:1.4.0(00.312*kW)\r\n' +
        '1-0:1.6.0(230123183000W)(02.589*kW)\r\n' +
        '0-0:98.1.0(2)(1-0:1.6.0)(1-0:1.6.0)(230101000000W)(221223183000W)(03.695*kW)(221201000000W)(221115170000W)(04.318*kW)\r\n',
    ],
    ['0-0:96.13.0()\r\n', '0-0:96.13.0()\r\n0-0:96.3.10(1)\r\n0-0:17.0.0(999.9*kW)\r\n1-0:31.4.0(999*A)\r\n'],
    ['0-1:96.1.0(3232323241424344313233343536373839)', '0-1:96.1.1(37464C4F32313139303333373333)'],
    ['0-1:24.2.1(170102161005W)(00000.107*m3)', '0-1:24.4.0(1)\r\n0-1:24.2.3(170102161005W)(00000.107*m3)'],
  ]);
  const telegram = parseDsmrTelegram(belgian);
  assert.equal(registers(belgian), expected.v5);
  assert.is(telegram.versionCode, '50217');
  assert.is(telegram.version, 'e-MUCS 50217');
  assert.is(telegram.header, 'FLU5\\253769484_A');
  assert.is(telegram.objects.get('0-0:98.1.0')?.length, 9);
});

test('a meter that sends only the totals 1-0:1.8.0 / 1-0:2.8.0 is read from them', () => {
  const totals = editP1Telegram(v42, [
    ['1-0:1.8.1(001581.123*kWh)\r\n1-0:1.8.2(001435.706*kWh)', '1-0:1.8.0(003016.829*kWh)'],
    ['1-0:2.8.1(000000.000*kWh)\r\n1-0:2.8.2(000000.000*kWh)', '1-0:2.8.0(000000.000*kWh)'],
  ]);
  assert.equal(registers(totals), expected.v42);
});

test('a total next to the tariff registers is not counted twice', () => {
  const both = editP1Telegram(v42, [['1-0:2.8.1(', '1-0:1.8.0(003016.829*kWh)\r\n1-0:2.8.1(']]);
  assert.is(parseDsmrTelegram(both).importWh, 3016829);
});

test('decimals are scaled from the digits: half away from zero, exact where floats are not', () => {
  const rounding = editP1Telegram(v5, [
    ['1-0:1.8.1(000004.426*kWh)', '1-0:1.8.1(000000.5005*kWh)'], // parseFloat * 1000 rounds to 500
    ['1-0:1.8.2(000002.399*kWh)', '1-0:1.8.2(000000.0004999*kWh)'],
    ['1-0:2.8.1(000002.444*kWh)', '1-0:2.8.1(000123.456*kWh)'],
    ['1-0:2.8.2(000000.000*kWh)', '1-0:2.8.2(0001234.5*Wh)'],
    ['1-0:1.7.0(00.244*kW)', '1-0:1.7.0(00.0015*kW)'],
  ]);
  const telegram = parseDsmrTelegram(rounding);
  assert.is(telegram.importWh, 501);
  assert.is(telegram.exportWh, 123456 + 1235);
  assert.is(telegram.powerW, 2);
});

test('power while exporting is negative: 1-0:1.7.0 minus 1-0:2.7.0', () => {
  const exporting = editP1Telegram(v5, [
    ['1-0:1.7.0(00.244*kW)', '1-0:1.7.0(00.000*kW)'],
    ['1-0:2.7.0(00.000*kW)', '1-0:2.7.0(01.234*kW)'],
  ]);
  assert.is(parseDsmrTelegram(exporting).powerW, -1234);
});

test('one flipped byte is a CRC mismatch that names both CRCs', () => {
  const corrupt = flipOneBit(v42, v42.indexOf('001581.123') + 3); // '5' becomes '4'
  const computed = dsmrCrc16(corrupt.subarray(0, corrupt.indexOf('\r\n!') + 3)).toString(16).toUpperCase().padStart(4, '0');
  assert.is.not(computed, '6796');
  assert.is(parseError(corrupt), `CRC mismatch: telegram says 6796, computed ${computed} (corrupt bytes on the P1 line)`);
});

test('a valid telegram without any 1-0:1.8.x register is refused, not read as zero', () => {
  const noImport = editP1Telegram(v5, [['1-0:1.8.1(000004.426*kWh)\r\n1-0:1.8.2(000002.399*kWh)\r\n', '']]);
  assert.is(parseError(noImport), 'no 1-0:1.8.x register in telegram');
});

test('an empty tariff register is refused rather than summed as a smaller total', () => {
  const empty = editP1Telegram(v5, [['1-0:1.8.2(000002.399*kWh)', '1-0:1.8.2()']]);
  assert.match(parseError(empty), /^1-0:1\.8\.2 is empty/);
});

test('a register without a unit, or in an unknown unit, is refused naming the value', () => {
  assert.match(parseError(editP1Telegram(v5, [['(000004.426*kWh)', '(000004.426)']])), "1-0:1.8.1 value '000004.426' has no unit (expected kWh or Wh)");
  assert.match(parseError(editP1Telegram(v5, [['(000004.426*kWh)', '(000004.426*MWh)']])), "1-0:1.8.1 value '000004.426*MWh' has unit 'MWh'");
  assert.match(parseError(editP1Telegram(v5, [['(000004.426*kWh)', '(0000-4.426*kWh)']])), "is not a decimal number");
});

test('an odd line is skipped when the CRC vouches for the telegram', () => {
  // The DSMR 4.0 specification's own example has '1-0:99:97.0' with a colon.
  const quirky = editP1Telegram(v5, [['1-0:99.97.0(0)(0-0:96.7.19)', '1-0:99:97.0(0)(0:96.7.19)']]);
  assert.equal(registers(quirky), expected.v5);
});

test('without a CRC (DSMR 2.2) a malformed line refuses the whole telegram', () => {
  const garbled = editP1Telegram(v22, [['0-0:96.14.0(0001)', '0-0:96.14.0(00&1']]);
  assert.is(parseError(garbled), "line 8 is not an OBIS object with values in parentheses: '0-0:96.14.0(00&1'");
});

test('without a CRC (DSMR 2.2) a non-ASCII byte refuses the telegram and hints at the serial settings', () => {
  const noisy = Buffer.from(v22);
  noisy[noisy.indexOf('00001.001')] = 0xb0; // '0' with the parity bit set, as 7E1 read as 8N1 gives
  assert.match(parseError(noisy), /^byte 0xB0 at offset \d+ is not ASCII text: .*9600 7E1/);
});

test('a DSMR 5 telegram whose CRC was lost from the end line is refused', () => {
  const text = v5.toString('latin1');
  const stripped = Buffer.from(text.replace('!6EEE\r\n', '!\r\n'), 'latin1');
  assert.match(parseError(stripped), /^DSMR 5\.0 telegram has no CRC after '!'/);
});

test("a '!' inside a value does not end the telegram", () => {
  const bang = editP1Telegram(v22, [['0-0:96.13.0()', '0-0:96.13.0(Hi!)']]);
  const frame = nextDsmrFrame(bang);
  assert.is(frame.kind, 'telegram');
  assert.is(frame.kind === 'telegram' && frame.bytes.length, bang.length - 2);
  assert.equal(parseDsmrTelegram(bang).objects.get('0-0:96.13.0'), ['Hi!']);
});

test('framing: no prefix of a telegram is mistaken for a whole one', () => {
  for (const fixture of [v22, v42, v5]) {
    const end = fixture.indexOf('\r\n!') + (fixture.includes('\r\n!\r\n') ? 3 : 7);
    for (let length = 0; length < end; length++) {
      const frame = nextDsmrFrame(fixture.subarray(0, length));
      if (frame.kind !== 'incomplete') assert.unreachable(`prefix of ${length} bytes gave '${frame.kind}'`);
    }
    const whole = nextDsmrFrame(fixture);
    assert.is(whole.kind, 'telegram');
    assert.is(whole.kind === 'telegram' && whole.end, end);
  }
});

test('framing: garbage before a telegram is one garbage frame, line ends between telegrams are whitespace', () => {
  const stream = Buffer.concat([Buffer.from([0x00, 0xff, 0x13, 0x41]), v5, v42]);
  const kinds: string[] = [];
  for (let rest = stream, frame = nextDsmrFrame(rest); frame.kind !== 'incomplete'; rest = rest.subarray(frame.end), frame = nextDsmrFrame(rest)) {
    kinds.push(frame.kind === 'garbage' ? `garbage:${frame.end}` : frame.kind);
  }
  assert.equal(kinds, ['garbage:4', 'telegram', 'whitespace', 'telegram', 'whitespace']);
});

test('framing: a telegram cut off by the start of the next one is reported as truncated at that start', () => {
  const stream = Buffer.concat([v5.subarray(0, 400), v42]);
  const frame = nextDsmrFrame(stream);
  assert.is(frame.kind, 'bad');
  if (frame.kind !== 'bad') return;
  assert.is(frame.end, 400);
  assert.is(frame.reason, "telegram truncated: a new telegram ('/KFM5') began before its '!' (bytes lost on the P1 line)");
  assert.is(nextDsmrFrame(stream.subarray(frame.end)).kind, 'telegram');
});

test("framing: a telegram with no '!' within 8192 bytes is dropped, so the buffer stays bounded", () => {
  const endless = Buffer.from(`/ISk5\\2MT382-1000\r\n\r\n${'1-0:1.8.1(000004.426*kWh)\r\n'.repeat(400)}`, 'latin1');
  assert.ok(endless.length > DSMR_MAX_TELEGRAM_BYTES);
  const frame = nextDsmrFrame(endless);
  assert.equal(frame, { kind: 'bad', end: endless.length, reason: "telegram truncated: no '!' within 8192 bytes" });
  assert.is(nextDsmrFrame(endless.subarray(0, 8000)).kind, 'incomplete');
});

test("framing: an end line that is neither '!' + CRC nor a bare '!' is bad", () => {
  const text = v5.toString('latin1').replace('!6EEE', '!6Ex#');
  const frame = nextDsmrFrame(Buffer.from(text, 'latin1'));
  assert.is(frame.kind, 'bad');
  assert.match(frame.kind === 'bad' ? frame.reason : '', "end line '!6Ex#");
});

test.run();
