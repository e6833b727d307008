import type { Clock, MeterDriver } from '../drivers/meterDriver.js';
import type { AgentConfig, DriverConfig } from '../agent/agentConfig.js';
import { createDsmrDriver } from '../drivers/dsmr/dsmrDriver.js';
import { dsmrSerialSettings } from '../drivers/dsmr/dsmrSerialSettings.js';
import { createPulseDriver } from '../drivers/s0/pulseDriver.js';
import { openFirmataBoard } from '../drivers/s0/openFirmataBoard.js';
import { createModbusDriver } from '../drivers/modbus/modbusDriver.js';
import { findModbusTemplate, loadModbusTemplates } from '../drivers/modbus/modbusTemplate.js';
import { openSerialPort } from './openSerialPort.js';
import { join } from 'node:path';

/**
 * Opens the hardware a sensor config names and makes its drivers: the only
 * place where devices are opened by path. Each returned driver closes the port
 * it was given when it stops.
 */
export async function openDrivers(config: AgentConfig, clock: Clock, onPortLost: (message: string) => void = () => {}): Promise<MeterDriver[]> {
  const drivers: MeterDriver[] = [];
  try {
    for (const source of config.drivers) drivers.push(await openDriver(source, config, clock, onPortLost));
  } catch (error) {
    for (const d of drivers) await d.stop().catch(() => {});
    throw error;
  }
  return drivers;
}

async function openDriver(source: DriverConfig, config: AgentConfig, clock: Clock, onPortLost: (message: string) => void): Promise<MeterDriver> {
  switch (source.driver) {
    case 'dsmr': {
      const generation = source.dsmrVersion === '2.2' || source.dsmrVersion === '3' ? '2.2/3' : '4/5';
      const port = await openSerialPort(source.port, dsmrSerialSettings[generation]);
      let stopping = false;
      // A P1 cable unplugged closes the port for good; the agent leaves it to
      // its service manager to start again and reopen it (the outbox keeps every reading).
      port.on('close', () => {
        if (!stopping) onPortLost(`P1 port ${source.port} closed (cable unplugged?)`);
      });
      return closingPortOnStop(createDsmrDriver({ meterId: source.meterId, port, clock }), () => {
        stopping = true;
        return closePort(port);
      });
    }
    case 's0':
      // The driver opens (and reopens, after an unplug) the board itself through `connect`.
      return createPulseDriver({
        meters: source.meters.map((m) => ({ meterId: m.meterId, pin: m.pin, impulsesPerKWh: m.impulsesPerKWh, register: m.register, offsetWh: m.offsetWh, pullUp: m.pullUp })),
        connect: () => openFirmataBoard(source.port),
        boardPath: source.port,
        stateFile: join(config.stateDir, `pulses-${source.port.replace(/[^A-Za-z0-9]+/g, '_')}.json`),
        clock,
      });
    case 'modbus': {
      const templates = await loadModbusTemplates({ extraDir: source.templatesDir });
      // The driver opens the bus path itself, so that it can reopen an unplugged adapter.
      return createModbusDriver({
        bus: { path: source.port, baudRate: source.baudRate, parity: source.parity },
        meters: source.meters.map((m) => ({ meterId: m.meterId, address: m.address, template: findModbusTemplate(templates, m.template) })),
        clock,
        pollIntervalMs: Math.min(config.publishIntervalMs, 5_000),
      });
    }
  }
}

function closingPortOnStop(driver: MeterDriver, close: () => Promise<void>): MeterDriver {
  const stop = driver.stop.bind(driver);
  driver.stop = async () => {
    await stop();
    await close();
  };
  return driver;
}

function closePort(port: { isOpen: boolean; close(cb: (error?: Error | null) => void): void }): Promise<void> {
  return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
}
