import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { describeLine, openModbusRtuClient, type SerialLine } from '../../sensors/drivers/modbus/modbusClient.js';
import { loadModbusTemplates, type ModbusTemplates } from '../../sensors/drivers/modbus/modbusTemplate.js';
import { scanModbus } from '../../sensors/drivers/modbus/scanModbus.js';
import { startModbusSlave, type ModbusSlave } from '../helpers/modbusSlave.js';
import { simulatedSdm120, simulatedSdm630 } from '../helpers/simulatedEastron.js';
import { openSocatPtyPair, type PtyPair } from '../helpers/socatPtyPair.js';

const TIMEOUT_MS = 200;

let templates: ModbusTemplates;
let pty: PtyPair;
let slave: ModbusSlave;
let opened: string[];
/** Number of requests the slave had seen when each pass opened the port. */
let passStarts: number[];

const test = suite('modbus scan');

test.before(async () => {
  templates = await loadModbusTemplates();
});

test.before.each(async () => {
  pty = await openSocatPtyPair();
  slave = await startModbusSlave(pty.paths[1]);
  opened = [];
  passStarts = [];
});

test.after.each(async () => {
  await slave.close();
  await pty.close();
});

/** Opens the real port and tells the simulated bus which settings the master now uses (a pty has no baud rate). */
async function openAndTellSlave(path: string, line: SerialLine) {
  opened.push(describeLine(line));
  passStarts.push(slave.requests.length);
  slave.masterLine = describeLine(line);
  return openModbusRtuClient(path, line);
}

test('finds an SDM120 at its factory 2400 baud and an SDM630 at 9600, and tells the models apart', async () => {
  slave.addMeter(1, simulatedSdm120({ importKWh: 1234.5, exportKWh: 0, powerW: 230, serial: 7 }), { line: '2400 8N1' });
  slave.addMeter(2, simulatedSdm630({ importKWh: 3016.829, exportKWh: 12, powerW: 2027, serial: 8 }), { line: '9600 8N1' });

  const result = await scanModbus(pty.paths[0], { templates: templates.values(), timeoutMs: TIMEOUT_MS, open: openAndTellSlave });

  assert.equal(opened, ['2400 8N1', '9600 8N1'], 'one pass per factory setting, in template order');
  assert.is(result.path, pty.paths[0]);
  assert.equal(
    result.found.map((f) => [f.address, describeLine(f.line), f.model]),
    [
      [1, '2400 8N1', 'SDM120'],
      [2, '9600 8N1', 'SDM630'],
    ],
  );
  assert.equal(result.silent, [3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(result.found[0]!.sample, { importWh: 1_234_500, exportWh: 0, powerW: 230 });
  assert.equal(result.found[1]!.sample, { importWh: 3_016_829, exportWh: 12_000, powerW: 2027 });
  assert.equal(result.notes, []);
  assert.is(slave.overlaps, 0);
  const secondPass = slave.requests.slice(passStarts[1]);
  assert.ok(!secondPass.some((r) => r.address === 1), 'address 1 is not asked again once found');
  assert.ok(secondPass.some((r) => r.address === 2));
});

test('on a shared bus at one rate, the SDM630 is identified by its meter code and the SDM120 by elimination', async () => {
  slave.addMeter(1, simulatedSdm120({ importKWh: 10, exportKWh: 0, powerW: 5, serial: 7 }), { line: '9600 8N1' });
  slave.addMeter(2, simulatedSdm630({ importKWh: 20, exportKWh: 0, powerW: 50, serial: 8 }), { line: '9600 8N1' });

  const result = await scanModbus(pty.paths[0], { templates: templates.values(), addresses: [1, 2, 3], timeoutMs: TIMEOUT_MS, open: openAndTellSlave });

  const [sdm120, sdm630] = result.found;
  assert.is(sdm120!.model, 'SDM120');
  assert.equal(sdm120!.fits, ['SDM120'], 'the SDM630 template needs 0x0034, which an SDM120 refuses');
  assert.match(sdm120!.reason, 'only the SDM120 template');
  assert.is(sdm630!.model, 'SDM630');
  assert.equal(sdm630!.fits, ['SDM120', 'SDM630'], 'an SDM630 also has a register at 0x000C, so both register maps read plausibly');
  assert.is(sdm630!.reason, 'its holding register 0xFC02 holds 0x0070, the SDM630 meter code');
  assert.equal(result.silent, [3]);
  assert.is(describeLine(sdm120!.line), '9600 8N1');
  assert.is(describeLine(sdm630!.line), '9600 8N1');
});

test('a meter that answers with corrupt frames is noted and keeps being looked for at other settings', async () => {
  slave.addMeter(4, simulatedSdm630({ importKWh: 20, exportKWh: 0, powerW: 50, serial: 8 }), { behaviour: 'corrupt-crc' });

  const result = await scanModbus(pty.paths[0], { templates: templates.values(), addresses: [4], timeoutMs: TIMEOUT_MS, open: openAndTellSlave });

  assert.equal(result.found, []);
  assert.equal(result.silent, [4]);
  assert.equal(opened, ['2400 8N1', '9600 8N1']);
  assert.ok(result.notes.some((n) => n.startsWith('address 4 at 2400 8N1: corrupt answer to holding register 0xFC02 (CRC error)')));
  assert.ok(result.notes.some((n) => n.startsWith('address 4 at 9600 8N1: corrupt answer')));
});

test('a port that cannot be opened fails the scan with the port named', async () => {
  try {
    await scanModbus('/dev/ttyUSB-none', { templates: templates.values(), timeoutMs: TIMEOUT_MS });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, 'Cannot open /dev/ttyUSB-none for Modbus (2400 8N1)');
  }
});

test.run();
