import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDecision, type DecisionInput } from '../../hub/governance/decisionSchema.js';
import { GovernanceError } from '../../hub/governance/governanceError.js';
import { openGovernanceStore, type GovernanceStore } from '../../hub/governance/governanceStore.js';
import { parseProposal, type ProposalInput } from '../../hub/governance/proposalSchema.js';
import { makeTempDir } from '../helpers/tempDir.js';

const test = suite('governance store: policy changes only by decision and only forward; consent is forward-only');
const TZ = 'Europe/London';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 2026-06-10 19:00 BST, the evening of a meeting. */
const meetingEvening = Date.UTC(2026, 5, 10, 18, 0);
/** Local midnight starting 2026-06-11 (BST, so 23:00 UTC the day before). */
const june11 = Date.UTC(2026, 5, 10, 23, 0);

const discussion = {
  whatIsItFor: 'Seeing our solar output.',
  whoCouldBeAffected: 'Households with large arrays.',
  whatIsNotOk: 'Single households.',
  whereWillItGo: 'The public dashboard.',
};

const proposal = (overrides: Partial<ProposalInput> = {}) =>
  parseProposal(
    {
      title: 'Daily totals',
      purpose: 'Show the neighbourhood its output',
      metrics: ['generation', 'consumption'],
      groups: { neighbourhood: true },
      resolution: { neighbourhood: 'day' },
      audience: { tier: 'open' },
      discussion,
      ...overrides,
    },
    'test',
  );

const decision = (proposalId: string, overrides: Partial<DecisionInput> = {}) =>
  parseDecision(
    {
      proposalId,
      outcome: 'adopted',
      date: '2026-06-10',
      meeting: 'General meeting',
      present: ['Ann', 'Bo', 'Cy'],
      votes: { for: 3, against: 0, abstaining: 0 },
      decidedBy: "Residents' association general meeting",
      rationale: 'We want to see the totals.',
      effectiveFrom: '2026-06-11',
      ...overrides,
    },
    'test',
  );

async function refusal(work: () => Promise<unknown>): Promise<GovernanceError> {
  try {
    await work();
  } catch (error) {
    assert.instance(error, GovernanceError);
    return error as GovernanceError;
  }
  assert.unreachable('expected a refusal');
  throw new Error('unreachable');
}

async function withStore(run: (store: GovernanceStore, dir: string) => Promise<void>) {
  const { dir, remove } = await makeTempDir();
  try {
    await run(await openGovernanceStore(dir, { timeZone: TZ }), dir);
  } finally {
    await remove();
  }
}

const ids = (store: GovernanceStore, t: number, end?: number) => store.policiesInForce(t, end).map((p) => p.proposalId);

test('proposals get ids in order and are open until decided; nothing is in force before a decision', () =>
  withStore(async (store) => {
    assert.is(await store.propose(proposal(), meetingEvening), 'p-1');
    assert.is(await store.propose(proposal({ title: 'Another' }), meetingEvening), 'p-2');
    assert.equal(store.proposals().map((p) => [p.id, p.status, p.decisionId]), [['p-1', 'open', null], ['p-2', 'open', null]]);
    assert.is(store.proposal('p-2')?.proposal.title, 'Another');
    assert.is(store.proposal('p-2')?.proposedAt, new Date(meetingEvening).toISOString());
    assert.equal(ids(store, june11 + 30 * DAY), []);
  }));

test('a decision on an unknown proposal, or a second decision on the same one, is refused', () =>
  withStore(async (store) => {
    await store.propose(proposal(), meetingEvening);
    const unknown = await refusal(() => store.decide(decision('p-7'), meetingEvening));
    assert.is(unknown.code, 'not_found');
    assert.match(unknown.message, '"p-7"');
    const first = await store.decide(decision('p-1'), meetingEvening);
    assert.is(first.id, 'd-1');
    assert.is(store.proposal('p-1')?.status, 'adopted');
    assert.is(store.proposal('p-1')?.decisionId, 'd-1');
    const second = await refusal(() => store.decide(decision('p-1', { outcome: 'rejected' }), meetingEvening + HOUR));
    assert.is(second.code, 'conflict');
    assert.match(second.message, 'replaces');
    assert.is(store.decisions().length, 1);
  }));

