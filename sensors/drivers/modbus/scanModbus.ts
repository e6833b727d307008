import { classifyModbusError, closeModbusClient, describeLine, openModbusRtuClient, type ModbusClient, type SerialLine } from './modbusClient.js';
import { decodeRegister, describeRegister, planReads } from './modbusReadPlan.js';
import { ENERGY_FIELDS, hex, type ModbusTemplate, type RegisterField } from './modbusTemplate.js';
import { isPlausibleEnergyWh, isPlausiblePowerW } from './registerPlausibility.js';

/**
 * Finds the Modbus meters on an RS485 bus for `commonwatt sensor detect`: which
 * addresses answer, at which serial settings, and which template fits each.
 *
 * For each serial setting (by default each template's factory setting), the port
 * is opened and every address not yet found is asked for each template's
 * registers. A meter at another baud rate hears noise and stays silent, so it
 * is found in the pass that matches its setting. A template fits when all its
 * registers answer with plausible values; where several fit (an SDM630 also has
 * a register at the SDM120's power address), a template's `identify` register
 * decides, or rules the template out when it is refused or differs.
 *
 * The scan owns the port while it runs: stop any driver on the same bus first.
 */

export interface ScanModbusOptions {
  templates: Iterable<ModbusTemplate>;
  /** Slave addresses to try; default 1–10. */
  addresses?: readonly number[];
  /** Serial settings to try, in order; default each distinct factory setting of the templates. */
  lines?: readonly SerialLine[];
  /** How long to wait for each answer. */
  timeoutMs?: number;
  /** Opens the port; default a real RS485 adapter. */
  open?: (path: string, line: SerialLine) => Promise<ModbusClient>;
}

export interface ModbusScanFinding {
  address: number;
  /** The serial settings it answered at. */
  line: SerialLine;
  /** The fitting template's model, or null when none or several fit. */
  model: string | null;
  /** How the model was decided, in words for the volunteer. */
  reason: string;
  /** Models whose registers all read plausibly. */
  fits: string[];
  /** What the chosen template read, to compare with the meter's display. */
  sample: Partial<Record<RegisterField, number>> | null;
}

export interface ModbusScanResult {
  path: string;
  found: ModbusScanFinding[];
  /** Addresses that never gave a clean answer. */
  silent: number[];
  /** Corrupt answers seen on the way: a hint of wrong parity, wiring or termination. */
  notes: string[];
}

const DEFAULT_ADDRESSES = Array.from({ length: 10 }, (_, i) => i + 1);
const DEFAULT_TIMEOUT_MS = 500;

type Probe = { ok: true; data: number[] } | { ok: false; kind: ReturnType<typeof classifyModbusError>['kind']; detail: string };

export async function scanModbus(path: string, options: ScanModbusOptions): Promise<ModbusScanResult> {
  const templates = [...options.templates];
  if (templates.length === 0) throw new Error('scanModbus needs at least one template to compare meters with');
  const lines = options.lines ?? distinctLines(templates);
  const open = options.open ?? openModbusRtuClient;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const remaining = new Set(options.addresses ?? DEFAULT_ADDRESSES);
  const found: ModbusScanFinding[] = [];
  const notes: string[] = [];

  for (const line of lines) {
    if (remaining.size === 0) break;
    const client = await open(path, line);
    const onError = (error: unknown) => notes.push(`${path} at ${describeLine(line)}: ${(error as Error)?.message ?? String(error)}`);
    client.on('error', onError);
    client.setTimeout(timeoutMs);
    try {
      for (const address of [...remaining]) {
        const finding = await probeAddress(client, address, line, templates, (note) => notes.push(`address ${address} at ${describeLine(line)}: ${note}`));
        if (finding) {
          found.push(finding);
          remaining.delete(address);
        }
      }
    } finally {
      await closeModbusClient(client);
      client.removeListener('error', onError);
    }
  }
  return { path, found: found.sort((a, b) => a.address - b.address), silent: [...remaining].sort((a, b) => a - b), notes };
}

