#!/usr/bin/env node
import { loadPrivacyKey, PrivacyKeys } from './privacy/privacy-key';
import { SubjectVault } from './privacy/subject-vault';
import 'reflect-metadata';
import fs from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from './config/config';
import { startApp } from './app';
import type * as Testing from './testing';
import { createDataSource } from './database/data-source';
import { retryPolicyOf } from './database/transient-retry';
import { AuditEventRepository } from './audit/audit-event.repository';
import { rebuildRetry, rebuildRollup } from './chain/rollup-rebuild';
import type { Checkpoint } from './chain/checkpoint.repository';
import { CheckpointService } from './chain/checkpoint.service';
import { configuredTrustedKeys, keyIdOf, type PublicSigningKey } from './chain/signing-key';
import { ErrorCode } from './errors/error-code';
import { ChainFailureReason, ChainVerifier } from './chain/chain-verifier';
import { ApiKeyService, DEFAULT_TENANT } from './auth/api-key.service';
import { ChainHeads } from './chain/chain-head';
import { ENTITIES } from './entities';
import { Role } from './access/role';
import { buildAppSchema, printAppSchema } from './schema';
import { AppError } from './errors/app-error';
import { createChainStore } from './chain/chain-store';
import { MetadataFacetIndex } from './audit/metadata-facet-index';
import { MerkleProofs } from './chain/merkle-store';
import { verifyProofFiles } from './chain/verify-proof';
import { RehashPool } from './chain/rehash-pool';
import { loadSigningKey } from './chain/signing-key';
import { IngestService } from './ingest/ingest.service';
import { Metrics } from './observability/metrics';
import { createClassifier } from './compliance/classifier';
import { RetentionService, type PruneResult } from './retention/retention.service';
import { PRUNE_VERIFY_PACE } from './retention/retention-pruner';
import { BUILT_IN_PLUGINS } from '../plugins/registry';
import type { FrameworkPlugin } from './plugin-api';
import { type CosignatureCheck, parseWitnessKey, verifyCosignatures, type WitnessKey } from './chain/cosignature';
import { openNote, parseCheckpointText, parseVerifierKey, verifierKey } from './chain/signed-note';
import { DEFAULT_WITNESS_LISTEN, parseListen, readLogsFile, startWitness, WitnessSetupError } from './witness/witness-command';

const USAGE = `Usage: datapunk-audit <command> [options]

Commands:
  serve                                   run the GraphQL server (default)
  migrate                                 apply pending database migrations and exit
  create-api-key --role ROLE [--tenant T] [--name N]
                                          create an API key; prints the secret once
  verify-chain [--tenant T] [--from N] [--to N] [--json]
               [--public-key PEM_FILE] [--checkpoint JSON_FILE ...]
                                          re-compute a tenant chain from the database alone;
                                          checkpoints must be signed by the configured signing
                                          key or one in DATAPUNK_TRUSTED_KEYS_FILE;
                                          --public-key trusts only that key, --checkpoint adds
                                          checkpoints kept outside the database;
                                          exit 0 valid, 1 broken, 2 bad arguments
  prune [--tenant T] [--dry-run [--as-of ISO]] [--json]
                                          delete the prefix of a tenant chain its retention rules
                                          let go (after a signed anchor and a datapunk.retention.pruned
                                          event); --dry-run prints what would go and deletes nothing,
                                          --as-of judges ages at that instant (dry run only);
                                          exit 0 done, 1 refused or another node pruning, 2 bad arguments
  witness --name NAME --key KEY_FILE [--init] --state DIR [--listen HOST:PORT]
          (--log VKEY ... | --logs-file FILE)
                                          run a C2SP tlog-witness (POST /add-checkpoint) for the
                                          logs named by their verifier keys, keeping the latest
                                          cosigned checkpoint of each in DIR; --init creates the
                                          Ed25519 key file; loopback 127.0.0.1:7380 by default;
                                          prints the URL and the witness's verifier key
  verify-checkpoint --key LOG_VKEY [--witness-key VKEY ...] [--quorum K] [--json] NOTE_FILE
                                          check a served checkpoint note without a database: the
                                          log's signature and K of the witnesses' cosignatures
                                          (K defaults to every --witness-key);
                                          exit 0 verified, 1 not, 2 bad arguments
  verifier-key --public-key PEM_FILE --origin ORIGIN
                                          print the C2SP verifier key of a tenant's checkpoints
                                          (ORIGIN is CHECKPOINT_ORIGIN/<tenant>), for witnesses
                                          and verify-checkpoint
  verify-proof --key KEY_FILE [--witness-key VKEY ... [--quorum K]] BUNDLE_FILE ...
                                          check offline proof bundles (C2SP tlog-proof: an event,
                                          its inclusion proof and a signed checkpoint; one bundle
                                          or a report's bundle file) against the log's public key
                                          (PEM, or a C2SP verifier key "name+id+key"), with no
                                          database and no server settings; with --witness-key, also
                                          K (default all) of those witnesses' cosignatures;
                                          exit 0 all verify, 1 one fails (its BUNDLE_* code), 2 bad arguments
  print-schema [--check FILE]             print the GraphQL SDL, or fail when FILE differs
  rebuild-rollup [--tenant T]             recompute the compliance rollup from the stored events
                                          (every tenant, or T), holding each chain's lock
  plugin check <path-or-package> [--json] run the plugin contract against one DATAPUNK_PLUGINS
                                          entry (options from DATAPUNK_PLUGIN_OPTIONS);
                                          exit 0 every check passed, 1 one failed, 2 bad arguments

Every command refuses flags it does not know (exit 2).
Exit codes of serve: 0 stopped cleanly after SIGTERM/SIGINT; 1 failed to start, or a shutdown step
failed or did not finish within SHUTDOWN_TIMEOUT_SECONDS (the process exits anyway).

Settings come from the environment; see the README.`;

