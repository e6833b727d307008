import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { collect, connectClient, publishAcked, startTestHub, subscribeGranted, waitFor, type TestHub } from '../helpers/testHub.js';
import { meterTopics } from '../../hub/broker/topics.js';

const test = suite('broker and ingest');
let th: TestHub;

test.before(async () => {
  th = await startTestHub();
});
test.after(async () => {
  await th.close();
});

const minutesAgo = (m: number) => Date.now() - m * 60_000;

test('a registered meter’s reading is acked and stored', async () => {
  const meter = await th.addMeter('grid');
  const client = await th.connect(meter);
  const t = minutesAgo(30);
  await publishAcked(client, meter.topic, JSON.stringify({ t, importWh: 3016829, exportWh: 0, powerW: 2027, serial: 'A1' }));
  const stored = th.hub.store.around(meter.meterId, t).same;
  assert.equal(stored, { meterId: meter.meterId, t, importWh: 3016829, exportWh: 0, generationWh: null, consumptionWh: null, powerW: 2027, serial: 'A1' });
  await th.hub.store.flush();
  assert.is(th.hub.store.stats(meter.meterId).readings, 1);
});

test('a backlog array of 500 readings is stored from one message', async () => {
  const meter = await th.addMeter('generation');
  const client = await th.connect(meter);
  const start = minutesAgo(200);
  const backlog = Array.from({ length: 500 }, (_, i) => ({ t: start + i * 10_000, generationWh: 1000 + i }));
  await publishAcked(client, meter.topic, JSON.stringify(backlog));
  assert.is(th.hub.store.stats(meter.meterId).readings, 500);
  assert.is(th.hub.store.latest(meter.meterId)?.generationWh, 1499);
});

test('a wrong secret is refused with "bad username or password" and an unknown meter too', async () => {
  const meter = await th.addMeter();
  for (const credentials of [
    { username: meter.username, password: 'not-the-secret' },
    { username: 'm-doesnotexist', password: meter.password },
  ]) {
    const error = await connectClient(th.mqttUrl, credentials).then(
      () => null,
      (e: Error & { code?: number }) => e,
    );
    assert.ok(error, 'connection must be refused');
    assert.match(error!.message, /bad user ?name or password/i);
  }
});

test('a meter publishing under another meter’s topic is disconnected and nothing is stored', async () => {
  const victim = await th.addMeter();
  const intruder = await th.addMeter();
  const client = await th.connect(intruder);
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.publish(victim.topic, JSON.stringify({ t: minutesAgo(5), importWh: 1, exportWh: 0 }), { qos: 1 });
  await closed;
  assert.is(th.hub.store.stats(victim.meterId).readings, 0);
  assert.is(th.hub.store.stats(intruder.meterId).readings, 0);
});

test('anonymous clients get no readings: their subscriptions outside public topics are refused', async () => {
  const meter = await th.addMeter();
  const anonymous = await th.connect();
  assert.equal(await subscribeGranted(anonymous, ['commonwatt/meters/+/readings', '#', 'commonwatt/#', meter.topic]), [128, 128, 128, 128]);
  assert.equal(await subscribeGranted(anonymous, ['commonwatt/public/#', 'commonwatt/hub/status']), [1, 1]);
  const seen: string[] = [];
  anonymous.on('message', (topic) => seen.push(topic));
  const client = await th.connect(meter);
  // A meter may subscribe only to its own rejected topic.
  assert.equal(await subscribeGranted(client, [meterTopics(meter.meterId).rejected, 'commonwatt/meters/+/rejected', '#']), [1, 128, 128]);
  await publishAcked(client, meter.topic, JSON.stringify({ t: minutesAgo(5), importWh: 10, exportWh: 0 }));
  await waitFor(() => seen.includes('commonwatt/hub/status'), 'retained hub status');
  assert.equal(seen, ['commonwatt/hub/status']);
});

test('anonymous clients may not publish', async () => {
  const anonymous = await th.connect();
  const closed = new Promise<void>((resolve) => anonymous.once('close', () => resolve()));
  anonymous.publish('commonwatt/public/x', 'hello', { qos: 1 });
  await closed;
});