test('a decision cannot be backdated: effectiveFrom before now, or a decision dated in the future, is refused', () =>
  withStore(async (store) => {
    await store.propose(proposal(), meetingEvening);
    // Effective from the start of today: periods since midnight would change after the fact.
    const backdated = await refusal(() => store.decide(decision('p-1', { effectiveFrom: '2026-06-10' }), meetingEvening));
    assert.is(backdated.code, 'invalid');
    assert.match(backdated.message, 'effectiveFrom');
    assert.match(backdated.message, 'forward in time');
    assert.match(backdated.message, '2026-06-11 or later');
    const anHourAgo = await refusal(() => store.decide(decision('p-1', { effectiveFrom: '2026-06-10T18:00:00+01:00' }), meetingEvening));
    assert.match(anHourAgo.message, 'before now');
    const future = await refusal(() => store.decide(decision('p-1', { date: '2026-06-12', effectiveFrom: '2026-06-12' }), meetingEvening));
    assert.match(future.message, 'date: 2026-06-12 is after today (2026-06-10)');
    assert.is(store.decisions().length, 0);
    // A minute from now, with an explicit offset, is fine.
    const soon = await store.decide(decision('p-1', { effectiveFrom: '2026-06-10T19:01:00+01:00' }), meetingEvening);
    assert.is(soon.effectiveAt, new Date(meetingEvening + 60_000).toISOString());
  }));

test('a rejection needs no future date and puts nothing in force', () =>
  withStore(async (store) => {
    await store.propose(proposal(), meetingEvening);
    await store.decide(decision('p-1', { outcome: 'rejected', votes: { for: 1, against: 2, abstaining: 0 }, effectiveFrom: '2026-06-10' }), meetingEvening);
    assert.is(store.proposal('p-1')?.status, 'rejected');
    assert.equal(ids(store, june11 + DAY), []);
  }));

test('adopting needs the discussion questions answered, and the decide checks are listed together', () =>
  withStore(async (store) => {
    await store.propose(proposal({ discussion: { whatIsItFor: 'Seeing output', whoCouldBeAffected: '', whatIsNotOk: '', whereWillItGo: 'Dashboard' } }), meetingEvening);
    const error = await refusal(() => store.decide(decision('p-1', { effectiveFrom: '2026-06-10', replaces: ['p-9'] }), meetingEvening));
    assert.is(error.code, 'invalid');
    assert.is(error.problems.length, 3, error.problems.join('\n'));
    assert.match(error.message, 'whoCouldBeAffected, whatIsNotOk');
    assert.match(error.message, 'effectiveFrom');
    assert.match(error.message, '"p-9" is not an adopted proposal');
  }));

test('the policy in force changes only from effectiveFrom: a period starting before it keeps the old policy', () =>
  withStore(async (store) => {
    await store.propose(proposal(), meetingEvening);
    await store.decide(decision('p-1'), meetingEvening);
    assert.equal(ids(store, june11 - 30 * 60_000), [], 'the half hour before midnight starts before the decision takes effect');
    assert.equal(ids(store, june11), ['p-1']);
    const inForce = store.policiesInForce(june11)[0]!;
    assert.is(inForce.effectiveFrom, june11);
    assert.is(inForce.decisionId, 'd-1');
    assert.is(inForce.expiresAt, null);

    // Two weeks later the group moves to half-hourly figures from 2026-06-25, replacing p-1.
    const later = meetingEvening + 14 * DAY;
    await store.propose(proposal({ title: 'Half-hourly', resolution: { neighbourhood: '30min' } }), later);
    await store.decide(decision('p-2', { date: '2026-06-24', effectiveFrom: '2026-06-25', replaces: ['p-1'] }), later);
    const june25 = june11 + 14 * DAY;
    assert.equal(ids(store, june25 - 30 * 60_000), ['p-1'], 'a period starting before the change keeps the old policy');
    assert.equal(ids(store, june25 - DAY), ['p-1'], 'the day before, too');
    assert.equal(ids(store, june25), ['p-2']);
    assert.equal(ids(store, june25 + 365 * DAY), ['p-2']);
    assert.equal(ids(store, june11), ['p-1'], 'asking about the past still gives the past policy');
  }));

