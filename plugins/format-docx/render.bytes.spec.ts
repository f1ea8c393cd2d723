import { createHash } from 'node:crypto';
import type { PluginLogger, ReportModel, TableCell } from '../../src/plugin-api';
import plugin from './index';

// Pins the bytes of the DOCX for one fixed model: a change to how the file is put together (the zip
// container, the compression of its parts, the markup) shows here, however the pieces are swapped.
// Everything the output could depend on is fixed: the model (its dates too), the clock the docx
// package reads, and the time zone, in which zip entry times must not be written.

const logger: PluginLogger = { debug() {}, info() {}, warn() {}, error() {} };

const EVENT_COLUMNS = ['Seq.', 'Occurred at', 'Actor', 'Action', 'Resource', 'Outcome', 'Event hash'].map((title) => ({
  key: title,
  title,
}));

function eventRow(index: number): TableCell[] {
  return [
    index + 1,
    new Date(Date.UTC(2026, 2, 1) + index * 61_000).toISOString(),
    `user-${index % 97}@example.com`,
    index % 5 === 0 ? 'patient_record.read' : 'auth.login',
    `record:r-${index}`,
    index % 11 === 0 ? 'DENIED' : 'SUCCESS',
    createHash('sha256').update(`event ${index}`).digest('hex'),
  ];
}

/** 4,000 event rows in pages of 1,000: several deflate blocks of word/document.xml. */
async function* eventPages(): AsyncGenerator<TableCell[][]> {
  for (let at = 0; at < 4000; at += 1000) yield Array.from({ length: 1000 }, (_, i) => eventRow(at + i));
}

function fixedModel(generatedAt = '2026-04-01T08:00:00.000Z'): ReportModel {
  return {
    title: 'Quarterly access review — Ærø clinic',
    metadata: { reportType: 'AUDIT_TRAIL', organisation: 'Ærø Health', author: 'auditor@example.com' },
    integrity: {
      tenantId: 'tenant-pinned',
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-04-01T00:00:00.000Z',
      headSequence: 4000,
      headChainHash: 'c'.repeat(64),
      checkpoint: {
        sequence: 3990,
        chainHash: 'd'.repeat(64),
        keyId: 'key-2026',
        signature: 'e'.repeat(88),
        issuedAt: '2026-03-31T23:00:00.000Z',
      },
      generatedAt,
    },
    branding: { organisation: 'Ærø Health', footer: 'Confidential', primaryColor: '#004B87', accentColor: '#FFB81C' },
    sections: [
      {
        id: 'summary',
        title: 'Summary',
        blocks: [
          { type: 'paragraph', text: 'Line one\nline two\twith a tab, “quotes” & <angle> brackets, emoji 🙂.' },
          { type: 'heading', level: 2, text: 'Facts' },
          {
            type: 'keyValue',
            items: [
              { key: 'Events', value: '4,000' },
              { key: 'Denied', value: '364' },
            ],
          },
          {
            type: 'finding',
            title: 'Access outside working hours',
            status: 'NON_COMPLIANT',
            severity: 'ERROR',
            frameworkId: 'hipaa',
            controlId: '164.312(b)',
            text: 'Records were read at night.',
            eventIds: ['evt-1', 'evt-2'],
          },
          {
            type: 'chart',
            kind: 'bar',
            title: 'Events by outcome',
            labels: ['SUCCESS', 'DENIED'],
            series: [{ name: 'Events', values: [3636, 364] }],
          },
          {
            type: 'table',
            caption: 'Actors',
            columns: [
              { key: 'actor', title: 'Actor' },
              { key: 'count', title: 'Events', align: 'right' },
            ],
            rows: [
              ['user-1@example.com', 41],
              ['user-2@example.com', null],
            ],
          },
        ],
      },
      {
        id: 'events',
        title: 'Events',
        blocks: [{ type: 'table', caption: 'Audit trail', columns: EVENT_COLUMNS, rows: [], rowPages: eventPages() }],
      },
    ],
  };
}

async function renderedSha256(model = fixedModel()): Promise<string> {
  const bytes = Buffer.from(await plugin.render(model, { options: {}, logger }));
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The SHA-256 the renderer gives for this model. Set with the hand-written zip container (before
 * fflate, ADR 0028), which zip.js reproduced (ADR 0029); set again when the chart became a picture,
 * an SVG with the PNG resvg draws from it in the shipped font, kept with its numbers (ADR 0041).
 */
const PINNED_SHA256 = '9d98a01776c41daf55b458dfbf6bb64a0ead1a86832f8424244699ad65306487';

describe('format-docx bytes', () => {
  const timeZone = process.env.TZ;

  beforeAll(() => {
    // Only Date is faked: the docx package reads the clock for zip entries and core properties.
    jest.useFakeTimers({
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
  });

  afterAll(() => {
    jest.useRealTimers();
    if (timeZone === undefined) delete process.env.TZ;
    else process.env.TZ = timeZone;
  });

  it.each([
    ['UTC', '2031-07-15T10:11:13.456Z'],
    ['America/New_York', '2044-02-29T23:59:59.999Z'],
    ['Asia/Kolkata', '2026-12-01T00:00:00.000Z'],
  ])('gives the pinned bytes for a fixed model (time zone %s, clock %s)', async (zone, now) => {
    process.env.TZ = zone;
    jest.setSystemTime(new Date(now));
    expect(await renderedSha256()).toBe(PINNED_SHA256);
  });

  it("dates the zip entries in UTC even at a time the server's time zone skips", async () => {
    // 02:30 on 29 March 2026 does not exist in Berlin (clocks go from 02:00 to 03:00): a date
    // built from local fields would read 03:30 there.
    const model = () => fixedModel('2026-03-29T02:30:00.000Z');
    process.env.TZ = 'UTC';
    const inUtc = await renderedSha256(model());
    process.env.TZ = 'Europe/Berlin';
    expect(await renderedSha256(model())).toBe(inUtc);
    expect(inUtc).not.toBe(PINNED_SHA256);
  });

  it('gives the pinned bytes where node:zlib has no crc32 (Node before 20.15)', async () => {
    process.env.TZ = 'UTC';
    let withoutCrc32 = plugin;
    jest.isolateModules(() => {
      jest.doMock('node:zlib', () => ({ ...jest.requireActual<object>('node:zlib'), crc32: undefined }));
      withoutCrc32 = jest.requireActual<{ default: typeof plugin }>('./index').default;
    });
    jest.dontMock('node:zlib');
    expect(withoutCrc32).not.toBe(plugin);
    const bytes = Buffer.from(await withoutCrc32.render(fixedModel(), { options: {}, logger }));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(PINNED_SHA256);
  });
});
