import * as zlib from 'node:zlib';
import { once } from 'node:events';
import { deflateSync, unzipSync } from 'fflate';

// The zip container of a .docx. The docx package stamps the current time on every entry and in
// docProps/core.xml, with no option to set it, and large tables are deflated into
// word/document.xml a page at a time (render.ts), so the file is put together again here: fflate
// unzips the package's output and deflates its other parts exactly as the package does, node:zlib
// deflates the document part as it is written, and writeZip lays the entries out. Only that layout
// is ours: fflate's zip writers would change the bytes of every file (ADR 0028) — zipSync deflates
// each part itself, from its whole text, on the event loop; the streaming Zip writes a data
// descriptor after every entry and dates entries in the server's time zone.

/** Version 2.0 of the zip format: made by and needed to extract (DEFLATE, folders). */
const VERSION = 20;

/** A field of a zip record: its value and its width in bytes. */
type Field = [value: number, width: 2 | 4];

const CORE_TIMESTAMP = /(<dcterms:(created|modified) xsi:type="dcterms:W3CDTF">)[^<]*(<\/dcterms:\2>)/g;

/** A part ready for the zip: its DEFLATE data, in pieces, with the CRC-32 and size of what it holds. */
export interface ZipEntry {
  name: string;
  crc: number;
  size: number;
  data: Uint8Array[];
}

/** `value` as a date, or the start of the zip (DOS) epoch when it is not a date a zip can hold. */
export function timestampOf(value: string): Date {
  const time = Date.parse(value);
  const earliest = Date.UTC(1980, 0, 1);
  const latest = Date.UTC(2107, 11, 31, 23, 59, 58);
  return new Date(Number.isNaN(time) || time < earliest || time > latest ? earliest : time);
}

/** The parts of a zip by name, uncompressed, in the zip's order. */
export function readParts(zip: Uint8Array): [string, Buffer][] {
  return Object.entries(unzipSync(zip)).map(([name, bytes]) => [name, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)]);
}

/** A part deflated by fflate with its defaults, as the docx package deflates it: the same bytes. */
export function deflated(name: string, bytes: Buffer): ZipEntry {
  return { name, crc: crc32(bytes), size: bytes.length, data: [deflateSync(bytes)] };
}

/** docProps/core.xml saying the document was created and last modified `at`. */
export function withCoreDates(name: string, xml: string, at: Date): ZipEntry {
  const bytes = Buffer.from(xml.replace(CORE_TIMESTAMP, `$1${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}$3`), 'utf8');
  return { name, crc: crc32(bytes), size: bytes.length, data: [zlib.deflateRawSync(bytes)] };
}

/**
 * Deflates text written to it piece by piece into the data of one zip entry, so that the whole
 * uncompressed text never has to be in memory at once. Pieces are gathered into blocks of
 * {@link DeflatingEntry.BLOCK} characters before they go to zlib, which compresses on its thread
 * pool: the event loop stays free while a large document is written.
 */
export class DeflatingEntry {
  static readonly BLOCK = 1 << 16;
  private readonly deflate = zlib.createDeflateRaw();
  private readonly compressed: Buffer[] = [];
  private pending: string[] = [];
  private pendingLength = 0;
  private crc = 0;
  private size = 0;

  constructor(private readonly name: string) {
    this.deflate.on('data', (chunk: Buffer) => this.compressed.push(chunk));
  }

  /** Adds text; resolves at once unless zlib has a block to catch up on. */
  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= DeflatingEntry.BLOCK) await this.flush();
  }

  private async flush(): Promise<void> {
    const bytes = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingLength = 0;
    this.crc = crc32(bytes, this.crc);
    this.size += bytes.length;
    if (!this.deflate.write(bytes)) await once(this.deflate, 'drain');
  }

  /** Finishes the entry with the text written. */
  async finish(): Promise<ZipEntry> {
    await this.flush();
    const ended = once(this.deflate, 'end');
    this.deflate.end();
    await ended;
    if (this.size > 0xffffffff) throw new Error('format-docx: the document is larger than a zip without zip64 can hold (4 GiB)');
    return { name: this.name, crc: this.crc, size: this.size, data: this.compressed };
  }
}

/**
 * A zip of deflated `entries`, each dated `at` in UTC (so the bytes depend on neither the clock
 * nor the time zone): local headers without data descriptors, the central directory, its end.
 */
export function writeZip(entries: ZipEntry[], at: Date): Buffer {
  const time = (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | (at.getUTCSeconds() >> 1);
  const date = ((at.getUTCFullYear() - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate();
  const locals: Uint8Array[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const compressedSize = entry.data.reduce((sum, piece) => sum + piece.length, 0);
    // Flag bit 11 says the name is UTF-8, as fflate sets it; 8 is DEFLATE.
    const flags = name.length === entry.name.length ? 0 : 0x0800;
    const common: Field[] = [
      [flags, 2],
      [8, 2],
      [time, 2],
      [date, 2],
      [entry.crc, 4],
      [compressedSize, 4],
      [entry.size, 4],
      [name.length, 2],
      [0, 2],
    ];
    const local = record([[0x04034b50, 4], [VERSION, 2], ...common]);
    // After the common fields: no comment, disk 0, no internal or external attributes, where the entry starts.
    const central = record([[0x02014b50, 4], [VERSION, 2], [VERSION, 2], ...common, [0, 2], [0, 2], [0, 2], [0, 4], [offset, 4]]);
    locals.push(local, name, ...entry.data);
    centrals.push(central, name);
    offset += local.length + name.length + compressedSize;
  }
  const directory = Buffer.concat(centrals);
  const count = entries.length;
  const end = record([
    [0x06054b50, 4],
    [0, 2],
    [0, 2],
    [count, 2],
    [count, 2],
    [directory.length, 4],
    [offset, 4],
    [0, 2],
  ]);
  return Buffer.concat([...locals, directory, end]);
}

function record(fields: Field[]): Buffer {
  const bytes = Buffer.alloc(fields.reduce((sum, [, width]) => sum + width, 0));
  let at = 0;
  for (const [value, width] of fields) at = width === 2 ? bytes.writeUInt16LE(value, at) : bytes.writeUInt32LE(value, at);
  return bytes;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, byte) => {
  let crc = byte;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  return crc >>> 0;
});

// zlib.crc32 only arrived in Node 20.15 (fflate keeps its CRC to itself); the engines field allows 20.12.
const nativeCrc32 = (zlib as { crc32?: (data: Buffer, value?: number) => number }).crc32;

/** The CRC-32 of `bytes`, continuing from `previous` (the CRC of what came before). */
function crc32(bytes: Buffer, previous = 0): number {
  if (nativeCrc32) return nativeCrc32(bytes, previous);
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
