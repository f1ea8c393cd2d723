#!/usr/bin/env node
import 'reflect-metadata';
import fs from 'node:fs';
import { loadConfig, ConfigError } from './config/config';
import { startApp } from './app';
import { createDataSource } from './database/data-source';
import { AuditEventRepository } from './audit/audit-event.repository';
import { CheckpointService } from './audit/checkpoint.service';
import { ChainVerifier } from './audit/chain-verifier';
import { ApiKeyService, DEFAULT_TENANT } from './auth/api-key.service';
import { Role } from './auth/role';
import { buildAppSchema, printAppSchema } from './graphql/schema';

const USAGE = `Usage: datapunk-audit <command> [options]

Commands:
  serve                                   run the GraphQL server (default)
  migrate                                 apply pending database migrations and exit
  create-api-key --role ROLE [--tenant T] [--name N]
                                          create an API key; prints the secret once
  verify-chain [--tenant T] [--from N] [--to N] [--json]
                                          re-compute a tenant chain from the database alone;
                                          exit 0 valid, 1 broken
  print-schema [--check FILE]             print the GraphQL SDL, or fail when FILE differs

Settings come from the environment; see the README.`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function withDatabase<T>(run: (ds: ReturnType<typeof createDataSource>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const ds = createDataSource({ database: config.database });
  await ds.initialize();
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
      const from = option(args, '--from');
      const to = option(args, '--to');
      const result = await withDatabase((ds) => {
        const events = new AuditEventRepository(ds);
        return new ChainVerifier(ds, events, new CheckpointService(ds, null)).verify(
          tenant,
          from ? Number(from) : undefined,
          to ? Number(to) : undefined,
        );
      });
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

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
