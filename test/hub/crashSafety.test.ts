import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { UniqueMessageIdProvider } from 'mqtt';
import { withHubCommands } from '../../hub/cli/hubAccess.js';
import type { MeterCredentials } from '../../hub/admin/hubCommands.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { killHard, spawnHub } from '../helpers/hubProcess.js';
import { sleep, startTestHub } from '../helpers/testHub.js';

const test = suite('crash safety: every acked reading survives SIGKILL');

const METERS = 4;
const WINDOW = 64;
const CYCLES = 3;

test('the hub killed with SIGKILL while clients publish QoS 1 as fast as they can keeps every acked reading', async () => {
  const { dir, remove } = await makeTempDir();
  const meters: MeterCredentials[] = await withHubCommands(dir, async (c) => {
    const out: MeterCredentials[] = [];
    for (let i = 0; i < METERS; i++) {
      const household = await c.addHousehold({ label: `crash ${i}` });
      out.push(await c.addMeter({ householdId: household.id, kind: 'grid', driver: 'mqtt' }));
    }
    return out;
  });
  const acked = new Map<string, number[]>(meters.map((m) => [m.meterId, []]));
  const next = new Map<string, number>(meters.map((m) => [m.meterId, 0]));
  const base = Date.now() - 86_400_000;
  let totalAcked = 0;

  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const hub = await spawnHub(dir);
    const clients = meters.map((m) => {
      const client = mqtt.connect(`mqtt://127.0.0.1:${hub.mqttPort}`, {
        username: m.username,
        password: m.password,
        reconnectPeriod: 0,
        messageIdProvider: new UniqueMessageIdProvider(),
      });
      let inFlight = 0;
      let stopped = false;
      const pump = () => {
        while (!stopped && inFlight < WINDOW) {
          const i = next.get(m.meterId)!;
          next.set(m.meterId, i + 1);
          const t = base + i * 1000;
          inFlight++;
          client.publish(m.topic, JSON.stringify({ t, importWh: i, exportWh: 0 }), { qos: 1 }, (error) => {
            inFlight--;
            if (error) {
              stopped = true;
              return;
            }
            acked.get(m.meterId)!.push(t);
            totalAcked++;
            pump();
          });
        }
      };
      client.on('connect', pump);
      client.on('error', () => {});
      client.on('close', () => (stopped = true));
      return client;
    });
    await sleep(800 + Math.random() * 800);
    await killHard(hub.child);
    await Promise.all(clients.map((c) => c.endAsync(true)));
  }
  assert.ok(totalAcked > 500, `load generated (${totalAcked} acked)`);

  const th = await startTestHub({}, { dataDir: dir, keepDir: true });
  try {
    const missing: string[] = [];
    for (const [meterId, times] of acked) {
      for (const t of times) if (!th.hub.store.around(meterId, t).same) missing.push(`${meterId}@${t}`);
    }
    assert.equal(missing.slice(0, 10), [], `${missing.length} of ${totalAcked} acked readings lost`);
  } finally {
    await th.close();
    await remove();
  }
});

test.run();
