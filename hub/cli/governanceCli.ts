import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { withGovernanceCommands } from './governanceAccess.js';
import { parseUserRole, passwordFromInput } from '../auth/userCommands.js';
import { withUserCommands } from './userAccess.js';
import { printTable } from './printTable.js';

/**
 * `commonwatt policy|consent|publish|users ...`: the group's record of what is
 * published, to whom and how finely, and who may sign in to the hub's pages.
 */

function dataDirOption() {
  return new Option('--data-dir <dir>', 'where the hub keeps its data').env('COMMONWATT_DATA_DIR').default('./data');
}

function print(json: boolean, data: unknown, text: () => void) {
  if (json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else text();
}

async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`--file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`--file: ${file} is not valid JSON (${(error as Error).message}).`);
  }
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

export function registerGovernanceCommands(program: Command): void {
  const policy = program.command('policy').description('what is published, decided on the record');
  policy
    .command('show')
    .description('the policy in force, proposals and decisions, and the decision log\'s integrity')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action(async (opts: { dataDir: string; json?: boolean }) => {
      const shown = (await withGovernanceCommands(opts.dataDir, (c) => c.policyShow())) as {
        integrity: string;
        inForce: Array<{ proposalId: string; title: string; effectiveFrom: string }>;
        proposals: Array<{ id: string; title: string; status: string }>;
        decisions: Array<{ id: string; proposalId: string; outcome: string; date: string }>;
      };
      print(!!opts.json, shown, () => {
        console.log(`Decision log: ${shown.integrity}.`);
        console.log(shown.inForce.length === 0 ? 'In force: nothing is published until the group adopts a proposal.' : 'In force:');
        for (const p of shown.inForce) console.log(`  ${p.proposalId}  ${p.title} (from ${p.effectiveFrom})`);
        console.log('Proposals:');
        printTable(['id', 'status', 'title'], shown.proposals.map((p) => [p.id, p.status, p.title]), '  none');
        if (shown.decisions.length > 0) {
          console.log('Decisions:');
          printTable(['id', 'proposal', 'outcome', 'date'], shown.decisions.map((d) => [d.id, d.proposalId, d.outcome, d.date]), '');
        }
      });
    });
  policy
    .command('propose')
    .description('record a proposal from a JSON file (see README: "Deciding what is published")')
    .requiredOption('--file <file>', 'the proposal')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action(async (opts: { file: string; dataDir: string; json?: boolean }) => {
      const json = await readJsonFile(opts.file);
      const result = await withGovernanceCommands(opts.dataDir, (c) => c.propose(json, opts.file));
      print(!!opts.json, result, () => console.log(`Recorded proposal ${result.proposalId}. Preview it with \`commonwatt policy preview ${result.proposalId}\`.`));
    });
  policy
    .command('preview')
    .description('what a proposal would have published over the last 30 days, figure by figure (for the group only)')
    .argument('<id>', 'proposal id, e.g. p-1')
    .option('--days <n>', 'how many days back', (v) => Number(v), 30)
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { days: number; dataDir: string; json?: boolean }) => {
      const preview = await withGovernanceCommands(opts.dataDir, (c) => c.preview(id, opts.days));
      print(!!opts.json, preview, () => {
        console.log(`Proposal ${id} over the last ${preview.days} days: ${preview.released} figures would be published, ${Object.values(preview.suppressed).reduce((a, b) => a + b, 0)} withheld.`);
        for (const [rule, n] of Object.entries(preview.suppressed)) console.log(`  withheld by the ${rule} rule: ${n}`);
        printTable(
          ['period', 'group', 'metric', 'published', 'value or reason'],
          preview.figures.slice(-40).map((f) => [f.periodStart, f.group, f.metric, f.released ? 'yes' : 'no', f.released ? `${f.totalWh} Wh, ${f.householdsAtLeast}+ households` : `${f.rule}: ${f.reason}`]),
          '  no data in that time',
        );
        if (preview.figures.length > 40) console.log(`  (last 40 of ${preview.figures.length}; --json for all)`);
      });
    });
  policy
    .command('decide')
    .description('record the group\'s decision on a proposal from a JSON file')
    .argument('<id>', 'proposal id')
    .requiredOption('--file <file>', 'the decision record')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { file: string; dataDir: string; json?: boolean }) => {
      const json = (await readJsonFile(opts.file)) as Record<string, unknown>;
      if (json.proposalId !== undefined && json.proposalId !== id) throw new Error(`--file: ${opts.file} is about proposal ${String(json.proposalId)}, not ${id}.`);
      const result = await withGovernanceCommands(opts.dataDir, (c) => c.decide({ ...json, proposalId: id }, opts.file));
      print(!!opts.json, result, () => console.log(`Recorded decision ${result.decisionId}: proposal ${result.proposalId} ${result.outcome}, effective ${result.effectiveAt}.`));
    });

  policy
    .command('token')
    .description('a token for the named partner of an adopted shared-tier proposal (shown once)')
    .argument('<id>', 'proposal id')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { dataDir: string; json?: boolean }) => {
      const result = await withGovernanceCommands(opts.dataDir, (c) => c.partnerToken(id));
      print(!!opts.json, result, () => {
        console.log(`Token for ${result.partner} under ${result.proposalId}, valid until ${result.expiresAt}; shown only now:`);
        console.log(`  ${result.token}`);
        console.log('They fetch their figures with: GET /api/shared/figures, header "Authorization: Bearer <token>".');
      });
    });

  const consent = program.command('consent').description('what each household has agreed to');
  consent
    .command('set')
    .description('record a household\'s consent')
    .argument('<household>', 'household id')
    .option('--aggregates', 'counted in neighbourhood aggregates')
    .option('--live-generation', 'counted in the live "solar now" figure')
    .option('--partner <name...>', 'shared with these named partners')
    .requiredOption('--text-version <v>', 'the version of the consent text agreed to')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action(async (household: string, opts: { aggregates?: boolean; liveGeneration?: boolean; partner?: string[]; textVersion: string; dataDir: string; json?: boolean }) => {
      const scopes = { aggregates: !!opts.aggregates, liveGeneration: !!opts.liveGeneration, partners: opts.partner ?? [] };
      const entry = await withGovernanceCommands(opts.dataDir, (c) => c.consentSet(household, scopes, opts.textVersion));
      print(!!opts.json, entry, () => console.log(`Recorded consent of ${household}: ${JSON.stringify(scopes)} (text ${opts.textVersion}); it applies to periods from now on.`));
    });
  consent
    .command('withdraw')
    .description('withdraw consent (from now on; released figures stay)')
    .argument('<household>', 'household id')
    .option('--scope <scope...>', 'aggregates, liveGeneration or partner:NAME (default: all)')
    .option('--delete-raw-data', 'also delete the household\'s raw readings and interval energy now')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action(async (household: string, opts: { scope?: string[]; deleteRawData?: boolean; dataDir: string; json?: boolean }) => {
      const result = await withGovernanceCommands(opts.dataDir, (c) => c.consentWithdraw(household, opts.scope ?? 'all', !!opts.deleteRawData));
      print(!!opts.json, result, () =>
        console.log(`Withdrew ${result.withdrawn} for ${household} from now on${opts.deleteRawData ? `; deleted ${result.readingsDeleted} raw readings` : ''}.`),
      );
    });
  consent
    .command('list')
    .description('the consent register')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action(async (opts: { dataDir: string; json?: boolean }) => {
      const register = (await withGovernanceCommands(opts.dataDir, (c) => c.consentList())) as Array<{ householdId: string; scopes: { aggregates: boolean; liveGeneration: boolean; partners: string[] }; textVersion: string | null; changedAt: string }>;
      print(!!opts.json, register, () =>
        printTable(
          ['household', 'aggregates', 'live', 'partners', 'text', 'changed'],
          register.map((r) => [r.householdId, r.scopes.aggregates ? 'yes' : 'no', r.scopes.liveGeneration ? 'yes' : 'no', r.scopes.partners.join(' '), r.textVersion ?? '', r.changedAt]),
          'No consent recorded yet.',
        ),
      );
    });

  program
    .command('publish')
    .description('publication')
    .command('status')
    .description('what was released, what waits to settle, what was withheld and why (counts only)')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action(async (opts: { dataDir: string; json?: boolean }) => {
      const status = await withGovernanceCommands(opts.dataDir, (c) => c.publishStatus());
      print(!!opts.json, status, () => {
        if (status.blocked) console.log(`PUBLICATION STOPPED: ${status.blocked}`);
        console.log(`Released: ${status.released} figures${status.lastDecidedAt ? ` (last decided ${status.lastDecidedAt})` : ''}.`);
        const withheld = Object.entries(status.suppressed);
        console.log(withheld.length === 0 ? 'Withheld: none.' : `Withheld: ${withheld.map(([rule, n]) => `${n} by the ${rule} rule`).join(', ')}.`);
        for (const w of status.waiting) console.log(`Waiting: ${w.policyId} ${w.day}: ${w.reason}`);
      });
    });

  const users = program.command('users').description('who may sign in to the hub\'s pages (volunteer, group, admin)');
  users
    .command('add')
    .description('add a user; the password is read from standard input')
    .requiredOption('--username <name>', 'sign-in name')
    .requiredOption('--role <role>', 'volunteer, group or admin')
    .option('--display-name <name>', 'shown on the pages')
    .addOption(dataDirOption())
    .action(async (opts: { username: string; role: string; displayName?: string; dataDir: string }) => {
      const role = parseUserRole(opts.role);
      const password = passwordFromInput(await readStdin());
      const user = await withUserCommands(opts.dataDir, (c) => c.addUser({ username: opts.username, role, displayName: opts.displayName ?? null, password }));
      console.log(`Added ${user.username} (${user.role}); they can sign in now.`);
    });
  users
    .command('list')
    .description('list users (never passwords)')
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action(async (opts: { dataDir: string; json?: boolean }) => {
      const list = await withUserCommands(opts.dataDir, (c) => c.listUsers());
      print(!!opts.json, list, () => printTable(['username', 'role', 'name'], list.map((u) => [u.username, u.role, u.displayName ?? '']), 'No users yet: `commonwatt users add --username NAME --role group`.'));
    });
  users
    .command('remove')
    .description('remove a user')
    .argument('<username>')
    .addOption(dataDirOption())
    .action(async (username: string, opts: { dataDir: string }) => {
      const result = await withUserCommands(opts.dataDir, (c) => c.removeUser(username));
      console.log(`Removed ${result.user.username}.`);
    });
}
