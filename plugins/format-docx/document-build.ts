import type { TableCell as ModelCell } from '../../src/plugin-api';
import type { Theme } from './page-style';
import type { Align } from './table-xml';

/** A data table waiting for its rows: a placeholder paragraph in the package's output until then. */
export interface PendingTable {
  columns: { title: string; align: Align }[];
  /** The text width of the pages it is on. */
  width: number;
  /** 8 pt text: a wide table on landscape pages. */
  dense: boolean;
  /** Every row kept with the next, so the table moves to the next page whole (a chart's numbers, under its picture). */
  keepTogether?: boolean;
  /** What the appendix of full hashes names the table by. */
  caption?: string;
  pages: AsyncIterable<ModelCell[][]>;
}

/** What the block functions share while a document is put together. */
export interface Build {
  theme: Theme;
  tables: PendingTable[];
  /** Text of the placeholder paragraphs, followed by the table's index; unguessable, so no model string can fake one. */
  marker: string;
  /** The text width of the pages being filled. */
  width: number;
  /** Pictures (charts) placed so far: each picture's id in the document is its number. */
  pictures: number;
}
