import type { ReportModel } from '../plugin-api';

/**
 * Strings a format must keep inert, as tenants and templates may send them: markup, template
 * syntax, spreadsheet formulas (every character OWASP lists), CSV structure, a line break, a
 * non-BMP emoji and right-to-left text, and (from index 15 on) the control characters no file may
 * carry raw ({@link UNSAFE_CONTROL_CHARACTERS}): every bidirectional control, C0 controls such as
 * NUL and ESC, DEL and C1 controls. {@link sampleReportModel} puts each in titles, metadata,
 * keys, values, cells, labels and findings.
 *
 * @example
 * ```ts
 * for (const s of SAMPLE_HOSTILE_STRINGS.filter((s) => s.includes('<'))) expect(html).not.toContain(s);
 * ```
 */
export const SAMPLE_HOSTILE_STRINGS: readonly string[] = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  "{{constructor.constructor('x')()}}",
  '<%= process.exit() %>',
  "=cmd|' /C calc'!A0",
  '@SUM(1+1)',
  '+SUM(1+1)',
  "-2+3+cmd|' /C calc'!A0",
  '\t=1+1',
  '\r=1+1',
  '"quoted, with comma"',
  'line one\nline two',
  'AT&T &amp; </w:t></w:r> ]]>',
  'unicorn 🦄 and 👩‍👩‍👧',
  'مرحبا بالعالم — שלום עולם',
  'invoice\u202Etxt.exe',
  'isolates \u2066LRI\u2069 \u2067RLI\u2069 \u2068FSI\u2069, embeddings \u202ALRE\u202C \u202BRLE\u202C \u202DLRO\u202C',
  'marks \u200ELRM \u200FRLM \u061CALM',
  '\u202E=1+1 and \u0000=1+1',
  'ESC \u001B[31mred\u001B[0m NUL \u0000 BEL \u0007 BS \u0008 VT \u000B FF \u000C US \u001F DEL \u007F',
  'C1 CSI \u009B31m NEL \u0085 APC \u009F',
];

/** The head chain hash of the sample, which a format that prints the integrity stamp carries. */
export const SAMPLE_CHAIN_HASH = '9f2c4e81b07d3a56e1f0c2d49b8a7e6f5d4c3b2a1908f7e6d5c4b3a2f1e0d9c8';

/**
 * The report the `render` check renders: every block type, a table of `rows` rows (200 unless
 * given) with numbers (negative ones too), booleans and nulls, a chart of each kind, an empty table
 * and an empty section, and {@link SAMPLE_HOSTILE_STRINGS} everywhere a string can go. A fresh
 * object on each call, the same content every time.
 *
 * @example
 * ```ts
 * const file = await myFormat.render(sampleReportModel(), { options: {}, logger });
 * ```
 */
