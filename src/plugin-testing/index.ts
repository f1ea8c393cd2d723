/**
 * The plugin test kit: the contract checks every framework and format plugin passes, and the sample
 * report with hostile strings the `render` check uses. The server's built-in plugins are an input
 * (`builtIns`), never imported here; third parties get them filled in by `datapunk-audit/testing`
 * (src/testing.ts). See README.md next to this file.
 */
export { checkFrameworkPlugin, checkPluginEntry } from './check-plugin';
export {
  type ContractCheck,
  type ContractCheckId,
  type ContractLevel,
  type ContractOptions,
  type ContractProblem,
  type ContractReport,
  formatContractReport,
} from './contract-report';
export { SAMPLE_HOSTILE_STRINGS, sampleReportModel } from './sample-report';
