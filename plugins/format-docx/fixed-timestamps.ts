import { deflateRawSync, inflateRawSync } from 'node:zlib';

// The docx package stamps the current time on every zip entry and in docProps/core.xml, with no
// option to set it; this rewrites both so that the same model always gives the same bytes.

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const STORED = 0;
const DEFLATED = 8;
const DATA_DESCRIPTOR_FLAG = 0x0008;
const CORE_PROPERTIES_PATH = 'docProps/core.xml';
const CORE_TIMESTAMP = /(<dcterms:(created|modified) xsi:type="dcterms:W3CDTF">)[^<]*(<\/dcterms:\2>)/g;

interface ZipEntry {
  name: Buffer;
  flags: number;
  compression: number;
  crc: number;
  uncompressedSize: number;
  data: Buffer;
}

/**
 * Rewrites a .docx written by the docx package so that its zip entries carry `at` as their
 * modification time and its core properties say it was created and modified `at`.
 */
export function fixDocxTimestamps(docx: Buffer, at: Date): Buffer {
  const entries = readEntries(docx).map((entry) =>
    entry.name.toString('latin1') === CORE_PROPERTIES_PATH ? withCoreDates(entry, at) : entry,
  );
  return writeZip(entries, dosDateTime(at));
}

/** `value` as a date, or the start of the zip (DOS) epoch when it is not a date a zip can hold. */
export function timestampOf(value: string): Date {
  const time = Date.parse(value);
  const earliest = Date.UTC(1980, 0, 1);
  const latest = Date.UTC(2107, 11, 31, 23, 59, 58);
  return new Date(Number.isNaN(time) || time < earliest || time > latest ? earliest : time);
}

function readEntries(zip: Buffer): ZipEntry[] {
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
      data: zip.subarray(dataStart, dataStart + compressedSize),
    });
    position += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function withCoreDates(entry: ZipEntry, at: Date): ZipEntry {
  if (entry.compression !== STORED && entry.compression !== DEFLATED) return entry;
  const xml = (entry.compression === DEFLATED ? inflateRawSync(entry.data) : entry.data).toString('utf8');
  const fixed = Buffer.from(xml.replace(CORE_TIMESTAMP, `$1${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}$3`), 'utf8');
  return { ...entry, compression: DEFLATED, crc: crc32(fixed), uncompressedSize: fixed.length, data: deflateRawSync(fixed) };
}

function writeZip(entries: ZipEntry[], { time, date }: { time: number; date: number }): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(entry.flags, 6);
    local.writeUInt16LE(entry.compression, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(entry.crc, 14);
    local.writeUInt32LE(entry.data.length, 18);
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
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.uncompressedSize, 24);
    central.writeUInt16LE(entry.name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, entry.name, entry.data);
    centrals.push(central, entry.name);
    offset += local.length + entry.name.length + entry.data.length;
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

// zlib.crc32 only arrived in Node 20.15; the engines field allows 20.12.
function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
