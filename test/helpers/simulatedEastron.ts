import { floatWords, setWords, uint32Words } from './modbusSlave.js';

/**
 * Register maps of simulated Eastron meters, laid out as the datasheets cited in
 * sensors/drivers/modbus/templates/ describe them: floats high word first,
 * energy in kWh, power in W. Only the registers the tests touch are present;
 * the slave refuses the rest with exception 2, as a meter does for an address
 * it does not have.
 */

export interface EastronValues {
  importKWh: number;
  exportKWh: number;
  powerW: number;
  serial: number;
}

export function simulatedSdm120(v: EastronValues): { input: Map<number, number>; holding: Map<number, number> } {
  const input = new Map<number, number>();
  const holding = new Map<number, number>();
  setWords(input, 0x000c, floatWords(v.powerW)); // 30013 active power
  setWords(input, 0x0048, floatWords(v.importKWh)); // 30073 import active energy
  setWords(input, 0x004a, floatWords(v.exportKWh)); // 30075 export active energy
  setWords(holding, 0xfc00, uint32Words(v.serial));
  return { input, holding };
}

export function simulatedSdm630(v: EastronValues & { phase1PowerW?: number }): { input: Map<number, number>; holding: Map<number, number> } {
  const input = new Map<number, number>();
  const holding = new Map<number, number>();
  // An SDM630 also has a register at 0x000C (phase 1 power), so the SDM120 template fits it too.
  setWords(input, 0x000c, floatWords(v.phase1PowerW ?? v.powerW / 3));
  setWords(input, 0x0034, floatWords(v.powerW)); // 30053 total system power
  setWords(input, 0x0048, floatWords(v.importKWh)); // 30073 total import kWh
  setWords(input, 0x004a, floatWords(v.exportKWh)); // 30075 total export kWh
  setWords(holding, 0xfc00, uint32Words(v.serial));
  holding.set(0xfc02, 0x0070); // meter code
  return { input, holding };
}
