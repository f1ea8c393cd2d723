import * as zlib from 'node:zlib';
import { once } from 'node:events';

// The zip container of a .docx, read and rewritten here for two reasons: the docx package stamps
// the current time on every entry and in docProps/core.xml, with no option to set it, and large
// tables are deflated into word/document.xml a page at a time instead of being built by the
// package in memory (render.ts).

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
export const STORED = 0;
export const DEFLATED = 8;
const DATA_DESCRIPTOR_FLAG = 0x0008;
const CORE_TIMESTAMP = /(<dcterms:(created|modified) xsi:type="dcterms:W3CDTF">)[^<]*(<\/dcterms:\2>)/g;

export interface ZipEntry {
  name: Buffer;
  flags: number;
  compression: number;
  crc: number;
  uncompressedSize: number;
  /** The compressed bytes, in pieces. */
  data: Buffer[];
}

/** `value` as a date, or the start of the zip (DOS) epoch when it is not a date a zip can hold. */
export function timestampOf(value: string): Date {
  const time = Date.parse(value);
  const earliest = Date.UTC(1980, 0, 1);
  const latest = Date.UTC(2107, 11, 31, 23, 59, 58);
  return new Date(Number.isNaN(time) || time < earliest || time > latest ? earliest : time);
}

export function entryName(entry: ZipEntry): string {
  return entry.name.toString('latin1');
}

/** The entries of a zip written by the docx package (no zip64, no encryption). */
export function readEntries(zip: Buffer): ZipEntry[] {
  const end = zip.lastIndexOf(uint32(END_OF_CENTRAL_DIRECTORY));
  if (end < 0) throw new Error('format-docx: the docx package wrote a file without a zip directory');
  const count = zip.readUInt16LE(end + 10);
  let position = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let index = 0; index < count; index++) {
    if (zip.readUInt32LE(position) !== CENTRAL_HEADER) throw new Error('format-docx: unexpected zip directory entry');
    const compressedSize = zip.readUInt32LE(position + 20);
    const nameLength = zip.readUInt16LE(position + 28);
    const extraLength = zip.readUInt16LE(position + 30);
    const commentLength = zip.readUInt16LE(position + 32);
    const localOffset = zip.readUInt32LE(position + 42);
    if (zip.readUInt32LE(localOffset) !== LOCAL_HEADER) throw new Error('format-docx: unexpected zip entry header');
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    entries.push({
      name: zip.subarray(position + 46, position + 46 + nameLength),
      flags: zip.readUInt16LE(position + 8) & ~DATA_DESCRIPTOR_FLAG,
      compression: zip.readUInt16LE(position + 10),
      crc: zip.readUInt32LE(position + 16),
      uncompressedSize: zip.readUInt32LE(position + 24),
      data: [zip.subarray(dataStart, dataStart + compressedSize)],
    });
    position += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The uncompressed text of an entry. */
export function entryText(entry: ZipEntry): string {
  const data = Buffer.concat(entry.data);
  if (entry.compression === STORED) return data.toString('utf8');
  if (entry.compression === DEFLATED) return zlib.inflateRawSync(data).toString('utf8');
  throw new Error(`format-docx: zip entry ${entryName(entry)} uses compression method ${entry.compression}`);
}

/** docProps/core.xml saying the document was created and last modified `at`. */
export function withCoreDates(entry: ZipEntry, at: Date): ZipEntry {
  const xml = entryText(entry).replace(CORE_TIMESTAMP, `$1${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}$3`);
  const bytes = Buffer.from(xml, 'utf8');
  return { ...entry, compression: DEFLATED, crc: crc32(bytes), uncompressedSize: bytes.length, data: [zlib.deflateRawSync(bytes)] };
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

  constructor() {
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

  /** Finishes the entry: the same name and flags as `like`, with the text written. */
  async finish(like: ZipEntry): Promise<ZipEntry> {
    await this.flush();
    const ended = once(this.deflate, 'end');
    this.deflate.end();
    await ended;
    if (this.size > 0xffffffff) throw new Error('format-docx: the document is larger than a zip without zip64 can hold (4 GiB)');
    return { ...like, compression: DEFLATED, crc: this.crc, uncompressedSize: this.size, data: this.compressed };
  }
}

/** A zip of `entries`, each dated `at` (so the bytes do not depend on the clock). */
export function writeZip(entries: ZipEntry[], at: Date): Buffer {
  const { time, date } = dosDateTime(at);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const compressedSize = entry.data.reduce((sum, piece) => sum + piece.length, 0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(entry.flags, 6);
    local.writeUInt16LE(entry.compression, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(entry.crc, 14);
    local.writeUInt32LE(compressedSize, 18);
    local.writeUInt32LE(entry.uncompressedSize, 22);
    local.writeUInt16LE(entry.name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL_HEADER, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(entry.flags, 8);
    central.writeUInt16LE(entry.compression, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(entry.crc, 16);
    central.writeUInt32LE(compressedSize, 20);
    central.writeUInt32LE(entry.uncompressedSize, 24);
    central.writeUInt16LE(entry.name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, entry.name, ...entry.data);
    centrals.push(central, entry.name);
    offset += local.length + entry.name.length + compressedSize;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The MS-DOS date and time of a zip entry, in UTC so that the bytes do not depend on the server's time zone. */
function dosDateTime(at: Date): { time: number; date: number } {
  return {
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | (at.getUTCSeconds() >> 1),
    date: ((at.getUTCFullYear() - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
  };
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value, 0);
  return bytes;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, byte) => {
  let crc = byte;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  return crc >>> 0;
});

// zlib.crc32 only arrived in Node 20.15; the engines field allows 20.12, where this falls back to JS.
const nativeCrc32 = (zlib as { crc32?: (data: Buffer, value?: number) => number }).crc32;

/** The CRC-32 of `bytes`, continuing from `previous` (the CRC of what came before). */
export function crc32(bytes: Buffer, previous = 0): number {
  if (nativeCrc32) return nativeCrc32(bytes, previous);
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
