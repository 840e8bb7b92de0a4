// Building blocks shared by every route schema: names, 64-bit numbers, the error shape, common params.
// TypeBox is the single schema language: these objects validate requests and become the OpenAPI document.
import { type Static, type TLiteral, type TLiteralValue, type TString, type TUnion, Type } from 'typebox';
import { IOVA_BITS, KERNELS, NAME_PATTERN, POLICIES, VENDORS } from '../vocab.ts';

export { NAME_PATTERN };

/** The literal schemas of a vocabulary, as a tuple so that Static<> keeps each value. */
type Literals<T extends readonly TLiteralValue[]> = T extends readonly [
  infer Head extends TLiteralValue,
  ...infer Rest extends readonly TLiteralValue[],
]
  ? [TLiteral<Head>, ...Literals<Rest>]
  : [];

/** A schema accepting exactly the values of one of the vocabularies (vocab.ts). */
export function OneOf<const T extends readonly TLiteralValue[]>(
  values: T,
  options: { description?: string } = {},
): TUnion<Literals<T>> {
  return Type.Union(
    values.map((value) => Type.Literal(value)),
    options,
  ) as unknown as TUnion<Literals<T>>;
}

export const Name = Type.String({
  pattern: NAME_PATTERN,
  description: `A name: ${NAME_PATTERN.slice(1, -1)}`,
});

/** A 64-bit quantity in: a JSON number or a decimal / 0x-hex string. The core checks the range. */
export const U64 = Type.Union(
  [
    Type.Integer({ minimum: 0 }),
    Type.String({
      pattern: '^(0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20})$',
      examples: ['0xfee00000', '4294967296'],
    }),
  ],
  { description: 'Number, decimal string or 0x-hex string (up to 2^64-1)' },
);
/** A 64-bit quantity in a query string: kept as text so large decimals are not rounded by coercion. */
export const U64Text = Type.String({
  pattern: '^(0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20})$',
  examples: ['0x200000'],
});
/** A 64-bit quantity out: always lowercase 0x-hex. */
const HEX_OPTIONS = { pattern: '^0x[0-9a-f]+$', examples: ['0x1000'] };
export const Hex = Type.String(HEX_OPTIONS);
/** `Hex` with a description of the quantity (the VM's generated fields use it). */
export function HexOf(description: string): TString {
  return Type.String({ ...HEX_OPTIONS, description });
}

export const Policy = OneOf(POLICIES);
/**
 * A kernel profile (docs/kernels.md). An enum rather than a union of literals, so a refusal names the
 * allowed values.
 */
export const Kernel = Type.Enum(KERNELS, {
  description: `A kernel profile whose rules a lab follows: ${KERNELS.join(', ')} (default 6.12)`,
});
export const Vendor = OneOf(VENDORS);

/** Page sizes in bytes an IOMMU unit supports (4 KiB, 2 MiB, 1 GiB; the core refuses others). */
export const PageSizes = Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 8 });
/** The IOVA width of an IOMMU unit. */
export const IovaBits = OneOf(IOVA_BITS);

/** A non-negative id (HWPT, IOAS) as it appears in paths and bodies. */
export const Id = Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 });
export const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ examples: ['EEXIST'] }),
      errno: Type.Optional(Type.Integer()),
      message: Type.String(),
      seq: Type.Optional(Type.Integer({ description: 'The event that recorded the refused op' })),
    }),
  },
  { description: 'The one error shape of the API' },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** The error responses every route documents; each route adds its own success shape. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
};

export const LabParams = Type.Object({ lab: Name }, { additionalProperties: false });
export type LabParams = Static<typeof LabParams>;
// Path parameters of the object routes: names for hardware and VMs, numeric ids for IOAS and HWPTs.
export const DeviceParams = Type.Object({ lab: Name, dev: Name }, { additionalProperties: false });
export const VmParams = Type.Object({ lab: Name, vm: Name }, { additionalProperties: false });
export const VmDeviceParams = Type.Object(
  { lab: Name, vm: Name, dev: Name },
  { additionalProperties: false },
);
export const IoasParams = Type.Object({ lab: Name, ioas: Id }, { additionalProperties: false });
export const HwptParams = Type.Object({ lab: Name, id: Id }, { additionalProperties: false });
