import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openUserStore } from '../../hub/auth/userStore.js';
import { meterTopics } from '../../hub/broker/topics.js';
import { publishAcked, startTestHub, waitFor, type TestHub } from '../helpers/testHub.js';
import { makeTempDir } from '../helpers/tempDir.js';

const test = suite('signed-in pages and their admin API: volunteers see device health only, the group its record, roles and CSRF enforced');

const PASSWORDS = { vera: 'rhubarb tandem 77 comet', gina: 'velvet quarry 19 parsnip', ada: 'marble picnic 31 harbour' } as const;
// Distinctive register values: if any of them shows up in an answer, an energy value leaked.
const IMPORT_WH = 3_016_829;
const EXPORT_WH = 471_113;
const POWER_W = 2_027;

let th: TestHub;
let tmp: { dir: string; remove(): Promise<void> };
let base = '';

interface SignedIn {
  cookie: string;
  csrf: string;
}
const signedIn: Partial<Record<keyof typeof PASSWORDS, SignedIn>> = {};

test.before(async () => {
  tmp = await makeTempDir();
  const users = await openUserStore(tmp.dir);
  const now = Date.now();
  await users.addUser({ username: 'vera', displayName: 'Vera Volunteer', role: 'volunteer', password: PASSWORDS.vera }, now);
  await users.addUser({ username: 'gina', displayName: 'Gina Group', role: 'group', password: PASSWORDS.gina }, now);
  await users.addUser({ username: 'ada', displayName: 'Ada Admin', role: 'admin', password: PASSWORDS.ada }, now);
  th = await startTestHub({}, { dataDir: tmp.dir });
  base = `http://127.0.0.1:${th.hub.httpPort}`;
});

test.after(async () => {
  await th?.close();
  await tmp?.remove();
});

async function signIn(username: keyof typeof PASSWORDS): Promise<SignedIn> {
  const existing = signedIn[username];
  if (existing) return existing;
  const response = await fetch(`${base}/api/admin/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORDS[username] }),
  });
  assert.is(response.status, 200, `${username} signs in`);
  const body = (await response.json()) as { csrfToken: string };
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('cw_session='))!.split(';')[0]!;
  const session = { cookie, csrf: body.csrfToken };
  signedIn[username] = session;
  return session;
}

async function call(
  method: string,
  path: string,
  options: { as?: keyof typeof PASSWORDS; body?: unknown; csrf?: boolean } = {},
): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (options.as) {
    const session = await signIn(options.as);
    headers.cookie = session.cookie;
    if (options.csrf !== false && method !== 'GET') headers['x-csrf-token'] = session.csrf;
  }
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(base + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: response.status, body, text, headers: response.headers };
}

test('the sign-in, volunteer and group pages are shells: strict CSP, no inline script or style, no household data', async () => {
  // Something private exists, and must not appear in any shell.
  const household = await th.hub.commands.addHousehold({ label: 'Secret Cottage 7', zone: 'Hidden Row' });
  const meter = await th.hub.commands.addMeter({ householdId: household.id, kind: 'grid', driver: 'mqtt' });
  for (const path of ['/sign-in', '/volunteer', '/group']) {
    for (const as of [undefined, 'ada'] as const) {
      const page = await call('GET', path, { as });
      assert.is(page.status, 200, `${path} is served`);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /style-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(page.text, /<noscript>/, `${path} says it needs JavaScript`);
      assert.not.match(page.text, /\sstyle=/, `${path}: no inline style attributes`);
      const inlineScripts = [...page.text.matchAll(/<script(?![^>]*\ssrc=)([^>]*)>/g)].map((m) => m[1]);
      assert.equal(inlineScripts, [' type="application/json" id="page-data"'], `${path}: the only inline script is the JSON page data`);
      for (const secret of ['Secret Cottage', 'Hidden Row', household.id, meter.meterId, 'csrf']) {
        assert.not.ok(page.text.includes(secret), `${path} must not contain ${secret}`);
      }
      const pageData = JSON.parse(/<script type="application\/json" id="page-data">([\s\S]*?)<\/script>/.exec(page.text)![1]!) as Record<string, unknown>;
      assert.equal(Object.keys(pageData).sort(), ['locale', 'shared', 'strings', 'timeZone']);
      // Every script and stylesheet the page names is served.
      for (const [, url] of page.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) {
        const asset = await fetch(base + url!.replace(/&amp;/g, '&'));
        assert.is(asset.status, 200, `${path}: ${url} is served`);
        await asset.arrayBuffer();
      }
    }
  }
  const volunteer = await call('GET', '/volunteer');
  for (const id of ['sensor-table', 'household-table', 'add-household-form', 'household-label', 'household-zone', 'add-meter-form', 'meter-household', 'meter-kind', 'meter-driver', 'pairing-code', 'pairing-command']) {
    assert.match(volunteer.text, new RegExp(`id="${id}"`), `volunteer page has #${id}`);
  }
  assert.match(volunteer.text, /signedIn\.css/);
  const group = await call('GET', '/group');
  for (const id of ['publish-status', 'proposal-list', 'preview-table', 'decision-form', 'decision-proposal', 'decision-effective-from', 'consent-table', 'retention-table']) {
    assert.match(group.text, new RegExp(`id="${id}"`), `group page has #${id}`);
  }
});