test('only adopted proposals can be replaced; policies without replaces stay in force side by side', () =>
  withStore(async (store) => {
    await store.propose(proposal(), meetingEvening);
    await store.propose(proposal({ title: 'Import too', metrics: ['import'] }), meetingEvening);
    await store.decide(decision('p-1'), meetingEvening);
    const replacingOpen = await refusal(() => store.decide(decision('p-2', { replaces: ['p-3'] }), meetingEvening));
    assert.match(replacingOpen.message, '"p-3" is not an adopted proposal');
    await store.decide(decision('p-2'), meetingEvening);
    assert.equal(ids(store, june11), ['p-1', 'p-2']);
  }));

test('a figure is decided once per audience: a policy publishing what another in force publishes must replace it', () =>
  withStore(async (store) => {
    await store.propose(proposal(), meetingEvening);
    await store.propose(proposal({ title: 'The same and more', metrics: ['generation', 'import'] }), meetingEvening);
    await store.propose(proposal({ title: 'For the network operator', audience: { tier: 'shared', partner: 'Grid operator', purpose: 'Feeder planning', expires: '2026-09-01' } }), meetingEvening);
    await store.decide(decision('p-1'), meetingEvening);
    const twice = await refusal(() => store.decide(decision('p-2'), meetingEvening));
    assert.match(twice.message, 'proposal p-2 publishes neighbourhood generation, which proposal p-1 (in force) already publishes to the same audience');
    assert.match(twice.message, '"replaces": ["p-1"]');
    // Another audience may have the same figure under its own decision.
    await store.decide(decision('p-3'), meetingEvening);
    await store.decide(decision('p-2', { replaces: ['p-1'] }), meetingEvening);
    assert.equal(ids(store, june11), ['p-3', 'p-2']);
  }));

test('a shared-tier policy stops at its expiry: a period that would run past it is not shared', () =>
  withStore(async (store) => {
    await store.propose(
      proposal({ audience: { tier: 'shared', partner: 'Grid operator', purpose: 'Feeder planning', expires: '2026-07-01' } }),
      meetingEvening,
    );
    await store.decide(decision('p-1'), meetingEvening);
    const july1 = Date.UTC(2026, 5, 30, 23, 0); // local midnight, BST
    assert.is(store.proposal('p-1')?.expiresAt, new Date(july1).toISOString());
    assert.equal(ids(store, july1 - DAY, july1), ['p-1'], 'the last day before expiry');
    assert.equal(ids(store, july1 - 30 * 60_000, july1), ['p-1']);
    assert.equal(ids(store, july1), [], 'expired at the start of the expiry date');
    assert.equal(ids(store, july1 - 2 * DAY, july1 + 5 * DAY), [], 'a week running past the expiry');
    assert.is(store.policiesInForce(july1 - DAY)[0]?.expiresAt, july1);
  }));

test('a shared proposal that would expire before it takes effect cannot be adopted', () =>
  withStore(async (store) => {
    await store.propose(proposal({ audience: { tier: 'shared', partner: 'Uni', purpose: 'Study', expires: '2026-06-11' } }), meetingEvening);
    const error = await refusal(() => store.decide(decision('p-1'), meetingEvening));
    assert.match(error.message, 'never be in force');
  }));

