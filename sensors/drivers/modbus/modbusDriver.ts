import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Clock, DriverReading, DriverStatus, MeterDriver } from '../meterDriver.js';
import { classifyModbusError, closeModbusClient, describeLine, openModbusRtuClient, type ModbusClient, type SerialLine } from './modbusClient.js';
import { decodeRegister, describeRegister, planReads, type PlannedRead } from './modbusReadPlan.js';
import { ENERGY_FIELDS, type ModbusTemplate, type SerialParity } from './modbusTemplate.js';
import { isPlausibleEnergyWh, isPlausiblePowerW } from './registerPlausibility.js';

/**
 * Modbus RTU driver: one RS485 bus, several meters at different addresses.
 * Meters are polled one after another, one request at a time (Modbus RTU has
 * a single master, and two requests in flight would collide on the wire). A
 * meter that does not answer costs one request timeout per poll and never
 * stops the others from being read.
 *
 * Energy registers become integer Wh, power integer W. A value that cannot be
 * a meter register (NaN, negative energy, beyond 1 TWh) is skipped and
 * reported rather than sent to the hub.
 */

export interface ModbusBusOptions {
  /** e.g. /dev/ttyUSB0 or /dev/serial/by-id/… */
  path: string;
  /** Every meter on a bus must talk at one rate; defaults to the templates' factory rate when they agree. */
  baudRate?: number;
  parity?: SerialParity;
}

export interface ModbusMeterOptions {
  /** The hub username the meter's readings go to. */
  meterId: string;
  /** Modbus slave address, 1–247 (Modbus over Serial Line v1.02 §2.2). */
  address: number;
  template: ModbusTemplate;
}

export interface ModbusDriverOptions {
  bus: ModbusBusOptions;
  meters: readonly ModbusMeterOptions[];
  /**
   * An opened client for the bus. The driver sets its request timeout on it, listens for its
   * 'error' and 'close' until stop(), and leaves it open. Without one, start() opens bus.path
   * and stop() closes it.
   */
  client?: ModbusClient;
  clock: Clock;
  /** From the start of one round of polls to the start of the next. */
  pollIntervalMs: number;
  /** How long one request may go unanswered before the meter counts as silent. */
  requestTimeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 1000;

interface MeterState {
  readonly meterId: string;
  readonly address: number;
  readonly template: ModbusTemplate;
  readonly reads: readonly PlannedRead[];
  /** "address 2 (SDM630) on /dev/ttyUSB0" */
  readonly label: string;
  latest: DriverReading | null;
  serial: string | undefined;
  /** Read the serial before the next reading: at start, and after the meter went silent (it may have been replaced). */
  serialStale: boolean;
  serialUnsupported: boolean;
  /** The problem last reported for this meter; a meter that stays dead is reported once, not every poll. */
  problemKey: string | null;
  failedPolls: number;
}

export function createModbusDriver(options: ModbusDriverOptions): MeterDriver {
  return new ModbusDriver(options);
}

class ModbusDriver extends EventEmitter implements MeterDriver {
  readonly driver = 'modbus' as const;
  readonly meterIds: readonly string[];
  private readonly path: string;
  private readonly line: SerialLine;
  private readonly meters: readonly MeterState[];
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly requestTimeoutMs: number;
  private readonly injectedClient: ModbusClient | undefined;
  private readonly firmware: string;

  private client: ModbusClient | null = null;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private cycle: Promise<void> | null = null;
  private connected = false;
  private good = 0;
  private bad = 0;
  private lastError: string | null = null;
  private portProblem: string | null = null;

  private readonly onClientError = (error: unknown) => {
    this.report(`serial port error on ${this.path}: ${(error as Error)?.message ?? String(error)}`);
  };
  private readonly onClientClose = () => {
    this.connected = false;
    if (this.running) this.reportPort(`${this.path} closed; the RS485 adapter may have been unplugged. Trying to reopen it at every poll.`);
  };

