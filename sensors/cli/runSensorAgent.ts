import { createLogger } from '../../hub/log/createLogger.js';
import { loadAgentConfig } from '../agent/agentConfig.js';
import { createSensorAgent, type SensorAgent } from '../agent/sensorAgent.js';
import { openDrivers } from './openDrivers.js';

/** `commonwatt sensor run --config FILE`: the entry point that opens real hardware. */
export async function runSensorAgent(configFile: string): Promise<SensorAgent> {
  const config = await loadAgentConfig(configFile);
  const logger = createLogger();
  const clock = { now: () => Date.now() };
  const drivers = await openDrivers(config, clock);
  const agent = createSensorAgent({ config, drivers, clock, logger });
  await agent.start();
  return agent;
}
