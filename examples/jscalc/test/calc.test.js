'use strict';

const { test, describe, it } = require('node:test');
const assert = require('node:assert');
const { add, sub, div, LIMIT } = require('../calc');

test('add', () => {
  assert.strictEqual(add(2, 3), 5);
});

test('add clamps', () => {
  assert.strictEqual(add(LIMIT, 1), LIMIT);
});

describe('div', () => {
  it('divides', () => {
    assert.strictEqual(div(7, 2), 3);
  });
  it('refuses zero', () => {
    assert.throws(() => div(1, 0), RangeError);
  });
});

test('sub', () => {
  assert.strictEqual(sub(2, 3), -1);
});