  constructor(options: ModbusDriverOptions) {
    super();
    const { line, problems } = checkOptions(options);
    if (problems.length > 0) {
      throw new Error(`Invalid Modbus settings for ${options.bus?.path || 'a bus without a path'}:\n  ${problems.join('\n  ')}`);
    }
    this.path = options.bus.path;
    this.line = line;
    this.clock = options.clock;
    this.pollIntervalMs = options.pollIntervalMs;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.injectedClient = options.client;
    this.meters = options.meters.map((m) => ({
      meterId: m.meterId,
      address: m.address,
      template: m.template,
      reads: planReads(m.template),
      label: `address ${m.address} (${m.template.model}) on ${options.bus.path}`,
      latest: null,
      serial: undefined,
      serialStale: true,
      serialUnsupported: false,
      problemKey: null,
      failedPolls: 0,
    }));
    this.meterIds = Object.freeze(this.meters.map((m) => m.meterId));
    this.firmware = this.meters.map((m) => `${m.template.model} @ ${m.address}`).join(', ');
  }

  async start(): Promise<void> {
    if (this.running) return;
    const client = this.injectedClient ?? (await openModbusRtuClient(this.path, this.line));
    this.useClient(client);
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // A round in progress stops after its current request, at most one request timeout away.
    await this.cycle;
    this.cycle = null;
    const client = this.client;
    this.client = null;
    this.connected = false;
    if (client) {
      if (client !== this.injectedClient) await closeModbusClient(client);
      client.removeListener('error', this.onClientError);
      client.removeListener('close', this.onClientClose);
    }
  }

  latest(meterId: string): DriverReading | null {
    return this.meters.find((m) => m.meterId === meterId)?.latest ?? null;
  }

  status(): DriverStatus {
    return {
      connected: this.connected && this.client?.isOpen === true,
      firmware: this.firmware,
      good: this.good,
      bad: this.bad,
      lastError: this.lastError,
    };
  }

