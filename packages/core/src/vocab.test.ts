// The binding's effect names, indexed by the C enum, against the vocabulary the API states once:
// an effect added to one and not the other fails here.
import { EFFECT_TYPES as API_EFFECT_TYPES } from '@ioasid-lab/api/vocab';
import { describe, expect, it } from 'vitest';
import { EFFECT_TYPES } from './abi.ts';

describe('vocabularies', () => {
  it('names the same effect types, in the C enum order, as @ioasid-lab/api', () => {
    expect([...EFFECT_TYPES]).toEqual([...API_EFFECT_TYPES]);
  });
});
