import { readFile, writeFile } from 'node:fs/promises';
import { agentConfigSchema } from '../agent/agentConfig.js';

/**
 * `commonwatt sensor pair --hub URL CODE`: trades a one-time pairing code for
 * the meter's credentials and writes them into the sensor's config file
 * (created if missing, mode 0600), so nobody types a secret.
 */

interface PairedMeter {
  meterId: string;
  password: string;
  mqttUrl: string;
  kind: string;
  driver: string;
}

export async function pairSensor(options: { hub: string; code: string; config: string; port?: string }): Promise<{ meterId: string; driver: string; needsDriverSettings: boolean }> {
  let url: URL;
  try {
    url = new URL('/api/pair', options.hub);
  } catch {
    throw new Error(`--hub: "${options.hub}" is not a URL; use the hub's address, e.g. http://commonwatt.local:8080`);
  }
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: options.code }) });
  } catch (error) {
    throw new Error(`--hub: cannot reach ${url.origin} (${(error as Error).cause ? String((error as Error & { cause: Error }).cause.message) : (error as Error).message}); check the address and that both are on the same network.`);
  }
  const answer = (await response.json().catch(() => ({}))) as PairedMeter & { error?: string };
  if (!response.ok) throw new Error(`The hub refused the pairing code: ${answer.error ?? `HTTP ${response.status}`}`);

  let config: Record<string, unknown> = {};
  try {
    config = JSON.parse(await readFile(options.config, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`--config: ${options.config} exists but is not valid JSON; fix or move it first.`);
  }
  // The hub's MQTT host as the sensor reached its HTTP side.
  const mqttUrl = new URL(answer.mqttUrl);
  mqttUrl.hostname = url.hostname;
  config.hub = { url: mqttUrl.toString().replace(/\/$/, '') };
  const meters = (Array.isArray(config.meters) ? config.meters : []) as Array<{ meterId: string }>;
  config.meters = [...meters.filter((m) => m.meterId !== answer.meterId), { meterId: answer.meterId, password: answer.password }];
  const drivers = (Array.isArray(config.drivers) ? config.drivers : []) as Array<Record<string, unknown>>;
  let needsDriverSettings = true;
  if (answer.driver === 'dsmr' && options.port) {
    config.drivers = [...drivers.filter((d) => d.meterId !== answer.meterId), { driver: 'dsmr', port: options.port, meterId: answer.meterId, dsmrVersion: '5' }];
    needsDriverSettings = false;
  } else {
    config.drivers = drivers;
  }
  await writeFile(options.config, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  if (!needsDriverSettings) needsDriverSettings = !agentConfigSchema.safeParse(config).success;
  return { meterId: answer.meterId, driver: answer.driver, needsDriverSettings };
}