test('anonymous requests to the volunteer and group routes get 401', async () => {
  for (const path of ['/api/admin/sensors', '/api/admin/households', '/api/admin/proposals', '/api/admin/retention-runs']) {
    const answer = await call('GET', path);
    assert.is(answer.status, 401, path);
    assert.match(answer.body.error, /sign in/);
  }
  assert.is((await call('POST', '/api/admin/households', { body: { label: 'x' } })).status, 401);
});

test('a volunteer sees sensor health from a real meter over MQTT, with rejections and device facts, but no energy value', async () => {
  const meter = await th.addMeter('grid', 'Mill Lane');
  const client = await th.connect(meter);
  const t = Date.now() - 10 * 60_000;
  await publishAcked(client, meter.topic, JSON.stringify({ t, importWh: IMPORT_WH, exportWh: EXPORT_WH, powerW: POWER_W, serial: 'A1' }));
  // A reading from tomorrow is rejected with the code "future".
  await publishAcked(client, meter.topic, JSON.stringify({ t: Date.now() + 86_400_000, importWh: IMPORT_WH + 5, exportWh: EXPORT_WH }));
  await publishAcked(client, meterTopics(meter.meterId).status, JSON.stringify({ driver: 'dsmr', firmware: 'fw-1.4.2', agentVersion: '0.9.1', lastError: null, importWh: IMPORT_WH }));

  const answer = await call('GET', '/api/admin/sensors', { as: 'vera' });
  assert.is(answer.status, 200);
  assert.is(answer.headers.get('cache-control'), 'no-store');
  assert.ok(Number.isFinite(Date.parse(answer.body.at)));
  const sensor = answer.body.sensors.find((s: { meterId: string }) => s.meterId === meter.meterId);
  assert.ok(sensor, 'the meter is listed');
  assert.is(sensor.householdId, meter.householdId);
  assert.match(sensor.householdLabel, /^Test household/);
  assert.is(sensor.zone, 'Mill Lane');
  assert.is(sensor.kind, 'grid');
  assert.is(sensor.online, true);
  assert.ok(Date.now() - Date.parse(sensor.lastSeenAt) < 60_000, 'last seen just now');
  assert.is(sensor.readingsLastHour, 1);
  assert.is(sensor.readingsAccepted, 1);
  assert.is(sensor.rejected, 1);
  assert.equal(sensor.rejectedByCode, { future: 1 });
  assert.is(sensor.lastRejection.code, 'future');
  assert.equal(sensor.device, { driver: 'dsmr', firmware: 'fw-1.4.2', agentVersion: '0.9.1', lastError: null });
  assert.equal(Object.keys(sensor).sort(), [
    'device', 'driver', 'duplicates', 'householdId', 'householdLabel', 'kind', 'lastRejection', 'lastSeenAt', 'meterId', 'online',
    'readingsAccepted', 'readingsLastHour', 'rejected', 'rejectedByCode', 'zone',
  ]);
  for (const value of [IMPORT_WH, IMPORT_WH + 5, EXPORT_WH, POWER_W, t]) {
    assert.not.ok(answer.text.includes(String(value)), `the answer must not hold ${value}`);
  }
  assert.not.match(answer.text, /importWh|exportWh|generationWh|consumptionWh|powerW/, 'no register names either');

  await client.endAsync();
  await waitFor(async () => (await call('GET', '/api/admin/sensors', { as: 'vera' })).body.sensors.find((s: { meterId: string }) => s.meterId === meter.meterId).online === false, 'the meter to show offline');
});

