import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDecision } from '../../hub/governance/decisionSchema.js';
import { GovernanceError } from '../../hub/governance/governanceError.js';

const test = suite('decision schema: a complete record of who decided what, from when');

const adoption = () => ({
  proposalId: 'p-1',
  outcome: 'adopted',
  date: '2026-06-10',
  meeting: 'General meeting, community centre',
  present: ['Ann Smith', 'Bo Jones', 'Cy Patel'],
  votes: { for: 3, against: 0, abstaining: 0 },
  decidedBy: "Residents' association general meeting",
  rationale: 'Residents want to see what the panels make.',
  effectiveFrom: '2026-06-11',
});

function problemsOf(json: unknown): string[] {
  try {
    parseDecision(json, 'decision.json');
  } catch (error) {
    assert.instance(error, GovernanceError);
    assert.match((error as Error).message, 'decision.json');
    return [...(error as GovernanceError).problems];
  }
  assert.unreachable('the decision was accepted');
  return [];
}

const hasProblem = (problems: string[], start: string, ...words: string[]) =>
  assert.ok(
    problems.some((p) => p.startsWith(start) && words.every((w) => p.includes(w))),
    `expected "${start} … ${words.join(' … ')}" in:\n${problems.join('\n')}`,
  );

test('a complete decision is accepted; replaces defaults to none', () => {
  const decision = parseDecision(adoption(), 'decision.json');
  assert.equal(decision.replaces, []);
  assert.is(decision.votes.for, 3);
});

test('a decision with many mistakes lists every one with its path and value', () => {
  const problems = problemsOf({
    proposalId: '',
    outcome: 'accepted',
    date: '10/06/2026',
    meeting: '',
    present: [],
    votes: { for: 1.5, against: -1, abstaining: 'none' },
    decidedBy: 7,
    rationale: '   ',
    effectiveFrom: 'tomorrow',
    replaces: 'p-0',
    quorum: true,
  });
  hasProblem(problems, 'proposalId:', 'empty');
  hasProblem(problems, 'outcome:', '"accepted"');
  hasProblem(problems, 'date:', '"10/06/2026"');
  hasProblem(problems, 'meeting:', 'empty');
  hasProblem(problems, 'present:', 'at least one');
  hasProblem(problems, 'votes.for:', 'whole number', '1.5');
  hasProblem(problems, 'votes.against:', '0 or more', '-1');
  hasProblem(problems, 'votes.abstaining:', '"none"');
  hasProblem(problems, 'decidedBy:', '7');
  hasProblem(problems, 'rationale:', 'empty');
  hasProblem(problems, 'effectiveFrom:', '"tomorrow"');
  hasProblem(problems, 'replaces:', '"p-0"');
  hasProblem(problems, 'unknown field "quorum"');
  assert.is(problems.length, 13, problems.join('\n'));
});

test('an adoption needs more votes for than against; a rejection does not', () => {
  hasProblem(problemsOf({ ...adoption(), votes: { for: 4, against: 4, abstaining: 2 } }), 'votes:', 'more votes for than against', '4 for, 4 against');
  const rejected = parseDecision({ ...adoption(), outcome: 'rejected', votes: { for: 4, against: 4, abstaining: 2 } }, 'decision.json');
  assert.is(rejected.outcome, 'rejected');
});

test('effectiveFrom cannot be before the decision date, and a time needs its offset', () => {
  hasProblem(problemsOf({ ...adoption(), effectiveFrom: '2026-06-09' }), 'effectiveFrom:', 'before the decision', '2026-06-10');
  hasProblem(problemsOf({ ...adoption(), effectiveFrom: '2026-06-09T23:30:00+01:00' }), 'effectiveFrom:', 'before the decision');
  hasProblem(problemsOf({ ...adoption(), effectiveFrom: '2026-06-11T00:00:00' }), 'effectiveFrom:', 'offset');
  assert.is(parseDecision({ ...adoption(), effectiveFrom: '2026-06-10' }, 'decision.json').effectiveFrom, '2026-06-10');
  assert.is(parseDecision({ ...adoption(), effectiveFrom: '2026-06-10T20:00:00+01:00' }, 'decision.json').effectiveFrom, '2026-06-10T20:00:00+01:00');
});

test('replaces: only for adoptions, never the proposal itself, no repeats', () => {
  hasProblem(problemsOf({ ...adoption(), outcome: 'rejected', votes: { for: 0, against: 3, abstaining: 0 }, replaces: ['p-0'] }), 'replaces:', 'only an adopted');
  hasProblem(problemsOf({ ...adoption(), replaces: ['p-1'] }), 'replaces:', 'p-1');
  hasProblem(problemsOf({ ...adoption(), replaces: ['p-0', 'p-0'] }), 'replaces:', 'twice');
});

test.run();
