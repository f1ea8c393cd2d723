#!/usr/bin/env node
import 'reflect-metadata';
import fs from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { loadConfig, ConfigError } from './config/config';
import { startApp } from './app';
import { createDataSource } from './database/data-source';
import { AuditEventRepository } from './audit/audit-event.repository';
import { rebuildRollup } from './audit/rollup-rebuild';
import { type Checkpoint, CheckpointService, type PublicSigningKey } from './audit/checkpoint.service';
import { configuredTrustedKeys, keyIdOf } from './audit/signing-key';
import { ErrorCode } from './errors/error-code';
import { ChainFailureReason, ChainVerifier } from './audit/chain-verifier';
import { ApiKeyService, DEFAULT_TENANT } from './auth/api-key.service';
import { Role } from './auth/role';
import { buildAppSchema, printAppSchema } from './graphql/schema';
import { checkPluginEntry, formatContractReport } from './plugin-host/contract';

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
  print-schema [--check FILE]             print the GraphQL SDL, or fail when FILE differs
  rebuild-rollup [--tenant T]             recompute the compliance rollup from the stored events
                                          (every tenant, or T), holding each chain's lock
  plugin check <path-or-package> [--json] run the plugin contract against one DATAPUNK_PLUGINS
                                          entry (options from DATAPUNK_PLUGIN_OPTIONS);
                                          exit 0 every check passed, 1 one failed, 2 bad arguments