test('no consent by default; consent given then withdrawn applies only to periods starting after each change', () =>
  withStore(async (store) => {
    const given = meetingEvening + HOUR;
    const withdrawn = given + 10 * DAY;
    assert.equal(store.consentAt('h-1', given), { aggregates: false, liveGeneration: false, partners: [] });
    assert.equal(store.consentRegister(), []);

    const entry = await store.setConsent('h-1', { aggregates: true, liveGeneration: true, partners: ['Grid operator'] }, 'consent-v1', given);
    assert.is(entry.consentedAt, new Date(given).toISOString());
    assert.equal(store.consentAt('h-1', given - 1), { aggregates: false, liveGeneration: false, partners: [] }, 'before consent');
    assert.equal(store.consentAt('h-1', given), { aggregates: true, liveGeneration: true, partners: ['Grid operator'] });
    assert.equal(store.consentAt('h-2', given), { aggregates: false, liveGeneration: false, partners: [] }, 'another household');

    const partial = await store.withdrawConsent('h-1', { scopes: ['liveGeneration', 'partner:Grid operator'] }, withdrawn);
    assert.equal(partial, { scopes: { aggregates: true, liveGeneration: false, partners: [] }, deleteRawData: false });
    assert.equal(store.consentAt('h-1', withdrawn - 1), { aggregates: true, liveGeneration: true, partners: ['Grid operator'] }, 'a period started before withdrawal keeps it');
    assert.equal(store.consentAt('h-1', withdrawn), { aggregates: true, liveGeneration: false, partners: [] });

    const all = await store.withdrawConsent('h-1', { scopes: 'all', deleteRawData: true }, withdrawn + DAY);
    assert.equal(all, { scopes: { aggregates: false, liveGeneration: false, partners: [] }, deleteRawData: true });
    assert.equal(store.consentAt('h-1', withdrawn + DAY), { aggregates: false, liveGeneration: false, partners: [] });
    assert.equal(store.consentAt('h-1', given + DAY), { aggregates: true, liveGeneration: true, partners: ['Grid operator'] }, 'history stays');

    const [register] = store.consentRegister();
    assert.equal(register, {
      householdId: 'h-1',
      scopes: { aggregates: false, liveGeneration: false, partners: [] },
      textVersion: 'consent-v1',
      consentedAt: new Date(given).toISOString(),
      withdrawnAt: new Date(withdrawn + DAY).toISOString(),
      changedAt: new Date(withdrawn + DAY).toISOString(),
      rawDataDeletionRequestedAt: new Date(withdrawn + DAY).toISOString(),
      rawDataDeletedAt: null,
    });

    await store.recordDeletion('h-1', { readings: 1200, intervals: 300 }, withdrawn + DAY + HOUR);
    assert.is(store.consentRegister()[0]?.rawDataDeletedAt, new Date(withdrawn + DAY + HOUR).toISOString());
    assert.equal(store.deletions(), [{ householdId: 'h-1', counts: { readings: 1200, intervals: 300 }, at: new Date(withdrawn + DAY + HOUR).toISOString() }]);

    // Consenting again is one call, from then on.
    await store.setConsent('h-1', { aggregates: true, liveGeneration: false, partners: [] }, 'consent-v2', withdrawn + 2 * DAY);
    assert.is(store.consentRegister()[0]?.textVersion, 'consent-v2');
    assert.is(store.consentAt('h-1', withdrawn + 2 * DAY).aggregates, true);
  }));

test('consent input is checked and every problem named; a withdrawal without a record is still recorded', () =>
  withStore(async (store) => {
    const bad = await refusal(() => store.setConsent('', { aggregates: 'yes', liveGeneration: false, partners: ['A', 'A'] } as never, '', meetingEvening));
    assert.is(bad.code, 'invalid');
    assert.equal(
      bad.problems.map((p) => p.split(':')[0]),
      ['household', 'scopes.aggregates', 'scopes.partners', 'textVersion'],
    );
    const scope = await refusal(() => store.withdrawConsent('h-1', { scopes: ['everything'] }, meetingEvening));
    assert.match(scope.message, 'aggregates, liveGeneration or partner:NAME');
    const result = await store.withdrawConsent('h-3', { scopes: 'all', deleteRawData: true }, meetingEvening);
    assert.is(result.deleteRawData, true, 'a household with no consent can still ask for its data to be deleted');
    assert.is(store.consentRegister()[0]?.rawDataDeletionRequestedAt, new Date(meetingEvening).toISOString());
  }));