test('a volunteer adds a household and a meter, gets a pairing code that a sensor node can redeem, and is told what to fix', async () => {
  const added = await call('POST', '/api/admin/households', { as: 'vera', body: { label: '  4 Orchard Way ', zone: 'Orchard Way' } });
  assert.is(added.status, 201);
  assert.is(added.body.label, '4 Orchard Way');
  assert.is(added.body.zone, 'Orchard Way');
  const noZone = await call('POST', '/api/admin/households', { as: 'vera', body: { label: 'The Mill', zone: '' } });
  assert.is(noZone.status, 201);
  assert.is(noZone.body.zone, null);

  const pairing = await call('POST', '/api/admin/meters', { as: 'vera', body: { householdId: added.body.id, kind: 'generation', driver: 's0' } });
  assert.is(pairing.status, 201);
  assert.match(pairing.body.meterId, /^m-/);
  assert.ok(Date.parse(pairing.body.expiresAt) > Date.now());
  assert.ok(pairing.body.pairCommand.includes(pairing.body.pairingCode), 'the command carries the code');
  const redeemed = await fetch(`${base}/api/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: pairing.body.pairingCode }) });
  assert.is(redeemed.status, 200, 'a sensor node can redeem the code');
  assert.is(((await redeemed.json()) as { meterId: string }).meterId, pairing.body.meterId);

  const list = await call('GET', '/api/admin/households', { as: 'vera' });
  const orchard = list.body.households.find((h: { id: string }) => h.id === added.body.id);
  assert.equal({ label: orchard.label, zone: orchard.zone, meters: orchard.meters }, { label: '4 Orchard Way', zone: 'Orchard Way', meters: 1 });
  const sensors = await call('GET', '/api/admin/sensors', { as: 'vera' });
  const fresh = sensors.body.sensors.find((s: { meterId: string }) => s.meterId === pairing.body.meterId);
  assert.equal({ online: fresh.online, lastSeenAt: fresh.lastSeenAt, readingsLastHour: fresh.readingsLastHour, device: fresh.device }, { online: false, lastSeenAt: null, readingsLastHour: 0, device: null });

  const emptyLabel = await call('POST', '/api/admin/households', { as: 'vera', body: { label: '   ' } });
  assert.is(emptyLabel.status, 400);
  assert.match(emptyLabel.body.error, /^Cannot add the household:\n {2}label: must not be empty; write a name/);
  const badZone = await call('POST', '/api/admin/households', { as: 'vera', body: { label: 'Flat 2', zone: 'Mill <Lane>' } });
  assert.is(badZone.status, 400);
  assert.match(badZone.body.error, /\n {2}zone: use only letters/);
  const extra = await call('POST', '/api/admin/households', { as: 'vera', body: { label: 'Flat 3', colour: 'red' } });
  assert.is(extra.status, 400);
  assert.match(extra.body.error, /unknown field "colour"/);
  const badMeter = await call('POST', '/api/admin/meters', { as: 'vera', body: { householdId: added.body.id, kind: 'wind', driver: 'telepathy' } });
  assert.is(badMeter.status, 400);
  assert.equal(badMeter.body.error.split('\n').map((line: string) => line.trim().split(':')[0]), ['Cannot add the meter', 'kind', 'driver'], 'each problem on its own line');
  assert.match(badMeter.body.error, /kind: must be one of grid, generation, consumption/);
  assert.match(badMeter.body.error, /driver: must be one of s0, dsmr, modbus, mqtt/);
  const unknownHousehold = await call('POST', '/api/admin/meters', { as: 'vera', body: { householdId: 'h-nothere', kind: 'grid', driver: 'dsmr' } });
  assert.is(unknownHousehold.status, 404);
  assert.match(unknownHousehold.body.error, /no household "h-nothere"; reload the page/);
});

test('a change without the x-csrf-token header is refused with 403 and changes nothing', async () => {
  const before = (await call('GET', '/api/admin/households', { as: 'vera' })).body.households.length;
  const refused = await call('POST', '/api/admin/households', { as: 'vera', csrf: false, body: { label: 'Sneaky House' } });
  assert.is(refused.status, 403);
  assert.match(refused.body.error, /x-csrf-token/);
  const meter = await call('POST', '/api/admin/meters', { as: 'vera', csrf: false, body: { householdId: 'h-x', kind: 'grid', driver: 'dsmr' } });
  assert.is(meter.status, 403);
  assert.is((await call('GET', '/api/admin/households', { as: 'vera' })).body.households.length, before);
});

test('roles: a volunteer is refused the group routes and the group the volunteer routes (403 naming the role); admin gets both', async () => {
  for (const path of ['/api/admin/proposals', '/api/admin/retention-runs', '/api/admin/policy', '/api/admin/consent']) {
    const refused = await call('GET', path, { as: 'vera' });
    assert.is(refused.status, 403, `volunteer refused ${path}`);
    assert.match(refused.body.error, /needs the group role/);
  }
  const decision = await call('POST', '/api/admin/decisions', { as: 'vera', body: {} });
  assert.is(decision.status, 403);
  const refused = await call('GET', '/api/admin/sensors', { as: 'gina' });
  assert.is(refused.status, 403, 'group refused device health');
  assert.match(refused.body.error, /needs the volunteer role/);
  // The group may read the household list (its consent register names households), not change it.
  assert.is((await call('GET', '/api/admin/households', { as: 'gina' })).status, 200);
  assert.is((await call('POST', '/api/admin/households', { as: 'gina', body: { label: 'Group-made' } })).status, 403);
  assert.is((await call('POST', '/api/admin/meters', { as: 'gina', body: { householdId: 'h-x', kind: 'grid', driver: 'dsmr' } })).status, 403);
  for (const path of ['/api/admin/sensors', '/api/admin/households', '/api/admin/proposals', '/api/admin/retention-runs']) {
    assert.is((await call('GET', path, { as: 'ada' })).status, 200, `admin may GET ${path}`);
  }
});

test('the group sees the retention log and the proposals with their discussion answers, and decision problems listed', async () => {
  const runs = await call('GET', '/api/admin/retention-runs', { as: 'gina' });
  assert.is(runs.status, 200);
  assert.ok(runs.body.runs.length >= 1, 'the run at start is logged');
  const run = runs.body.runs[0];
  assert.ok(Number.isFinite(Date.parse(run.at)));
  assert.equal(Object.keys(run.deleted).sort(), ['days', 'fiveMinute', 'hours', 'readings']);
  assert.is(run.error, null);

  const list = await call('GET', '/api/admin/proposals', { as: 'gina' });
  assert.is(list.status, 200);
  assert.ok(list.body.proposals.length >= 1, 'the starter proposal is there');
  const starter = list.body.proposals[0];
  assert.is(starter.id, 'p-1');
  assert.ok(['open', 'adopted', 'rejected'].includes(starter.status));
  assert.equal(Object.keys(starter.proposal.discussion).sort(), ['whatIsItFor', 'whatIsNotOk', 'whereWillItGo', 'whoCouldBeAffected']);
  assert.type(starter.proposal.title, 'string');
  assert.ok(Array.isArray(starter.proposal.metrics));

  const refused = await call('POST', '/api/admin/decisions', { as: 'gina', body: { proposalId: starter.id, outcome: 'adopted', present: [], votes: { for: 1, against: 3, abstaining: 0 } } });
  assert.is(refused.status, 400);
  const lines = (refused.body.error as string).split('\n').map((l) => l.trim());
  for (const field of ['date', 'meeting', 'present', 'decidedBy', 'rationale', 'effectiveFrom', 'votes']) {
    assert.ok(lines.some((line) => line.startsWith(`${field}:`)), `the problem with ${field} is listed`);
  }
});

test('the group\'s mistakes are answered as such, not as hub failures: unknown proposal 404, unknown household 404', async () => {
  const preview = await call('GET', '/api/admin/proposals/p-99/preview', { as: 'gina' });
  assert.is(preview.status, 404);
  assert.match(preview.body.error, /Proposal "p-99" does not exist/);
  const consent = await call('PUT', '/api/admin/consent/h-nobody', { as: 'gina', body: { scopes: { aggregates: true }, textVersion: 'v1' } });
  assert.is(consent.status, 404);
  assert.match(consent.body.error, /Household "h-nobody" does not exist/);
  const withdraw = await call('DELETE', '/api/admin/consent/h-nobody', { as: 'gina', body: { scopes: 'all' } });
  assert.is(withdraw.status, 404);
});

test.run();
