import { v7 as uuidv7 } from 'uuid';
import type { DataSource } from 'typeorm';
import { canonicalJson } from '../chain/canonical-json';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { type ReportTemplate, type ReportType, sectionProblems, templateSchema } from './report-template';
import { type StoredTemplate, TemplateRepository } from './template.repository';

// eslint-disable-next-line no-control-regex -- names must not hold control characters
const NAME = /^[^\u0000-\u001f\u007f]{1,128}$/;

/** Validates a template definition (data only); throws INVALID_ARGUMENT listing every bad field. */
export function validTemplate(definition: unknown): ReportTemplate {
  const parsed = templateSchema.safeParse(definition);
  const issues = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((i) => ({
          path: i.path,
          message: i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message,
        }))),
    ...sectionProblems(definition),
  ];
  if (parsed.success && !issues.length) return parsed.data;
  const problems = issues.map((i) => ({ path: ['input', 'definition', ...i.path].join('.'), message: i.message }));
  throw new AppError(
    ErrorCode.INVALID_ARGUMENT,
    `The template is not valid: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}.`,
    {
      problems,
    },
  );
}

/** A tenant's own report templates: created, updated (a new version each time), deleted. */
export class TemplateService {
  private readonly templates: TemplateRepository;

  constructor(dataSource: DataSource) {
    this.templates = new TemplateRepository(dataSource);
  }

  list(tenantId: string, type?: ReportType | null): Promise<StoredTemplate[]> {
    return this.templates.list(tenantId, type);
  }

  find(tenantId: string, id: string): Promise<StoredTemplate | null> {
    return this.templates.find(tenantId, id);
  }

  async create(tenantId: string, by: string, name: string, definition: unknown, now = new Date()): Promise<StoredTemplate> {
    const template = validTemplate(definition);
    const clean = this.name(name);
    if (await this.templates.nameTaken(tenantId, clean)) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `A template named "${clean}" exists already; update it or choose another name.`, {
        problems: [{ path: 'input.name', message: 'is taken' }],
      });
    }
    const id = uuidv7();
    await this.templates.insert(tenantId, { id, name: clean, type: template.type, body: canonicalJson(template), by, at: now });
    return (await this.find(tenantId, id))!;
  }

  async update(tenantId: string, by: string, id: string, definition: unknown, now = new Date()): Promise<StoredTemplate> {
    const template = validTemplate(definition);
    const current = await this.find(tenantId, id);
    if (!current) throw new AppError(ErrorCode.NOT_FOUND, 'No template of your tenant has this id.');
    if (template.type !== current.type) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `A ${current.type} template cannot become ${template.type}; create a new template.`, {
        problems: [{ path: 'input.definition.type', message: `must stay ${current.type}` }],
      });
    }
    await this.templates.update(tenantId, id, { version: current.version + 1, body: canonicalJson(template), by, at: now });
    return (await this.find(tenantId, id))!;
  }

  async delete(tenantId: string, id: string): Promise<StoredTemplate> {
    const current = await this.find(tenantId, id);
    if (!current) throw new AppError(ErrorCode.NOT_FOUND, 'No template of your tenant has this id.');
    // Versions stay: reports name the template version behind them.
    await this.templates.delete(tenantId, id);
    return current;
  }

  private name(name: string): string {
    const clean = name.trim();
    if (!NAME.test(clean)) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'A template name is 1 to 128 characters without control characters.', {
        problems: [{ path: 'input.name', message: 'must be 1 to 128 characters without control characters' }],
      });
    }
    return clean;
  }
}
