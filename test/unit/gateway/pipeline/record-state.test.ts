import type { DeliveryRow } from '../../../../src/services/channels/delivery.repository';
import { eventTypeOf, firstDeliveredAt, messageFor, recordIdFor, stageOf, stateOf } from '../../../../src/services/gateway/record-state';
import { receiptOf } from './fakes';

const row = (status: DeliveryRow['status'], deliveredAt: Date | null = null) => ({ status, deliveredAt }) as DeliveryRow;

describe('record state', () => {
  it('derives a record state from its deliveries', () => {
    expect(stateOf([], false, false)).toBe('unrouted');
    expect(stateOf([], true, false)).toBe('unrouted');
    expect(stateOf([], true, true)).toBe('received');
    expect(stateOf([row('delivered')], true, false)).toBe('delivered');
    expect(stateOf([row('delivered')], true, true)).toBe('partially_delivered');
    expect(stateOf([row('delivered'), row('retrying')], true, false)).toBe('partially_delivered');
    expect(stateOf([row('failed'), row('failed')], true, false)).toBe('failed');
    expect(stateOf([row('retrying')], true, false)).toBe('routed');
  });

  it('names events and metric stages after states', () => {
    expect(eventTypeOf('received', 'firing')).toBe('received');
    expect(eventTypeOf('delivered', 'firing')).toBe('delivered');
    expect(eventTypeOf('partially_delivered', 'resolved')).toBe('resolved');
    expect(eventTypeOf('converged', 'firing')).toBe('converged');
    expect(eventTypeOf('routed', 'firing')).toBe('routed');
    expect(stageOf('partially_delivered')).toBe('delivered');
    expect(stageOf('duplicate')).toBe('duplicate');
  });

  it('takes the earliest delivery time', () => {
    expect(firstDeliveredAt([row('retrying')])).toBeNull();
    expect(firstDeliveredAt([row('delivered', new Date(2000)), row('delivered', new Date(1000))])).toEqual(new Date(1000));
  });

  it('derives record ids from receipt and index, stably', () => {
    expect(recordIdFor('r', 0)).toBe(recordIdFor('r', 0));
    expect(recordIdFor('r', 0)).not.toBe(recordIdFor('r', 1));
    expect(recordIdFor('r', 0)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('builds a message of some alerts, resolved only when all are', () => {
    const { payload } = receiptOf('r', [{ fingerprint: 'a', status: 'resolved' }, { fingerprint: 'b' }]);
    expect(messageFor(payload, [0]).status).toBe('resolved');
    const both = messageFor(payload, [0, 1]);
    expect(both.status).toBe('firing');
    expect(both.groupKey).toBe(payload.groupKey);
    expect(both.alerts.map((a) => a.fingerprint)).toEqual(['a', 'b']);
  });
});
