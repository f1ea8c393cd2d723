import type { ClassificationRule, FrameworkPlugin } from '../plugin-api';
import { BUILT_IN_PLUGINS } from '../../plugins/registry';
import { createClassifier } from './classifier';

const framework = (id: string, classificationRules?: ClassificationRule[]): FrameworkPlugin<unknown> => ({
  id: `framework-${id}`,
  kind: 'framework',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  catalog: { framework: { id, name: id, version: '1', description: id }, controls: [], classificationRules },
});

describe('createClassifier', () => {
  it('is null when no plugin declares a rule, so ingest skips the lookup', () => {
    expect(createClassifier([])).toBeNull();
    expect(createClassifier([framework('a'), framework('b', [])])).toBeNull();
  });

  it('leaves events no rule matches unclassified', () => {
    const classify = createClassifier([
      framework('a', [{ id: 'phi', resourceType: [{ prefix: 'patient_record' }], classification: 'RESTRICTED', categories: ['PHI'] }]),
    ])!;
    expect(classify({ action: 'auth.login', resourceType: 'session' })).toEqual({ classification: undefined, categories: [] });
  });

  it('gives the highest level of every matching rule, whatever their order', () => {
    const rules: ClassificationRule[] = [
      { id: 'internal', action: [{ prefix: 'data.' }], classification: 'INTERNAL' },
      { id: 'restricted', resourceType: [{ equals: 'vault' }], classification: 'RESTRICTED' },
      { id: 'confidential', action: [{ equals: 'data.export' }], classification: 'CONFIDENTIAL' },
    ];
    for (const order of [rules, [...rules].reverse()]) {
      const classify = createClassifier([framework('a', order)])!;
      expect(classify({ action: 'data.export', resourceType: 'vault' }).classification).toBe('RESTRICTED');
      expect(classify({ action: 'data.export', resourceType: 'table' }).classification).toBe('CONFIDENTIAL');
      expect(classify({ action: 'data.read', resourceType: 'table' }).classification).toBe('INTERNAL');
    }
  });

  it('adds up the categories of every matching rule, across plugins, sorted and without repeats', () => {
    const classify = createClassifier([
      framework('a', [{ id: 'x', action: [{ equals: 'data.export' }], categories: ['PII', 'FINANCIAL'] }]),
      framework('b', [
        { id: 'y', resourceType: [{ glob: 'customer.*' }], categories: ['PII', 'CREDENTIALS'] },
        { id: 'z', action: [{ prefix: 'data.' }], categories: ['BIOMETRIC'] },
      ]),
    ])!;
    expect(classify({ action: 'data.export', resourceType: 'customer.card' })).toEqual({
      classification: undefined,
      categories: ['BIOMETRIC', 'CREDENTIALS', 'FINANCIAL', 'PII'],
    });
    expect(classify({ action: 'data.export', resourceType: 'customer.card.extra' }).categories).toEqual(['BIOMETRIC', 'FINANCIAL', 'PII']);
  });

  it('applies a rule only when every field it gives holds (action AND resource type)', () => {
    const classify = createClassifier([
      framework('a', [
        {
          id: 'both',
          action: [{ equals: 'record.read' }],
          resourceType: [{ equals: 'patient_record' }, { prefix: 'lab_result' }],
          classification: 'RESTRICTED',
          categories: ['PHI'],
        },
      ]),
    ])!;
    expect(classify({ action: 'record.read', resourceType: 'patient_record' })).toEqual({
      classification: 'RESTRICTED',
      categories: ['PHI'],
    });
    expect(classify({ action: 'record.read', resourceType: 'lab_result.blood' })).toEqual({
      classification: 'RESTRICTED',
      categories: ['PHI'],
    });
    expect(classify({ action: 'record.update', resourceType: 'patient_record' })).toEqual({ classification: undefined, categories: [] });
    expect(classify({ action: 'record.read', resourceType: 'invoice' })).toEqual({ classification: undefined, categories: [] });
  });

  it('answers a repeated lookup with the same result, and keeps different lookups apart', () => {
    const classify = createClassifier([
      framework('a', [{ id: 'phi', resourceType: [{ prefix: 'patient_record' }], classification: 'RESTRICTED', categories: ['PHI'] }]),
    ])!;
    const first = classify({ action: 'patient_record.read', resourceType: 'patient_record' });
    const other = classify({ action: 'patient_record.read', resourceType: 'invoice' });
    const again = classify({ action: 'patient_record.read', resourceType: 'patient_record' });
    expect(again).toEqual(first);
    expect(again).toEqual({ classification: 'RESTRICTED', categories: ['PHI'] });
    expect(other).toEqual({ classification: undefined, categories: [] });
    // The memo key separates action from resource type: these two must not collide.
    expect(classify({ action: 'a', resourceType: 'patient_record' }).categories).toEqual(['PHI']);
    expect(classify({ action: 'apatient_record', resourceType: '' }).categories).toEqual([]);
  });

  it('classifies with the built-in frameworks as docs/event-vocabulary.md says', () => {
    const classify = createClassifier(BUILT_IN_PLUGINS.filter((p): p is FrameworkPlugin<unknown> => p.kind === 'framework'))!;
    // PHI stays one fact: GDPR reads it as special-category data in its rules (Art. 9), not as a second category here.
    expect(classify({ action: 'record.read', resourceType: 'patient_record.lab' })).toEqual({
      classification: 'RESTRICTED',
      categories: ['PHI'],
    });
    expect(classify({ action: 'record.read', resourceType: 'patient_records' })).toEqual({ classification: undefined, categories: [] });
    expect(classify({ action: 'dsar.received', resourceType: 'dsar' })).toEqual({ classification: 'CONFIDENTIAL', categories: ['PII'] });
    expect(classify({ action: 'auth.password.changed', resourceType: 'user' })).toEqual({
      classification: 'CONFIDENTIAL',
      categories: ['CREDENTIALS'],
    });
    // A consent change about a patient record: HIPAA's level is higher, the categories add up.
    expect(classify({ action: 'consent.given', resourceType: 'patient_record' })).toEqual({
      classification: 'RESTRICTED',
      categories: ['PHI', 'PII'],
    });
  });
});
