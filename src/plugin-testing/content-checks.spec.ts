import JSZip from 'jszip';
import { zipControlProblems } from './content-checks';

const zipOf = async (parts: Record<string, string>): Promise<Buffer> => {
  const zip = new JSZip();
  for (const [name, text] of Object.entries(parts)) zip.file(name, text, { date: new Date(Date.UTC(2026, 0, 1)) });
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
};

/** The same zip, its headers claiming that every part inflates to `size` bytes. */
function declaringSize(zip: Buffer, size: number): Buffer {
  const out = Buffer.from(zip);
  for (let at = 0; at + 4 <= out.length; at++) {
    const signature = out.readUInt32LE(at);
    if (signature === 0x04034b50) out.writeUInt32LE(size, at + 22);
    if (signature === 0x02014b50) out.writeUInt32LE(size, at + 24);
  }
  return out;
}

describe('zipControlProblems (the render check of zip containers)', () => {
  it('finds control characters in a text part and passes clean parts', async () => {
    const zip = await zipOf({ 'word/document.xml': '<w:t>a\u202Eb</w:t>', 'docProps/app.xml': '<Properties/>', 'media/x.bin': '\u0007' });
    expect(zipControlProblems(zip).map((p) => p.message)).toEqual([expect.stringMatching(/^the part word\/document\.xml carries 1 /)]);
    expect(zipControlProblems(await zipOf({ 'word/document.xml': '<w:t>ab</w:t>' }))).toEqual([]);
  });

  it('stops inflating a part at the cap, whatever size its headers declare', async () => {
    const zip = await zipOf({ 'word/document.xml': `<w:t>${'a'.repeat(10_000)}</w:t>` });
    for (const file of [zip, declaringSize(zip, 10)]) {
      expect(zipControlProblems(file, 1_000)).toEqual([
        expect.objectContaining({ level: 'warning', message: expect.stringContaining('inflates to more than 1000 bytes') }),
      ]);
    }
    expect(zipControlProblems(zip, 20_000)).toEqual([]);
  });
});
