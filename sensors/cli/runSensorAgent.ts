import { createLogger } from '../../hub/log/createLogger.js';
import { loadAgentConfig } from '../agent/agentConfig.js';
import { createSensorAgent, type SensorAgent } from '../agent/sensorAgent.js';
import { openDrivers } from './openDrivers.js';

/** `commonwatt sensor run --config FILE`: the entry point that opens real hardware. */
export async function runSensorAgent(configFile: string): Promise<SensorAgent> {
  const config = await loadAgentConfig(configFile);
  const logger = createLogger();
  const clock = { now: () => Date.now() };
  let agent: SensorAgent | null = null;
  const drivers = await openDrivers(config, clock, (message) => {
    logger.error(`${message}: stopping so that the service manager starts the agent again (see deploy/commonwatt-sensor.service); no reading is lost`);
    void (agent?.stop() ?? Promise.resolve()).finally(() => process.exit(75));
  });
  agent = createSensorAgent({ config, drivers, clock, logger });
  await agent.start();
  return agent;
}
