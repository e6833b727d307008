import { dsmrCrc16 } from '../../sensors/drivers/dsmr/dsmrTelegram.js';

/**
 * A smart meter's P1 port for the demo: builds DSMR 5.0 telegrams (tariff
 * registers in kWh, power in kW, CRC16) from cumulative watt-hours, the way an
 * Iskra or Kaifa meter sends them. The demo writes them to a mock serial port
 * that the real DSMR driver reads.
 */
export interface P1Registers {
  importWh: number;
  exportWh: number;
  powerW: number;
}

const kWh = (wh: number) => (Math.floor(wh) / 1000).toFixed(3).padStart(10, '0');
const kW = (w: number) => (Math.max(0, w) / 1000).toFixed(3).padStart(6, '0');

export function buildDsmr5Telegram(serial: string, at: Date, r: P1Registers): Buffer {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  // Tariff 1 (night) and 2 (day): the demo books everything on tariff 2.
  const lines = [
    '/ISK5\\2M550T-1012',
    '',
    '1-3:0.2.8(50)',
    `0-0:1.0.0(${stamp}W)`,
    `0-0:96.1.1(${Buffer.from(serial, 'ascii').toString('hex').toUpperCase()})`,
    `1-0:1.8.1(${kWh(0)}*kWh)`,
    `1-0:1.8.2(${kWh(r.importWh)}*kWh)`,
    `1-0:2.8.1(${kWh(0)}*kWh)`,
    `1-0:2.8.2(${kWh(r.exportWh)}*kWh)`,
    '0-0:96.14.0(0002)',
    `1-0:1.7.0(${kW(r.powerW)}*kW)`,
    `1-0:2.7.0(${kW(-r.powerW)}*kW)`,
    '0-0:96.7.21(00004)',
    '!',
  ];
  const body = Buffer.from(lines.join('\r\n'), 'ascii');
  const crc = dsmrCrc16(body).toString(16).toUpperCase().padStart(4, '0');
  return Buffer.concat([body, Buffer.from(`${crc}\r\n`, 'ascii')]);
}
