import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  ACTIVATION_CODE_ALPHABET,
  ACTIVATION_CODE_LENGTH,
  activationCodeMatches,
  formatActivationCode,
  generateActivationCode,
  hashActivationCode,
  isWellFormedActivationCode,
  normaliseActivationCode,
} from '../../gateway/src/koppel/ActivationCode.ts';
import { subjectHash, subjectRef } from '../../gateway/src/koppel/SubjectHash.ts';

const KEY = 'test-activation-code-key-0123456789';

describe('activation codes', () => {
  describe('generateActivationCode', () => {
    it('makes 16 characters from the unambiguous upper-case alphabet', () => {
      for (let i = 0; i < 200; i++) {
        const code = generateActivationCode();
        assert.equal(code.length, ACTIVATION_CODE_LENGTH);
        assert.match(code, /^[A-Z]{16}$/);
        for (const c of code) assert.ok(ACTIVATION_CODE_ALPHABET.includes(c), c);
        assert.ok(isWellFormedActivationCode(code));
      }
    });

    it('leaves out letters that are confused with digits', () => {
      for (const c of ['I', 'L', 'O']) assert.ok(!ACTIVATION_CODE_ALPHABET.includes(c), c);
      assert.equal(new Set(ACTIVATION_CODE_ALPHABET).size, ACTIVATION_CODE_ALPHABET.length, 'no duplicates');
      assert.ok(ACTIVATION_CODE_ALPHABET.length ** ACTIVATION_CODE_LENGTH > 2 ** 70, 'more than 70 bits');
    });

    it('uses every letter of the alphabet and repeats no code', () => {
      const seen = new Set<string>();
      const codes = new Set<string>();
      for (let i = 0; i < 300; i++) {
        const code = generateActivationCode();
        codes.add(code);
        for (const c of code) seen.add(c);
      }
      assert.equal(codes.size, 300);
      assert.equal(seen.size, ACTIVATION_CODE_ALPHABET.length);
    });
  });

  describe('normaliseActivationCode', () => {
    const cases: Array<[string, string]> = [
      ['ABCDEFGHJKMNPQRS', 'ABCDEFGHJKMNPQRS'],
      ['abcdefghjkmnpqrs', 'ABCDEFGHJKMNPQRS'],
      ['  AbCdEfGhJkMnPqRs  ', 'ABCDEFGHJKMNPQRS'],
      ['ABCD EFGH JKMN PQRS', 'ABCDEFGHJKMNPQRS'],
      ['ABCD-EFGH-JKMN-PQRS', 'ABCDEFGHJKMNPQRS'],
      ['-ABCD–EFGH—JKMN PQRS-', 'ABCDEFGHJKMNPQRS'],
      ['\tABCD\u00a0EFGH\nJKMN PQRS\r\n', 'ABCDEFGHJKMNPQRS'],
      ['ＡＢＣＤＥＦＧＨＪＫＭＮＰＱＲＳ', 'ABCDEFGHJKMNPQRS'],
      ['', ''],
    ];
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
        assert.equal(normaliseActivationCode(input), expected);
      });
    }

    it('keeps other characters, so a wrong code stays wrong', () => {
      assert.equal(normaliseActivationCode('ABCD/EFGH'), 'ABCD/EFGH');
      assert.notEqual(normaliseActivationCode('ABCD0EFGH'), normaliseActivationCode('ABCDOEFGH'));
    });

    it('returns nothing for absurdly long input', () => {
      assert.equal(normaliseActivationCode('A'.repeat(10_000)), '');
      assert.equal(normaliseActivationCode(undefined as unknown as string), '');
    });

    it('formats in groups of four, which normalisation undoes', () => {
      assert.equal(formatActivationCode('ABCDEFGHJKMNPQRS'), 'ABCD EFGH JKMN PQRS');
      assert.equal(normaliseActivationCode(formatActivationCode('abcdefghjkmnpqrs')), 'ABCDEFGHJKMNPQRS');
    });

    it('recognises well-formed input only', () => {
      assert.ok(isWellFormedActivationCode('abcd-efgh-jkmn-pqrs'));
      assert.ok(!isWellFormedActivationCode('ABCDEFGHJKMNPQR'), 'too short');
      assert.ok(!isWellFormedActivationCode('ABCDEFGHIJKLMNOP'), 'I, L and O are not issued');
    });
  });

  describe('hashActivationCode', () => {
    it('is HMAC-SHA256 hex, deterministic for the same key', () => {
      const h = hashActivationCode('ABCDEFGHJKMNPQRS', KEY);
      assert.match(h, /^[0-9a-f]{64}$/);
      assert.equal(hashActivationCode('ABCDEFGHJKMNPQRS', KEY), h);
    });

    it('hashes what a person types the same as the issued code', () => {
      const h = hashActivationCode('ABCDEFGHJKMNPQRS', KEY);
      assert.equal(hashActivationCode(' abcd-efgh jkmn-pqrs ', KEY), h);
    });

    it('depends on the key and on the code', () => {
      const h = hashActivationCode('ABCDEFGHJKMNPQRS', KEY);
      assert.notEqual(hashActivationCode('ABCDEFGHJKMNPQRS', KEY + 'x'), h);
      assert.notEqual(hashActivationCode('ABCDEFGHJKMNPQRT', KEY), h);
      // and is not a plain (unkeyed) hash of the code
      assert.notEqual(crypto.createHash('sha256').update('ABCDEFGHJKMNPQRS').digest('hex'), h);
    });

    it('refuses an empty key', () => {
      assert.throws(() => hashActivationCode('ABCDEFGHJKMNPQRS', ''), /empty key/);
    });
  });

  describe('activationCodeMatches', () => {
    const stored = hashActivationCode('ABCDEFGHJKMNPQRS', KEY);

    it('matches the right code and nothing else', () => {
      assert.equal(activationCodeMatches(hashActivationCode('abcdefghjkmnpqrs', KEY), stored), true);
      assert.equal(activationCodeMatches(hashActivationCode('ABCDEFGHJKMNPQRT', KEY), stored), false);
      assert.equal(activationCodeMatches('', stored), false);
      assert.equal(activationCodeMatches(stored.slice(0, 63), stored), false);
    });

    it('compares with crypto.timingSafeEqual, also when lengths differ', () => {
      const original = crypto.timingSafeEqual;
      let calls = 0;
      const spy = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
        calls++;
        return original(a, b);
      }) as typeof crypto.timingSafeEqual;
      // The module imported the default export object; patch that object's property.
      (crypto as { timingSafeEqual: typeof crypto.timingSafeEqual }).timingSafeEqual = spy;
      try {
        activationCodeMatches(stored, stored);
        activationCodeMatches('short', stored);
      } finally {
        (crypto as { timingSafeEqual: typeof crypto.timingSafeEqual }).timingSafeEqual = original;
      }
      assert.equal(calls, 2);
    });
  });
});