  private useClient(client: ModbusClient): void {
    client.setTimeout(this.requestTimeoutMs);
    client.on('error', this.onClientError);
    client.on('close', this.onClientClose);
    this.client = client;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.cycle = this.runCycle();
    }, delayMs);
  }

  private async runCycle(): Promise<void> {
    const begun = performance.now();
    try {
      await this.pollAll();
    } catch (error) {
      this.report(`Modbus poll on ${this.path} failed unexpectedly: ${(error as Error).message}`);
    }
    if (this.running) this.schedule(Math.max(0, this.pollIntervalMs - (performance.now() - begun)));
  }

  private async pollAll(): Promise<void> {
    if (!(await this.ensureOpen())) {
      this.connected = false;
      return;
    }
    let answered = 0;
    for (const meter of this.meters) {
      if (!this.running) return;
      if (await this.pollMeter(meter)) answered += 1;
    }
    this.connected = answered > 0;
  }

  /** Reopens a port the driver opened itself after the adapter was unplugged and plugged back. */
  private async ensureOpen(): Promise<boolean> {
    if (this.client?.isOpen) {
      this.portRecovered();
      return true;
    }
    if (this.injectedClient) {
      this.reportPort(`the Modbus client for ${this.path} is not open; whoever opened it must reopen it`);
      return false;
    }
    const old = this.client;
    if (old) {
      old.removeListener('error', this.onClientError);
      old.removeListener('close', this.onClientClose);
      this.client = null;
    }
    try {
      this.useClient(await openModbusRtuClient(this.path, this.line));
    } catch (error) {
      this.reportPort((error as Error).message);
      return false;
    }
    this.portRecovered();
    return true;
  }

  private portRecovered(): void {
    if (this.portProblem === null) return;
    this.portProblem = null;
    this.report(`${this.path} is open again`, false);
  }

  /** Reads one meter; true if it answered at all. */
  private async pollMeter(meter: MeterState): Promise<boolean> {
    const client = this.client!;
    let asking = '';
    const values = new Map<string, { value: number; register: string }>();
    try {
      const serialSpec = meter.template.serialNumber;
      if (serialSpec && meter.serialStale && !meter.serialUnsupported) {
        asking = describeRegister(serialSpec.functionCode, serialSpec.address);
        await this.readSerial(meter, client);
      }
      for (const read of meter.reads) {
        if (!this.running) return false;
        asking = describeRegister(read.functionCode, read.address);
        const answer = await request(client, meter.address, read.functionCode, read.address, read.count);
        for (const field of read.fields) {
          const raw = decodeRegister(answer.data, field.offset, field.spec.type, field.spec.wordOrder);
          values.set(field.name, { value: raw * field.spec.scale, register: describeRegister(field.spec.functionCode, field.spec.address) });
        }
      }
    } catch (error) {
      return this.failed(meter, error, asking);
    }

    const reading: DriverReading = { t: this.clock.now() };
    const implausible: string[] = [];
    const implausibleNames: string[] = [];
    for (const name of ENERGY_FIELDS) {
      const v = values.get(name);
      if (!v) continue;
      if (isPlausibleEnergyWh(v.value)) reading[name] = Math.round(v.value);
      else {
        implausible.push(`${name} ${v.value} Wh (${v.register})`);
        implausibleNames.push(name);
      }
    }
    if (implausible.length > 0) {
      this.bad += 1;
      meter.failedPolls += 1;
      this.problem(
        meter,
        `implausible:${implausibleNames.join(',')}`,
        `${meter.label} gave an implausible ${implausible.join(', ')}; reading skipped. ` +
          `If this repeats, check that the ${meter.template.model} template (${meter.template.file}) matches the meter: register address, type, wordOrder and scale.`,
      );
      return true;
    }
    const power = values.get('powerW');
    let powerProblem: string | null = null;
    if (power) {
      if (isPlausiblePowerW(power.value)) reading.powerW = Math.round(power.value);
      else powerProblem = `${meter.label} gave an implausible powerW ${power.value} W (${power.register}); the reading goes without power.`;
    }
    if (meter.serial !== undefined) reading.serial = meter.serial;

    meter.latest = reading;
    this.good += 1;
    if (powerProblem) this.problem(meter, 'implausible:powerW', powerProblem);
    else this.recovered(meter);
    try {
      this.emit('reading', meter.meterId, reading);
    } catch (error) {
      this.report(`a 'reading' listener failed for ${meter.meterId}: ${(error as Error).message}`);
    }
    return true;
  }

  private async readSerial(meter: MeterState, client: ModbusClient): Promise<void> {
    const spec = meter.template.serialNumber!;
    let serial: string;
    try {
      const answer = await request(client, meter.address, spec.functionCode, spec.address, spec.type === 'uint32' ? 2 : 1);
      serial = String(decodeRegister(answer.data, 0, spec.type));
    } catch (error) {
      if (classifyModbusError(error).kind !== 'exception') throw error;
      // Older firmware may lack the register; readings then go without a serial, consistently.
      meter.serialUnsupported = true;
      meter.serialStale = false;
      this.report(`${meter.label} does not give its serial number (${describeRegister(spec.functionCode, spec.address)}: ${classifyModbusError(error).detail}); its readings go without a serial.`);
      return;
    }
    if (meter.serial !== undefined && meter.serial !== serial) {
      this.report(`${meter.label} now has serial ${serial} (was ${meter.serial}): the meter was replaced, and the hub starts a new counter baseline.`, false);
    }
    meter.serial = serial;
    meter.serialStale = false;
  }

  /** Counts and reports a failed poll; true if the meter answered (with an error), false if it was silent. */
  private failed(meter: MeterState, error: unknown, asking: string): boolean {
    const { kind, detail } = classifyModbusError(error);
    this.bad += 1;
    meter.failedPolls += 1;
    if (kind === 'timeout' || kind === 'port') meter.serialStale = true;
    const { model } = meter.template;
    const a = meter.address;
    let key: string = kind;
    let message: string;
    switch (kind) {
      case 'timeout':
        message = `no answer from address ${a} (${model}) on ${this.path}: check A/B wiring, address and baud rate (${this.lineHint(meter.template)})`;
        break;
      case 'crc':
        message =
          `corrupt answer (CRC error) from ${meter.label}, skipped: check the cable (twisted pair, shield), ` +
          `120 Ω termination at both ends of the bus, and that no two meters share address ${a}`;
        break;
      case 'garbled':
        message = `garbled answer from ${meter.label} (${detail}), skipped: two meters may share address ${a}, or another Modbus master is on the bus`;
        break;
      case 'exception':
        key = `exception:${asking}:${detail}`;
        message =
          `${meter.label} refused ${asking}: ${detail}. ` +
          `Check that the meter at address ${a} really is a ${model} (\`commonwatt sensor detect\`) and that its template is right.`;
        break;
      case 'port':
        message = `${this.path} is not open; the RS485 adapter may have been unplugged`;
        break;
      default:
        message = `reading ${meter.label} failed: ${detail}`;
    }
    this.problem(meter, key, message);
    return kind !== 'timeout' && kind !== 'port';
  }

  private lineHint(template: ModbusTemplate): string {
    const factory = describeLine(template.serialPort);
    const bus = describeLine(this.line);
    return bus === factory ? `template: ${factory}` : `bus: ${bus}; ${template.model} factory setting: ${factory}`;
  }

  private problem(meter: MeterState, key: string, message: string): void {
    if (meter.problemKey === key) return;
    meter.problemKey = key;
    this.report(message);
  }

  private recovered(meter: MeterState): void {
    if (meter.problemKey === null) return;
    meter.problemKey = null;
    this.report(`${meter.label} reads normally again${meter.failedPolls > 0 ? ` after ${meter.failedPolls} failed poll(s)` : ''}`, false);
    meter.failedPolls = 0;
  }

  private reportPort(message: string): void {
    if (this.portProblem === message) return;
    this.portProblem = message;
    this.report(message);
  }

  /** Emits 'problem'; news that something works again is logged too, but is not status().lastError. */
  private report(message: string, isError = true): void {
    if (isError) this.lastError = message;
    try {
      this.emit('problem', message);
    } catch {
      // A failing log listener must not stop the bus.
    }
  }
}

