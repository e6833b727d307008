/// <reference lib="dom" />
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { axeViolations, describeViolations, launchChromium, newContext, screenshot } from '../helpers/browser.js';
import { PASSWORDS, startDashboardNeighbourhood, type DashboardNeighbourhood } from '../helpers/dashboardNeighbourhood.js';
import { createLocalCalendar } from '../../hub/rollups/localTime.js';
import { waitFor } from '../helpers/testHub.js';

/**
 * The volunteers' and group's pages in real headless Chromium against a real
 * hub: sign-in, roles and CSRF enforced, the volunteers' work (sensor health
 * without energy values, households, pairing a meter) and the group's (proposals
 * with discussion, preview, recording a decision, recording and withdrawing
 * consent), accessible in both themes.
 */
const test = suite('dashboard: signed-in pages in a real browser');

let n: DashboardNeighbourhood;
let browser: Browser;
const calendar = createLocalCalendar('Europe/London');

test.before(async () => {
  [n, browser] = await Promise.all([startDashboardNeighbourhood(), launchChromium()]);
});

test.after(async () => {
  await browser?.close();
  await n?.close();
});

async function signIn(context: BrowserContext, username: keyof typeof PASSWORDS, path: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${n.base}${path}`);
  await page.waitForURL(/\/sign-in\?next=/);
  await page.fill('#sign-in-username', username);
  await page.fill('#sign-in-password', PASSWORDS[username]);
  await page.click('#sign-in-submit');
  await page.waitForURL(`${n.base}${path}`);
  await page.waitForSelector('#signed-in-app:not([hidden])');
  return page;
}

test('a signed-out visitor is sent to sign in; a wrong password is refused and said so; the right one returns to the page', async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  await page.goto(`${n.base}/volunteer`);
  await page.waitForURL(`${n.base}/sign-in?next=%2Fvolunteer`);
  await page.fill('#sign-in-username', 'vera');
  await page.fill('#sign-in-password', 'not her password');
  await page.click('#sign-in-submit');
  await page.waitForSelector('#sign-in-error:not([hidden])');
  assert.match(await page.locator('#sign-in-error').innerText(), /Wrong username or password/);
  assert.is(await page.locator('#sign-in-password').getAttribute('type'), 'password');
  await page.fill('#sign-in-password', PASSWORDS.vera);
  await page.click('#sign-in-submit');
  await page.waitForURL(`${n.base}/volunteer`);
  await page.waitForSelector('#signed-in-app:not([hidden])');
  assert.match(await page.locator('#session-user').innerText(), /Vera \(sensors\)/);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'cw_session');
  assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
  assert.is(session?.sameSite, 'Strict');
  assert.is(await page.evaluate(() => document.cookie), '', 'scripts cannot read the session');
  await context.close();
});

test('volunteers see every sensor\'s health and no energy value; they add a household and a meter and get its pairing code', async () => {
  const context = await newContext(browser);
  const page = await signIn(context, 'vera', '/volunteer');
  await page.waitForSelector('#sensor-table tbody tr');
  const meters = n.households.flatMap((h) => [h.gridMeter.meterId, ...(h.solarMeter ? [h.solarMeter.meterId] : [])]);
  assert.is(await page.locator('#sensor-table tbody tr').count(), meters.length);
  const table = await page.locator('#sensor-table').innerText();
  // Register values the meters sent: none may show.
  const registers = meters.flatMap((m) => {
    const latest = n.th.hub.store.latest(m)!;
    return [latest.importWh, latest.generationWh].filter((v): v is number => v !== null && v > 0);
  });
  assert.ok(registers.length >= meters.length);
  const html = await page.content();
  for (const value of registers) {
    assert.not.ok(html.includes(String(value)) || html.includes(value.toLocaleString('en-GB')), `register value ${value} on the volunteers' page`);
  }
  assert.match(table, /offline|online/i);
  await screenshot(page, 'volunteer-sensors');

  await page.fill('#household-label', '7 Quarry Row');
  await page.fill('#household-zone', 'Mill Lane');
  await page.click('#add-household-submit');
  await page.waitForSelector('#add-household-done:not([hidden])');
  const added = n.th.hub.registry.households().find((h) => h.label === '7 Quarry Row');
  assert.ok(added, 'the household is in the registry');
  await page.waitForSelector(`#meter-household option[value="${added!.id}"]`, { state: 'attached' });
  await page.selectOption('#meter-household', added!.id);
  await page.selectOption('#meter-kind', 'generation');
  await page.selectOption('#meter-driver', 's0');
  await page.click('#add-meter-submit');
  await page.waitForSelector('#pairing-result:not([hidden])');
  const code = (await page.locator('#pairing-code').innerText()).trim();
  assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  assert.match(await page.locator('#pairing-command').innerText(), new RegExp(`sensor pair .*${code}`));
  // The code works once, from a sensor node.
  const paired = await fetch(`${n.base}/api/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  assert.is(paired.status, 200);
  await screenshot(page, 'volunteer-pairing');
  await context.close();
});

test('roles and CSRF: a volunteer is refused the group\'s page and routes; a change without the token or from another site is refused', async () => {
  const context = await newContext(browser);
  const page = await signIn(context, 'vera', '/volunteer');
  await page.goto(`${n.base}/group`);
  await page.waitForSelector('#page-alert .error');
  assert.match(await page.locator('#page-alert').innerText(), /This page is for the group role, and you are signed in as Vera \(sensors\), whose role is volunteer/);
  assert.ok(await page.locator('#signed-in-app').isHidden(), 'nothing of the group\'s page is shown');
  const before = n.th.hub.registry.households().length;
  // Requests made by the page itself, as a script on it could make them (no helper functions: they would not survive the trip).
  const body = JSON.stringify({ label: 'Sneaky', zone: null });
  const csrf = await page.evaluate(async () => (await (await fetch('/api/admin/session')).json()).csrfToken as string);
  const answers = {
    noToken: await page.evaluate(async (b) => {
      const r = await fetch('/api/admin/households', { method: 'POST', headers: { 'content-type': 'application/json' }, body: b });
      return { status: r.status, body: await r.json() };
    }, body),
    wrongToken: await page.evaluate(async (b) => {
      const r = await fetch('/api/admin/households', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': 'forged' }, body: b });
      return { status: r.status, body: await r.json() };
    }, body),
    groupRoute: await page.evaluate(async () => (await fetch('/api/admin/retention-runs')).status),
    decide: await page.evaluate(async (token) => (await fetch('/api/admin/decisions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token }, body: '{}' })).status, csrf),
  };
  assert.is(answers.noToken.status, 403);
  assert.match(answers.noToken.body.error, /missing x-csrf-token header/);
  assert.is(answers.wrongToken.status, 403);
  assert.match(answers.wrongToken.body.error, /does not match this session/);
  assert.is(answers.groupRoute, 403);
  assert.is(answers.decide, 403);
  // Another site (localhost is not the same site as 127.0.0.1) posts a form to the hub while Vera is signed in.
  const attacker = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(`<form method="post" enctype="text/plain" action="${n.base}/api/admin/households"><input name='{"label":"Cross-site","zone":null,"x":"' value='"}'></form><script>document.forms[0].submit()</script>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  try {
    const other = await context.newPage();
    const refused = other.waitForResponse((r) => r.url().endsWith('/api/admin/households'));
    await other.goto(`http://localhost:${(attacker.address() as AddressInfo).port}/`);
    assert.is((await refused).status(), 403, 'refused as a cross-site request');
  } finally {
    attacker.close();
  }
  assert.is(n.th.hub.registry.households().length, before, 'no household added by any of these');
  await context.close();
});

