// Plain-words versions of the server's validation messages ("body/length must be integer", name regexes),
// and the field each one is about, so forms show them next to that field. Pure, so it is unit-tested.
import { ApiFailure } from './api';

export interface Friendly {
  /** The request field the message is about, when the server named one. */
  field?: string;
  text: string;
}

const NAME_RULE = 'use 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit';

/** One server message in plain words. */
export function friendlyMessage(message: string): Friendly {
  // Fastify/Ajv: "body/length must be integer", "body must have required property 'name'", "params/lab …"
  const m = /^(?:body|querystring|params)\/([\w.]+)\s+(.*)$/.exec(message.trim());
  if (m?.[1] && m[2]) {
    const field = m[1].split('/')[0] ?? m[1];
    return { field, text: `${field}: ${plainRule(m[2])}` };
  }
  const req = /must have required property '(\w+)'/.exec(message);
  if (req?.[1]) return { field: req[1], text: `${req[1]}: required` };
  return { text: message };
}

function plainRule(rule: string): string {
  if (/must match pattern/.test(rule) && /A-Za-z0-9/.test(rule)) return NAME_RULE;
  if (/must match pattern/.test(rule)) return 'a number: decimal, 0x-hex, or with K/M/G (e.g. 2M)';
  if (/must be integer|must be number/.test(rule)) return 'a whole number';
  if (/must be >= (\d+)/.test(rule)) return `at least ${/must be >= (\d+)/.exec(rule)?.[1]}`;
  if (/must be equal to one of the allowed values/.test(rule)) return 'not one of the allowed values';
  if (/must NOT have more than (\d+) characters/.test(rule))
    return `at most ${/(\d+)/.exec(rule)?.[1]} characters`;
  if (/must NOT have fewer than/.test(rule)) return 'required';
  if (/must match a schema in anyOf/.test(rule)) return 'a number: decimal, 0x-hex, or with K/M/G (e.g. 2M)';
  return rule;
}

/** What a form shows for a failure: errno name and number for refusals, plain words for bad input. */
export function failureText(failure: Error): Friendly & { code?: string; errno?: number } {
  if (!(failure instanceof ApiFailure)) return { text: failure.message };
  const friendly = friendlyMessage(failure.message);
  return { ...friendly, code: failure.code, errno: failure.errno };
}
