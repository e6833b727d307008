import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GovernanceError } from '../../hub/governance/governanceError.js';
import { parseProposal } from '../../hub/governance/proposalSchema.js';
import { DEFAULT_RULES, RULE_FLOORS } from '../../hub/publication/publicationTypes.js';

const test = suite('proposal schema: what a group may propose, and every problem listed at once');

const minimal = () => ({
  title: 'Daily totals',
  purpose: 'Show the neighbourhood its solar output',
  metrics: ['generation'],
  groups: { neighbourhood: true },
  audience: { tier: 'open' },
});

function problemsOf(json: unknown, knownZones?: readonly string[]): string[] {
  try {
    parseProposal(json, 'proposal.json', knownZones ? { knownZones } : {});
  } catch (error) {
    assert.instance(error, GovernanceError);
    assert.is((error as GovernanceError).code, 'invalid');
    assert.match((error as Error).message, 'proposal.json');
    return [...(error as GovernanceError).problems];
  }
  assert.unreachable('the proposal was accepted');
  return [];
}

const hasProblem = (problems: string[], start: string, ...words: string[]) =>
  assert.ok(
    problems.some((p) => p.startsWith(start) && words.every((w) => p.includes(w))),
    `expected a problem "${start} … ${words.join(' … ')}" in:\n${problems.join('\n')}`,
  );

test('a minimal proposal gets the defaults: 30 min neighbourhood, daily zones, D+1, CC BY 4.0, default rules, nothing live, no names', () => {
  const proposal = parseProposal(minimal(), 'proposal.json');
  assert.equal(proposal.groups, { neighbourhood: true, zones: [] });
  assert.equal(proposal.resolution, { neighbourhood: '30min', zones: 'day' });
  assert.is(proposal.delayDays, 1);
  assert.is(proposal.licence, 'CC-BY-4.0');
  assert.equal(proposal.rules, { ...DEFAULT_RULES });
  assert.is(proposal.liveGeneration, false);
  assert.is(proposal.publishNames, false);
  assert.equal(proposal.discussion, { whatIsItFor: '', whoCouldBeAffected: '', whatIsNotOk: '', whereWillItGo: '' });
});

test('a proposal with many mistakes lists every one, each with its path and the value found', () => {
  const problems = problemsOf(
    {
      title: '',
      purpose: 42,
      metrics: ['power'],
      groups: { neighbourhood: 'yes', zones: ['Nowhere'] },
      resolution: { neighbourhood: '15min', zones: 'hour' },
      delayDays: 0,
      audience: { tier: 'shared', partner: 'Grid operator' },
      licence: '',
      rules: { k: 3 },
      liveGeneration: 'on',
      publishNames: 1,
      discussion: { whatIsItFor: 7, mood: 'good' },
      colour: 'green',
    },
    ['Mill Lane', 'Orchard Road'],
  );
  hasProblem(problems, 'title:', 'empty');
  hasProblem(problems, 'purpose:', '42');
  hasProblem(problems, 'metrics.0:', '"power"', 'generation, import, export, consumption');
  hasProblem(problems, 'groups.neighbourhood:', '"yes"');
  hasProblem(problems, 'groups.zones.0:', '"Nowhere"', '"Mill Lane", "Orchard Road"');
  hasProblem(problems, 'resolution.neighbourhood:', '30 minutes', '"15min"');
  hasProblem(problems, 'resolution.zones:', 'daily', '"hour"');
  hasProblem(problems, 'delayDays:', 'D+1', '0');
  hasProblem(problems, 'audience.purpose:', 'missing');
  hasProblem(problems, 'audience.expires:', 'missing');
  hasProblem(problems, 'licence:', 'empty');
  hasProblem(problems, 'rules.k:', 'at least 5', '(got 3)');
  hasProblem(problems, 'liveGeneration:', '"on"');
  hasProblem(problems, 'publishNames:', '1');
  hasProblem(problems, 'discussion.whatIsItFor:', '7');
  hasProblem(problems, 'discussion', 'unknown field "mood"');
  hasProblem(problems, 'unknown field "colour"', 'allowed: title');
  assert.is(problems.length, 17, problems.join('\n'));
});