function request(client: ModbusClient, address: number, functionCode: 3 | 4, start: number, count: number): Promise<{ data: number[] }> {
  client.setID(address);
  return functionCode === 3 ? client.readHoldingRegisters(start, count) : client.readInputRegisters(start, count);
}

/** Only used when no meter is given, which is already an error. */
const FALLBACK_LINE: SerialLine = { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 };

/** Checks what the agent's config schema cannot: settings that only clash across meters. */
function checkOptions(options: ModbusDriverOptions): { line: SerialLine; problems: string[] } {
  const problems: string[] = [];
  const { bus, meters } = options;
  if (!bus?.path) problems.push('bus.path: must name a serial port, e.g. /dev/ttyUSB0');
  if (!Array.isArray(meters) || meters.length === 0) problems.push('meters: needs at least one meter');
  const ids = new Map<string, number>();
  const addresses = new Map<number, string>();
  (meters ?? []).forEach((m, i) => {
    if (!m.meterId) problems.push(`meters.${i}.meterId: must be the meter's hub id`);
    else if (ids.has(m.meterId)) problems.push(`meters.${i}.meterId: ${m.meterId} is listed twice (also meters.${ids.get(m.meterId)})`);
    else ids.set(m.meterId, i);
    if (!Number.isInteger(m.address) || m.address < 1 || m.address > 247) {
      problems.push(`meters.${i}.address: must be a Modbus address 1–247 (got ${JSON.stringify(m.address)})`);
    } else if (addresses.has(m.address)) {
      problems.push(`meters.${i}.address: address ${m.address} is already used by ${addresses.get(m.address)}; every meter on one bus needs its own address (set it on the meter's front panel)`);
    } else addresses.set(m.address, m.meterId);
  });
  if (!(Number.isFinite(options.pollIntervalMs) && options.pollIntervalMs > 0)) {
    problems.push(`pollIntervalMs: must be > 0 milliseconds (got ${JSON.stringify(options.pollIntervalMs)})`);
  }
  if (options.requestTimeoutMs !== undefined && !(Number.isFinite(options.requestTimeoutMs) && options.requestTimeoutMs > 0)) {
    problems.push(`requestTimeoutMs: must be > 0 milliseconds (got ${JSON.stringify(options.requestTimeoutMs)})`);
  }

  const templates = (meters ?? []).map((m) => m.template).filter((t): t is ModbusTemplate => t !== undefined);
  const agreed = <K extends keyof SerialLine>(key: K, override: SerialLine[K] | undefined, hint: string): SerialLine[K] => {
    if (override !== undefined) return override;
    const values = new Map(templates.map((t) => [t.serialPort[key] as SerialLine[K], t.model]));
    if (values.size > 1) {
      const list = [...new Set(templates.map((t) => `${t.model}: ${String(t.serialPort[key])}`))].join(', ');
      problems.push(`bus.${key}: the meters' factory settings differ (${list}); ${hint}`);
    }
    return [...values.keys()][0] ?? FALLBACK_LINE[key];
  };
  const line: SerialLine = {
    baudRate: agreed('baudRate', bus?.baudRate, 'set every meter to one rate on its front panel and give that rate as baudRate'),
    parity: agreed('parity', bus?.parity, 'set every meter to one parity on its front panel and give it as parity'),
    dataBits: agreed('dataBits', undefined, 'meters with different data bits cannot share a bus'),
    stopBits: agreed('stopBits', undefined, 'set every meter to the same stop bits'),
  };
  return { line, problems };
}
