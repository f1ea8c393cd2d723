import { generateKeyPairSync } from 'node:crypto';
import { cosign, cosignatureKeyId, cosignatureMessage, parseWitnessKey, verifyCosignatures, witnessVerifierKey } from './cosignature';
import { parseNote, signatureLine, signedNote, verifierKey } from './signed-note';

// The cosigned checkpoint of C2SP tlog-cosignature's own example (c2sp.org/tlog-cosignature): its
// witness line carries a key id, then the timestamp the spec's signed-message example shows.
const SPEC_TEXT = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const SPEC_NOTE =
  `${SPEC_TEXT}\n` +
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n' +
  '— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n';

describe('C2SP cosignature/v1', () => {
  const w1 = generateKeyPairSync('ed25519');
  const w2 = generateKeyPairSync('ed25519');
  const keys = [
    parseWitnessKey(witnessVerifierKey('w1.example', w1.publicKey)),
    parseWitnessKey(witnessVerifierKey('w2.example', w2.publicKey)),
  ];
  const log = generateKeyPairSync('ed25519');
  const TEXT = 'example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
  const logged = signedNote(TEXT, [signatureLine(TEXT, 'example.com/log', log.privateKey, log.publicKey)]);

  it('reads the specification’s example: a key id, an 8-byte big-endian timestamp and a 64-byte Ed25519 signature', () => {
    const line = parseNote(SPEC_NOTE).signatures[1];
    expect(line.name).toBe('witness.example.com/w1');
    expect(line.keyId.toString('hex')).toBe('8d66cf3f');
    expect(line.signature).toHaveLength(72);
    expect(Number(line.signature.readBigUInt64BE(0))).toBe(1679315147);
    // The message of the spec's example for that timestamp.
    expect(cosignatureMessage(SPEC_TEXT, 1679315147).toString()).toBe(`cosignature/v1\ntime 1679315147\n${SPEC_TEXT}`);
  });

  it('derives key ids with signature type 0x04, so a log key (0x01) is never taken for a witness key', () => {
    const vkey = witnessVerifierKey('w1.example', w1.publicKey);
    expect(vkey.split('+')[1]).toBe(cosignatureKeyId('w1.example', w1.publicKey).toString('hex'));
    expect(Buffer.from(vkey.split('+')[2], 'base64')[0]).toBe(0x04);
    expect(vkey.split('+')[1]).not.toBe(verifierKey('w1.example', w1.publicKey).split('+')[1]);
    expect(() => parseWitnessKey(verifierKey('w1.example', w1.publicKey))).toThrow(/0x04/);
    expect(() => parseWitnessKey(vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'))).toThrow(/does not match/);
  });

  it('counts the witnesses that cosigned against a quorum, ignoring unknown keys and flagging a bad line', () => {
    const c1 = cosign(TEXT, 'w1.example', w1.privateKey, w1.publicKey, 1_700_000_000);
    const c2 = cosign(TEXT, 'w2.example', w2.privateKey, w2.publicKey, 1_700_000_001);
    const both = verifyCosignatures(logged + c1 + c2, keys, 2);
    expect(both).toMatchObject({ ok: true, text: TEXT, invalid: [], missing: [] });
    expect(both.cosigned.map((c) => [c.name, c.timestamp])).toEqual([
      ['w1.example', 1_700_000_000],
      ['w2.example', 1_700_000_001],
    ]);
    expect(verifyCosignatures(logged + c1, keys, 2)).toMatchObject({ ok: false, missing: ['w2.example'] });
    expect(verifyCosignatures(logged + c1, keys, 1).ok).toBe(true);
    expect(verifyCosignatures(logged, keys, 0).ok).toBe(true);
    // Another checkpoint's cosignature, a changed timestamp: the line does not verify.
    const other = cosign(TEXT.replace('\n5\n', '\n6\n'), 'w2.example', w2.privateKey, w2.publicKey, 1_700_000_001);
    expect(verifyCosignatures(logged + c1 + other, keys, 1)).toMatchObject({ ok: false, invalid: ['w2.example'] });
    const blob = Buffer.from(c1.split(' ')[2].trim(), 'base64');
    blob.writeBigUInt64BE(1_700_000_009n, 4);
    expect(verifyCosignatures(`${logged}— w1.example ${blob.toString('base64')}\n`, keys, 0).invalid).toEqual(['w1.example']);
    // The log's own line is not a cosignature, even under a witness's name.
    expect(verifyCosignatures(signedNote(TEXT, [signatureLine(TEXT, 'w1.example', w1.privateKey, w1.publicKey)]), keys, 1)).toMatchObject({
      ok: false,
      missing: ['w1.example', 'w2.example'],
    });
    expect(() => verifyCosignatures(logged, keys, 3)).toThrow(RangeError);
  });
});