test('retention runs are recorded, with failures, and survive a restart', () =>
  withStore(async (store, dir) => {
    const run = await store.recordRetentionRun(
      { deleted: { readings: 5000, fiveMinute: 1000, hours: 0, days: 0 }, cutoffs: { readingsBefore: '2026-05-06T18:00:00.000Z' } },
      meetingEvening,
    );
    assert.equal(run, {
      deleted: { readings: 5000, fiveMinute: 1000, hours: 0, days: 0 },
      cutoffs: { readingsBefore: '2026-05-06T18:00:00.000Z' },
      error: null,
      at: new Date(meetingEvening).toISOString(),
    });
    await store.recordRetentionRun({ deleted: {}, error: 'disk I/O error' }, meetingEvening + DAY);
    const bad = await refusal(() => store.recordRetentionRun({ deleted: { readings: -1 } }, meetingEvening + DAY));
    assert.match(bad.message, 'deleted.readings');
    const reopened = await openGovernanceStore(dir, { timeZone: TZ });
    assert.equal(reopened.retentionRuns().map((r) => [r.at, r.error]), [
      [new Date(meetingEvening).toISOString(), null],
      [new Date(meetingEvening + DAY).toISOString(), 'disk I/O error'],
    ]);
  }));

test('everything is rebuilt from governance.json on reopen, and records handed out are frozen', () =>
  withStore(async (store, dir) => {
    await store.propose(proposal(), meetingEvening);
    await store.decide(decision('p-1'), meetingEvening);
    await store.setConsent('h-1', { aggregates: true, liveGeneration: false, partners: [] }, 'v1', meetingEvening);
    const reopened = await openGovernanceStore(dir, { timeZone: TZ });
    assert.equal(ids(reopened, june11), ['p-1']);
    assert.is(reopened.consentAt('h-1', june11).aggregates, true);
    assert.equal(reopened.decisions(), store.decisions());
    assert.throws(() => {
      (reopened.proposal('p-1')!.proposal.rules as { k: number }).k = 2;
    });
    assert.ok((await reopened.integrity()).ok);
  }));

test('a tampered governance.json: the store opens, says where, publishes nothing, counts no consent and records nothing', () =>
  withStore(async (_store, dir) => {
    const store = await openGovernanceStore(dir, { timeZone: TZ });
    await store.propose(proposal(), meetingEvening);
    await store.decide(decision('p-1'), meetingEvening);
    await store.setConsent('h-1', { aggregates: true, liveGeneration: false, partners: [] }, 'v1', meetingEvening);
    await store.withdrawConsent('h-1', { scopes: 'all' }, meetingEvening + DAY);
    const file = join(dir, 'governance.json');
    const document = JSON.parse(await readFile(file, 'utf8')) as { entries: Array<{ data: { withdrawn: unknown } }> };
    document.entries[3]!.data.withdrawn = []; // someone quietly undoes a withdrawal
    await writeFile(file, JSON.stringify(document));

    const reopened = await openGovernanceStore(dir, { timeZone: TZ });
    const integrity = await reopened.integrity();
    assert.is(integrity.ok, false);
    assert.is(!integrity.ok && integrity.brokenAt, 4);
    assert.equal(reopened.policiesInForce(june11 + DAY), []);
    assert.equal(reopened.consentAt('h-1', meetingEvening + 2 * DAY), { aggregates: false, liveGeneration: false, partners: [] });
    assert.equal(reopened.proposals().map((p) => p.id), ['p-1'], 'entries before the break can still be read');
    const refused = await refusal(() => reopened.setConsent('h-2', { aggregates: true, liveGeneration: false, partners: [] }, 'v1', meetingEvening + 2 * DAY));
    assert.is(refused.code, 'broken');
    assert.match(refused.message, 'entry 4');
  }));

test.run();