Settings come from the environment; see the README.`;

class UsageError extends Error {}

/** The value after `name`; a flag given without a value is a usage error, never silently ignored. */
function option(args: string[], name: string): string | undefined {
  return options(args, name)[0];
}

function options(args: string[], name: string): string[] {
  return args.flatMap((arg, i) => {
    if (arg !== name) return [];
    const value = args[i + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
    return [value];
  });
}

function sequenceOption(args: string[], name: string): number | undefined {
  const value = option(args, name);
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
      };
    });
  });
}

async function withDatabase<T>(run: (ds: ReturnType<typeof createDataSource>) => Promise<T>, readOnly = false): Promise<T> {
  const config = loadConfig();
  if (readOnly && config.database.dialect === 'sqlite' && !fs.existsSync(config.database.location)) {
    throw new UsageError(`no SQLite database at ${config.database.location}: check DATA_DIR or DATABASE_URL`);
  }
  const ds = createDataSource({ database: config.database, poolSize: config.databasePoolSize, readOnly });
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

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...args] = argv;
  switch (command) {
    case 'serve': {
      const app = await startApp(loadConfig());
      if (app.firstAdminSecret) {
        process.stderr.write(
          `\nFirst start on an empty database: created an ADMIN API key for tenant "${DEFAULT_TENANT}".\n` +
            `It is shown this once; store it now:\n\n    ${app.firstAdminSecret}\n\n` +
            `Use it as:  curl -H 'Authorization: Bearer ${app.firstAdminSecret}' ...\n\n`,
        );
      }
      process.stderr.write(`GraphQL endpoint: ${app.url}\n`);
      const stop = (signal: string) => {
        app.logger.info({ signal }, 'shutting down');
        app.close().then(
          () => process.exit(0),
          (err: unknown) => {
            app.logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      return -1; // keep running
    }
    case 'migrate':
      await withDatabase(async (ds) => {
        const applied = await ds.runMigrations({ transaction: 'each' });
        console.log(applied.length ? `applied ${applied.map((m) => m.name).join(', ')}` : 'database is up to date');
      });
      return 0;
    case 'rebuild-rollup': {
      const tenant = option(args, '--tenant');
      const counted = await withDatabase(async (ds) => {
        const runner = ds.createQueryRunner();
        try {
          return await rebuildRollup(runner, ds.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql', {
            tenants: tenant ? [tenant] : undefined,
            lock: true,
          });
        } finally {
          await runner.release();
        }
      });
      console.log(`rebuilt the rollup of ${tenant ? `tenant "${tenant}"` : 'every tenant'} from ${counted} events`);
      return 0;
    }
    case 'create-api-key': {
      const role = option(args, '--role') as Role | undefined;
      if (!role || !Object.values(Role).includes(role)) {
        console.error(`--role must be one of ${Object.values(Role).join(', ')}`);
        return 2;
      }
      const tenant = option(args, '--tenant') ?? DEFAULT_TENANT;
      const { key, secret } = await withDatabase((ds) =>
        new ApiKeyService(ds).create(tenant, role, option(args, '--name') ?? `${role.toLowerCase()} key`),
      );
      console.error(`Created ${key.role} key ${key.id} for tenant "${key.tenantId}". The secret is shown this once:`);
      console.log(secret);
      return 0;
    }
    case 'verify-chain': {
      const tenant = option(args, '--tenant') ?? DEFAULT_TENANT;
      const from = sequenceOption(args, '--from');
      const to = sequenceOption(args, '--to');
      if (from !== undefined && to !== undefined && to < from) throw new UsageError('--to must not be below --from');
      const keyFile = option(args, '--public-key');
      // As the server: its configured signing key and trusted-keys file, never the signing_key table.
      const config = loadConfig();
      const trustedKeys = keyFile
        ? [publicKeyFile(keyFile)]
        : configuredTrustedKeys({ pem: config.signingKeyPem, file: config.signingKeyFile, trustedFile: config.trustedPublicKeysFile });
      const externalCheckpoints = checkpointFiles(options(args, '--checkpoint'), tenant);
      const result = await withDatabase(async (ds) => {
        if (!(await new ApiKeyService(ds).tenant(tenant))) throw new UsageError(`no tenant "${tenant}" in this database`);
        const events = new AuditEventRepository(ds);
        return new ChainVerifier(ds, events, new CheckpointService(ds, null), { trustedKeys }).verify(tenant, from, to, {
          externalCheckpoints,
        });
      }, true);
      if (args.includes('--json')) console.log(JSON.stringify(result, null, 2));
      else if (result.valid) {
        console.log(
          `valid: tenant "${tenant}", ${result.checkedCount} events checked (${result.fromSequence}..${result.toSequence}), ${result.checkpointsChecked} checkpoints matched, head ${result.headSequence} ${result.headChainHash}`,
        );
      } else {
        const f = result.firstFailure!;
        console.log(
          `BROKEN: tenant "${tenant}" fails at sequence ${f.sequence}: ${f.reason} — ${f.message} (${result.checkedCount} events verified before it)`,
        );
        if (f.reason === ChainFailureReason.UNKNOWN_SIGNING_KEY && !trustedKeys.length) {
          console.error('No key is trusted: pass --public-key, or set DATAPUNK_SIGNING_KEY_FILE / DATAPUNK_TRUSTED_KEYS_FILE.');
        }
      }
      return result.valid ? 0 : 1;
    }
    case 'print-schema': {
      const sdl = printAppSchema(await buildAppSchema());
      const check = option(args, '--check');
      if (check) {
        const committed = fs.existsSync(check) ? fs.readFileSync(check, 'utf8') : '';
        if (committed !== sdl) {
          console.error(`${check} is stale: run npm run schema:print and commit the result.`);
          return 1;
        }
        console.log(`${check} matches the code`);
        return 0;
      }
      process.stdout.write(sdl);
      return 0;
    }
    case 'plugin': {
      const [sub, entry, ...rest] = args.filter((arg) => arg !== '--json');
      if (sub !== 'check' || !entry || entry.startsWith('--') || rest.length) {
        throw new UsageError('usage: datapunk-audit plugin check <path-or-package> [--json]');
      }
      const report = await checkPluginEntry(entry, { pluginOptions: pluginOptionsFromEnv() });
      console.log(args.includes('--json') ? JSON.stringify(report, null, 2) : formatContractReport(report));
      return report.passed ? 0 : 1;
    }
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

/** DATAPUNK_PLUGIN_OPTIONS, as the server reads it: a JSON object keyed by plugin id. */
function pluginOptionsFromEnv(): Record<string, unknown> {
  const text = process.env.DATAPUNK_PLUGIN_OPTIONS;
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
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

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else console.error(error instanceof Error ? error.message : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
