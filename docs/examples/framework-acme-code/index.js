// A framework plugin as code: plain CommonJS, loads without a build. It builds part of its catalog in
// code, validates its options with zod and logs from start()/stop().
const { defineFrameworkPlugin } = require('datapunk-audit/plugin-api');
const { z } = require('zod');

/** Evidence that one kind of change was approved, for each system Acme runs. */
const SYSTEMS = ['billing', 'storefront', 'warehouse'];

const approvalControl = (system) => ({
  id: `CM-1.${SYSTEMS.indexOf(system) + 1}`,
  parentId: 'CM-1',
  title: `Approved changes to ${system}`,
  description: `Every deployment to ${system} is approved first.`,
  evidence: [
    {
      id: 'approved',
      kind: 'MATCH',
      description: `Changes to ${system} are approved`,
      match: { action: [{ equals: 'change.approved' }], resourceType: [{ equals: `${system}_service` }], outcome: ['SUCCESS'] },
    },
  ],
  violations: [
    {
      id: 'deploy-storm',
      kind: 'BURST',
      description: `Ten deployments of ${system} by one actor within an hour`,
      match: { action: [{ equals: 'change.deployed' }], resourceType: [{ equals: `${system}_service` }] },
      count: 10,
      within: { hours: 1 },
      correlation: 'ACTOR',
    },
  ],
});

module.exports = defineFrameworkPlugin({
  id: 'framework-acme-code',
  kind: 'framework',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  name: 'Acme change policy',
  description: "Acme's change-management policy, built in code.",
  dependsOn: ['framework-soc2'],
  // Options reach start() only: the catalog is read when the module loads, before any option.
  options: z.object({
    owner: z.string().email().default('security@acme.example'),
    reviewDay: z.enum(['MONDAY', 'FRIDAY']).default('MONDAY'),
  }),
  catalog: {
    framework: {
      id: 'acme-change',
      name: 'Acme change policy',
      version: '2026.1',
      description: 'How Acme approves, deploys and reviews changes to its systems.',
    },
    controls: [
      {
        id: 'CM-1',
        title: 'Approved changes',
        description: 'Changes reach production only after approval.',
        evidence: [],
        violations: [],
        mappings: [{ frameworkId: 'soc2', controlId: 'CC8.1', relationship: 'SUBSET' }],
      },
      ...SYSTEMS.map(approvalControl),
      {
        id: 'CM-2',
        title: 'Weekly change review',
        description: 'The week’s deployments are reviewed every week.',
        evidence: [
          {
            id: 'weekly-review',
            kind: 'AT_LEAST',
            description: 'At least one log review per ISO week',
            match: { action: [{ equals: 'audit.log.reviewed' }], outcome: ['SUCCESS'] },
            count: 1,
            period: 'WEEK',
          },
        ],
        violations: [
          {
            id: 'unreviewed-emergency',
            kind: 'NOT_FOLLOWED_BY',
            description: 'Emergency access not reviewed within two days',
            trigger: { action: [{ equals: 'access.emergency.granted' }] },
            followUp: { action: [{ equals: 'audit.log.reviewed' }], outcome: ['SUCCESS'] },
            within: { days: 2 },
            correlation: 'TENANT',
          },
        ],
        mappings: [{ frameworkId: 'soc2', controlId: 'CC7.3', relationship: 'INTERSECTS' }],
      },
    ],
    classificationRules: [{ id: 'deploy-credentials', action: [{ prefix: 'change.deployed' }], categories: ['CREDENTIALS'] }],
  },
  start({ options, logger }) {
    logger.info('Acme change policy loaded', { owner: options.owner, reviewDay: options.reviewDay });
  },
  stop() {},
});
