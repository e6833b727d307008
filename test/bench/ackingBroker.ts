import { createServer } from 'node:net';
import { Aedes } from 'aedes';

/**
 * A bare Aedes broker in this process, on a loopback port picked by the OS: no
 * authentication, no storage, every QoS 1 PUBLISH acked at once. Against it a
 * sensor agent drains its outbox as fast as the agent itself can, which the
 * hub (validation, group commit, SQLite) bounds from below. Counts the
 * readings arriving per meter on `commonwatt/meters/<id>/readings` (a payload
 * is one reading or an array of them).
 */
export interface AckingBroker {
  readonly mqttUrl: string;
  /** Readings received per meter id (duplicates counted again). */
  readonly readings: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

const READINGS_TOPIC = /^commonwatt\/meters\/([^/]+)\/readings$/;

export async function startAckingBroker(): Promise<AckingBroker> {
  const aedes = await Aedes.createBroker();
  const readings = new Map<string, number>();
  aedes.on('publish', (packet, client) => {
    if (!client) return;
    const match = READINGS_TOPIC.exec(packet.topic);
    if (!match) return;
    let count = 1;
    // '[' starts a batch; counting its top-level objects is enough (readings are flat objects).
    if (packet.payload[0] === 0x5b) count = (packet.payload.toString('latin1').match(/\{/g) ?? []).length;
    readings.set(match[1]!, (readings.get(match[1]!) ?? 0) + count);
  });
  const server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    mqttUrl: `mqtt://127.0.0.1:${port}`,
    readings,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
