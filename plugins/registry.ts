import type { Plugin } from '../src/plugin-api';
import csv from './format-csv';
import docx from './format-docx';
import html from './format-html';
import json from './format-json';
import gdpr from './framework-gdpr';
import hipaa from './framework-hipaa';
import soc2 from './framework-soc2';

/**
 * The built-in plugins, in start order. Built-ins register here, and only here: each lives in
 * `plugins/<id>/`, imports nothing but `src/plugin-api`, and is added to this list. The host reads
 * this list exactly as it reads third-party plugins named in DATAPUNK_PLUGINS.
 */
export const BUILT_IN_PLUGINS: readonly Plugin[] = [soc2, hipaa, gdpr, docx, html, json, csv];
