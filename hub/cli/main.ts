#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { METER_DRIVERS, METER_KINDS, type MeterDriver, type MeterKind } from '../storage/registry.js';
import { createLogger } from '../log/createLogger.js';
import { startHub } from '../hub.js';
import { runDemo } from '../demo/runDemo.js';
import { withHubCommands } from './hubAccess.js';
import { printTable } from './printTable.js';
import { registerSensorCommands } from '../../sensors/cli/sensorCommands.js';
import { registerGovernanceCommands } from './governanceCli.js';

/**
 * `commonwatt`: one command with subcommands. Every subcommand takes
 * --data-dir (env COMMONWATT_DATA_DIR, default ./data) and --json where it
 * prints data. Errors name the input, the value and the fix, and exit 1.
 */

const program = new Command('commonwatt')
  .description('Commonwatt community energy hub')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'commonwatt: ')) });

function dataDirOption(defaultDir = './data') {
  return new Option('--data-dir <dir>', 'where the hub keeps its data').env('COMMONWATT_DATA_DIR').default(defaultDir);
}

function portArgument(name: string) {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) > 65535) {
      throw new InvalidArgumentError(`${name}: must be a whole number from 0 to 65535 (got ${JSON.stringify(value)}); 0 picks a free port.`);
    }
    return Number(value);
  };
}

function print(json: boolean, data: unknown, text: () => void) {
  if (json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else text();
}

program
  .command('start')
  .description('start the hub: MQTT broker, reading storage, HTTP server')
  .addOption(dataDirOption())
  .option('--mqtt-port <port>', 'MQTT TCP port (0 picks a free port)', portArgument('--mqtt-port'))
  .option('--http-port <port>', 'HTTP port, also MQTT over WebSocket at /mqtt (0 picks a free port)', portArgument('--http-port'))
  .option('--host <host>', 'address to listen on')
  .action(async (opts: { dataDir: string; mqttPort?: number; httpPort?: number; host?: string }) => {
    const logger = createLogger();
    const hub = await startHub({ dataDir: opts.dataDir, logger, settings: { mqttPort: opts.mqttPort, httpPort: opts.httpPort, host: opts.host } });
    await waitForSignal();
    await hub.stop();
  });

program
  .command('demo')
  .description('start the hub with a neighbourhood of simulated households publishing over MQTT')
  .addOption(dataDirOption('./data-demo'))
  .option('--households <n>', 'number of simulated households', (value) => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000) {
      throw new InvalidArgumentError(`--households: must be a whole number from 1 to 1000 (got ${JSON.stringify(value)}).`);
    }
    return Number(value);
  }, 24)
  .option('--mqtt-port <port>', 'MQTT TCP port', portArgument('--mqtt-port'))
  .option('--http-port <port>', 'HTTP port', portArgument('--http-port'))
  .action(async (opts: { dataDir: string; households: number; mqttPort?: number; httpPort?: number }) => {
    const demo = await runDemo({ dataDir: opts.dataDir, households: opts.households, logger: createLogger(), settings: { mqttPort: opts.mqttPort, httpPort: opts.httpPort } });
    await waitForSignal();
    await demo.stop();
  });

const households = program.command('households').description('the households taking part');
households
  .command('add')
  .description('register a household')
  .requiredOption('--label <text>', 'private label, e.g. "12 Mill Lane" (never published)')
  .option('--zone <zone>', 'zone (e.g. street) the household belongs to')
  .addOption(dataDirOption())
  .option('--json', 'print JSON')
  .action(async (opts: { label: string; zone?: string; dataDir: string; json?: boolean }) => {
    const household = await withHubCommands(opts.dataDir, (c) => c.addHousehold({ label: opts.label, zone: opts.zone ?? null }));
    print(!!opts.json, household, () => console.log(`Added household ${household.id} (${household.label}${household.zone ? `, zone ${household.zone}` : ''}).`));
  });
households
  .command('list')
  .description('list households')
  .addOption(dataDirOption())
  .option('--json', 'print JSON')
  .action(async (opts: { dataDir: string; json?: boolean }) => {
    const list = await withHubCommands(opts.dataDir, (c) => c.listHouseholds());
    print(!!opts.json, list, () =>
      printTable(['id', 'label', 'zone', 'meters'], list.map((h) => [h.id, h.label, h.zone ?? '', String(h.meters)]), 'No households yet: add one with `commonwatt households add --label TEXT`.'),
    );
  });
households
  .command('remove')
  .description('remove a household that has no meters left')
  .argument('<id>', 'household id')
  .addOption(dataDirOption())
  .option('--json', 'print JSON')
  .action(async (id: string, opts: { dataDir: string; json?: boolean }) => {
    const household = await withHubCommands(opts.dataDir, (c) => c.removeHousehold(id));
    print(!!opts.json, household, () => console.log(`Removed household ${household.id}.`));
  });

