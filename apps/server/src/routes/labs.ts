// /labs: list, create (from a template), read, delete, fork, export and import whole labs.
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CreateLabBody,
  errorResponses,
  ForkBody,
  ImportBody,
  LabExport,
  LabList,
  LabParams,
  LabSummary,
} from '@ioasid-lab/api/schemas';
import type { LabExport as LabExportType } from '@ioasid-lab/db';
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { ApiError } from '../errors.ts';
import type { TypedApp } from './typed-app.ts';

const tags = ['labs'];

const EXPORT_FORMAT = 'ioasid-lab/v1';

/**
 * A refused enum (a kernel profile) says which values it takes: "body/kernel must be one of 6.1, 6.6,
 * 6.12". The error keeps its validation list, so it still becomes the API's 400 EINVAL.
 */
export function namingAllowedValues(errors: FastifySchemaValidationError[], dataVar: string): Error {
  for (const error of errors) {
    const allowed = (error.params as { allowedValues?: unknown } | undefined)?.allowedValues;
    if (Array.isArray(allowed)) error.message = `must be one of ${allowed.join(', ')}`;
  }
  const first = errors[0];
  return new Error(`${dataVar}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`);
}

export default async function labRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  labCollectionRoutes(app);
  importRoute(app);
  oneLabRoutes(app);
  copyRoutes(app);
}

/** GET /labs and POST /labs: the list, and a new lab from a template. */
function labCollectionRoutes(app: TypedApp): void {
  app.get(
    '/labs',
    { schema: { tags, summary: 'List labs', response: { 200: LabList, ...errorResponses } } },
    async () => ({ labs: await app.labs.listLabs() }),
  );

  app.post(
    '/labs',
    {
      schema: {
        tags,
        summary:
          'Create a lab, empty or from a template, following a kernel profile (default 6.12; iommufd on 6.1: EOPNOTSUPP)',
        body: CreateLabBody,
        response: { 201: LabSummary, ...errorResponses },
      },
      schemaErrorFormatter: namingAllowedValues,
    },
    async (request, reply) => {
      return reply.status(201).send(await app.labs.createLab(request.body));
    },
  );
}

/** POST /labs/import: another lab's export replayed into a new lab. */
function importRoute(app: TypedApp): void {
  app.post(
    '/labs/import',
    {
      schema: {
        tags,
        summary: "Replay another lab's export into a new lab",
        body: ImportBody,
        response: { 201: LabSummary, ...errorResponses },
      },
      schemaErrorFormatter: namingAllowedValues,
    },
    async (request, reply) => {
      const { name, policy, kernel, export: exported } = request.body;
      if (exported.format !== EXPORT_FORMAT) {
        throw new ApiError(
          'EOPNOTSUPP',
          `export format ${exported.format} is not supported (${EXPORT_FORMAT} is)`,
        );
      }
      // `kernel` (else the export's, else 6.12) picks the profile the inputs replay under.
      const lab = await app.labs.call(
        undefined,
        'importLab',
        name,
        policy,
        { ...exported, format: EXPORT_FORMAT } as LabExportType,
        kernel,
      );
      return reply.status(201).send(lab);
    },
  );
}

/** GET and DELETE /labs/:lab: one lab. */
function oneLabRoutes(app: TypedApp): void {
  app.get(
    '/labs/:lab',
    {
      schema: {
        tags,
        summary: 'One lab',
        params: LabParams,
        response: { 200: LabSummary, ...errorResponses },
      },
    },
    async (request) => app.labs.getLab(request.params.lab).summary(),
  );

  app.delete(
    '/labs/:lab',
    {
      schema: {
        tags,
        summary: 'Delete a lab and its history',
        params: LabParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await app.labs.deleteLab(request.params.lab);
      app.streams.closeLab(request.params.lab);
      return reply.status(204).send(null);
    },
  );
}

/** POST /labs/:lab/fork and GET /labs/:lab/export: a lab's inputs, as a new lab or as a file. */
function copyRoutes(app: TypedApp): void {
  app.post(
    '/labs/:lab/fork',
    {
      schema: {
        tags,
        summary: "A new lab from this lab's inputs up to `at`, replayed under `policy` and `kernel`",
        params: LabParams,
        body: ForkBody,
        response: { 201: LabSummary, ...errorResponses },
      },
      schemaErrorFormatter: namingAllowedValues,
    },
    async (request, reply) => {
      const { name, policy, at, kernel } = request.body;
      const lab = request.params.lab;
      return reply.status(201).send(await app.labs.call(lab, 'fork', name, policy, at, kernel));
    },
  );

  app.get(
    '/labs/:lab/export',
    {
      schema: {
        tags,
        summary: "The lab's inputs, refused ones included",
        params: LabParams,
        response: { 200: LabExport, ...errorResponses },
      },
    },
    async (request) => app.labs.getLab(request.params.lab).export(),
  );
}
