/**
 * Serial settings of a meter's P1 port, as SerialPort open options
 * (`new SerialPort({ path, ...dsmrSerialSettings['4/5'] })`).
 *
 * - DSMR 4.x and 5.x (and Belgian e-MUCS): 115200 baud, 8 data bits, no parity, 1 stop bit.
 * - DSMR 2.2 and 3.0: 9600 baud, 7 data bits, even parity, 1 stop bit.
 *
 * Which one a meter uses can be told from its telegram: DSMR 4 and later end
 * with '!' and a 4-digit CRC, DSMR 2.2/3 with a bare '!'.
 */
export const dsmrSerialSettings = Object.freeze({
  '4/5': Object.freeze({ baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 } as const),
  '2.2/3': Object.freeze({ baudRate: 9600, dataBits: 7, parity: 'even', stopBits: 1 } as const),
});

export type DsmrGeneration = keyof typeof dsmrSerialSettings;

/** "115200 8N1", "9600 7E1": the way meter documentation and volunteers write them. */
export function formatDsmrSerialSettings(generation: DsmrGeneration): string {
  const s = dsmrSerialSettings[generation];
  return `${s.baudRate} ${s.dataBits}${s.parity.charAt(0).toUpperCase()}${s.stopBits}`;
}
