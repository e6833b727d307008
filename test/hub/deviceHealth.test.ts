import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createDeviceHealth, RECENT_BUCKET_MS } from '../../hub/ingest/deviceHealth.js';

const test = suite('device health: readings in the last hour from twelve five-minute buckets, by the clock, without timers');

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 5, 1, 12, 0);

test('readings count in the bucket of the message that carried them, and leave the hour after 55 to 60 minutes', () => {
  const health = createDeviceHealth(10);
  health.message('m-a', T0);
  health.accepted('m-a', 3);
  health.message('m-a', T0 + 20 * MINUTE);
  health.accepted('m-a', 2);
  assert.is(health.readingsLastHour('m-a', T0 + 20 * MINUTE), 5);
  // The bucket holding T0 counts while it is one of the last twelve, then drops out whole.
  assert.is(health.readingsLastHour('m-a', T0 + 59 * MINUTE), 5);
  assert.is(health.readingsLastHour('m-a', T0 + 60 * MINUTE), 2);
  assert.is(health.readingsLastHour('m-a', T0 + 80 * MINUTE), 0);
  assert.is(health.meter('m-a').readingsAccepted, 5, 'the total since start is unchanged');
});

test('a bucket an hour old is reused for new readings, not added to', () => {
  const health = createDeviceHealth(10);
  health.accepted('m-b', 7, T0);
  health.accepted('m-b', 1, T0 + 12 * RECENT_BUCKET_MS); // same slot of the ring, an hour later
  assert.is(health.readingsLastHour('m-b', T0 + 12 * RECENT_BUCKET_MS), 1);
  // Readings stamped more than an hour before the newest bucket in their slot are not counted.
  health.accepted('m-b', 4, T0);
  assert.is(health.readingsLastHour('m-b', T0 + 12 * RECENT_BUCKET_MS), 1);
  assert.is(health.meter('m-b').readingsAccepted, 12);
});

test('unknown and forgotten meters have none; meter() keeps its shape', () => {
  const health = createDeviceHealth(10);
  assert.is(health.readingsLastHour('m-none', T0), 0);
  health.accepted('m-c', 2, T0);
  health.forget('m-c');
  assert.is(health.readingsLastHour('m-c', T0), 0);
  assert.equal(Object.keys(health.meter('m-d')).sort(), [
    'connectedAt', 'device', 'duplicates', 'lastRejection', 'lastSeenAt', 'messages', 'online', 'readingsAccepted', 'rejected', 'rejectedByCode',
  ]);
});

test.run();
