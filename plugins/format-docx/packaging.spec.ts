import * as zlib from 'node:zlib';
import { deflateSync, inflateSync } from 'fflate';
import { deflatedAsWritten, deflatedPart, type XmlPiece } from './packaging';

const crc32 = (zlib as { crc32?: (data: Buffer, value?: number) => number }).crc32;

async function* piecesOf(pieces: XmlPiece[]): AsyncGenerator<XmlPiece> {
  for (const piece of pieces) yield piece;
}

const text = (pieces: XmlPiece[]) => pieces.map((p) => (typeof p === 'string' ? p : p.join(''))).join('');

(crc32 ? describe : describe.skip)('deflatedAsWritten', () => {
  it('deflates exactly the UTF-8 of the pieces, whatever falls on the edges of its 64 KiB blocks', async () => {
    // Rows of 1 to 4 UTF-8 bytes a character, so that characters of every width meet a block's end;
    // a piece far larger than a block; rows as arrays, as withTables gives them.
    const rows = (n: number, unit: string) => Array.from({ length: n }, (_, i) => `<w:tr>${unit.repeat(i % 97)}${i}</w:tr>`);
    const pieces: XmlPiece[] = [
      '<w:document>',
      rows(700, 'a'),
      rows(700, 'é'),
      'x'.repeat(200_000),
      rows(700, '€'),
      rows(700, '😀'),
      '😀'.repeat(40_000),
      [],
      '</w:document>',
    ];
    const expected = Buffer.from(text(pieces), 'utf8');
    const deflated = await deflatedAsWritten(piecesOf(pieces), crc32!);
    expect(deflated.size).toBe(expected.length);
    expect(deflated.crc32).toBe(crc32!(expected));
    expect(zlib.inflateRawSync(deflated.data).equals(expected)).toBe(true);
    expect(deflated.data.equals(zlib.deflateRawSync(expected))).toBe(true);
  });

  it('fails with the error of its source', async () => {
    async function* failing(): AsyncGenerator<XmlPiece> {
      yield 'x'.repeat(100_000);
      throw new Error('page read failed');
    }
    await expect(deflatedAsWritten(failing(), crc32!)).rejects.toThrow('page read failed');
  });
});

describe('deflatedPart', () => {
  const part = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

  it("gives fflate's DEFLATE data for the content, the first time and again", () => {
    const styles = part(`<w:styles>${'<w:style w:styleId="Heading"/>'.repeat(50)}</w:styles>`);
    const expected = Buffer.from(deflateSync(styles));
    expect(Buffer.from(deflatedPart(styles, 1)).equals(expected)).toBe(true);
    expect(Buffer.from(deflatedPart(part(Buffer.from(styles).toString('utf8')), 1)).equals(expected)).toBe(true);
    expect(Buffer.from(inflateSync(deflatedPart(styles, 1))).equals(Buffer.from(styles))).toBe(true);
  });

  it('deflates other content of the same CRC-32 and size as its own', () => {
    // The same key for both: what is kept is used again only for the same bytes.
    const header = part('<w:hdr>tenant-a</w:hdr>');
    const other = part('<w:hdr>tenant-b</w:hdr>');
    expect(Buffer.from(deflatedPart(header, 7)).equals(Buffer.from(deflateSync(header)))).toBe(true);
    const deflated = deflatedPart(other, 7);
    expect(Buffer.from(deflated).equals(Buffer.from(deflateSync(other)))).toBe(true);
    expect(Buffer.from(inflateSync(deflated)).toString('utf8')).toBe('<w:hdr>tenant-b</w:hdr>');
  });

  it('gives the same bytes when the content it was given is changed afterwards', () => {
    const settings = part('<w:settings><w:zoom w:percent="100"/></w:settings>');
    const expected = Buffer.from(deflateSync(settings));
    deflatedPart(settings, 9);
    settings[1] = 0x78; // '<x:settings…', another content under the same key
    expect(Buffer.from(deflatedPart(settings, 9)).equals(Buffer.from(deflateSync(settings)))).toBe(true);
    settings[1] = 0x77;
    expect(Buffer.from(deflatedPart(settings, 9)).equals(expected)).toBe(true);
  });
});
