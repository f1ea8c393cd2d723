import { ErrorCode } from '../errors/error-code';
import { type Control, defineFrameworkPlugin, type FrameworkCatalog, type ScopeDimension } from '../plugin-api';
import { BUILT_IN_PLUGINS } from '../../plugins/registry';
import { checkFrameworkPlugin } from '.';

// `plugin check` on a third party's scope declarations (plugin API 1.7.0, ADR 0040).

const control = (id: string, tags: string[]): Control => ({
  id,
  title: id,
  description: id,
  tags,
  evidence: [{ id: 'done', kind: 'MATCH', description: 'Done', match: { action: [{ equals: 'acme.thing.done' }] } }],
  violations: [],
});
const tiers: ScopeDimension = {
  id: 'tier',
  name: 'tier',
  description: 'Organisation size',
  multiple: false,
  options: [
    { id: 'small', name: 'Small', description: 'Small', controls: ['S-1'] },
    { id: 'large', name: 'Large', description: 'Large', tags: ['large'] },
  ],
  default: ['large'],
};
const plugin = (change: (c: FrameworkCatalog) => void) => {
  const catalog: FrameworkCatalog = {
    framework: { id: 'acme-scoped', name: 'Acme scoped', version: '1', description: 'Scoped.' },
    controls: [control('S-1', []), control('L-1', ['large', 'addressable'])],
    scoping: [tiers],
    alternativeMeasures: { tag: 'addressable', citation: 'Acme § 3' },
  };
  change(catalog);
  return defineFrameworkPlugin({ id: 'framework-acme-scoped', kind: 'framework', version: '1.0.0', apiVersion: '^1.7.0', catalog });
};
const verify = (p: unknown) => checkFrameworkPlugin(p, { builtIns: BUILT_IN_PLUGINS });
const check = async (p: unknown, id: string) => (await verify(p)).checks.find((c) => c.id === id)!;

describe('plugin check on scope declarations', () => {
  it('passes a valid declaration without a warning', async () => {
    expect(
      (
        await check(
          plugin(() => {}),
          'evidence',
        )
      ).problems,
    ).toEqual([]);
    expect(
      (
        await check(
          plugin(() => {}),
          'manifest',
        )
      ).status,
    ).toBe('passed');
  });

  it('fails the manifest check, with the host code, on a declaration the host refuses', async () => {
    const manifest = await check(
      plugin(
        (c) =>
          (c.scoping = [
            { ...tiers, default: ['small', 'large'], options: [tiers.options[0], { ...tiers.options[1], controls: ['X-9'] }] },
          ]),
      ),
      'manifest',
    );
    expect(manifest.status).toBe('failed');
    expect(manifest.problems.map((p) => [p.code, p.path])).toEqual([
      [ErrorCode.PLUGIN_MANIFEST_INVALID, 'catalog.scoping[0].options[1].controls[0]'],
      [ErrorCode.PLUGIN_MANIFEST_INVALID, 'catalog.scoping[0].default'],
    ]);
  });

  it('warns, without failing, about a tag no control carries yet', async () => {
    const evidence = await check(
      plugin((c) => {
        c.scoping = [{ ...tiers, options: [tiers.options[0], { ...tiers.options[1], tags: ['lrage'] }] }];
        c.alternativeMeasures = { tag: 'adressable', citation: 'Acme § 3' };
      }),
      'evidence',
    );
    expect(evidence.status).toBe('passed');
    expect(evidence.problems.map((p) => [p.level, p.path])).toEqual([
      ['warning', 'catalog.scoping[0].options[1].tags[0]'],
      ['warning', 'catalog.alternativeMeasures.tag'],
    ]);
  });

  it('passes the built-in declarations, warning at most about the tags declared ahead of their controls', async () => {
    const warnings = await Promise.all(
      BUILT_IN_PLUGINS.filter((p) => p.kind === 'framework').map(async (p) => {
        const report = await verify(p);
        expect(report.checks.find((c) => c.id === 'manifest')!.status).toBe('passed');
        return report.checks
          .find((c) => c.id === 'evidence')!
          .problems.filter((x) => x.path.includes('scoping') || x.path.includes('alternativeMeasures'))
          .map((x) => `${p.id} ${x.message.match(/"([^"]+)"/)![1]}`);
      }),
    );
    // Only the tag declared ahead of its criteria (SOC 2 PI1) may warn: another is a typo.
    for (const w of warnings.flat()) expect(w).toBe('framework-soc2 processing-integrity');
  });
});
