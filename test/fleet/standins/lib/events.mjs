// Events the simulated controllers record (api.events), shaped as `kubectl get events -o json`
// shows them. One event per object, reason and message: a controller that retries does not add
// a new one each time (the real ones bump `count`; the fleet keeps the state file still instead).
import { createHash } from 'node:crypto';
import { fleetNow } from './context.mjs';
import { uidOf } from './objects.mjs';

const MAX_EVENTS = 300;

/** involved: a stored object ({ kind, name, namespace }) or a Node ({ kind: 'Node', name }). */
export function recordEvent(api, involved, { type = 'Normal', reason, message, component }) {
  api.events ??= [];
  const exists = api.events.some(
    (event) => event.involvedObject.kind === involved.kind && event.involvedObject.name === involved.name && event.involvedObject.namespace === involved.namespace && event.reason === reason && event.message === message,
  );
  if (exists) return;
  const time = fleetNow(api).toISOString();
  const namespace = involved.namespace ?? 'default';
  api.events.push({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${involved.name}.${createHash('sha256').update(`${reason}${message}`).digest('hex').slice(0, 16)}`, namespace, creationTimestamp: time },
    involvedObject: { kind: involved.kind, name: involved.name, ...(involved.namespace ? { namespace: involved.namespace } : {}), ...(involved.createdAt ? { uid: uidOf(involved) } : {}), apiVersion: involved.apiVersion ?? 'v1' },
    type,
    reason,
    message,
    source: { component },
    count: 1,
    firstTimestamp: time,
    lastTimestamp: time,
  });
  if (api.events.length > MAX_EVENTS) api.events.splice(0, api.events.length - MAX_EVENTS);
}