const meters = program.command('meters').description('the meters that send readings');
meters
  .command('add')
  .description('register a meter and print its MQTT credentials (shown once)')
  .requiredOption('--household <id>', 'household the meter belongs to')
  .addOption(new Option('--kind <kind>', 'what the meter measures').choices(METER_KINDS).makeOptionMandatory())
  .addOption(new Option('--driver <driver>', 'how it is read').choices(METER_DRIVERS).makeOptionMandatory())
  .option('--pairing-code', 'print a one-time code for `commonwatt sensor pair` instead of the secret')
  .addOption(dataDirOption())
  .option('--json', 'print {"meterId","username","password","mqttUrl","topic"} (or the pairing code)')
  .action(async (opts: { household: string; kind: MeterKind; driver: MeterDriver; dataDir: string; json?: boolean; pairingCode?: boolean }) => {
    if (opts.pairingCode) {
      const pairing = await withHubCommands(opts.dataDir, (c) => c.addMeterWithPairingCode({ householdId: opts.household, kind: opts.kind, driver: opts.driver }));
      print(!!opts.json, pairing, () => {
        console.log(`Added meter ${pairing.meterId}. Pairing code: ${pairing.pairingCode} (works once, until ${pairing.expiresAt}).`);
        console.log(`On the sensor node run:\n  ${pairing.pairCommand}`);
      });
      return;
    }
    const credentials = await withHubCommands(opts.dataDir, (c) => c.addMeter({ householdId: opts.household, kind: opts.kind, driver: opts.driver }));
    print(!!opts.json, credentials, () => {
      console.log(`Added meter ${credentials.meterId}. Its secret is shown only now: put it in the sensor's configuration.`);
      console.log(`  MQTT URL:  ${credentials.mqttUrl}`);
      console.log(`  username:  ${credentials.username}`);
      console.log(`  password:  ${credentials.password}`);
      console.log(`  topic:     ${credentials.topic}`);
    });
  });
meters
  .command('list')
  .description('list meters with their health (never energy values)')
  .addOption(dataDirOption())
  .option('--json', 'print JSON')
  .action(async (opts: { dataDir: string; json?: boolean }) => {
    const list = await withHubCommands(opts.dataDir, (c) => c.listMeters());
    print(!!opts.json, list, () =>
      printTable(
        ['id', 'household', 'kind', 'driver', 'state', 'last reading', 'readings', 'rejected'],
        list.map((m) => [
          m.meterId,
          m.householdId,
          m.kind,
          m.driver,
          m.online === null ? 'hub stopped' : m.online ? 'online' : 'offline',
          m.lastReadingAt ?? 'never',
          String(m.readings),
          m.rejected > 0 ? `${m.rejected} (last: ${m.lastRejection})` : '0',
        ]),
        'No meters yet: add one with `commonwatt meters add --household ID --kind grid --driver dsmr`.',
      ),
    );
  });
meters
  .command('remove')
  .description('remove a meter; its secret stops working at once')
  .argument('<id>', 'meter id')
  .option('--delete-readings', 'also delete its stored readings and interval energy')
  .addOption(dataDirOption())
  .option('--json', 'print JSON')
  .action(async (id: string, opts: { dataDir: string; json?: boolean; deleteReadings?: boolean }) => {
    const result = await withHubCommands(opts.dataDir, (c) => c.removeMeter(id, { deleteReadings: !!opts.deleteReadings }));
    print(!!opts.json, result, () =>
      console.log(`Removed meter ${result.meterId}${opts.deleteReadings ? ` and ${result.readingsDeleted} stored readings` : '; its stored readings are kept until retention removes them'}.`),
    );
  });

program
  .command('status')
  .description('hub status: running, ports, meters online, storage')
  .addOption(dataDirOption())
  .option('--json', 'print JSON')
  .action(async (opts: { dataDir: string; json?: boolean }) => {
    const status = await withHubCommands(opts.dataDir, (c) => c.status());
    print(!!opts.json, status, () => {
      console.log(status.running ? `Hub running for ${status.uptimeSeconds} s: MQTT port ${status.mqttPort}, HTTP port ${status.httpPort}.` : 'Hub stopped.');
      console.log(`Households: ${status.households}. Meters: ${status.meters.total}${status.meters.online === null ? '' : `, ${status.meters.online} online`}.`);
      console.log(`Storage: ${status.storage.state}${status.storage.error ? ` (${status.storage.error})` : ''}. Time zone: ${status.timeZone}.`);
    });
  });

registerSensorCommands(program, waitForSignal);
registerGovernanceCommands(program);

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

program.parseAsync(process.argv).catch((error: Error) => {
  process.stderr.write(`commonwatt: ${error.message}\n`);
  process.exitCode = 1;
});