export function sampleReportModel(options: { rows?: number } = {}): ReportModel {
  const rows = options.rows ?? 200;
  const hostile = SAMPLE_HOSTILE_STRINGS;
  const some = (i: number) => hostile[i % hostile.length];
  const start = Date.UTC(2026, 0, 1);
  const outcomes = ['SUCCESS', 'FAILURE', 'DENIED', 'ERROR'];
  const days = ['2026-01-05', '2026-01-06', '2026-01-07', some(0), '2026-01-09', some(4)];
  return {
    title: `SOC 2 compliance summary ${hostile[0]}`,
    metadata: {
      reportType: 'COMPLIANCE_SUMMARY',
      organisation: hostile[2],
      author: hostile[3],
      template: hostile[4],
      notes: hostile[11],
      language: hostile[14],
    },
    integrity: {
      tenantId: `tenant ${hostile[5]}`,
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-04-01T00:00:00.000Z',
      headSequence: 120_345,
      headChainHash: SAMPLE_CHAIN_HASH,
      checkpoint: {
        sequence: 120_000,
        chainHash: 'c8d9e0f1a2b3c4d5e6f7089a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4',
        keyId: 'checkpoint-key-2026',
        signature: 'MEUCIQDxY2hlY2twb2ludC1zaWduYXR1cmUtc2FtcGxlLWZvci10aGUtY29udHJhY3Q=',
        issuedAt: '2026-03-31T23:00:00.000Z',
      },
      generatedAt: '2026-04-01T08:00:00.000Z',
    },
    sections: [
      {
        id: 'summary',
        title: `Summary ${hostile[1]}`,
        blocks: [
          { type: 'heading', level: 1, text: `Summary ${hostile[0]}` },
          { type: 'paragraph', text: `12 of 14 controls are compliant. ${hostile.join(' | ')}` },
          {
            type: 'keyValue',
            items: [
              { key: 'Score', value: '86 %' },
              { key: 'Level', value: 'MODERATE' },
              ...hostile.map((h, i) => ({ key: h, value: some(i + 1) })),
            ],
          },
          { type: 'heading', level: 2, text: hostile[3] },
          { type: 'paragraph', text: hostile[14] },
          { type: 'heading', level: 3, text: hostile[13] },
          { type: 'paragraph', text: hostile[11] },
        ],
      },
      {
        id: 'findings',
        title: 'Findings',
        blocks: [
          {
            type: 'finding',
            title: 'Access reviews missed',
            status: 'NON_COMPLIANT',
            severity: 'ERROR',
            frameworkId: 'soc2',
            controlId: 'CC6.2',
            text: 'No access review was recorded in February.',
            eventIds: ['0190a5c2-7b3e-7c1d-9a2f-3e4d5c6b7a81', '0190a5c2-7b3e-7c1d-9a2f-3e4d5c6b7a82'],
          },
          {
            type: 'finding',
            title: hostile[0],
            status: hostile[4],
            severity: hostile[5],
            frameworkId: hostile[2],
            controlId: hostile[3],
            text: hostile.join('\n'),
            eventIds: [hostile[6], hostile[10]],
          },
          { type: 'finding', title: 'Checkpoint signed', status: 'COMPLIANT', text: hostile[14], eventIds: [] },
        ],
      },
      {
        id: 'events',
        title: `Audit trail ${hostile[10]}`,
        blocks: [
          {
            type: 'table',
            caption: `${rows} events ${hostile[7]}`,
            columns: [
              { key: 'sequence', title: 'Sequence', align: 'right' },
              { key: 'occurredAt', title: 'Occurred at' },
              { key: 'actor', title: `Actor ${hostile[6]}` },
              { key: 'action', title: 'Action' },
              { key: 'outcome', title: 'Outcome', align: 'center' },
              { key: 'delta', title: 'Balance change', align: 'right' },
              { key: 'personal', title: 'Personal data', align: 'center' },
              { key: 'note', title: hostile[4] },
            ],
            rows: Array.from({ length: rows }, (_, i) => [
              i + 1,
              new Date(start + i * 7 * 60_000).toISOString(),
              i % 5 === 0 ? some(i) : `user-${i % 17}@example.com`,
              i % 3 === 0 ? 'record.read' : 'record.update',
              outcomes[i % outcomes.length],
              i % 4 === 0 ? -(i + 5) : i % 4 === 1 ? i / 8 : i,
              i % 2 === 0,
              i % 3 === 0 ? null : some(i + 3),
            ]),
          },
          { type: 'table', caption: 'No denied exports', columns: [{ key: 'action', title: 'Action' }], rows: [] },
          { type: 'table', columns: [{ key: 'note', title: '' }], rows: [[''], [null], [hostile[8]]] },
        ],
      },
      {
        id: 'trends',
        title: 'Trends',
        blocks: [
          {
            type: 'chart',
            kind: 'bar',
            title: `Events per day ${hostile[0]}`,
            labels: days,
            series: [
              { name: 'Events', values: [120, 98, 143, 87, 101, 64] },
              { name: hostile[4], values: [3, 0, 2.5, 7, 1, 0] },
            ],
          },
          {
            type: 'chart',
            kind: 'line',
            title: hostile[5],
            labels: ['Jan', 'Feb', 'Mar'],
            series: [{ name: hostile[6], values: [0.91, 0.86, 0.88] }],
          },
          { type: 'chart', kind: 'pie', title: 'Outcomes', labels: outcomes, series: [{ name: 'Events', values: [180, 12, 6, 2] }] },
          {
            type: 'chart',
            kind: 'stacked',
            orientation: 'horizontal',
            title: `Controls by status ${hostile[1]}`,
            description: hostile[16],
            unit: hostile[7],
            labels: ['Compliant', hostile[12], hostile[15]],
            series: [
              { name: 'Now', values: [12, 3, 0], color: '#1B7F3B' },
              { name: hostile[17], values: [2, 0, 1] },
            ],
          },
        ],
      },
      { id: 'empty', title: hostile[13], blocks: [] },
    ],
  };
}