test('bad readings are acked, rejected with their reason on the meter’s topic, and nothing is stored', async () => {
  const meter = await th.addMeter('grid');
  const client = await th.connect(meter);
  const rejections = await collect<{ received: number; stored: number; rejected: Array<{ code: string; reason: string; index: number | null }> }>(
    client,
    meterTopics(meter.meterId).rejected,
  );
  const t0 = minutesAgo(60);
  await publishAcked(client, meter.topic, JSON.stringify({ t: t0, importWh: 1000, exportWh: 50, serial: 'S1' }));

  const cases: Array<{ name: string; payload: string | Buffer; code: string; reason: RegExp }> = [
    { name: 'malformed JSON', payload: '{"t": 17638065, importWh', code: 'malformed', reason: /not JSON/ },
    { name: 'NaN', payload: `{"t":${t0 + 10_000},"importWh":NaN}`, code: 'malformed', reason: /not JSON/ },
    { name: 'wrong types', payload: JSON.stringify({ t: 'yesterday', importWh: '1000' }), code: 'malformed', reason: /t: must be milliseconds.*importWh: must be a number/ },
    { name: 'huge number', payload: JSON.stringify({ t: t0 + 10_000, importWh: 1e300 }), code: 'malformed', reason: /importWh: must be ≤/ },
    { name: 'negative register', payload: JSON.stringify({ t: t0 + 10_000, importWh: -5 }), code: 'malformed', reason: /importWh: must be ≥ 0/ },
    { name: 'fractional register', payload: JSON.stringify({ t: t0 + 10_000, importWh: 1000.5 }), code: 'malformed', reason: /integer/ },
    { name: 'seconds instead of ms', payload: JSON.stringify({ t: Math.floor(t0 / 1000), importWh: 1001 }), code: 'malformed', reason: /not seconds/ },
    { name: 'unknown field', payload: JSON.stringify({ t: t0 + 10_000, importKWh: 1 }), code: 'malformed', reason: /unknown field "importKWh"/ },
    { name: 'future time', payload: JSON.stringify({ t: Date.now() + 10 * 60_000, importWh: 1001 }), code: 'future', reason: /ahead of the hub's clock/ },
    { name: 'too old', payload: JSON.stringify({ t: Date.now() - 40 * 86_400_000, importWh: 1001 }), code: 'too_old', reason: /retention/ },
    { name: 'register going backwards', payload: JSON.stringify({ t: t0 + 10_000, importWh: 900, exportWh: 50 }), code: 'backwards', reason: /importWh goes down/ },
    { name: 'backwards with the same serial', payload: JSON.stringify({ t: t0 + 10_000, importWh: 900, exportWh: 50, serial: 'S1' }), code: 'backwards', reason: /new serial/ },
    { name: 'implausible jump', payload: JSON.stringify({ t: t0 + 10_000, importWh: 1000 + 200_000, exportWh: 50 }), code: 'implausible_jump', reason: /60000 W limit/ },
    { name: 'duplicate with other values', payload: JSON.stringify({ t: t0, importWh: 1001, exportWh: 50 }), code: 'conflict', reason: /different reading/ },
    { name: 'register of another meter kind', payload: JSON.stringify({ t: t0 + 10_000, generationWh: 5 }), code: 'wrong_register', reason: /grid meter reports importWh and exportWh/ },
    { name: 'oversized payload', payload: Buffer.alloc(300_000, 0x20), code: 'oversized', reason: /at most 262144/ },
    {
      name: 'array of 501',
      payload: JSON.stringify(Array.from({ length: 501 }, (_, i) => ({ t: t0 + (i + 1) * 1000, importWh: 1000 + i, exportWh: 50 }))),
      code: 'malformed',
      reason: /payload has 501 readings; send at most 500/,
    },
    { name: 'empty array', payload: '[]', code: 'malformed', reason: /empty array/ },
  ];
  for (const c of cases) {
    const before = rejections.length;
    await publishAcked(client, meter.topic, c.payload);
    await waitFor(() => rejections.length > before, `rejection for ${c.name}`);
    const message = rejections[before]!;
    assert.is(message.stored, 0, `${c.name}: nothing stored`);
    assert.is(message.rejected[0]?.code, c.code, `${c.name}: code`);
    assert.match(message.rejected[0]!.reason, c.reason, `${c.name}: reason`);
    assert.is(th.hub.store.stats(meter.meterId).readings, 1, `${c.name}: still one reading`);
  }

  // The exact same reading again is a retry: acked, reported as a duplicate, stored once.
  await publishAcked(client, meter.topic, JSON.stringify({ t: t0, importWh: 1000, exportWh: 50, serial: 'S1' }));
  await waitFor(() => rejections.at(-1)?.rejected[0]?.code === 'duplicate', 'duplicate notice');
  assert.is(th.hub.store.stats(meter.meterId).readings, 1);

  // One bad reading in a backlog does not hide or block the good ones.
  const before = rejections.length;
  await publishAcked(
    client,
    meter.topic,
    JSON.stringify([
      { t: t0 + 10_000, importWh: 1010, exportWh: 50 },
      { t: t0 + 20_000, importWh: 'x' },
      { t: t0 + 30_000, importWh: 1005, exportWh: 50 },
      { t: t0 + 40_000, importWh: 1020, exportWh: 50 },
    ]),
  );
  await waitFor(() => rejections.length > before, 'backlog rejections');
  const backlog = rejections[before]!;
  assert.is(backlog.received, 4);
  assert.is(backlog.stored, 2);
  assert.equal(backlog.rejected.map((r) => [r.index, r.code]), [
    [1, 'malformed'],
    [2, 'backwards'],
  ]);
  assert.is(th.hub.store.stats(meter.meterId).readings, 3);

  // A meter replacement (new serial) may start from lower registers.
  await publishAcked(client, meter.topic, JSON.stringify({ t: t0 + 50_000, importWh: 3, exportWh: 0, serial: 'S2' }));
  assert.is(th.hub.store.stats(meter.meterId).readings, 4);

  // The hub keeps serving: counters say what happened, health is fine.
  const health = th.hub.health.meter(meter.meterId);
  assert.ok(health.rejected >= cases.length, 'rejections counted');
  assert.is(health.duplicates, 1);
  assert.ok(th.hub.health.quarantine().some((q) => q.meterId === meter.meterId && q.code === 'backwards'));
  const quarantined = th.hub.health.quarantine().filter((q) => q.meterId === meter.meterId).map((q) => q.summary).join('\n');
  for (const value of ['1000.5', '900', '201000', '1001', '(got']) assert.not.ok(quarantined.includes(value), `quarantine holds no value like ${value}`);
  const answer = (await (await fetch(`http://127.0.0.1:${th.hub.httpPort}/api/health`)).json()) as { status: string };
  assert.is(answer.status, 'ok');
});

test('MQTT over WebSocket at /mqtt follows the same rules', async () => {
  const meter = await th.addMeter('consumption');
  const client = await connectClient(`ws://127.0.0.1:${th.hub.httpPort}/mqtt`, { username: meter.username, password: meter.password });
  const t = minutesAgo(3);
  await publishAcked(client, meter.topic, JSON.stringify({ t, consumptionWh: 42 }));
  assert.is(th.hub.store.around(meter.meterId, t).same?.consumptionWh, 42);
  const refused = await connectClient(`ws://127.0.0.1:${th.hub.httpPort}/mqtt`, { username: meter.username, password: 'wrong' }).catch((e: Error) => e);
  assert.instance(refused, Error);
  await client.endAsync();
});

test('/api/health reports meters online and total without household data', async () => {
  const response = await fetch(`http://127.0.0.1:${th.hub.httpPort}/api/health`);
  const text = await response.text();
  const answer = JSON.parse(text) as { meters: { online: number; total: number }; storage: { state: string } };
  assert.is(answer.meters.total, th.hub.registry.meters().length);
  assert.ok(answer.meters.online >= 1);
  assert.is(answer.storage.state, 'ok');
  for (const h of th.hub.registry.households()) assert.not.ok(text.includes(h.label) || text.includes(h.id));
  for (const m of th.hub.registry.meters()) assert.not.ok(text.includes(m.id));
});

test.run();
