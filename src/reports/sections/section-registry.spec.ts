import { ReportType, SECTIONS } from '../report-template';
import { sectionBuilder, SECTION_BUILDERS } from './section-registry';

describe('SECTION_BUILDERS', () => {
  it.each(Object.values(ReportType))('builds exactly the sections a %s template may name', (type) => {
    expect(Object.keys(SECTION_BUILDERS[type]).sort()).toEqual([...SECTIONS[type]].sort());
  });

  it('refuses a section its type does not have, prototype names included', () => {
    expect(() => sectionBuilder(ReportType.AUDIT_TRAIL, 'controls')).toThrow('no section controls for AUDIT_TRAIL');
    expect(() => sectionBuilder(ReportType.AUDIT_TRAIL, 'constructor')).toThrow('no section constructor for AUDIT_TRAIL');
  });

  it('counts event rows for the sections that list events, and only those', () => {
    const listing = Object.entries(SECTION_BUILDERS).flatMap(([type, builders]) =>
      Object.entries(builders).flatMap(([id, b]) => (b.eventRows ? [`${type}/${id}:${b.eventRows.defaultLimit}`] : [])),
    );
    expect(listing.sort()).toEqual([
      'AUDIT_TRAIL/events:100000',
      'DATA_ACCESS/events:5000',
      'SECURITY_INCIDENTS/high-severity:500',
      'SUBJECT_ACCESS/events:100000',
    ]);
  });
});
