import { SAMPLE_HOSTILE_STRINGS, sampleReportModel } from '.';

describe('sampleReportModel', () => {
  it('renders a sample with every block type, a 200-row table and every hostile string', () => {
    const model = sampleReportModel();
    const blocks = model.sections.flatMap((s) => s.blocks);
    expect(new Set(blocks.map((b) => b.type))).toEqual(new Set(['heading', 'paragraph', 'keyValue', 'table', 'finding', 'chart']));
    expect(blocks.some((b) => b.type === 'table' && b.rows.length === 200)).toBe(true);
    const text = JSON.stringify(model);
    for (const hostile of SAMPLE_HOSTILE_STRINGS) expect(text).toContain(JSON.stringify(hostile).slice(1, -1));
    expect(sampleReportModel()).toEqual(model);
    expect(sampleReportModel()).not.toBe(model);
  });
});
