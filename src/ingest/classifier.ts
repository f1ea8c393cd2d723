import type { ClassificationLevel } from '../plugin-api';

/** What classification rules add to an event the client left unclassified. */
export interface Classified {
  /** The highest level a matching rule gives; undefined when none gives one. */
  classification?: ClassificationLevel;
  /** The union of the matching rules' categories, sorted. */
  categories: string[];
}

/**
 * Looks up the rules for an event's action and resource type. Ingest's port: compliance implements it
 * from the loaded frameworks (createClassifier), the composition root passes it in.
 */
export type Classifier = (event: { action: string; resourceType: string }) => Classified;