test('signed-in pages pass axe-core in light and dark, and signing out ends the session', async () => {
  for (const scheme of ['light', 'dark'] as const) {
    const context = await newContext(browser, { colorScheme: scheme });
    const anonymous = await context.newPage();
    await anonymous.goto(`${n.base}/sign-in`, { waitUntil: 'networkidle' });
    let violations = await axeViolations(anonymous);
    assert.equal(violations.length, 0, `/sign-in (${scheme}):\n${describeViolations(violations)}`);
    const volunteer = await signIn(context, 'ada', '/volunteer');
    await volunteer.waitForSelector('#sensor-table tbody tr');
    violations = await axeViolations(volunteer);
    assert.equal(violations.length, 0, `/volunteer (${scheme}):\n${describeViolations(violations)}`);
    await volunteer.goto(`${n.base}/group`);
    await volunteer.waitForSelector('#proposal-list article');
    await volunteer.click('#preview-p-1');
    await volunteer.waitForSelector('#preview-table tbody tr');
    violations = await axeViolations(volunteer);
    assert.equal(violations.length, 0, `/group (${scheme}):\n${describeViolations(violations)}`);
    await volunteer.click('#sign-out');
    await volunteer.waitForURL(/\/sign-in/);
    const after = await volunteer.evaluate(async () => (await fetch('/api/admin/session')).status);
    assert.is(after, 401);
    await context.close();
  }
});

