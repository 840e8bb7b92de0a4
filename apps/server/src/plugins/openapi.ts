// The OpenAPI 3.1 document, generated from the same TypeBox schemas that validate requests, served at
// /api/v1/openapi.json and browsable at /docs. Must be registered before the routes it describes.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { SERVER_VERSION } from '../version.ts';

async function openapiPlugin(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ioasid-lab API',
        version: SERVER_VERSION,
        description:
          'Labs of IOMMU units, devices, VMs, IOAS and HWPTs; their event history, explanations and ' +
          'comparisons across attach policies. 64-bit numbers are accepted as numbers or decimal/0x-hex ' +
          'strings and returned as 0x-hex strings. Every error has the shape {"error":{code,errno,message,seq}}.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'LAB_TOKEN, when set' } },
      },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: false });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

export default fp(openapiPlugin, { name: 'ioasid-openapi' });