describe('subject hash', () => {
  const key = 'test-subject-hash-key-0123456789';
  const pseudonym = 'a'.repeat(64);

  it('is HMAC-SHA256 hex and deterministic', () => {
    const h = subjectHash(key, pseudonym, { type: 'KvKnr', value: '12345678' });
    assert.match(h, /^[0-9a-f]{64}$/);
    assert.equal(subjectHash(key, pseudonym, { type: 'KvKnr', value: '12345678' }), h);
  });

  it('depends on key, pseudonym, type and value', () => {
    const h = subjectHash(key, pseudonym, { type: 'KvKnr', value: '12345678' });
    assert.notEqual(subjectHash(key + 'x', pseudonym, { type: 'KvKnr', value: '12345678' }), h);
    assert.notEqual(subjectHash(key, 'b'.repeat(64), { type: 'KvKnr', value: '12345678' }), h);
    assert.notEqual(subjectHash(key, pseudonym, { type: 'RSIN', value: '12345678' }), h);
    assert.notEqual(subjectHash(key, pseudonym, { type: 'KvKnr', value: '12345679' }), h);
  });

  it('encodes unambiguously (moving a boundary changes the hash)', () => {
    assert.notEqual(
      subjectHash(key, 'ab', { type: 'c', value: 'd' }),
      subjectHash(key, 'a', { type: 'bc', value: 'd' }),
    );
    assert.notEqual(
      subjectHash(key, 'a|1:b', { type: 'c', value: 'd' }),
      subjectHash(key, 'a', { type: 'b|1:c', value: 'd' }),
    );
  });

  it('gives a short reference for logs', () => {
    const h = subjectHash(key, pseudonym, { type: 'KvKnr', value: '12345678' });
    assert.equal(subjectRef(h), h.slice(0, 12));
    assert.ok(!subjectRef(h).includes(pseudonym.slice(0, 12)));
  });
});
