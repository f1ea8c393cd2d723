import { type PluginLogger, type ReportModel, UNSAFE_CONTROL_CHARACTERS } from '../../src/plugin-api';
import { SAMPLE_HOSTILE_STRINGS, sampleReportModel } from '../../src/plugin-testing';
import plugin from './index';

const logger: PluginLogger = { debug() {}, info() {}, warn() {}, error() {} };
const render = async (model: ReportModel) => Buffer.from(await plugin.render(model, { options: {}, logger }));

describe('format-json', () => {
  const model = sampleReportModel({ rows: 300 });

  it('parses back to the whole model under the format header', async () => {
    const file = await render(model);
    expect(JSON.parse(file.toString('utf8'))).toStrictEqual({ format: 'datapunk-report', version: 1, ...model });
  });

  it('keeps every hostile string, line breaks, emoji and right-to-left text exactly', async () => {
    const strings: string[] = [];
    const collect = (value: unknown): void => {
      if (typeof value === 'string') strings.push(value);
      else if (value && typeof value === 'object') Object.values(value).forEach(collect);
    };
    collect(JSON.parse((await render(model)).toString('utf8')));
    for (const hostile of SAMPLE_HOSTILE_STRINGS) expect(strings).toContain(hostile);
    expect(strings).toContain(`SOC 2 compliance summary ${SAMPLE_HOSTILE_STRINGS[0]}`);
  });

  it('writes no control or bidi character raw, but as JSON escapes that parse back to the exact string', async () => {
    const text = (await render(model)).toString('utf8');
    expect(UNSAFE_CONTROL_CHARACTERS.test(text)).toBe(false);
    expect(text).toContain('invoice\\u202etxt.exe');
    expect(text).toContain('DEL \\u007f');
    expect(JSON.stringify(JSON.parse(text))).toContain('invoice\u202Etxt.exe');
  });

  it('is pretty-printed UTF-8 without a BOM, the header first, ending with a newline', async () => {
    const file = await render(model);
    expect([...file.subarray(0, 3)]).not.toEqual([0xef, 0xbb, 0xbf]);
    const text = file.toString('utf8');
    expect(text.split('\n').slice(0, 4)).toEqual([
      '{',
      '  "format": "datapunk-report",',
      '  "version": 1,',
      `  "title": ${JSON.stringify(model.title)},`,
    ]);
    expect(text.endsWith('}\n')).toBe(true);
    expect(file.includes(Buffer.from('🦄', 'utf8'))).toBe(true);
  });

  it('keeps a chart as data and the integrity stamp with its checkpoint', async () => {
    const parsed = JSON.parse((await render(model)).toString('utf8')) as ReportModel;
    const chart = parsed.sections.find((s) => s.id === 'trends')!.blocks[0];
    expect(chart).toEqual(model.sections.find((s) => s.id === 'trends')!.blocks[0]);
    expect(chart).toMatchObject({ type: 'chart', kind: 'bar', labels: expect.any(Array), series: expect.any(Array) });
    // A stacked chart (API 1.8) keeps its text alternative, orientation, unit and colours as data, never an image.
    const stacked = model.sections.find((s) => s.id === 'trends')!.blocks.find((b) => b.type === 'chart' && b.kind === 'stacked')!;
    expect(parsed.sections.find((s) => s.id === 'trends')!.blocks).toContainEqual(stacked);
    expect(JSON.stringify(parsed)).not.toContain('<svg');
    expect(parsed.integrity).toEqual(model.integrity);
    expect(parsed.integrity.checkpoint?.signature).toBe(model.integrity.checkpoint?.signature);
  });

  it('gives the same bytes for the same model, and writes numbers JSON cannot carry as null', async () => {
    expect((await render(model)).equals(await render(sampleReportModel({ rows: 300 })))).toBe(true);
    const odd = sampleReportModel({ rows: 1 });
    odd.sections[0].blocks = [
      { type: 'table', columns: [{ key: 'n', title: 'N' }], rows: [[Number.NaN], [Number.POSITIVE_INFINITY], [-5]] },
    ];
    const parsed = JSON.parse((await render(odd)).toString('utf8')) as ReportModel;
    expect(parsed.sections[0].blocks[0]).toMatchObject({ rows: [[null], [null], [-5]] });
  });
});