class UsageError extends Error {}

const PLUGIN_USAGE = 'usage: datapunk-audit plugin check <path-or-package> [--json]';

/** Where a command writes, and the environment it reads: the process's, or a test's. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
};

type Options = NonNullable<ParseArgsConfig['options']>;
const STRING = { type: 'string' } as const;

/** Each command's flags; anything else is a usage error naming the flag. */
const FLAGS: Record<string, Options> = {
  serve: {},
  migrate: {},
  'rebuild-rollup': { tenant: STRING },
  'create-api-key': { role: STRING, tenant: STRING, name: STRING },
  'verify-chain': {
    tenant: STRING,
    from: STRING,
    to: STRING,
    json: { type: 'boolean' },
    'public-key': STRING,
    checkpoint: { type: 'string', multiple: true },
  },
  prune: { tenant: STRING, 'dry-run': { type: 'boolean' }, 'as-of': STRING, json: { type: 'boolean' } },
  'verify-proof': { key: STRING, 'witness-key': { type: 'string', multiple: true }, quorum: STRING },
  'print-schema': { check: STRING },
  witness: {
    name: STRING,
    key: STRING,
    init: { type: 'boolean' },
    state: STRING,
    listen: STRING,
    log: { type: 'string', multiple: true },
    'logs-file': STRING,
  },
  'verify-checkpoint': { key: STRING, 'witness-key': { type: 'string', multiple: true }, quorum: STRING, json: { type: 'boolean' } },
  'verifier-key': { 'public-key': STRING, origin: STRING },
  plugin: { json: { type: 'boolean' } },
};

/** The commands that take arguments besides their flags. */
const POSITIONALS = new Set(['plugin', 'verify-proof', 'verify-checkpoint']);

type Parsed = { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };

/** node:util parseArgs, strict: unknown flags, missing values and stray arguments are usage errors. */
function parse(command: string, args: string[]): Parsed {
  try {
    return parseArgs({ args, options: FLAGS[command], strict: true, allowPositionals: POSITIONALS.has(command) }) as Parsed;
  } catch (error) {
    const usage = command === 'plugin' ? `\n${PLUGIN_USAGE}` : '';
    throw new UsageError(`${command}: ${(error as Error).message}${usage}`);
  }
}

const str = (parsed: Parsed, name: string) => parsed.values[name] as string | undefined;

function sequenceOption(parsed: Parsed, name: string): number | undefined {
  const value = str(parsed, name.slice(2));
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(value)) throw new UsageError(`${name} takes a sequence number of 1 or more, not ${JSON.stringify(value)}`);
  return Number(value);
}

