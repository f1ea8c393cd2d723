import { Unzip, UnzipInflate } from 'fflate';
import { parse as parseCsv } from 'csv-parse/sync';
import { UNSAFE_CONTROL_CHARACTERS } from '../plugin-api';
import { type ContractProblem, error, messageOf } from './contract-report';
import { SAMPLE_CHAIN_HASH, SAMPLE_HOSTILE_STRINGS } from './sample-report';

/** A plain number as a CSV cell: not a formula even when it starts with `-`. */
const CSV_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const CSV_FORMULA_START = /^[=+\-@\t\r]/;

/** What a text format's own syntax would make of the sample's hostile strings. */
export function contentProblems(mimeType: string, file: Buffer): ContractProblem[] {
  const type = mimeType.split(';')[0].trim().toLowerCase();
  const json = type === 'application/json' || type.endsWith('+json');
  const xml = type === 'application/xml' || type.endsWith('+xml');
  if (!type.startsWith('text/') && !json && !xml) return zipControlProblems(file);
  const text = file.toString('utf8');
  const problems: ContractProblem[] = controlProblems('the file', text, type === 'text/html' || type.endsWith('xml'));
  const shown = (at: number) => JSON.stringify(text.slice(Math.max(0, at - 20), at + 40));

  if (type === 'text/html') {
    for (const active of [/<script/i, /<%/]) {
      const found = active.exec(text);
      if (found) {
        problems.push(
          error(
            'render',
            `the HTML contains "${found[0]}" at character ${found.index} (${shown(found.index)}): a report carries no scripts, ` +
              'so this is a model string left unescaped. Escape every string of the model (< as &lt;, & as &amp;, " as &quot;)',
          ),
        );
      }
    }
    for (const raw of SAMPLE_HOSTILE_STRINGS.filter((s) => s.includes('<') && text.includes(s))) {
      if (!/<script|<%/i.test(raw)) {
        problems.push(
          error('render', `the HTML contains the model string ${JSON.stringify(raw)} unescaped: escape every string of the model`),
        );
      }
    }
  } else if (type === 'text/csv') {
    let records: string[][] = [];
    try {
      records = csvRecords(text);
    } catch (e) {
      problems.push(error('render', `the CSV does not parse as RFC 4180: ${messageOf(e)}`));
    }
    const formulas = records.flatMap((record, r) =>
      record.flatMap((cell, f) =>
        CSV_FORMULA_START.test(cell) && !CSV_NUMBER.test(cell) ? [`record ${r + 1}, field ${f + 1}: ${JSON.stringify(cell)}`] : [],
      ),
    );
    if (formulas.length) {
      problems.push(
        error(
          'render',
          `${formulas.length} CSV cell${formulas.length === 1 ? ' starts' : 's start'} with =, +, -, @, tab or CR, which a spreadsheet runs as a formula ` +
            `(${formulas.slice(0, 3).join('; ')}${formulas.length > 3 ? '; …' : ''}): prefix such a text cell with an apostrophe (OWASP CSV injection)`,
        ),
      );
    }
  } else if (json) {
    try {
      JSON.parse(text);
    } catch (e) {
      problems.push(error('render', `the ${type} file does not parse: ${messageOf(e)}. Write it with JSON.stringify`));
    }
  }
  if (!text.includes(SAMPLE_CHAIN_HASH)) {
    problems.push({
      level: 'warning',
      path: 'render',
      message:
        "the sample's head chain hash does not appear in the file: print model.integrity, so an auditor can verify the report against the chain",
    });
  }
  return problems;
}

/** A character reference (`&#x202E;`, `&#8238;`) in markup: it becomes the character itself. */
const CHARACTER_REFERENCE = /&#(?:x([0-9a-f]+)|(\d+));/gi;

/**
 * The sample's control characters left in `text` raw, or (in markup) as character references:
 * a bidirectional control reorders what a reader sees, ESC drives a terminal, NUL cuts a string.
 */
function controlProblems(where: string, text: string, markup: boolean): ContractProblem[] {
  const raw = new RegExp(UNSAFE_CONTROL_CHARACTERS.source, 'g');
  const found = [...text.matchAll(raw)].map((m) => ({ at: m.index, char: m[0] }));
  if (markup) {
    for (const m of text.matchAll(CHARACTER_REFERENCE)) {
      const code = m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2]);
      const char = code <= 0x10ffff ? String.fromCodePoint(code) : '';
      if (UNSAFE_CONTROL_CHARACTERS.test(char)) found.push({ at: m.index, char });
    }
  }
  if (!found.length) return [];
  const names = [...new Set(found.map((f) => `U+${f.char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`))];
  return [
    error(
      'render',
      `${where} carries ${found.length} control or bidirectional character${found.length === 1 ? '' : 's'} of the model raw ` +
        `(${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}; first at character ${found[0].at}): a bidi control reorders ` +
        'what the reader sees and ESC or NUL reach a terminal or parser. Pass every model string through neutraliseControls() ' +
        "(plugin API), or escape them in the format's own syntax",
    ),
  ];
}

/** Most a zip entry may inflate to while it is checked, so a hostile plugin cannot exhaust memory. */
const ZIP_ENTRY_MAX_BYTES = 256 * 1024 * 1024;

/** The parts of a container that hold text a reader shows. */
const TEXT_PART = /\.(xml|rels|txt|html?|csv|json)$/i;

/**
 * For a zip container (DOCX, XLSX, ODT …): {@link controlProblems} of every XML or text part.
 * Any other binary file is not looked into.
 */
export function zipControlProblems(file: Buffer, maxPartBytes = ZIP_ENTRY_MAX_BYTES): ContractProblem[] {
  if (file.length < 22 || file.readUInt32LE(0) !== 0x04034b50) return [];
  const problems: ContractProblem[] = [];
  try {
    // fflate's streaming reader inflates synchronously as the bytes are pushed, so the cap holds
    // on what a part really inflates to, whatever size its header declares.
    const unzip = new Unzip((part) => {
      if (!TEXT_PART.test(part.name) || (part.compression !== 0 && part.compression !== 8)) return;
      const chunks: Uint8Array[] = [];
      let size = 0;
      part.ondata = (error, chunk, final) => {
        if (error) throw error;
        size += chunk.length;
        if (size > maxPartBytes) {
          part.terminate();
          throw new Error(`the part ${part.name} inflates to more than ${maxPartBytes} bytes`);
        }
        chunks.push(chunk);
        if (!final) return;
        const text = Buffer.concat(chunks).toString('utf8');
        problems.push(...controlProblems(`the part ${part.name}`, text, /\.(xml|rels|html?)$/i.test(part.name)));
      };
      part.start();
    });
    unzip.register(UnzipInflate);
    unzip.push(file, true);
  } catch (e) {
    return [{ level: 'warning', path: 'render', message: `the file looks like a zip, but its parts could not be read: ${messageOf(e)}` }];
  }
  return problems;
}

/**
 * The records of a CSV file, read as leniently as a spreadsheet reads them: a byte-order mark is
 * dropped, records end with CRLF, LF or CR and may differ in length, and a stray quote (inside an
 * unquoted field, or before the comma after a quoted one) is kept as a character. Only a quoted
 * field left open does not parse.
 */
const csvRecords = (text: string): string[][] =>
  parseCsv(text, { bom: true, record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: true, relax_quotes: true });
