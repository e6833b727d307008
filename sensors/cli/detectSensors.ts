import { probeDsmr, type DsmrProbeResult } from '../drivers/dsmr/probeDsmr.js';
import { dsmrSerialSettings, formatDsmrSerialSettings, type DsmrGeneration } from '../drivers/dsmr/dsmrSerialSettings.js';
import { listSerialPorts } from './listSerialPorts.js';
import { probeFirmata } from '../drivers/s0/openFirmataBoard.js';
import { scanModbus, type ModbusScanResult } from '../drivers/modbus/scanModbus.js';
import { loadModbusTemplates } from '../drivers/modbus/modbusTemplate.js';
import { openSerialPort } from './openSerialPort.js';

/**
 * `commonwatt sensor detect`: lists serial ports and probes each: a Firmata
 * handshake (an Arduino for pulse meters), a DSMR P1 telegram at both serial
 * settings, then a Modbus scan; prints what it found with config snippets.
 */

export interface PortFinding {
  path: string;
  description: string | null;
  firmata: { firmware: string; version: string } | null;
  dsmr: (DsmrProbeResult & { settings: string }) | null;
  modbus: ModbusScanResult | null;
  error: string | null;
  snippet: Record<string, unknown> | null;
}

export async function probePort(path: string, timeoutMs: number): Promise<Omit<PortFinding, 'description'>> {
  const finding: Omit<PortFinding, 'description'> = { path, firmata: null, dsmr: null, modbus: null, error: null, snippet: null };
  try {
    finding.firmata = await probeFirmata(path, Math.min(timeoutMs, 10_000));
  } catch (error) {
    finding.error = (error as Error).message;
    return finding;
  }
  if (finding.firmata) {
    finding.snippet = { driver: 's0', port: path, meters: [{ meterId: 'm-FROM-METERS-ADD', pin: 2, impulsesPerKWh: 1000, register: 'generationWh' }] };
    return finding;
  }
  for (const generation of ['4/5', '2.2/3'] as DsmrGeneration[]) {
    let port;
    try {
      port = await openSerialPort(path, dsmrSerialSettings[generation]);
    } catch (error) {
      finding.error = (error as Error).message;
      return finding;
    }
    try {
      const result = await probeDsmr(port, timeoutMs);
      if (result) {
        finding.dsmr = { ...result, settings: formatDsmrSerialSettings(generation) };
        finding.snippet = { driver: 'dsmr', port: path, meterId: 'm-FROM-METERS-ADD', dsmrVersion: generation === '4/5' ? '5' : '2.2' };
        return finding;
      }
    } finally {
      await new Promise((resolve) => port.close(() => resolve(null)));
    }
  }
  try {
    const templates = await loadModbusTemplates();
    finding.modbus = await scanModbus(path, { templates: templates.values() });
  } catch (error) {
    finding.error = (error as Error).message;
    return finding;
  }
  const found = finding.modbus.found;
  if (found.length > 0) {
    const line = found[0]!.line;
    finding.snippet = {
      driver: 'modbus',
      port: path,
      baudRate: line.baudRate,
      parity: line.parity,
      meters: found.map((f) => ({ meterId: 'm-FROM-METERS-ADD', address: f.address, template: (f.model ?? 'CHOOSE').toLowerCase() })),
    };
  }
  return finding;
}

export async function detectSensors(options: { json: boolean; timeoutMs: number }): Promise<PortFinding[]> {
  const { ports, note } = await listSerialPorts();
  if (note && !options.json) console.log(note);
  const findings: PortFinding[] = [];
  for (const port of ports) {
    if (!options.json) console.log(`Probing ${port.path}${port.description ? ` (${port.description})` : ''} ...`);
    findings.push({ ...(await probePort(port.path, options.timeoutMs)), description: port.description });
  }
  if (options.json) {
    console.log(JSON.stringify({ note, ports: findings }, null, 2));
    return findings;
  }
  if (ports.length === 0) console.log('No serial ports found. Plug in the P1 cable, Arduino or RS485 adapter and run this again.');
  for (const f of findings) {
    if (f.firmata) {
      console.log(`${f.path}: Arduino with ${f.firmata.firmware} ${f.firmata.version}, ready for pulse (S0/LED) meters`);
    } else if (f.dsmr) {
      console.log(`${f.path}: smart meter P1 port, ${f.dsmr.version} at ${f.dsmr.settings}, meter serial ${f.dsmr.serial ?? 'not sent'}, CRC ${f.dsmr.crcOk === null ? 'not used' : f.dsmr.crcOk ? 'OK' : 'WRONG (noise on the line: check the cable)'}`);
    } else if (f.modbus && f.modbus.found.length > 0) {
      for (const m of f.modbus.found) {
        console.log(`${f.path}: Modbus meter at address ${m.address} (${m.line.baudRate} baud, parity ${m.line.parity}): ${m.model ?? 'model unclear'}; ${m.reason}`);
      }
      for (const note of f.modbus.notes) console.log(`  note: ${note}`);
    } else if (f.error) {
      console.log(`${f.path}: ${f.error}`);
    } else {
      console.log(`${f.path}: nothing recognised answered (no Firmata board, no DSMR telegram at 115200 8N1 or 9600 7E1, no Modbus meter at addresses 1–10).`);
    }
  }
  const snippets = findings.filter((f) => f.snippet).map((f) => f.snippet);
  if (snippets.length > 0) {
    console.log('\nDriver entries for the "drivers" list of your sensor config (replace the meter ids):');
    console.log(JSON.stringify(snippets, null, 2));
  }
  return findings;
}