/** Checkpoints saved from the `checkpoints` query or `createCheckpoint`, one object or an array per file. */
function checkpointFiles(files: string[], tenant: string): Checkpoint[] {
  return files.flatMap((file) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new UsageError(`${file}: cannot read a checkpoint (${(error as Error).message})`);
    }
    const list = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
    return list.map((c) => {
      const text = (field: string) => {
        if (typeof c?.[field] !== 'string' || c[field] === '') {
          throw new UsageError(`${file}: a checkpoint needs ${field} as a string (save it from the checkpoints query)`);
        }
        return c[field];
      };
      if (!Number.isSafeInteger(c?.sequence) || (c.sequence as number) < 1) {
        throw new UsageError(`${file}: a checkpoint needs sequence as a whole number of 1 or more`);
      }
      if (text('tenantId') !== tenant)
        throw new UsageError(`${file}: the checkpoint is of tenant "${c.tenantId as string}", not "${tenant}"`);
      return {
        id: typeof c.id === 'string' ? c.id : file,
        tenantId: tenant,
        sequence: c.sequence as number,
        chainHash: text('chainHash'),
        issuedAt: text('issuedAt'),
        keyId: text('keyId'),
        signature: text('signature'),
        note: typeof c.note === 'string' ? c.note : null,
      };
    });
  });
}

async function withDatabase<T>(io: CliIo, run: (ds: ReturnType<typeof createDataSource>) => Promise<T>, readOnly = false): Promise<T> {
  const config = loadConfig(io.env);
  if (readOnly && config.database.dialect === 'sqlite' && !fs.existsSync(config.database.location)) {
    throw new UsageError(`no SQLite database at ${config.database.location}: check DATA_DIR or DATABASE_URL`);
  }
  const ds = createDataSource({
    database: config.database,
    entities: ENTITIES,
    poolSize: config.databasePoolSize,
    readOnly,
    retry: config.databaseRetry,
    causality: { wsrepSyncWait: config.databaseWsrepSyncWait },
  });
  try {
    await ds.initialize();
  } catch (error) {
    throw new Error(`${ErrorCode.DATABASE_UNREACHABLE}: cannot open the ${config.database.dialect} database: ${(error as Error).message}`);
  }
  try {
    return await run(ds);
  } finally {
    await ds.destroy();
  }
}

