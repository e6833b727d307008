import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { makeTempDir } from '../helpers/tempDir.js';
import { cliArgs, killHard, REPO_ROOT, spawnHub } from '../helpers/hubProcess.js';
import { connectClient, publishAcked } from '../helpers/testHub.js';

const test = suite('commonwatt CLI');
const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, cliArgs(args), { cwd: REPO_ROOT, env: { ...process.env, COMMONWATT_LOG_LEVEL: 'warn' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('every subcommand has --help naming --data-dir', async () => {
  for (const command of [['start'], ['demo'], ['status'], ['households', 'add'], ['households', 'list'], ['households', 'remove'], ['meters', 'add'], ['meters', 'list'], ['meters', 'remove']]) {
    const { code, stdout } = await cli([...command, '--help']);
    assert.is(code, 0, command.join(' '));
    assert.match(stdout, /--data-dir <dir>/, command.join(' '));
  }
});

test('households and meters on a stopped hub’s data directory', async () => {
  const { dir, remove } = await makeTempDir();
  try {
    const added = await cli(['households', 'add', '--label', '4 Orchard Road', '--zone', 'Orchard Road', '--data-dir', dir, '--json']);
    assert.is(added.code, 0, added.stderr);
    const household = JSON.parse(added.stdout) as { id: string; zone: string };
    assert.is(household.zone, 'Orchard Road');

    const meter = await cli(['meters', 'add', '--household', household.id, '--kind', 'generation', '--driver', 's0', '--data-dir', dir, '--json']);
    assert.is(meter.code, 0, meter.stderr);
    const credentials = JSON.parse(meter.stdout) as Record<string, string>;
    assert.equal(Object.keys(credentials).sort(), ['meterId', 'mqttUrl', 'password', 'topic', 'username']);
    assert.ok(Buffer.from(credentials.password!, 'base64url').length * 8 >= 128, 'secret has ≥ 128 bits');
    assert.is(credentials.topic, `commonwatt/meters/${credentials.meterId}/readings`);

    const registry = await (await import('node:fs/promises')).readFile(`${dir}/registry.json`, 'utf8');
    assert.not.ok(registry.includes(credentials.password!), 'the secret is stored only as a hash');
    assert.match(registry, /scrypt\$/);

    const list = await cli(['meters', 'list', '--data-dir', dir, '--json']);
    const meters = JSON.parse(list.stdout) as Array<{ meterId: string; online: boolean | null; readings: number }>;
    assert.equal(meters.map((m) => [m.meterId, m.online, m.readings]), [[credentials.meterId, null, 0]]);

    const refused = await cli(['households', 'remove', household.id, '--data-dir', dir]);
    assert.is(refused.code, 1);
    assert.match(refused.stderr, /still has meters .* remove them first/);

    assert.is((await cli(['meters', 'remove', credentials.meterId!, '--data-dir', dir])).code, 0);
    assert.is((await cli(['households', 'remove', household.id, '--data-dir', dir])).code, 0);
    const empty = await cli(['households', 'list', '--data-dir', dir]);
    assert.match(empty.stdout, /No households yet/);
  } finally {
    await remove();
  }
});

test('wrong arguments name the argument, the value and the fix', async () => {
  const { dir, remove } = await makeTempDir();
  try {
    const cases: Array<[string[], RegExp]> = [
      [['start', '--mqtt-port', '70000', '--data-dir', dir], /--mqtt-port: must be a whole number from 0 to 65535 \(got "70000"\)/],
      [['start', '--http-port', 'eighty', '--data-dir', dir], /--http-port: must be a whole number .*"eighty"/],
      [['meters', 'add', '--household', 'h-nope', '--kind', 'grid', '--driver', 'dsmr', '--data-dir', dir], /--household: "h-nope" does not exist; see `commonwatt households list`/],
      [['meters', 'add', '--household', 'h-nope', '--kind', 'solar', '--driver', 'dsmr', '--data-dir', dir], /'--kind <kind>' argument 'solar' is invalid\. Allowed choices are grid, generation, consumption/],
      [['meters', 'add', '--household', 'h-nope', '--kind', 'grid', '--data-dir', dir], /'--driver <driver>' not specified/],
      [['households', 'add', '--label', '   ', '--data-dir', dir], /--label: must be 1–100 characters/],
      [['demo', '--households', '0', '--data-dir', dir], /--households: must be a whole number from 1 to 1000 \(got "0"\)/],
      [['meters', 'remove', 'm-nope', '--data-dir', dir], /Meter "m-nope" does not exist; see `commonwatt meters list`/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await cli(args);
      assert.is(code, 1, args.join(' '));
      assert.match(stderr, message, args.join(' '));
    }
  } finally {
    await remove();
  }
});

test('against a running hub the CLI goes through its admin API, and a new meter can publish at once', async () => {
  const { dir, remove } = await makeTempDir();
  const hub = await spawnHub(dir);
  try {
    const household = JSON.parse((await cli(['households', 'add', '--label', 'Live one', '--data-dir', dir, '--json'])).stdout) as { id: string };
    const meter = await cli(['meters', 'add', '--household', household.id, '--kind', 'grid', '--driver', 'dsmr', '--data-dir', dir, '--json']);
    const credentials = JSON.parse(meter.stdout) as { meterId: string; username: string; password: string; mqttUrl: string; topic: string };
    assert.match(credentials.mqttUrl, new RegExp(`:${hub.mqttPort}$`));

    const client = await connectClient(`mqtt://127.0.0.1:${hub.mqttPort}`, { username: credentials.username, password: credentials.password });
    await publishAcked(client, credentials.topic, JSON.stringify({ t: Date.now() - 1000, importWh: 12, exportWh: 0 }));

    const list = JSON.parse((await cli(['meters', 'list', '--data-dir', dir, '--json'])).stdout) as Array<{ online: boolean; readings: number; lastReadingAt: string }>;
    assert.equal([list[0]?.online, list[0]?.readings], [true, 1]);
    assert.ok(list[0]?.lastReadingAt);
    assert.not.ok(JSON.stringify(list).includes('"importWh"'), 'meters list shows no energy values');

    const status = JSON.parse((await cli(['status', '--data-dir', dir, '--json'])).stdout) as { running: boolean; mqttPort: number; meters: { total: number; online: number } };
    assert.equal([status.running, status.mqttPort, status.meters.total, status.meters.online], [true, hub.mqttPort, 1, 1]);

    // Removing a meter cuts its connection and its secret stops working.
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    assert.is((await cli(['meters', 'remove', credentials.meterId, '--data-dir', dir])).code, 0);
    await closed;
    const refused = await connectClient(`mqtt://127.0.0.1:${hub.mqttPort}`, { username: credentials.username, password: credentials.password }).catch((e: Error) => e);
    assert.instance(refused, Error);
    await client.endAsync(true);

    // A second hub on the same data directory is refused.
    const second = await cli(['start', '--data-dir', dir, '--mqtt-port', '0', '--http-port', '0']);
    assert.is(second.code, 1);
    assert.match(second.stderr, /in use by a running hub \(pid \d+/);
  } finally {
    await killHard(hub.child);
    await remove();
  }
});

test.run();
