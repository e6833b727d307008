import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDecision } from '../../hub/governance/decisionSchema.js';
import { openGovernanceStore } from '../../hub/governance/governanceStore.js';
import { ensureStarterProposal, starterProposal } from '../../hub/governance/starterProposal.js';
import { DEFAULT_RULES } from '../../hub/publication/publicationTypes.js';
import { makeTempDir } from '../helpers/tempDir.js';

const test = suite('starter proposal: a fresh hub proposes it once and publishes nothing until a decision');
const TZ = 'Europe/London';
const DAY = 86_400_000;
const installedAt = Date.UTC(2026, 5, 1, 9, 0);

test('the starter proposal is neighbourhood daily generation and consumption, default rules, open, CC BY 4.0, discussion filled in', () => {
  const proposal = starterProposal();
  assert.equal(proposal.metrics, ['generation', 'consumption']);
  assert.equal(proposal.groups, { neighbourhood: true, zones: [] });
  assert.is(proposal.resolution.neighbourhood, 'day');
  assert.is(proposal.delayDays, 1);
  assert.equal(proposal.audience, { tier: 'open' });
  assert.is(proposal.licence, 'CC-BY-4.0');
  assert.equal(proposal.rules, { ...DEFAULT_RULES });
  assert.is(proposal.liveGeneration, false);
  assert.is(proposal.publishNames, false);
  for (const [question, answer] of Object.entries(proposal.discussion)) assert.ok(answer.length > 40, `${question} has a suggested answer`);
});

test('repeated opens propose it exactly once, and nothing is in force until the group decides', async () => {
  const { dir, remove } = await makeTempDir();
  for (let start = 0; start < 3; start++) {
    const store = await openGovernanceStore(dir, { timeZone: TZ });
    const id = await ensureStarterProposal(store, installedAt + start * DAY);
    assert.is(id, start === 0 ? 'p-1' : null);
    assert.equal(store.proposals().map((p) => [p.id, p.status]), [['p-1', 'open']]);
    for (const t of [installedAt - 365 * DAY, installedAt, installedAt + 365 * DAY]) assert.equal(store.policiesInForce(t), []);
  }

  // One decision adopts it.
  const store = await openGovernanceStore(dir, { timeZone: TZ });
  const decidedAt = installedAt + 9 * DAY;
  await store.decide(
    parseDecision(
      {
        proposalId: 'p-1',
        outcome: 'adopted',
        date: '2026-06-10',
        meeting: 'First general meeting',
        present: ['Ann', 'Bo', 'Cy'],
        votes: { for: 3, against: 0, abstaining: 0 },
        decidedBy: "Residents' association general meeting",
        rationale: 'Start with daily totals.',
        effectiveFrom: '2026-06-11',
      },
      'decision.json',
    ),
    decidedAt,
  );
  const june11 = Date.UTC(2026, 5, 10, 23, 0);
  assert.equal(store.policiesInForce(june11 - DAY), []);
  assert.equal(store.policiesInForce(june11).map((p) => p.proposal.title), [starterProposal().title]);
  assert.is(await ensureStarterProposal(store, decidedAt), null);
  assert.is(store.proposals().length, 1);
  await remove();
});

test('on a damaged log the starter is not proposed and nothing throws', async () => {
  const { dir, remove } = await makeTempDir();
  await writeFile(join(dir, 'governance.json'), 'not json');
  const store = await openGovernanceStore(dir, { timeZone: TZ });
  assert.is(await ensureStarterProposal(store, installedAt), null);
  assert.equal(store.proposals(), []);
  assert.is((await store.integrity()).ok, false);
  await remove();
});

test.run();