test('the group sees proposals with their discussion, previews figure by figure, and records a decision that appears on the about page', async () => {
  const context = await newContext(browser);
  const page = await signIn(context, 'gina', '/group');
  await page.waitForSelector('#proposal-list article');
  const starter = page.locator('article#proposal-p-1');
  const text = await starter.innerText();
  assert.match(text, /Daily neighbourhood solar generation and electricity use/);
  for (const answer of ['So that everyone can see what our panels produce together', 'Every household whose meters report to the hub']) assert.ok(text.includes(answer), answer);
  await page.click('#preview-p-1');
  await page.waitForSelector('#preview-table tbody tr');
  const preview = await page.locator('#preview-table').innerText();
  assert.match(preview, /released/i);
  assert.match(await page.locator('#preview-counts').innerText(), /\d/);
  await screenshot(page, 'group-preview');

  // A decision with a mistake: every problem is named, nothing is recorded.
  const decisions = n.th.hub.governance.decisions().length;
  await page.click('#decide-p-1');
  await page.check('#decision-outcome-rejected');
  const today = calendar.dayKey(n.clock.now());
  await page.fill('#decision-date', today);
  await page.fill('#decision-effective-from', calendar.dayKey(calendar.dayBounds(today).end));
  await page.fill('#decision-meeting', 'June general meeting');
  await page.fill('#decision-present', '');
  await page.fill('#decision-decided-by', 'residents\u2019 association');
  await page.fill('#decision-rationale', 'We publish half-hourly figures already.');
  await page.fill('#decision-votes-for', '3');
  await page.fill('#decision-votes-against', '9');
  await page.fill('#decision-votes-abstaining', '0');
  await page.click('#decision-submit');
  await page.waitForSelector('#decision-error:not([hidden])');
  assert.match(await page.locator('#decision-error').innerText(), /present/);
  assert.is(n.th.hub.governance.decisions().length, decisions);
  await page.fill('#decision-present', 'Ann Example\nBo Example');
  await page.click('#decision-submit');
  await page.waitForFunction(() => /Recorded d-\d+: p-1 rejected/.test(document.getElementById('decision-done')?.textContent ?? ''));
  assert.is(n.th.hub.governance.decisions().length, decisions + 1);
  const about = await context.newPage();
  await about.goto(`${n.base}/about`);
  const log = await about.locator('.decision-log').innerText();
  assert.match(log, /Rejected: Daily neighbourhood solar generation and electricity use/);
  assert.match(log, /3 for, 9 against, 0 abstaining/);
  assert.not.match(log, /Ann Example/, 'names stay off the public log unless the group chose to publish them');
  await page.waitForSelector('#consent-table tbody tr');
  assert.is(await page.locator('#consent-table tbody tr').count(), n.households.length);
  const firstLabel = n.th.hub.registry.household(n.households[0]!.householdId)!.label;
  assert.ok((await page.locator('#consent-table').innerText()).includes(firstLabel), 'the register names households');
  await screenshot(page, 'group-page');
  await context.close();
});

