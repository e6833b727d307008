import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createLoginThrottle } from '../../hub/broker/loginThrottle.js';
import { parseHubSettings } from '../../hub/config/hubSettings.js';

const test = suite('login throttle and settings validation');

test('repeated failed logins from one address wait longer and longer, up to a cap', () => {
  const throttle = createLoginThrottle({ freeFailures: 3, maxDelayMs: 30_000 });
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    delays.push(throttle.delayFor('10.0.0.5', 1000 + i));
    throttle.failed('10.0.0.5', 1000 + i);
  }
  assert.equal(delays, [0, 0, 0, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.is(throttle.delayFor('10.0.0.6', 2000), 0, 'other addresses are not slowed');
  throttle.succeeded('10.0.0.5');
  assert.is(throttle.delayFor('10.0.0.5', 3000), 0, 'a success clears the count');
  throttle.failed('10.0.0.7', 0);
  throttle.failed('10.0.0.7', 0);
  throttle.failed('10.0.0.7', 0);
  assert.is(throttle.delayFor('10.0.0.7', 16 * 60_000), 0, 'failures are forgotten after 15 minutes');
});

test('settings are validated once with every problem named', () => {
  const error = (() => {
    try {
      parseHubSettings({ mqttPort: 70000, httpPort: -1, timeZone: 'Mars/Olympus', maxPowerW: 'lots', colour: 'blue' }, 'settings.json');
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  })();
  assert.ok(error);
  assert.match(error!, /mqttPort: must be ≤ 65535 \(got 70000\)/);
  assert.match(error!, /httpPort: must be ≥ 0 \(got -1\)/);
  assert.match(error!, /"Mars\/Olympus" is not an IANA time zone/);
  assert.match(error!, /maxPowerW: must be a number of watts/);
  assert.match(error!, /colour/);
  const settings = parseHubSettings({ timeZone: 'Europe/Amsterdam' }, 'x');
  assert.equal([settings.mqttPort, settings.httpPort, settings.maxPowerW, settings.rawRetentionDays], [1883, 8080, 60000, 35]);
  assert.ok(Object.isFrozen(settings));
});

test.run();
