import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { ErrorCode } from '../errors/error-code';
import { loadEntry } from './plugin-loader';

const FIXTURE = path.resolve(__dirname, '../../test/fixtures/plugins/valid-pure-data');

describe('loadEntry: pure-data catalogs in YAML', () => {
  let dir: string;
  const write = (files: Record<string, string>) => {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return loadEntry(dir, os.tmpdir());
  };
  const manifest = (catalog: string) =>
    JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(FIXTURE, 'datapunk-plugin.json'), 'utf8')), catalog });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-yaml-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a .yaml or .yml catalog into the same plugin as its JSON form', () => {
    const json = loadEntry(FIXTURE, os.tmpdir());
    if (!('candidate' in json)) throw new Error('the JSON fixture did not load');
    const catalog = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'catalog.json'), 'utf8'));
    for (const file of ['catalog.yaml', 'catalog.yml']) {
      const yaml = write({ 'datapunk-plugin.json': manifest(file), [file]: stringify(catalog) });
      if (!('candidate' in yaml)) throw new Error(JSON.stringify(yaml.problems));
      expect(yaml.candidate.value).toEqual(json.candidate.value);
    }
  });

  it('reads YAML 1.2: `no` stays a string, and unknown tags are refused', () => {
    const loaded = write({
      'datapunk-plugin.json': manifest('catalog.yaml'),
      'catalog.yaml': 'framework: { id: acme, name: "no", version: 1.0, description: no }\ncontrols: []\n',
    });
    if (!('candidate' in loaded)) throw new Error(JSON.stringify(loaded.problems));
    expect((loaded.candidate.value as { catalog: unknown }).catalog).toEqual({
      framework: { id: 'acme', name: 'no', version: 1, description: 'no' },
      controls: [],
    });
    const tagged = write({ 'datapunk-plugin.json': manifest('catalog.yaml'), 'catalog.yaml': 'framework: !!js/function "x"\n' });
    expect('problems' in tagged && tagged.problems.map((p) => p.code)).toEqual([ErrorCode.PLUGIN_MANIFEST_INVALID]);
  });

  it('refuses unreadable YAML, duplicate keys and alias bombs with the catalog named', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefghij'.split('').map((k, i) => `${k}: &${k} [${new Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]`),
    ].join('\n');
    for (const text of ['framework: [unclosed', 'controls: []\ncontrols: []\n', bomb]) {
      const loaded = write({ 'datapunk-plugin.json': manifest('catalog.yaml'), 'catalog.yaml': text });
      if (!('problems' in loaded)) throw new Error(`accepted: ${text.slice(0, 40)}`);
      expect(loaded.problems).toEqual([
        expect.objectContaining({
          code: ErrorCode.PLUGIN_MANIFEST_INVALID,
          path: 'catalog',
          message: expect.stringMatching(/^catalog\.yaml: not readable YAML/),
        }),
      ]);
    }
  });

  it('refuses a catalog that is neither JSON nor YAML', () => {
    const loaded = write({ 'datapunk-plugin.json': manifest('catalog.toml'), 'catalog.toml': '' });
    expect('problems' in loaded && loaded.problems.map((p) => [p.path, p.message])).toEqual([
      ['catalog', 'must be the relative path of a .json, .yaml or .yml file next to the manifest'],
    ]);
  });
});

describe('docs/plugins.md', () => {
  it('shows the first control of the pure-data example in YAML exactly as the JSON says it', () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '../../docs/plugins.md'), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBeDefined();
    const catalog = JSON.parse(
      fs.readFileSync(path.resolve(__dirname, '../../docs/examples/framework-acme-pure-data/catalog.json'), 'utf8'),
    );
    expect(parseYaml(block!, { schema: 'core' })).toEqual({ framework: catalog.framework, controls: [catalog.controls[0]] });
  });
});
