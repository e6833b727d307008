import { Option, type Command } from 'commander';
import { pairSensor } from './pairSensor.js';
import { runSensorAgent } from './runSensorAgent.js';
import { detectSensors } from './detectSensors.js';

/** `commonwatt sensor ...`: the commands a volunteer runs on a sensor node. */
export function registerSensorCommands(program: Command, waitForSignal: () => Promise<void>): void {
  const sensor = program.command('sensor').description('run and set up a sensor node (drivers, outbox, pairing)');

  sensor
    .command('run')
    .description('read the meters in the config and send their readings to the hub')
    .requiredOption('--config <file>', 'sensor configuration (JSON; see sensors/README.md)')
    .action(async (opts: { config: string }) => {
      const agent = await runSensorAgent(opts.config);
      await waitForSignal();
      await agent.stop();
    });

  sensor
    .command('pair')
    .description('fetch a meter\'s credentials from the hub with a one-time pairing code')
    .argument('<code>', 'the code printed by `commonwatt meters add ... --pairing-code`')
    .requiredOption('--hub <url>', 'the hub\'s HTTP address, e.g. http://commonwatt.local:8080')
    .addOption(new Option('--config <file>', 'sensor configuration to write').default('./sensor.json'))
    .option('--port <path>', 'serial port of a DSMR P1 cable, to fill in its driver')
    .action(async (code: string, opts: { hub: string; config: string; port?: string }) => {
      const result = await pairSensor({ hub: opts.hub, code, config: opts.config, port: opts.port });
      console.log(`Paired meter ${result.meterId} (${result.driver}); credentials written to ${opts.config}.`);
      if (result.needsDriverSettings) {
        console.log(`Next: add its "${result.driver}" driver to "drivers" in ${opts.config} (\`commonwatt sensor detect\` prints a snippet), then run \`commonwatt sensor run --config ${opts.config}\`.`);
      } else {
        console.log(`Next: commonwatt sensor run --config ${opts.config}`);
      }
    });

  sensor
    .command('detect')
    .description('find serial ports and what answers on them: Firmata boards, DSMR P1 ports, Modbus meters')
    .option('--json', 'print JSON')
    .option('--timeout <ms>', 'how long to listen on each port', (v) => Number(v), 12_000)
    .action(async (opts: { json?: boolean; timeout: number }) => {
      await detectSensors({ json: !!opts.json, timeoutMs: opts.timeout });
    });
}
