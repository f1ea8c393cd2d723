import { Uint8ArrayReader, Uint8ArrayWriter, ZipReader, ZipWriter, type ZipWriterAddDataOptions } from '@zip.js/zip.js';
import { deflateSync, unzipSync } from 'fflate';
import { once } from 'node:events';
import type { TransformOptions } from 'node:stream';
import * as zlib from 'node:zlib';

// The zip container of a .docx. The docx package stamps the current time on every entry and in
// docProps/core.xml, with no option to set it, and large tables are written into
// word/document.xml a page at a time (table-stream.ts), so the file is zipped again here, with
// zip.js laying out the entries (ADR 0029). fflate, the package's own compressor, inflates the
// package's output and deflates the parts we do not change as the package does, once for each
// content (deflatedPart); node:zlib deflates the document part as it is written, on its thread
// pool, and docProps/core.xml at once. zip.js writes every entry as DEFLATE data given with its
// CRC-32: each entry it deflates itself costs a CompressionStream, on top of the web streams
// every entry costs (ADR 0029, 2026-12-08, later).

// zlib.crc32 arrived in Node 20.15. The engines field allows 20.12, where zip.js takes the document
// part as a stream and deflates it itself: the same bytes, for more CPU time (ADR 0029).
const crc32Of = (zlib as { crc32?: (data: Buffer, value?: number) => number }).crc32;

const DOCUMENT_PATH = 'word/document.xml';
const CORE_PROPERTIES_PATH = 'docProps/core.xml';
const CORE_TIMESTAMP = /(<dcterms:(created|modified) xsi:type="dcterms:W3CDTF">)[^<]*(<\/dcterms:\2>)/g;
/** How many bytes of the document part go to the compressor at once. */
const BLOCK = 1 << 16;
/** A block this close to full goes to the compressor rather than taking the start of the next piece. */
const FLUSH_SLACK = 1 << 10;
const UTF8 = new TextEncoder();

/** Markup of the document part as it is written: a string, or the rows of a page, each its own string. */
export type XmlPiece = string | readonly string[];
/**
 * How many bytes of the document part may wait for the compressor: enough that the next blocks are
 * written while zlib deflates the last ones on its thread, instead of each write waiting for it.
 */
const WRITE_AHEAD = 1 << 20;

/**
 * The layout every entry gets, the same as the files written before (ADR 0029): zip 2.0 made on
 * MS-DOS, the sizes and CRC-32 in the local header rather than in a data descriptor after the
 * data, no extra fields, no zip64; what zip.js deflates itself, it deflates at zlib's default
 * level through Node's `CompressionStream` (its own DEFLATE would give other bytes).
 */
const ENTRY_LAYOUT: ZipWriterAddDataOptions = {
  version: 20,
  versionMadeBy: 20,
  msDosCompatible: true,
  dataDescriptor: false,
  extendedTimestamp: false,
  zip64: false,
  level: 6,
  useCompressionStream: true,
  useWebWorkers: false,
};

/** `value` as a date, or the start of the zip (DOS) epoch when it is not a date a zip can hold. */
export function timestampOf(value: string): Date {
  const time = Date.parse(value);
  const earliest = Date.UTC(1980, 0, 1);
  const latest = Date.UTC(2107, 11, 31, 23, 59, 58);
  return new Date(Number.isNaN(time) || time < earliest || time > latest ? earliest : time);
}

/**
 * The .docx for the docx package's output `packed`: every entry dated `at` in UTC (so the bytes
 * depend on neither the clock nor the time zone), docProps/core.xml saying the document was created
 * and modified `at`, and word/document.xml the text `document` yields for the package's part,
 * deflated as it comes, so that the whole uncompressed text is never in memory at once.
 */
