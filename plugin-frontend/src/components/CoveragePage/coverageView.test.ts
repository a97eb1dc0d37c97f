import type { Entity } from '@backstage/catalog-model';
import { attentionRows, statusLabel, statusRows } from './coverageView';

// Status names come from the catalog (any annotation value) and from the backend's answer: a name that is also a
// property of every object must be shown as itself, never as that property (a function or Object.prototype,
// which React cannot render: the page would crash).
describe('status labels of hostile status names', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])('%s is shown as itself', name => {
    expect(statusLabel(name)).toBe(name);
  });

  it('keeps the named statuses', () => {
    expect(statusLabel('valid')).toBe('Valid');
    expect(statusLabel('not_found')).toBe('Not in the CMDB');
  });

  it('an entity whose status annotation is __proto__ gets a text label in the attention list', () => {
    const entity: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'System',
      metadata: { name: 'odd', annotations: { 'example.com/asset-id-status': '__proto__' } },
      spec: { owner: 'guests' },
    };
    const [row] = attentionRows([entity], 'example.com/asset-id-status');
    expect(row).toEqual({
      entityRef: 'system:default/odd',
      owner: 'group:default/guests',
      status: '__proto__',
      label: '__proto__',
    });
  });

  it('a backend status named constructor is a row labelled constructor', () => {
    const rows = statusRows({
      total: 2,
      byStatus: { valid: 1, constructor: 1 },
      byOwner: [],
      kinds: ['System'],
      limit: 20000,
      complete: true,
      generatedAt: '2026-12-08T00:00:00.000Z',
    });
    expect(rows.map(r => [r.status, r.label])).toEqual([
      ['valid', 'Valid'],
      ['constructor', 'constructor'],
    ]);
  });
});
