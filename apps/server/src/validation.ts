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

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as ReturnType<
    FastifySchemaCompiler<unknown>
  >;
