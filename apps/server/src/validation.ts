// Request validation: Ajv compilers per part of the request, so bodies are taken exactly as sent
// while path and query strings (always text) are coerced to the numbers their schemas ask for.
import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const shared: Options = {
  allErrors: false,
  // OpenAPI-only keywords (examples, discriminator mapping notes) must not make Ajv throw.
  strict: false,
  discriminator: true,
  useDefaults: true,
  removeAdditional: false,
};

// Bodies: no coercion, so "1" is not silently an integer and `true` is not silently "true".
const bodyAjv = new Ajv({ ...shared, coerceTypes: false });
// Params and query strings arrive as text; coerce "5" to 5 for integer fields.
const textAjv = new Ajv({ ...shared, coerceTypes: true });

/** What a number looks like in a URL: decimal only, so "0x10", "1e3" or " 5" are not quietly coerced. */
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

type Checker = ((data: unknown) => boolean) & { errors?: unknown[] | null };

/** Numeric fields of an object schema (integer or number, not strings that hold 64-bit values). */
function numericFields(schema: { properties?: Record<string, { type?: unknown }> }): string[] {
  return Object.entries(schema.properties ?? {})
    .filter(([, field]) => field.type === 'integer' || field.type === 'number')
    .map(([name]) => name);
}

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  if (httpPart === 'body')
    return bodyAjv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
  const validate = textAjv.compile(schema as object);
  const numeric = numericFields(schema as { properties?: Record<string, { type?: unknown }> });
  if (numeric.length === 0) return validate as ReturnType<FastifySchemaCompiler<unknown>>;
  const checker: Checker = (data) => {
    for (const name of numeric) {
      const value = (data as Record<string, unknown> | null)?.[name];
      if (typeof value === 'string' && !DECIMAL.test(value)) {
        checker.errors = [{ instancePath: `/${name}`, message: 'must be a decimal number', params: {} }];
        return false;
      }
    }
    const ok = validate(data);
    checker.errors = validate.errors;
    return ok;
  };
  return checker as ReturnType<FastifySchemaCompiler<unknown>>;
};
