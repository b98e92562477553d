// `kubectl explain optimizers.spec…` prints each field's description: every field of the Optimizer CRD's schema has
// one. And the CRD agrees with inferno's own parser (what `inferno validate` and the webhook accept): the same spec
// fields (the API server prunes a field its schema lacks, silently) and the same lower bounds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { OptimizerSpecSchema, ProfileEntrySchema } from '../../../src/cluster/resources.js';

interface Schema {
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  minimum?: number;
}

const crd = parse(readFileSync(new URL('../../../deploy/crd/optimizers.llmd.ai.yaml', import.meta.url), 'utf8')) as {
  spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
};

/** Every field below the root, by its kubectl explain path (spec.modelProfile.accelerators.acc). */
function fields(s: Schema, at: string): [string, Schema][] {
  const here: [string, Schema][] = at === '' ? [] : [[at, s]];
  const props = Object.entries(s.properties ?? {}).flatMap(([k, v]) => fields(v, at === '' ? k : `${at}.${k}`));
  const items = s.items !== undefined ? fields({ ...s.items, description: 'item' }, at).filter(([p]) => p !== at) : [];
  return [...here, ...props, ...items];
}

describe('the Optimizer CRD', () => {
  for (const v of crd.spec.versions) {
    const all = fields(v.schema.openAPIV3Schema, '');

    test(`${v.name}: every field has a description for kubectl explain`, () => {
      assert.ok(all.length >= 43, `${all.length} fields`);
      // metadata is the exception the API server makes: it allows only `type` there and explains ObjectMeta itself.
      const missing = all.filter(([p, s]) => p !== 'metadata' && (s.description ?? '').trim() === '').map(([p]) => p);
      assert.deepEqual(missing, [], `fields without a description: ${missing.join(', ')}`);
    });

    const spec = v.schema.openAPIV3Schema.properties?.['spec'];
    const profile = spec?.properties?.['modelProfile']?.properties?.['accelerators']?.items;

    test(`${v.name}: the spec and profile fields are the ones inferno reads`, () => {
      assert.deepEqual(Object.keys(spec?.properties ?? {}).sort(), Object.keys(OptimizerSpecSchema.shape).sort(), 'spec');
      assert.deepEqual(Object.keys(profile?.properties ?? {}).sort(), Object.keys(ProfileEntrySchema.shape).sort(), 'a profile');
    });

    test(`${v.name}: each integer's minimum is the least value inferno accepts`, () => {
      const base = { acc: 'A100', maxBatchSize: 8, alpha: 1, beta: 1 };
      const specBase = { modelID: 'm', serviceClass: 'Premium', modelProfile: { accelerators: [base] } };
      const cases: [string, Schema | undefined, (n: number) => boolean][] = [
        ...['accCount', 'maxBatchSize', 'atTokens'].map((k): [string, Schema | undefined, (n: number) => boolean] =>
          [`profile ${k}`, profile?.properties?.[k], (n) => ProfileEntrySchema.safeParse({ ...base, [k]: n }).success]),
        ...['minReplicas', 'maxReplicas', 'maxBatchSize'].map((k): [string, Schema | undefined, (n: number) => boolean] =>
          [`spec ${k}`, spec?.properties?.[k], (n) => OptimizerSpecSchema.safeParse({ ...specBase, [k]: n, ...(k === 'minReplicas' ? { maxReplicas: 8 } : {}) }).success]),
      ];
      for (const [name, field, accepts] of cases) {
        const min = field?.minimum;
        assert.ok(min !== undefined, `${name} has a minimum`);
        assert.ok(accepts(min), `${name}: inferno rejects the CRD's minimum ${min}`);
        assert.ok(!accepts(min - 1), `${name}: inferno accepts ${min - 1}, below the CRD's minimum`);
      }
      // atTokens: absent is 0, "not scaled" (the batch size applies as measured), and may be written as 0.
      assert.equal(ProfileEntrySchema.parse(base).atTokens, 0);
    });
  }
});