test('the group records a household\'s consent, is told what is wrong with a bad form, and withdraws consent with its raw readings deleted', async () => {
  const context = await newContext(browser);
  const page = await signIn(context, 'gina', '/group');
  await page.waitForSelector('#consent-table tbody tr');
  const governance = n.th.hub.governance;
  // Households near the end of the list, so the deletion below touches no household other tests use.
  const recorded = n.households.at(-4)!;
  const withdrawn = n.households.at(-2)!;
  assert.ok(withdrawn.solarMeter, 'the household withdrawing has two meters');

  // Recording: the form starts from what the household agreed to so far.
  await page.selectOption('#consent-household', recorded.householdId);
  assert.ok(await page.isChecked('#consent-aggregates'), 'starts from the household\'s current consent');
  await page.check('#consent-live-generation');
  await page.fill('#consent-partners', 'Mill Lane School, City Energy Lab');
  await page.fill('#consent-version', 'v2');
  await page.click('#consent-submit');
  await page.waitForFunction(() => /Recorded consent for/.test(document.getElementById('consent-done')?.textContent ?? ''));
  assert.equal(governance.consentAt(recorded.householdId, n.clock.now()), { aggregates: true, liveGeneration: true, partners: ['Mill Lane School', 'City Energy Lab'] });
  const recordedRow = page.locator(`#consent-table tbody tr:has(button[data-household="${recorded.householdId}"])`);
  await page.waitForFunction((id) => /v2/.test(document.querySelector(`#consent-table tbody tr:has(button[data-household="${id}"])`)?.textContent ?? ''), recorded.householdId);
  assert.match(await recordedRow.innerText(), /partner Mill Lane School, partner City Energy Lab/);

  // No version: said so, the field marked, nothing recorded.
  const changes = governance.consentRegister().find((e) => e.householdId === recorded.householdId)!.changedAt;
  await page.fill('#consent-version', '');
  await page.click('#consent-submit');
  await page.waitForSelector('#consent-error .error');
  assert.match(await page.locator('#consent-error').innerText(), /The consent was not recorded\.\s+Consent form version: write the version printed on the signed form/);
  assert.is(await page.getAttribute('#consent-version', 'aria-invalid'), 'true');
  // A problem only the hub finds: its words, on the field it names.
  await page.fill('#consent-version', 'v2');
  await page.fill('#consent-partners', 'City Energy Lab, City Energy Lab');
  await page.click('#consent-submit');
  await page.waitForFunction(() => /names a partner twice/.test(document.getElementById('consent-error')?.textContent ?? ''));
  assert.is(await page.getAttribute('#consent-partners', 'aria-invalid'), 'true');
  assert.is(await page.getAttribute('#consent-version', 'aria-invalid'), null, 'a corrected field is no longer marked');
  assert.is(governance.consentRegister().find((e) => e.householdId === recorded.householdId)!.changedAt, changes, 'nothing recorded');

  // Withdrawing: the row's button opens a confirmation, with focus on it.
  const meters = [withdrawn.gridMeter.meterId, withdrawn.solarMeter!.meterId];
  for (const meter of meters) assert.ok(n.th.hub.store.stats(meter).readings > 0, `${meter} has readings before`);
  const withdrawButton = page.locator(`#consent-table button[data-household="${withdrawn.householdId}"]`);
  await withdrawButton.click();
  await page.waitForSelector('#withdraw-form:not([hidden])');
  assert.is(await page.evaluate(() => document.activeElement?.id), 'withdraw-heading');
  assert.is(await withdrawButton.getAttribute('aria-expanded'), 'true');
  const label = n.th.hub.registry.household(withdrawn.householdId)!.label;
  assert.ok((await page.locator('#withdraw-heading').innerText()).includes(label), 'the confirmation names the household');
  assert.match(await page.locator('#withdraw-form').innerText(), /Figures already published stay published/);
  const violations = await axeViolations(page);
  assert.equal(violations.length, 0, `/group with a withdrawal open:\n${describeViolations(violations)}`);
  await screenshot(page, 'group-consent');

  // "Only what is ticked" with nothing ticked is refused before anything is sent.
  await page.check('#withdraw-some');
  await page.click('#withdraw-confirm');
  await page.waitForSelector('#withdraw-error .error');
  assert.match(await page.locator('#withdraw-error').innerText(), /Nothing is ticked/);
  await page.check('#withdraw-all');
  await page.check('#withdraw-delete-raw');
  await page.click('#withdraw-confirm');
  await page.waitForFunction(() => /Withdrew all consent of/.test(document.getElementById('withdraw-done')?.textContent ?? ''));
  assert.match(await page.locator('#withdraw-done').innerText(), /Deleted [\d,]+ raw readings\./);
  assert.ok(await page.locator('#withdraw-form').isHidden());
  assert.equal(governance.consentAt(withdrawn.householdId, n.clock.now()), { aggregates: false, liveGeneration: false, partners: [] });
  for (const meter of meters) assert.is(n.th.hub.store.stats(meter).readings, 0, `${meter}'s readings are deleted`);
  assert.ok(n.th.hub.store.stats(n.households.at(-1)!.gridMeter.meterId).readings > 0, 'other households keep theirs');
  assert.ok(governance.deletions().some((d) => d.householdId === withdrawn.householdId && (d.counts.readings ?? 0) > 0), 'the deletion is on the record');
  // The register shows it: nothing agreed to, withdrawn and deleted with a time.
  const row = page.locator(`#consent-table tbody tr:has(button[data-household="${withdrawn.householdId}"])`);
  const cells = row.locator('td');
  // The register reloads after the confirmation is shown: wait for the row to be redrawn.
  await waitFor(async () => (await cells.nth(0).innerText()).trim() === 'nothing', 'the register row redrawn after the withdrawal', 10_000).catch(() => {});
  assert.is((await cells.nth(0).innerText()).trim(), 'nothing');
  await row.locator('td:nth-of-type(4) time').waitFor();
  await row.locator('td:nth-of-type(5) time').waitFor();
  assert.is(await page.evaluate(() => document.activeElement?.getAttribute('data-household')), withdrawn.householdId, 'focus is back on the row');
  await context.close();
});

test.run();
