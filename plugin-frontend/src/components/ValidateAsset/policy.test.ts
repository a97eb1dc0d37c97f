import {
  deepMerge,
  hasLookup,
  isAbsoluteUrl,
  mergePolicy,
  needsProxy,
  resolvePolicyUrls,
  resolveProxyUrl,
} from './policy';

const base = {
  schemes: [{ name: 'business-app', pattern: 'APM\\d{7}' }],
  maxLength: 64,
  lookup: {
    source: 'servicenow',
    servicenow: { baseUrl: 'proxy:/servicenow', table: 'cmdb_ci_business_app', fields: ['name'] },
    cacheTtlSeconds: 300,
  },
};

describe('mergePolicy', () => {
  it('returns the app-config policy when the field has no ui:options', () => {
    expect(mergePolicy(base, undefined)).toEqual(base);
    expect(mergePolicy(base, {})).toEqual(base);
  });

  it('returns undefined when there is no policy at all', () => {
    expect(mergePolicy(undefined, undefined)).toBeUndefined();
    expect(mergePolicy(undefined, { scheme: 'x', debounceMs: 10 })).toBeUndefined();
  });

  it('merges lookup overrides deeply and replaces arrays and scalars', () => {
    const merged = mergePolicy(base, {
      maxLength: 20,
      lookup: { servicenow: { table: 'cmdb_ci_service', fields: ['name', 'owned_by'] } },
    });
    expect(merged).toEqual({
      ...base,
      maxLength: 20,
      lookup: {
        ...base.lookup,
        servicenow: {
          baseUrl: 'proxy:/servicenow',
          table: 'cmdb_ci_service',
          fields: ['name', 'owned_by'],
        },
      },
    });
  });

  it('takes only the policy keys of the app-config section (not backend, credentials, processor)', () => {
    const section = {
      ...base,
      catalog: { annotation: 'example.com/asset-id' },
      backend: { lookup: { servicenow: { baseUrl: 'https://acme.service-now.com' } } },
      credentials: { servicenow: { token: 'secret' } },
      processor: { mode: 'warn' },
    };
    expect(mergePolicy(section, undefined)).toEqual({ ...base, catalog: { annotation: 'example.com/asset-id' } });
  });

  it('does not copy field-only options (scheme, debounceMs) into the policy', () => {
    const merged = mergePolicy(base, { scheme: 'business-app', debounceMs: 0 });
    expect(merged).not.toHaveProperty('scheme');
    expect(merged).not.toHaveProperty('debounceMs');
  });

  it('lookup: false turns the lookup off for the field', () => {
    const merged = mergePolicy(base, { lookup: false });
    expect(merged).not.toHaveProperty('lookup');
    expect(merged?.schemes).toEqual(base.schemes);
  });

  it('lets ui:options alone carry a policy', () => {
    const schemes = [{ name: 'x', pattern: 'X\\d' }];
    expect(mergePolicy(undefined, { schemes })).toEqual({ schemes });
  });

  it('never mutates its inputs', () => {
    const copy = JSON.parse(JSON.stringify(base));
    mergePolicy(base, { lookup: { servicenow: { table: 't' } } });
    expect(base).toEqual(copy);
  });
});

describe('proxy URLs', () => {
  const proxy = 'http://localhost:7007/api/proxy';

  it.each([
    ['proxy:/servicenow', `${proxy}/servicenow`],
    ['proxy:servicenow', `${proxy}/servicenow`],
    ['/api/proxy/servicenow', `${proxy}/servicenow`],
    ['/other/path', 'http://localhost:7007/other/path'],
    ['proxy:/cmdb/assets/{id}', `${proxy}/cmdb/assets/{id}`],
    ['https://acme.service-now.com', 'https://acme.service-now.com'],
    ['http://127.0.0.1:9000/registry.json', 'http://127.0.0.1:9000/registry.json'],
  ])('%s -> %s', (url, expected) => {
    expect(resolveProxyUrl(url, proxy)).toBe(expected);
    expect(resolveProxyUrl(url, `${proxy}/`)).toBe(expected);
  });

  it('refuses other relative URLs', () => {
    expect(() => resolveProxyUrl('servicenow/api', proxy)).toThrow(/neither absolute.*nor a Backstage proxy URL/);
  });

  it('knows absolute URLs', () => {
    expect(isAbsoluteUrl('https://x')).toBe(true);
    expect(isAbsoluteUrl('proxy:/x')).toBe(false);
    expect(isAbsoluteUrl('/x')).toBe(false);
  });

  it('resolves servicenow.baseUrl, http.url and registry.url', () => {
    const policy = {
      schemes: [],
      lookup: {
        source: 'http',
        servicenow: { baseUrl: 'proxy:/sn' },
        http: { url: '/api/proxy/cmdb/{id}', recordPointer: '/data' },
        registry: { url: 'proxy:/reg/assets.json' },
      },
    };
    expect(needsProxy(policy)).toBe(true);
    expect(resolvePolicyUrls(policy, proxy).lookup).toEqual({
      source: 'http',
      servicenow: { baseUrl: `${proxy}/sn` },
      http: { url: `${proxy}/cmdb/{id}`, recordPointer: '/data' },
      registry: { url: `${proxy}/reg/assets.json` },
    });
  });

  it('needs no proxy for absolute URLs or inline records', () => {
    expect(needsProxy({ lookup: { source: 'servicenow', servicenow: { baseUrl: 'https://x' } } })).toBe(false);
    expect(needsProxy({ lookup: { source: 'registry', registry: { records: [] } } })).toBe(false);
    expect(needsProxy({ schemes: [] })).toBe(false);
  });
});

describe('hasLookup', () => {
  it('is false without lookup or with source none', () => {
    expect(hasLookup({})).toBe(false);
    expect(hasLookup({ lookup: { source: 'none' } })).toBe(false);
    expect(hasLookup({ lookup: { source: 'registry' } })).toBe(true);
  });
});

describe('deepMerge', () => {
  it('replaces arrays, merges objects', () => {
    expect(deepMerge({ a: [1, 2], b: { c: 1, d: 2 } }, { a: [3], b: { d: 3 } })).toEqual({
      a: [3],
      b: { c: 1, d: 3 },
    });
  });
});