/** null when the address gave no clean answer at this setting. */
async function probeAddress(
  client: ModbusClient,
  address: number,
  line: SerialLine,
  templates: readonly ModbusTemplate[],
  note: (message: string) => void,
): Promise<ModbusScanFinding | null> {
  let answered = false;
  /** A silent first request means nobody is there at this setting; skip the rest. */
  const ask = async (functionCode: 3 | 4, start: number, count: number): Promise<Probe | 'silent'> => {
    client.setID(address);
    try {
      const answer = functionCode === 3 ? await client.readHoldingRegisters(start, count) : await client.readInputRegisters(start, count);
      answered = true;
      return { ok: true, data: answer.data };
    } catch (error) {
      const { kind, detail } = classifyModbusError(error);
      if (kind === 'exception') answered = true;
      else if (kind === 'crc' || kind === 'garbled') note(`corrupt answer to ${describeRegister(functionCode, start)} (${detail})`);
      if (kind === 'timeout' && !answered) return 'silent';
      return { ok: false, kind, detail };
    }
  };

  const identified: ModbusTemplate[] = [];
  const ruledOut = new Set<ModbusTemplate>();
  const fits: ModbusTemplate[] = [];
  const samples = new Map<ModbusTemplate, Partial<Record<RegisterField, number>>>();

  for (const template of templates) {
    const id = template.identify;
    if (id) {
      const probe = await ask(id.functionCode, id.address, id.type === 'uint32' ? 2 : 1);
      if (probe === 'silent') return null;
      if (probe.ok && decodeRegister(probe.data, 0, id.type) === id.equals) identified.push(template);
      else ruledOut.add(template);
    }
    const sample: Partial<Record<RegisterField, number>> = {};
    let fitsAll = true;
    for (const read of planReads(template)) {
      const probe = await ask(read.functionCode, read.address, read.count);
      if (probe === 'silent') return null;
      if (!probe.ok) {
        fitsAll = false;
        break;
      }
      for (const field of read.fields) {
        const value = decodeRegister(probe.data, field.offset, field.spec.type, field.spec.wordOrder) * field.spec.scale;
        const energy = (ENERGY_FIELDS as readonly string[]).includes(field.name);
        if (energy ? !isPlausibleEnergyWh(value) : !isPlausiblePowerW(value)) fitsAll = false;
        else sample[field.name] = Math.round(value);
      }
      if (!fitsAll) break;
    }
    if (fitsAll) {
      fits.push(template);
      samples.set(template, sample);
    }
  }
  if (!answered) return null;

  const fitNames = fits.map((t) => t.model);
  const base = { address, line, fits: fitNames };
  if (identified.length === 1) {
    const t = identified[0]!;
    const id = t.identify!;
    return { ...base, model: t.model, reason: `its ${describeRegister(id.functionCode, id.address)} holds ${hex(id.equals)}, the ${t.model} meter code`, sample: samples.get(t) ?? null };
  }
  if (identified.length > 1) {
    return { ...base, model: null, reason: `several templates claim its meter code: ${identified.map((t) => t.model).join(', ')}; fix their identify sections`, sample: null };
  }
  const candidates = fits.filter((t) => !ruledOut.has(t));
  if (candidates.length === 1) {
    const t = candidates[0]!;
    const others = fits.length > 1 ? ` (${fitNames.filter((n) => n !== t.model).join(', ')} ruled out by their identify register)` : '';
    return { ...base, model: t.model, reason: `only the ${t.model} template's registers read as plausible meter values${others}`, sample: samples.get(t) ?? null };
  }
  if (candidates.length > 1) {
    return {
      ...base,
      model: null,
      reason: `the registers of ${candidates.map((t) => t.model).join(', ')} all read plausibly; pick the model printed on the meter`,
      sample: null,
    };
  }
  return { ...base, model: null, reason: 'it answers, but no template reads plausible values; a template for this model may be missing', sample: null };
}

/** Each distinct factory setting of the templates, in template order. */
function distinctLines(templates: readonly ModbusTemplate[]): SerialLine[] {
  const lines = new Map<string, SerialLine>();
  for (const t of templates) {
    const line: SerialLine = { ...t.serialPort };
    if (!lines.has(describeLine(line))) lines.set(describeLine(line), line);
  }
  return [...lines.values()];
}
