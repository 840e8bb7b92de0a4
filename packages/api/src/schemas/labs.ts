// Request and response shapes of the lab resources: create, fork, export and import (docs/api.md, "Labs").
import { Type } from 'typebox';
import { TEMPLATES } from '../vocab.ts';
import { Kernel, Name, OneOf, Policy, Seq } from './common.ts';
import { AnyOp } from './ops.ts';
import { LabSummary } from './state.ts';

const closed = { additionalProperties: false } as const;

export const Template = OneOf(TEMPLATES);

export const CreateLabBody = Type.Object(
  { name: Name, policy: Policy, kernel: Type.Optional(Kernel), template: Type.Optional(Template) },
  closed,
);

export const ForkBody = Type.Object(
  { name: Name, policy: Type.Optional(Policy), kernel: Type.Optional(Kernel), at: Type.Optional(Seq) },
  closed,
);

export const LabExport = Type.Object({
  // Any version parses; versions this server cannot replay are refused with EOPNOTSUPP, not EINVAL.
  format: Type.String({ pattern: '^ioasid-lab/v[0-9]+$', examples: ['ioasid-lab/v1'] }),
  name: Type.String({ maxLength: 256 }),
  policy: Policy,
  // Exports made before kernel profiles have none: they replay under 6.12.
  kernel: Type.Optional(Kernel),
  ops: Type.Array(AnyOp, { maxItems: 100_000 }),
});

export const ImportBody = Type.Object(
  { name: Name, policy: Type.Optional(Policy), kernel: Type.Optional(Kernel), export: LabExport },
  closed,
);

export const LabList = Type.Object({ labs: Type.Array(LabSummary) });
export { LabSummary };
