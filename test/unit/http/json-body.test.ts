// The streaming structure scan of request bodies: the same verdict however the body is cut into chunks, and the
// same as a plain character-by-character reading (strings, escapes, nesting, counts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JsonStructureScanner } from '../../../src/http/json-body.js';
import { rng } from '../../support/assert.js';

/** Reference: one character at a time, no shortcuts. */
function reference(text: Buffer, maxDepth: number, maxValues: number): string {
  let inString = false;
  let escaped = false;
  let depth = 0;
  let values = 0;
  for (const c of text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      values++;
      if (depth > maxDepth) return 'too-deep';
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c) values++;
    if (values > maxValues) return 'too-many-values';
  }
  return 'ok';
}

function scan(text: Buffer, cuts: number[], maxDepth: number, maxValues: number): string {
  const s = new JsonStructureScanner({ maxDepth, maxValues });
  let from = 0;
  for (const to of [...cuts, text.length]) {
    const r = s.feed(text.subarray(from, to));
    if (r !== 'ok') return r;
    from = to;
  }
  return 'ok';
}

describe('JsonStructureScanner', () => {
  test('5000 random bodies of quotes, backslashes and brackets, cut at random: the reference verdict', () => {
    const r = rng(7);
    const alphabet = ['"', '\\', '{', '}', '[', ']', ',', 'a', ':', ' ', '\\\\', '\\"'];
    for (let i = 0; i < 5000; i++) {
      const text = Buffer.from(Array.from({ length: Math.floor(r() * 200) }, () => alphabet[Math.floor(r() * alphabet.length)] ?? '').join(''));
      const cuts = Array.from({ length: Math.floor(r() * 6) }, () => Math.floor(r() * (text.length + 1))).sort((a, b) => a - b);
      const maxDepth = 1 + Math.floor(r() * 6);
      const maxValues = 1 + Math.floor(r() * 30);
      assert.equal(scan(text, cuts, maxDepth, maxValues), reference(text, maxDepth, maxValues), `case ${i}: ${text.toString()} cut at ${cuts.join(',')}`);
    }
  });

  test('structure inside strings does not count; escaped quotes do not end them', () => {
    const inString = Buffer.from(JSON.stringify({ a: '[[[[[[{{{{,,,,\\"]]]', b: ['x'] }));
    assert.equal(scan(inString, [], 2, 3), 'ok');
    assert.equal(scan(Buffer.from('[[['), [1, 2], 2, 100), 'too-deep');
    assert.equal(scan(Buffer.from(`[${'1,'.repeat(10)}1]`), [5], 5, 10), 'too-many-values');
  });
});
