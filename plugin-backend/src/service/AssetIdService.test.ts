/*
 * The shared service on its own: a list of schemes is the core's `scheme` option, passed straight to the one
 * validator (no validator is compiled per combination, so a caller naming any of the 2^n combinations costs
 * nothing to keep).
 */
import { mockServices } from '@backstage/backend-test-utils';
import { AssetIdValidator } from 'asset-id';
import { createAssetIdService } from './AssetIdService';

describe('createAssetIdService', () => {
  it('narrows to any combination of schemes with the one validator (56 combinations)', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const service = createAssetIdService({
      config: mockServices.rootConfig({
        data: { assetId: { schemes: names.map(n => ({ name: n, pattern: `${n.toUpperCase()}\\d{3}`, hint: `${n} hint` })) } },
      }),
      logger: mockServices.logger.mock(),
      store: null,
    });
    const check = jest.spyOn(AssetIdValidator.prototype, 'checkFormatMany');
    try {
      const combos: string[][] = [];
      for (let mask = 3; mask < 64; mask++) {
        const list = names.filter((_, i) => mask & (1 << i));
        if (list.length >= 2 && list.length < names.length) combos.push(list);
      }
      expect(combos.length).toBe(56);
      for (const scheme of combos) {
        const [ok] = await service.validateMany([`${scheme[1].toUpperCase()}123`], { scheme });
        expect([scheme, ok.valid, ok.scheme]).toEqual([scheme, true, scheme[1]]);
        const outside = names.find(n => !scheme.includes(n))!;
        const [refused] = await service.validateMany([`${outside.toUpperCase()}123`], { scheme });
        expect(refused.issues.map(i => i.code)).toEqual(['pattern_mismatch']);
        // the message names only the listed schemes
        expect(refused.issues[0].message).toContain(`${scheme[0]} hint`);
        expect(refused.issues[0].message).not.toContain(`${outside} hint`);
      }
      // the core's limit on a list, named by the service
      await expect((async () => service.validateMany(['A123'], { scheme: Array(1025).fill('a') }))()).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringContaining('more than 1024'),
      });
      expect((await service.validateMany(['A123'], { scheme: Array(1024).fill('a') }))[0].valid).toBe(true);
      // one validator answered every call
      expect(new Set(check.mock.contexts).size).toBe(1);
    } finally {
      check.mockRestore();
    }
  });
});