export async function repack(packed: Uint8Array, at: Date, document: (xml: string) => AsyncIterable<XmlPiece>): Promise<Buffer> {
  const contents = unzipSync(packed);
  const writer = new ZipWriter(new Uint8ArrayWriter(), { keepOrder: true });
  const dated = { ...ENTRY_LAYOUT, rawLastModDate: dosDateTime(at) };
  for (const { name, crc32 } of await packageEntries(packed, contents)) {
    const bytes = contents[name];
    if (bytes === undefined) throw new Error(`format-docx: cannot read ${name} from the docx package's output`);
    if (name === DOCUMENT_PATH) {
      const pieces = document(text(bytes));
      if (crc32Of) {
        const deflated = await deflatedAsWritten(pieces, crc32Of);
        await writer.add(name, new Uint8ArrayReader(deflated.data), { ...dated, ...passedThrough(deflated) });
      } else {
        await writer.add(name, ReadableStream.from(utf8Blocks(pieces)), dated);
      }
    } else if (name === CORE_PROPERTIES_PATH) {
      const core = Buffer.from(withCoreDates(text(bytes), at), 'utf8');
      if (crc32Of) {
        // node:zlib at its defaults, as zip.js's CompressionStream would deflate it: the same bytes
        // without a web stream and a zlib handle of its own for a part of 600 bytes.
        const deflated = zlib.deflateRawSync(core);
        await writer.add(name, new Uint8ArrayReader(deflated), { ...dated, ...passedThrough({ crc32: crc32Of(core), size: core.length }) });
      } else {
        await writer.add(name, new Uint8ArrayReader(core), dated);
      }
    } else {
      // Deflated by fflate with its defaults, as the package deflates it: the same bytes, whichever
      // way a later docx release compresses. The content is the package's.
      await writer.add(name, new Uint8ArrayReader(deflatedPart(bytes, crc32)), {
        ...dated,
        ...passedThrough({ crc32, size: bytes.length }),
      });
    }
  }
  const zip = await writer.close();
  return Buffer.from(zip.buffer, zip.byteOffset, zip.length);
}

/**
 * The package's files in its zip's order, each with its content's CRC-32: from zlib where Node has
 * `zlib.crc32` (the contents are inflated anyway, and a part of the package is a few KiB), else
 * from the package's central directory as zip.js reads it. fflate's `unzipSync` keeps the zip's
 * order and leaves folders out.
 */
async function packageEntries(packed: Uint8Array, contents: Record<string, Uint8Array>): Promise<{ name: string; crc32: number }[]> {
  if (crc32Of) {
    const crc32 = crc32Of;
    return Object.entries(contents)
      .filter(([name]) => !name.endsWith('/'))
      .map(([name, bytes]) => ({ name, crc32: crc32(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)) }));
  }
  const reader = new ZipReader(new Uint8ArrayReader(packed), { useWebWorkers: false });
  const entries = await reader.getEntries();
  await reader.close();
  return entries.flatMap(({ filename: name, crc32, directory }) => {
    if (directory) return [];
    if (crc32 === undefined) throw new Error(`format-docx: cannot read ${name} from the docx package's output`);
    return [{ name, crc32 }];
  });
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
}

/** docProps/core.xml saying the document was created and last modified `at`. */
function withCoreDates(xml: string, at: Date): string {
  return xml.replace(CORE_TIMESTAMP, `$1${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}$3`);
}

/** How many of the package's parts {@link deflatedPart} keeps deflated, the least recently used going first. */
const KEPT_PARTS = 64;
/** A part larger than this is deflated every time (the package's parts are 0.1 – 9 KiB; only the document part, written apart, grows). */
const KEPT_PART_SIZE = 1 << 15;
const keptParts = new Map<string, { content: Uint8Array; data: Uint8Array }>();

/**
 * A part of the package as fflate's `deflateSync` deflates it with its defaults. Most parts are
 * the same in every report (styles, theme, settings, fonts, relationships) and are deflated once:
 * a part is kept with its DEFLATE data by its CRC-32 and size, and used again only for the same
 * content, byte for byte. Deflating is deterministic, so the bytes are those a fresh deflate gives
 * (ADR 0029, 2026-12-08, later).
 */
export function deflatedPart(content: Uint8Array, crc32: number): Uint8Array {
  if (content.length > KEPT_PART_SIZE) return deflateSync(content);
  const key = `${crc32}:${content.length}`;
  const kept = keptParts.get(key);
  keptParts.delete(key);
  if (kept !== undefined && Buffer.from(kept.content.buffer, kept.content.byteOffset, kept.content.length).equals(content)) {
    keptParts.set(key, kept);
    return kept.data;
  }
  const data = deflateSync(content);
  keptParts.set(key, { content: content.slice(), data });
  if (keptParts.size > KEPT_PARTS) keptParts.delete(keptParts.keys().next().value as string);
  return data;
}