/**
 * Runs one command; its exit code (-1: `serve`, which keeps running). Errors become exit codes
 * here: 2 for bad arguments, 1 for anything else, with the message on `io.err`.
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const [command = 'serve', ...args] = argv;
  const out = (line: string) => io.out(`${line}\n`);
  const err = (line: string) => io.err(`${line}\n`);
  if (command === 'help' || command === '--help' || command === '-h') {
    out(USAGE);
    return 0;
  }
  if (!Object.hasOwn(FLAGS, command)) {
    err(`Unknown command "${command}".\n\n${USAGE}`);
    return 2;
  }
  const parsed = parse(command, args);
  switch (command) {
    case 'serve':
      return serve(io);
    case 'migrate':
      await withDatabase(io, async (ds) => {
        const applied = await ds.runMigrations({ transaction: 'each' });
        out(applied.length ? `applied ${applied.map((m) => m.name).join(', ')}` : 'database is up to date');
      });
      return 0;
    case 'rebuild-rollup': {
      const tenant = str(parsed, 'tenant');
      const counted = await withDatabase(io, async (ds) => {
        const runner = ds.createQueryRunner();
        try {
          return await rebuildRollup(runner, ds.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql', {
            tenants: tenant ? [tenant] : undefined,
            lock: true,
            retry: rebuildRetry(retryPolicyOf(ds)),
          });
        } finally {
          await runner.release();
        }
      });
      out(`rebuilt the rollup of ${tenant ? `tenant "${tenant}"` : 'every tenant'} from ${counted} events`);
      return 0;
    }
    case 'create-api-key': {
      const role = str(parsed, 'role') as Role | undefined;
      if (!role || !Object.values(Role).includes(role)) {
        err(`--role must be one of ${Object.values(Role).join(', ')}`);
        return 2;
      }
      const tenant = str(parsed, 'tenant') ?? DEFAULT_TENANT;
      const { key, secret } = await withDatabase(io, (ds) =>
        new ApiKeyService(ds, new ChainHeads(ds)).create(tenant, role, str(parsed, 'name') ?? `${role.toLowerCase()} key`),
      );
      err(`Created ${key.role} key ${key.id} for tenant "${key.tenantId}". The secret is shown this once:`);
      out(secret);
      return 0;
    }
    case 'verify-chain': {
      const tenant = str(parsed, 'tenant') ?? DEFAULT_TENANT;
      const from = sequenceOption(parsed, '--from');
      const to = sequenceOption(parsed, '--to');
      if (from !== undefined && to !== undefined && to < from) throw new UsageError('--to must not be below --from');
      const keyFile = str(parsed, 'public-key');
      // As the server: its configured signing key and trusted-keys file, never the signing_key table.
      const config = loadConfig(io.env);
      const trustedKeys = keyFile
        ? [publicKeyFile(keyFile)]
        : configuredTrustedKeys({ pem: config.signingKeyPem, file: config.signingKeyFile, trustedFile: config.trustedPublicKeysFile });
      const externalCheckpoints = checkpointFiles((parsed.values.checkpoint as string[] | undefined) ?? [], tenant);
      const result = await withDatabase(
        io,
        async (ds) => {
          if (!(await new ApiKeyService(ds, new ChainHeads(ds)).tenant(tenant)))
            throw new UsageError(`no tenant "${tenant}" in this database`);
          const events = new AuditEventRepository(ds);
          const pool = new RehashPool();
          try {
            return await new ChainVerifier(ds, events, new CheckpointService(ds, null), { trustedKeys, pool }).verify(tenant, from, to, {
              externalCheckpoints,
            });
          } finally {
            await pool.close();
          }
        },
        true,
      );
      if (parsed.values.json) out(JSON.stringify(result, null, 2));
      else if (result.valid) {
        const p = result.prunedPrefix;
        if (p) {
          out(
            `pruned: events 1..${p.throughSequence} were deleted by retention; verified from the anchor checkpoint ${p.anchor.id} (key ${p.anchor.keyId}), recorded as event ${p.eventSequence}`,
          );
        }
        out(
          `valid: tenant "${tenant}", ${result.checkedCount} events checked (${result.fromSequence}..${result.toSequence}), ${result.checkpointsChecked} checkpoints matched, head ${result.headSequence} ${result.headChainHash}`,
        );
      } else {
        const f = result.firstFailure!;
        out(
          `BROKEN: tenant "${tenant}" fails at sequence ${f.sequence}: ${f.reason} — ${f.message} (${result.checkedCount} events verified before it)`,
        );
        if (f.reason === ChainFailureReason.UNKNOWN_SIGNING_KEY && !trustedKeys.length) {
          console.error('No key is trusted: pass --public-key, or set DATAPUNK_SIGNING_KEY_FILE / DATAPUNK_TRUSTED_KEYS_FILE.');
        }
      }
      return result.valid ? 0 : 1;
    }
    case 'prune':
      return prune(parsed, io);
    case 'witness':
      return witness(parsed, io);
    case 'verify-checkpoint':
      return verifyCheckpoint(parsed, io);
    case 'verifier-key': {
      const file = str(parsed, 'public-key');
      const origin = str(parsed, 'origin');
      if (!file || !origin) throw new UsageError('verifier-key takes --public-key PEM_FILE and --origin ORIGIN');
      try {
        out(verifierKey(origin, createPublicKey(publicKeyFile(file).publicKeyPem)));
      } catch (error) {
        throw new UsageError(`verifier-key: ${(error as Error).message}`);
      }
      return 0;
    }
    case 'verify-proof': {
      // No database and no settings: only the files named (ADR 0049).
      const keyFile = str(parsed, 'key');
      if (!keyFile || !parsed.positionals.length) throw new UsageError('usage: datapunk-audit verify-proof --key KEY_FILE BUNDLE_FILE ...');
      const witnesses = witnessPolicy(parsed, 'verify-proof');
      let result: ReturnType<typeof verifyProofFiles>;
      try {
        result = verifyProofFiles(keyFile, parsed.positionals, (file) => fs.readFileSync(file, 'utf8'), witnesses);
      } catch (error) {
        throw new UsageError(`verify-proof: ${(error as Error).message}`);
      }
      result.lines.forEach(out);
      return result.ok ? 0 : 1;
    }
    case 'print-schema': {
      const sdl = printAppSchema(await buildAppSchema());
      const check = str(parsed, 'check');
      if (check) {
        const committed = fs.existsSync(check) ? fs.readFileSync(check, 'utf8') : '';
        if (committed !== sdl) {
          err(`${check} is stale: run npm run schema:print and commit the result.`);
          return 1;
        }
        out(`${check} matches the code`);
        return 0;
      }
      io.out(sdl);
      return 0;
    }
    default: {
      // plugin
      const [sub, entry, ...rest] = parsed.positionals;
      if (sub !== 'check' || !entry || rest.length) {
        throw new UsageError(PLUGIN_USAGE);
      }
      // The test kit is loaded for this command only: a serving process never holds it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { checkPluginEntry, formatContractReport } = require('./testing') as typeof Testing;
      const report = await checkPluginEntry(entry, { pluginOptions: pluginOptionsFromEnv(io.env) });
      out(parsed.values.json ? JSON.stringify(report, null, 2) : formatContractReport(report));
      return report.passed ? 0 : 1;
    }
  }
}

/** `witness`: a C2SP witness in this process until SIGTERM/SIGINT (ADR 0050). */
async function witness(parsed: Parsed, io: CliIo): Promise<number> {
  const name = str(parsed, 'name');
  const keyFile = str(parsed, 'key');
  const stateDir = str(parsed, 'state');
  if (!name || !keyFile || !stateDir) throw new UsageError('witness takes --name NAME, --key KEY_FILE and --state DIR');
  const logsFile = str(parsed, 'logs-file');
  try {
    const { host, port } = parseListen(str(parsed, 'listen') ?? DEFAULT_WITNESS_LISTEN);
    const logKeys = [...((parsed.values.log as string[] | undefined) ?? []), ...(logsFile ? readLogsFile(logsFile) : [])];
    const running = await startWitness({ name, keyFile, init: parsed.values.init === true, logKeys, stateDir, host, port });
    io.out(`witness ${name} listening on ${running.server.url} for ${running.witness.origins.length} logs\n`);
    io.out(`vkey ${running.witness.verifierKey}\n`);
    const stop = () => {
      running.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return -1; // keep running
  } catch (error) {
    if (error instanceof WitnessSetupError) throw new UsageError(error.message);
    throw error;
  }
}

/** `--witness-key VKEY …` and `--quorum K` (default: every witness named), for verify-checkpoint and verify-proof. */
function witnessPolicy(parsed: Parsed, command: string): { keys: WitnessKey[]; quorum: number } {
  let keys: WitnessKey[];
  try {
    keys = ((parsed.values['witness-key'] as string[] | undefined) ?? []).map(parseWitnessKey);
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
  const quorumText = str(parsed, 'quorum');
  if (quorumText !== undefined && (!/^\d{1,3}$/.test(quorumText) || Number(quorumText) > keys.length)) {
    throw new UsageError(`--quorum takes a number from 0 to the number of --witness-key (${keys.length})`);
  }
  return { keys, quorum: quorumText === undefined ? keys.length : Number(quorumText) };
}

/** `verify-checkpoint`: a note's log signature and its witnesses' quorum, from files alone. */
function verifyCheckpoint(parsed: Parsed, io: CliIo): number {
  const out = (line: string) => io.out(`${line}\n`);
  const [file, ...rest] = parsed.positionals;
  const logKey = str(parsed, 'key');
  if (!file || rest.length || !logKey) throw new UsageError('verify-checkpoint takes --key LOG_VKEY and one NOTE_FILE');
  let log: ReturnType<typeof parseVerifierKey>;
  try {
    log = parseVerifierKey(logKey);
  } catch (error) {
    throw new UsageError(`verify-checkpoint: ${(error as Error).message}`);
  }
  const { keys: witnesses, quorum } = witnessPolicy(parsed, 'verify-checkpoint');
  let note: string;
  try {
    note = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
  let result: { valid: boolean; origin?: string; size?: number; root?: string; cosignatures?: CosignatureCheck; problem?: string };
  try {
    const { text, verifiedBy } = openNote(note, [{ name: log.name, publicKey: log.publicKey }]);
    const body = parseCheckpointText(text);
    const cosignatures = verifyCosignatures(note, witnesses, quorum);
    const fields = { origin: body.origin, size: body.size, root: body.root.toString('base64'), cosignatures };
    if (!verifiedBy.length) result = { valid: false, ...fields, problem: `no signature of the log key ${log.name}` };
    else if (!cosignatures.ok) result = { valid: false, ...fields, problem: `the witness quorum is not met` };
    else result = { valid: true, ...fields };
  } catch (error) {
    result = { valid: false, problem: (error as Error).message };
  }
  if (parsed.values.json) {
    out(JSON.stringify(result, null, 2));
  } else if (result.cosignatures) {
    const c = result.cosignatures;
    out(
      `${result.valid ? 'verified' : 'NOT VERIFIED'}: ${result.origin} size ${result.size} root ${result.root}${result.problem ? ` — ${result.problem}` : ''}`,
    );
    out(
      `cosigned by ${c.cosigned.length} of ${witnesses.length} witnesses (quorum ${c.quorum}): ${c.cosigned.map((w) => `${w.name} at ${new Date(w.timestamp * 1000).toISOString()}`).join(', ') || 'none'}`,
    );
    if (c.missing.length) out(`missing: ${c.missing.join(', ')}`);
    if (c.invalid.length) out(`INVALID cosignature: ${c.invalid.join(', ')}`);
  } else {
    out(`NOT VERIFIED: ${result.problem}`);
  }
  return result.valid ? 0 : 1;
}

/** `prune`: a tenant's retention prune (ADR 0043), or its dry run, from a process of its own. */
async function prune(parsed: Parsed, io: CliIo): Promise<number> {
  const out = (line: string) => io.out(`${line}\n`);
  const tenant = str(parsed, 'tenant') ?? DEFAULT_TENANT;
  const dryRun = parsed.values['dry-run'] === true;
  const asOfText = str(parsed, 'as-of');
  if (asOfText !== undefined && !dryRun) throw new UsageError('--as-of judges ages at another instant: it is allowed with --dry-run only');
  const asOf = asOfText === undefined ? new Date() : new Date(asOfText);
  if (Number.isNaN(asOf.getTime()) || (asOfText !== undefined && !/^\d{4}-\d{2}-\d{2}T/.test(asOfText))) {
    throw new UsageError(`--as-of takes an ISO 8601 instant (2030-01-01T00:00:00Z), not ${JSON.stringify(asOfText)}`);
  }
  const config = loadConfig(io.env);
  // The server's own key signs the anchor; the CLI never makes a new one.
  if (!dryRun && !config.signingKeyPem && !fs.existsSync(config.signingKeyFile)) {
    throw new Error(
      `${ErrorCode.PRUNE_REFUSED}: pruning signs its anchor with the server's key, and there is none at ${config.signingKeyFile} (set DATAPUNK_SIGNING_KEY_FILE)`,
    );
  }
  const signingKey = dryRun ? null : loadSigningKey({ pem: config.signingKeyPem, file: config.signingKeyFile });
  const trustedKeys = configuredTrustedKeys({
    signing: signingKey,
    pem: config.signingKeyPem,
    file: config.signingKeyFile,
    trustedFile: config.trustedPublicKeysFile,
  });
  return withDatabase(io, async (ds) => {
    if (!(await new ApiKeyService(ds, new ChainHeads(ds)).tenant(tenant))) throw new UsageError(`no tenant "${tenant}" in this database`);
    const checkpoints = new CheckpointService(ds, signingKey, config.checkpointOrigin);
    const frameworks = BUILT_IN_PLUGINS.filter((p): p is FrameworkPlugin<unknown> => p.kind === 'framework');
    // The prune's event carries the metadata facets the server's events do (ADR 0056).
    const facets = await MetadataFacetIndex.registered(ds);
    const ingest = new IngestService(
      createChainStore(ds, { facets }),
      config.limits,
      new Metrics(async () => []),
      createClassifier(frameworks),
    );
    const retention = new RetentionService({
      dataSource: ds,
      checkpoints,
      verifier: new ChainVerifier(ds, new AuditEventRepository(ds), checkpoints, { trustedKeys, ...PRUNE_VERIFY_PACE }),
      ingest,
      frameworks: () => frameworks.map((f) => f.catalog.framework.id),
      // A hold by subject stores the subject's reference (ADR 0043): matching it needs the vault,
      // so the privacy key. Without one, a tenant with such a hold is not pruned (PRUNE_REFUSED).
      subjects:
        config.privacy.keyBase64 || fs.existsSync(config.privacy.keyFile)
          ? new SubjectVault(ds, new PrivacyKeys(loadPrivacyKey({ base64: config.privacy.keyBase64, file: config.privacy.keyFile })))
          : undefined,
      keepProofNodes: (tenantId, through) => new MerkleProofs(ds).keepBoundary(tenantId, through),
    });
    let result: PruneResult;
    try {
      result = await retention.prune(
        { tenantId: tenant, keyId: null, requestId: `cli-${process.pid}-${Date.now()}` },
        { dryRun, now: asOf },
      );
    } catch (error) {
      if (error instanceof AppError && (error.code === ErrorCode.PRUNE_REFUSED || error.code === ErrorCode.PRUNE_IN_PROGRESS)) {
        io.err(`${error.code}: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    if (parsed.values.json) out(JSON.stringify(result, null, 2));
    else {
      const kept = result.keptSequence === null ? '' : `; kept from sequence ${result.keptSequence}: ${result.keptReason}`;
      if (result.throughSequence === null) {
        out(
          `${dryRun ? 'dry run: ' : ''}nothing to prune in tenant "${tenant}" as of ${result.asOf} (pruned through ${result.alreadyPrunedThrough})${kept}`,
        );
      } else if (dryRun) {
        out(
          `dry run: tenant "${tenant}" would delete events ${result.fromSequence}..${result.throughSequence} (${result.eventCount} events, occurred up to ${result.occurredBefore}) as of ${result.asOf}${kept}`,
        );
      } else {
        const anchor = result.anchor
          ? `anchor checkpoint ${result.anchor.id} at ${result.throughSequence} signed by key ${result.anchor.keyId}`
          : 'no anchor (nothing is pruned)';
        const stopped = result.stopped
          ? `stopped before event ${result.keptSequence} (planned through ${result.plannedThroughSequence}): `
          : '';
        out(
          `pruned tenant "${tenant}": ${stopped}deleted ${result.deleted} events (${result.fromSequence ?? '-'}..${result.throughSequence}), ${anchor}, recorded as event ${result.eventSequence}${kept}`,
        );
      }
    }
    return 0;
  });
}

/**
 * `serve`: starts the server and stops it on SIGTERM/SIGINT. The process exits within
 * SHUTDOWN_TIMEOUT_SECONDS whatever the database does: app.close() time-boxes each step, and an
 * unref'd timer ends the process (exit 1) if that still has not finished.
 */
async function serve(io: CliIo): Promise<number> {
  const config = loadConfig(io.env);
  const app = await startApp(config);
  if (app.firstAdminSecret) {
    io.err(
      `\nFirst start on an empty database: created an ADMIN API key for tenant "${DEFAULT_TENANT}".\n` +
        `It is shown this once; store it now:\n\n    ${app.firstAdminSecret}\n\n` +
        `Use it as:  curl -H 'Authorization: Bearer ${app.firstAdminSecret}' ...\n\n`,
    );
  }
  io.err(`GraphQL endpoint: ${app.url}\n`);
  const stop = (signal: string) => {
    app.logger.info({ signal, timeoutSeconds: config.shutdownTimeoutMs / 1000 }, 'shutting down');
    setTimeout(() => {
      app.logger.error({ signal }, 'shutdown did not finish within SHUTDOWN_TIMEOUT_SECONDS; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return -1; // keep running
}

/** DATAPUNK_PLUGIN_OPTIONS, as the server reads it: a JSON object keyed by plugin id. */
function pluginOptionsFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const value = env.DATAPUNK_PLUGIN_OPTIONS;
  if (!value) return {};
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new UsageError('DATAPUNK_PLUGIN_OPTIONS must be a JSON object keyed by plugin id');
}

function publicKeyFile(file: string): PublicSigningKey {
  try {
    const key = createPublicKey(fs.readFileSync(file, 'utf8'));
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an ${key.asymmetricKeyType} key, not Ed25519`);
    return { id: keyIdOf(key), publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString(), createdAt: new Date(0).toISOString() };
  } catch (error) {
    throw new UsageError(`${file}: not a PEM public key (${(error as Error).message})`);
  }
}

// Run as the `datapunk-audit` binary; imported (tests), it only exports main().
if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
