/*
 * The shared service on its own: narrowing by a list of schemes compiles a validator per combination; those are
 * bounded and freed when evicted (a caller can name any of the 2^n combinations).
 */
import { mockServices } from '@backstage/backend-test-utils';
import { AssetIdValidator } from 'asset-id';
import { createAssetIdService } from './AssetIdService';

describe('createAssetIdService', () => {
  it('frees the WASM memory of narrowed validators it evicts (64 scheme combinations, 32 kept)', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const service = createAssetIdService({
      config: mockServices.rootConfig({
        data: { assetId: { schemes: names.map(n => ({ name: n, pattern: `${n.toUpperCase()}\\d{3}` })) } },
      }),
      logger: mockServices.logger.mock(),
      store: null,
    });
    const free = jest.spyOn(AssetIdValidator.prototype, 'free');
    try {
      const combos: string[][] = [];
      for (let mask = 3; mask < 64; mask++) {
        const list = names.filter((_, i) => mask & (1 << i));
        if (list.length >= 2 && list.length < names.length) combos.push(list);
      }
      expect(combos.length).toBe(56);
      for (const scheme of combos) {
        const [verdict] = await service.validateMany([`${scheme[0].toUpperCase()}123`], { scheme });
        expect([scheme, verdict.valid, verdict.scheme]).toEqual([scheme, true, scheme[0]]);
      }
      expect(free).toHaveBeenCalledTimes(56 - 32);
      // The validators still cached keep working.
      const last = combos[combos.length - 1];
      expect((await service.validate(`${last[1].toUpperCase()}001`, { scheme: last })).valid).toBe(true);
    } finally {
      free.mockRestore();
    }
  });
});