test('rules below the floors are refused, each naming its floor; rules at the floors are accepted', () => {
  const problems = problemsOf({ ...minimal(), rules: { k: RULE_FLOORS.k - 1, dominancePercent: RULE_FLOORS.dominancePercent + 1, pPercent: RULE_FLOORS.pPercent - 0.5 } });
  hasProblem(problems, 'rules.k:', `at least ${RULE_FLOORS.k}`, 'floor', `(got ${RULE_FLOORS.k - 1})`);
  hasProblem(problems, 'rules.dominancePercent:', `at most ${RULE_FLOORS.dominancePercent} %`, 'floor', `(got ${RULE_FLOORS.dominancePercent + 1})`);
  hasProblem(problems, 'rules.pPercent:', `at least ${RULE_FLOORS.pPercent} %`, 'floor', `(got ${RULE_FLOORS.pPercent - 0.5})`);
  assert.is(problems.length, 3);
  hasProblem(problemsOf({ ...minimal(), rules: { k: 7.5 } }), 'rules.k:', 'whole number');
  hasProblem(problemsOf({ ...minimal(), rules: { dominancePercent: 0 } }), 'rules.dominancePercent:', 'more than 0');
  hasProblem(problemsOf({ ...minimal(), rules: { kk: 10 } }), 'rules', 'unknown field "kk"');
  const atFloors = parseProposal({ ...minimal(), rules: { ...RULE_FLOORS } }, 'proposal.json');
  assert.equal(atFloors.rules, { ...RULE_FLOORS });
  const partial = parseProposal({ ...minimal(), rules: { k: 20 } }, 'proposal.json');
  assert.equal(partial.rules, { ...DEFAULT_RULES, k: 20 }, 'unnamed rules keep their defaults');
});

test('the live figure is for the whole neighbourhood only, and a proposal must name a group', () => {
  const problems = problemsOf({ ...minimal(), groups: { neighbourhood: false, zones: [] }, liveGeneration: true });
  hasProblem(problems, 'groups:', 'at least one group');
  hasProblem(problems, 'liveGeneration:', 'whole neighbourhood only');
  const zonesOnly = parseProposal({ ...minimal(), groups: { neighbourhood: false, zones: ['Mill Lane'] } }, 'proposal.json', { knownZones: ['Mill Lane'] });
  assert.equal(zonesOnly.groups.zones, ['Mill Lane']);
  hasProblem(problemsOf({ ...minimal(), groups: { neighbourhood: false, zones: ['Mill Lane'] }, liveGeneration: true }, ['Mill Lane']), 'liveGeneration:');
});

test('zones are checked against the registry; a registry with no zones says so', () => {
  hasProblem(problemsOf({ ...minimal(), groups: { neighbourhood: true, zones: ['Mill Lane'] } }, []), 'groups.zones.0:', 'no household has a zone yet');
  hasProblem(problemsOf({ ...minimal(), groups: { neighbourhood: true, zones: ['Mill Lane', 'Mill Lane'] } }, ['Mill Lane']), 'groups.zones:', 'twice');
});

test('a shared proposal names its partner, purpose and an expiry date with an unambiguous time', () => {
  const shared = parseProposal(
    { ...minimal(), audience: { tier: 'shared', partner: 'Grid operator', purpose: 'Plan the feeder upgrade', expires: '2026-12-31' } },
    'proposal.json',
  );
  assert.equal(shared.audience, { tier: 'shared', partner: 'Grid operator', purpose: 'Plan the feeder upgrade', expires: '2026-12-31' });
  hasProblem(
    problemsOf({ ...minimal(), audience: { tier: 'shared', partner: 'Grid operator', purpose: 'x', expires: '2026-12-31T10:00' } }),
    'audience.expires:',
    'offset',
  );
  hasProblem(problemsOf({ ...minimal(), audience: { tier: 'shared', partner: 'x', purpose: 'x', expires: '2026-02-30' } }), 'audience.expires:');
  hasProblem(problemsOf({ ...minimal(), audience: { tier: 'public' } }), 'audience.tier:', '"open"', '"shared"', '"public"');
  hasProblem(problemsOf({ ...minimal(), audience: { tier: 'open', partner: 'x' } }), 'audience', 'unknown field "partner"');
  hasProblem(problemsOf({ ...minimal(), audience: undefined }), 'audience:', 'tier');
});

test('a proposal that is not an object is refused with what was found', () => {
  const problems = problemsOf([1, 2]);
  assert.is(problems.length, 1);
  hasProblem(problems, 'must be an object', '[1,2]');
});

test.run();
