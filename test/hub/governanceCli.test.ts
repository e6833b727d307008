import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '../helpers/tempDir.js';
import { cliArgs, killHard, REPO_ROOT, spawnHub } from '../helpers/hubProcess.js';

const test = suite('the group on the command line, and signing in to the hub');

async function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cliArgs(args), { cwd: REPO_ROOT, env: { ...process.env, COMMONWATT_LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

test('a fresh data directory has the starter proposal, nothing in force, and every policy command has --help', async () => {
  const { dir, remove } = await makeTempDir();
  try {
    const shown = await cli(['policy', 'show', '--data-dir', dir]);
    assert.is(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /Decision log: ok/);
    assert.match(shown.stdout, /nothing is published until the group adopts a proposal/);
    assert.match(shown.stdout, /p-1\s+open\s+Daily neighbourhood solar generation/);
    for (const command of [['policy', 'propose'], ['policy', 'preview'], ['policy', 'decide'], ['consent', 'set'], ['consent', 'withdraw'], ['publish', 'status'], ['users', 'add']]) {
      const help = await cli([...command, '--help']);
      assert.is(help.code, 0, command.join(' '));
      assert.match(help.stdout, /--data-dir/, command.join(' '));
    }
    const status = await cli(['publish', 'status', '--data-dir', dir, '--json']);
    assert.equal(JSON.parse(status.stdout), { released: 0, suppressed: {}, lastDecidedAt: null, waiting: [], blocked: null });
  } finally {
    await remove();
  }
});

test('a bad proposal file lists every problem; consent is given and withdrawn in one command each', async () => {
  const { dir, remove } = await makeTempDir();
  try {
    const file = join(dir, 'proposal.json');
    await writeFile(file, JSON.stringify({ title: '', metrics: ['max'], groups: { neighbourhood: true, zones: [] }, rules: { k: 3 }, audience: { tier: 'open' } }));
    const refused = await cli(['policy', 'propose', '--file', file, '--data-dir', dir]);
    assert.is(refused.code, 1);
    assert.match(refused.stderr, /title/);
    assert.match(refused.stderr, /metrics/);
    assert.match(refused.stderr, /rules\.k: must be at least 5 households, the floor in PRIVACY-RULES\.md/);

    const household = JSON.parse((await cli(['households', 'add', '--label', 'Consenting', '--data-dir', dir, '--json'])).stdout) as { id: string };
    const set = await cli(['consent', 'set', household.id, '--aggregates', '--text-version', 'v1', '--data-dir', dir]);
    assert.is(set.code, 0, set.stderr);
    const list = JSON.parse((await cli(['consent', 'list', '--data-dir', dir, '--json'])).stdout) as Array<{ householdId: string; scopes: { aggregates: boolean } }>;
    assert.equal(list.map((e) => [e.householdId, e.scopes.aggregates]), [[household.id, true]]);
    const withdrawn = await cli(['consent', 'withdraw', household.id, '--delete-raw-data', '--data-dir', dir]);
    assert.is(withdrawn.code, 0, withdrawn.stderr);
    assert.match(withdrawn.stdout, /Withdrew all .* from now on; deleted 0 raw readings/);
    const after = JSON.parse((await cli(['consent', 'list', '--data-dir', dir, '--json'])).stdout) as Array<{ scopes: { aggregates: boolean }; rawDataDeletedAt: string | null }>;
    assert.is(after[0]?.scopes.aggregates, false);
    assert.ok(after[0]?.rawDataDeletedAt);
  } finally {
    await remove();
  }
});

test('users added through a running hub can sign in; roles, CSRF and sign-in are enforced on the admin API', async () => {
  const { dir, remove } = await makeTempDir();
  const hub = await spawnHub(dir);
  try {
    const base = `http://127.0.0.1:${hub.httpPort}`;
    assert.is((await cli(['users', 'add', '--username', 'gina', '--role', 'group', '--data-dir', dir], 'correct horse battery staple\n')).code, 0);
    assert.is((await cli(['users', 'add', '--username', 'vic', '--role', 'volunteer', '--data-dir', dir], 'another long passphrase here\n')).code, 0);
    const weak = await cli(['users', 'add', '--username', 'weak', '--role', 'group', '--data-dir', dir], 'password1234\n');
    assert.is(weak.code, 1);
    assert.match(weak.stderr, /--password:/);

    assert.is((await fetch(`${base}/api/admin/policy`)).status, 401);
    const signIn = async (username: string, password: string) => {
      const response = await fetch(`${base}/api/admin/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
      const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
      return { status: response.status, cookie, body: (await response.json()) as { csrfToken: string; role: string } };
    };
    const wrong = await signIn('gina', 'not her password at all');
    assert.is(wrong.status, 401);
    const gina = await signIn('gina', 'correct horse battery staple');
    assert.is(gina.body.role, 'group');
    const policy = await fetch(`${base}/api/admin/policy`, { headers: { cookie: gina.cookie } });
    assert.is(policy.status, 200);
    // A change needs the CSRF token.
    const noToken = await fetch(`${base}/api/admin/proposals`, { method: 'POST', headers: { cookie: gina.cookie, 'content-type': 'application/json' }, body: '{}' });
    assert.is(noToken.status, 403);
    const withToken = await fetch(`${base}/api/admin/proposals`, { method: 'POST', headers: { cookie: gina.cookie, 'content-type': 'application/json', 'x-csrf-token': gina.body.csrfToken }, body: '{}' });
    assert.is(withToken.status, 400, 'reaches the proposal check');
    // A volunteer sees devices, not the group's pages.
    const vic = await signIn('vic', 'another long passphrase here');
    assert.is((await fetch(`${base}/api/admin/meters`, { headers: { cookie: vic.cookie } })).status, 200);
    const forbidden = await fetch(`${base}/api/admin/policy`, { headers: { cookie: vic.cookie } });
    assert.is(forbidden.status, 403);
    assert.match(((await forbidden.json()) as { error: string }).error, /needs the group role/);
  } finally {
    await killHard(hub.child);
    await remove();
  }
});

test.run();