/** The options for an entry whose DEFLATE data is made elsewhere: its content's CRC-32 and size. */
function passedThrough(content: { crc32: number; size: number }): ZipWriterAddDataOptions {
  return { passThrough: 'compressed', compressionMethod: 8, crc32: content.crc32, uncompressedSize: content.size };
}

/**
 * The document part's text deflated by a zlib stream as it comes, with its CRC-32 and size: the
 * whole text is never in memory at once, and zlib compresses on its thread pool, so the event loop
 * stays free while a large document is written. (zip.js takes a stream too, but its web-stream
 * pipeline costs about 40 % more CPU for the same bytes; ADR 0029.)
 *
 * The text is encoded straight into a few buffers of {@link BLOCK} bytes, each used again once zlib
 * has read it, and a page's rows come as separate strings. A new buffer per block, made from one
 * string of a page's rows, waited in the write-ahead long enough to be promoted out of the young
 * generation with the strings it was made from, which made the old generation fill and be
 * collected over and over during a large table (ADR 0029, 2026-12-07, later).
 */
export async function deflatedAsWritten(
  pieces: AsyncIterable<XmlPiece>,
  crc32: (data: Buffer, value?: number) => number,
): Promise<{ data: Buffer; crc32: number; size: number }> {
  // Node passes the stream options on to the Transform beneath (its types list only zlib's own).
  const options: zlib.ZlibOptions & TransformOptions = { writableHighWaterMark: WRITE_AHEAD };
  const deflate = zlib.createDeflateRaw(options);
  const data: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => data.push(chunk));
  const free: Buffer[] = [];
  let block: Buffer = Buffer.allocUnsafeSlow(BLOCK);
  let used = 0;
  let crc = 0;
  let size = 0;
  const flush = async () => {
    const full = block;
    const chunk = full.subarray(0, used);
    crc = crc32(chunk, crc);
    size += used;
    const room = deflate.write(chunk, () => free.push(full));
    block = free.pop() ?? Buffer.allocUnsafeSlow(BLOCK);
    used = 0;
    if (!room) await once(deflate, 'drain');
  };
  try {
    for await (const piece of pieces) {
      for (const text of typeof piece === 'string' ? [piece] : piece) {
        let rest = text;
        for (;;) {
          const { read, written } = UTF8.encodeInto(rest, block.subarray(used));
          used += written;
          if (read === rest.length) break;
          rest = rest.slice(read);
          await flush();
        }
        if (used >= BLOCK - FLUSH_SLACK) await flush();
      }
    }
    if (used > 0) await flush();
  } catch (error) {
    deflate.destroy();
    throw error;
  }
  const ended = once(deflate, 'end');
  deflate.end();
  await ended;
  return { data: Buffer.concat(data), crc32: crc, size };
}

/** Text pieces as UTF-8 blocks of about {@link BLOCK} bytes, each a new buffer: for zip.js's own deflate (Node before 20.15). */
async function* utf8Blocks(pieces: AsyncIterable<XmlPiece>): AsyncGenerator<Buffer> {
  let pending: string[] = [];
  let length = 0;
  for await (const piece of pieces) {
    for (const text of typeof piece === 'string' ? [piece] : piece) {
      pending.push(text);
      length += text.length;
    }
    if (length < BLOCK) continue;
    yield Buffer.from(pending.join(''), 'utf8');
    pending = [];
    length = 0;
  }
  if (length > 0) yield Buffer.from(pending.join(''), 'utf8');
}

/**
 * `at` as the MS-DOS date and time of a zip entry, read in UTC. zip.js takes this value as it is;
 * given a Date, it would read the server's local time.
 */
function dosDateTime(at: Date): number {
  const time = (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | (at.getUTCSeconds() >> 1);
  const date = ((at.getUTCFullYear() - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate();
  return ((date << 16) | time) >>> 0;
}
