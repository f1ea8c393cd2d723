import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

/** The grounds of GDPR Art. 17(1) an erasure is made on: an enumeration, so the chain event it leaves holds no free text. */
export enum ErasureGround {
  NO_LONGER_NECESSARY = 'NO_LONGER_NECESSARY',
  CONSENT_WITHDRAWN = 'CONSENT_WITHDRAWN',
  OBJECTION = 'OBJECTION',
  UNLAWFUL_PROCESSING = 'UNLAWFUL_PROCESSING',
  LEGAL_OBLIGATION = 'LEGAL_OBLIGATION',
  CHILD_INFORMATION_SOCIETY_SERVICE = 'CHILD_INFORMATION_SOCIETY_SERVICE',
}

registerEnumType(ErasureGround, {
  name: 'ErasureGround',
  description: 'Why a data subject is erased: the grounds of GDPR Art. 17(1) (a) to (f).',
  valuesConfig: {
    NO_LONGER_NECESSARY: { description: 'Art. 17(1)(a): no longer necessary for the purposes collected for.' },
    CONSENT_WITHDRAWN: { description: 'Art. 17(1)(b): consent withdrawn and no other legal ground.' },
    OBJECTION: { description: 'Art. 17(1)(c): the subject objected (Art. 21) and no overriding grounds.' },
    UNLAWFUL_PROCESSING: { description: 'Art. 17(1)(d): processed unlawfully.' },
    LEGAL_OBLIGATION: { description: 'Art. 17(1)(e): erasure required by a legal obligation.' },
    CHILD_INFORMATION_SOCIETY_SERVICE: { description: 'Art. 17(1)(f): collected for information society services offered to a child.' },
  },
});

@InputType({ description: 'Whom to erase and why.' })
export class EraseDataSubjectInput {
  @Field({
    description:
      'The data subject’s id as events name it: a person’s actor id, or a data-subject resource id (1 to 256 characters); or the `subjectRef` of an earlier receipt, to erase again in a database restored from a backup.',
  })
  subjectId!: string;

  @Field(() => ErasureGround, { description: 'The Art. 17(1) ground (recorded in the chain).' })
  reason!: ErasureGround;
}

@ObjectType({ description: 'A signed statement that a data subject’s key was destroyed (ADR 0042).' })
export class ErasureReceipt {
  @Field({ description: 'The random reference the subject’s events keep in place of its id (the linkage that remains).' })
  subjectRef!: string;

  @Field(() => [String], { description: 'The fields that now read `[erased]` wherever the subject’s events are read.' })
  erasedFields!: string[];

  @Field(() => Int, { description: 'How many events named the subject.' })
  eventCount!: number;

  @Field(() => ErasureGround, { description: 'The Art. 17(1) ground the erasure was made on.' })
  reason!: ErasureGround;

  @Field({ description: 'When the key was destroyed (ISO-8601 UTC).' })
  erasedAt!: string;

  @Field(() => Int, { description: 'The sequence of the `datapunk.subject.erased` event: the chain head the erasure applies from.' })
  sequence!: number;

  @Field({ description: 'The chain hash of that event.' })
  chainHash!: string;

  @Field({ description: 'Id of the signing key (as `signingKeys` lists it).' })
  keyId!: string;

  @Field({ description: 'The exact message signed: canonical JSON of the fields above with `v` and `tenantId`.' })
  message!: string;

  @Field({ description: 'Ed25519 signature of `message`, base64; verify it with the public checkpoint key.' })
  signature!: string;
}
