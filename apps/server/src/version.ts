// The server's version, as reported by /api/v1/health.
export const SERVER_VERSION = '0.1.0';
