import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeRegister, planReads } from '../../sensors/drivers/modbus/modbusReadPlan.js';
import { findModbusTemplate, loadModbusTemplates, ModbusTemplateError } from '../../sensors/drivers/modbus/modbusTemplate.js';
import { makeTempDir } from '../helpers/tempDir.js';

const test = suite('modbus templates');

let temp: { dir: string; remove(): Promise<void> };
test.before.each(async () => {
  temp = await makeTempDir('commonwatt-modbus-');
});
test.after.each(async () => {
  await temp.remove();
});

const valid = {
  model: 'SDM999',
  description: 'a test meter',
  source: 'test fixture',
  serialPort: { baudRate: 9600, parity: 'none' },
  registers: { importWh: { functionCode: 4, address: '0x0048', type: 'float32', scale: 1000 } },
};

async function loadExtra(files: Record<string, unknown>): Promise<ModbusTemplateError> {
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(temp.dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  try {
    await loadModbusTemplates({ extraDir: temp.dir });
  } catch (error) {
    assert.instance(error, ModbusTemplateError);
    return error as ModbusTemplateError;
  }
  throw new Error('expected the templates to be refused');
}

test('the built-in Eastron templates load with the datasheet registers and factory settings', async () => {
  const templates = await loadModbusTemplates();
  const sdm120 = findModbusTemplate(templates, 'SDM120');
  assert.equal(sdm120.serialPort, { baudRate: 2400, parity: 'none', dataBits: 8, stopBits: 1 });
  assert.equal(
    Object.fromEntries(Object.entries(sdm120.registers).map(([k, r]) => [k, [r!.functionCode, r!.address, r!.type, r!.wordOrder, r!.scale]])),
    { importWh: [4, 0x0048, 'float32', 'high-first', 1000], exportWh: [4, 0x004a, 'float32', 'high-first', 1000], powerW: [4, 0x000c, 'float32', 'high-first', 1] },
  );
  const sdm630 = findModbusTemplate(templates, 'sdm630');
  assert.equal(sdm630.serialPort, { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 });
  assert.is(sdm630.registers.powerW!.address, 0x0034);
  assert.is(sdm630.registers.importWh!.address, 0x0048);
  assert.is(sdm630.registers.exportWh!.address, 0x004a);
  assert.equal(sdm630.identify && [sdm630.identify.functionCode, sdm630.identify.address, sdm630.identify.equals], [3, 0xfc02, 0x0070]);
  for (const t of [sdm120, sdm630]) assert.ok(t.source.length > 20, `${t.model} cites its source`);
  assert.ok(Object.isFrozen(sdm630.registers.importWh), 'templates are frozen after validation');
  assert.throws(() => findModbusTemplate(templates, 'sdm72'), /No Modbus template "sdm72"; known models: SDM120, SDM630/);
});

test('a folder of extra templates adds models without code', async () => {
  await writeFile(join(temp.dir, 'sdm999.json'), JSON.stringify(valid));
  await writeFile(join(temp.dir, 'README.txt'), 'not a template');
  const templates = await loadModbusTemplates({ extraDir: temp.dir });
  assert.equal([...templates.keys()], ['sdm120', 'sdm630', 'sdm999']);
  assert.is(findModbusTemplate(templates, 'sdm999').registers.importWh!.address, 0x48);
});

test('a bad template lists every problem, naming the file and the field', async () => {
  const error = await loadExtra({
    'sdm999.json': {
      model: 'SDM999',
      description: '',
      serialPort: { baudRate: 9601, parity: 'mark', stopBits: 1 },
      registers: {
        importWh: { functionCode: 6, address: -1, type: 'float32', scale: 1000 },
        exportWh: { functionCode: 4, adress: 74, type: 'double', scale: 0 },
        powerW: { functionCode: 4, address: '0x10000', type: 'float32', scale: 1 },
      },
      extra: true,
    },
  });
  assert.equal(error.problems, [
    'sdm999.json: description: must not be empty',
    'sdm999.json: source: is missing; must be the datasheet or document these values come from',
    'sdm999.json: serialPort.baudRate: must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 (got 9601)',
    'sdm999.json: serialPort.parity: must be "none", "even" or "odd" (got "mark")',
    'sdm999.json: registers.importWh.functionCode: must be 3 (holding registers) or 4 (input registers) (got 6)',
    'sdm999.json: registers.importWh.address: must be 0–65535 (got -1)',
    'sdm999.json: registers.exportWh.address: is missing; must be a register address 0–65535, decimal or "0x…" hex',
    'sdm999.json: registers.exportWh.type: must be one of float32, uint32, int32, uint16, int16 (got "double")',
    'sdm999.json: registers.exportWh.scale: must be > 0 (got 0)',
    'sdm999.json: registers.exportWh: unknown field "adress"; allowed: functionCode, address, type, wordOrder, scale, source',
    'sdm999.json: registers.powerW.address: must be 0–65535 (got 65536)',
    'sdm999.json: unknown field "extra"; allowed: model, description, source, serialPort, registers, serialNumber, identify',
  ]);
  assert.match(error.message, 'Invalid Modbus meter templates; fix or remove these files:\n  sdm999.json: description: must not be empty');
});

test('problems in several files are reported together, with cross-field and cross-file checks', async () => {
  const error = await loadExtra({
    'broken.json': '{ "model": "broken", ',
    'sdm120.json': { ...valid, model: 'SDM120' },
    'sdm997.json': { ...valid, model: 'SDM998' },
    'sdm996.json': { ...valid, model: 'SDM996', registers: { powerW: valid.registers.importWh } },
    'sdm995.json': {
      ...valid,
      model: 'SDM995',
      registers: { importWh: valid.registers.importWh, exportWh: { functionCode: 4, address: 0x49, type: 'float32', scale: 1000 } },
    },
  });
  assert.equal(error.problems.length, 5);
  assert.match(error.problems[0]!, /^broken\.json: not valid JSON \(.+\); fix the file or remove it$/);
  assert.is(error.problems[1], 'sdm120.json: model: SDM120 is already defined by ' + join(process.cwd(), 'sensors/drivers/modbus/templates/sdm120.json') + '; give this model another name');
  assert.is(error.problems[2], 'sdm995.json: registers.exportWh.address: overlaps registers.importWh (0x0048–0x0049, function 4)');
  assert.is(error.problems[3], 'sdm996.json: registers: needs at least one energy register: importWh, exportWh, generationWh, consumptionWh');
  assert.is(error.problems[4], 'sdm997.json: model: must match the file name "sdm997" (got "SDM998"); rename the file or the model');
});

test('a missing extra folder is a problem, not an empty list', async () => {
  const missing = join(temp.dir, 'nope');
  try {
    await loadModbusTemplates({ extraDir: missing });
    assert.unreachable();
  } catch (error) {
    assert.match((error as ModbusTemplateError).problems[0]!, `${missing}: cannot read this template folder`);
  }
  await mkdir(missing);
  assert.is((await loadModbusTemplates({ extraDir: missing })).size, 2);
});

test('registers that touch are read in one request; gaps and other function codes are not bridged', async () => {
  const templates = await loadModbusTemplates();
  assert.equal(
    planReads(findModbusTemplate(templates, 'sdm120')).map((r) => [r.functionCode, r.address, r.count, r.fields.map((f) => `${f.name}@${f.offset}`)]),
    [
      [4, 0x000c, 2, ['powerW@0']],
      [4, 0x0048, 4, ['importWh@0', 'exportWh@2']],
    ],
  );
  const mixed = planReads({
    registers: {
      importWh: { functionCode: 3, address: 10, type: 'uint32', wordOrder: 'high-first', scale: 1 },
      exportWh: { functionCode: 4, address: 12, type: 'uint32', wordOrder: 'high-first', scale: 1 },
      powerW: { functionCode: 3, address: 12, type: 'int16', wordOrder: 'high-first', scale: 1 },
    },
  });
  assert.equal(mixed.map((r) => [r.functionCode, r.address, r.count]), [[3, 10, 3], [4, 12, 2]]);
});

test('register words decode in either word order', () => {
  // 3016.829 as float32 is 0x453C8D44.
  assert.is(decodeRegister([0x453c, 0x8d44], 0, 'float32'), 3016.8291015625);
  assert.is(decodeRegister([0x8d44, 0x453c], 0, 'float32', 'low-first'), 3016.8291015625);
  assert.is(decodeRegister([0, 0x0001, 0x0002], 1, 'uint32'), 0x00010002);
  assert.is(decodeRegister([0xffff, 0xfffe], 0, 'int32'), -2);
  assert.is(decodeRegister([0xfffe], 0, 'int16'), -2);
  assert.is(decodeRegister([0xfffe], 0, 'uint16'), 0xfffe);
  assert.throws(() => decodeRegister([1], 0, 'float32'), /answer too short/);
});

test.run();
