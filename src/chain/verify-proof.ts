import { createPublicKey } from 'node:crypto';
import { MalformedBundleError, parseProofBundles, type PinnedKey, ProofBundleFailure, verifyProofBundle } from './proof-bundle';
import { parseVerifierKey } from './signed-note';
import { type WitnessKey, verifyCosignatures } from './cosignature';

/**
 * The pinned key of `verify-proof --key`: an Ed25519 public key in PEM (its key name is then the
 * checkpoint's origin, as this service names its key), or a C2SP verifier key `name+id+base64`.
 * Throws on anything else.
 */
export function readPinnedKey(text: string): PinnedKey {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    const publicKey = createPublicKey(trimmed);
    if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error(`an ${publicKey.asymmetricKeyType} key, not Ed25519`);
    return { name: null, publicKey };
  }
  const { name, publicKey } = parseVerifierKey(trimmed);
  return { name, publicKey };
}

/**
 * `datapunk-audit verify-proof`: checks every bundle of every file against the pinned key, with
 * nothing but the files. A file or key that cannot be read throws (a usage error); a bundle that
 * does not verify is a line with its BUNDLE_* code. With `witnesses`, a bundle verifies only when
 * `quorum` of them cosigned its checkpoint (C2SP tlog-cosignature, ADR 0050); without, witness
 * lines are counted as not verified.
 */
export function verifyProofFiles(
  keyFile: string,
  bundleFiles: readonly string[],
  read: (file: string) => string,
  witnesses: { keys: readonly WitnessKey[]; quorum: number } = { keys: [], quorum: 0 },
): { ok: boolean; lines: string[] } {
  let key: PinnedKey;
  try {
    key = readPinnedKey(read(keyFile));
  } catch (error) {
    throw new Error(`${keyFile}: not an Ed25519 public key in PEM or a C2SP verifier key (${(error as Error).message})`);
  }
  const lines: string[] = [];
  let ok = true;
  let verified = 0;
  for (const file of bundleFiles) {
    const text = read(file);
    let bundles: ReturnType<typeof parseProofBundles>;
    try {
      bundles = parseProofBundles(text);
    } catch (error) {
      if (!(error instanceof MalformedBundleError)) throw error;
      lines.push(`FAILED ${file}: ${ProofBundleFailure.BUNDLE_MALFORMED} — ${error.message}`);
      ok = false;
      continue;
    }
    bundles.forEach((bundle, i) => {
      const where = bundles.length > 1 ? `${file} bundle ${i + 1} (index ${bundle.index})` : file;
      const check = verifyProofBundle(bundle, key);
      if (!check.ok) {
        lines.push(`FAILED ${where}: ${check.failure} — ${check.reason}`);
        ok = false;
        return;
      }
      let cosigned = '';
      let witnessed = 0;
      if (witnesses.keys.length > 0) {
        const c = verifyCosignatures(bundle.note, witnesses.keys, witnesses.quorum);
        const names = c.cosigned.map((w) => w.name).join(', ') || 'none';
        if (!c.ok) {
          const bad = c.invalid.length ? `; a cosignature of ${c.invalid.join(', ')} does not verify` : '';
          lines.push(
            `FAILED ${where}: ${ProofBundleFailure.BUNDLE_WITNESS_QUORUM} — cosigned by ${c.cosigned.length} of ${witnesses.keys.length} witnesses (${names}), quorum ${c.quorum}${bad}`,
          );
          ok = false;
          return;
        }
        witnessed = c.cosigned.length;
        cosigned = `, cosigned by ${c.cosigned.length} of ${witnesses.keys.length} witnesses (${names}; quorum ${c.quorum})`;
      }
      verified += 1;
      lines.push(
        `verified ${where}: event ${check.sequence} (${check.eventId}, hash ${check.eventHash}) is in the tree of ${check.treeSize} of ${check.origin}, signed by the pinned key${cosigned}; ${check.unverifiedSignatures - witnessed} other signature line(s) not verified`,
      );
    });
  }
  lines.push(ok ? `valid: ${verified} bundle(s) verified` : `INVALID: ${verified} bundle(s) verified, the others failed`);
  return { ok, lines };
}
