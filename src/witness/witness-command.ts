import fs from 'node:fs';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { checkKeyName, parseVerifierKey } from '../chain/signed-note';
import { WitnessState } from './witness-state';
import { Witness } from './witness.service';
import { startWitnessServer, type WitnessServer } from './witness.server';

/** `datapunk-audit witness`'s settings, from its flags. */
export interface WitnessCommandOptions {
  name: string;
  keyFile: string;
  /** Create the key file when it does not exist. */
  init: boolean;
  /** Log verifier keys, from --log and --logs-file. */
  logKeys: string[];
  stateDir: string;
  host: string;
  port: number;
}

/** Default --listen: loopback only, a port of its own. */
export const DEFAULT_WITNESS_LISTEN = '127.0.0.1:7380';

/** A bad flag value or file; the CLI exits 2 with its message. */
export class WitnessSetupError extends Error {}

/** "<host>:<port>" (an IPv6 host in brackets); port 0 picks a free port. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new WitnessSetupError(`--listen takes <host>:<port>, not ${JSON.stringify(value)}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** The log verifier keys of a --logs-file: one per line; blank lines and lines starting with # are skipped. */
export function readLogsFile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new WitnessSetupError(`--logs-file ${file}: ${(error as Error).message}`);
  }
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

/** The witness's Ed25519 private key; with `init`, one is created (mode 0600) when the file is missing. */
export function loadWitnessKey(file: string, init: boolean): { key: KeyObject; created: boolean } {
  let created = false;
  if (init && !fs.existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
    created = true;
  }
  try {
    const key = createPrivateKey(fs.readFileSync(file, 'utf8'));
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an ${key.asymmetricKeyType} key, not Ed25519`);
    return { key, created };
  } catch (error) {
    throw new WitnessSetupError(
      `--key ${file}: not an Ed25519 private key in PEM (${(error as Error).message}); create one with --init or \`openssl genpkey -algorithm ed25519 -out ${file}\``,
    );
  }
}

/** Starts a witness: checks every setting first, then takes the state directory and listens. */
export async function startWitness(
  options: WitnessCommandOptions,
): Promise<{ witness: Witness; server: WitnessServer; stop(): Promise<void> }> {
  try {
    checkKeyName(options.name);
  } catch (error) {
    throw new WitnessSetupError(`--name: ${(error as Error).message} (a schema-less URL such as witness.example.com/w1)`);
  }
  if (!options.logKeys.length) throw new WitnessSetupError('name at least one log to witness: --log <vkey> or --logs-file <file>');
  for (const vkey of options.logKeys) {
    try {
      parseVerifierKey(vkey);
    } catch (error) {
      throw new WitnessSetupError(`--log ${vkey}: ${(error as Error).message}`);
    }
  }
  const { key } = loadWitnessKey(options.keyFile, options.init);
  let state: WitnessState;
  try {
    state = WitnessState.open(options.stateDir);
  } catch (error) {
    throw new WitnessSetupError(`--state ${options.stateDir}: ${(error as Error).message}`);
  }
  try {
    const witness = new Witness({ name: options.name, privateKey: key, logKeys: options.logKeys, state });
    const server = await startWitnessServer(witness, options.host, options.port);
    return {
      witness,
      server,
      stop: async () => {
        await server.close();
        state.close();
      },
    };
  } catch (error) {
    state.close();
    throw error;
  }
}
