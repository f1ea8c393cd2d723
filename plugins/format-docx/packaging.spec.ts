import * as zlib from 'node:zlib';
import { deflatedAsWritten, type XmlPiece } from './packaging';

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
