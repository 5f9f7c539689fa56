package testenv

// JSCalcTwiceTest is test/twice.test.js for a copy of examples/jscalc: two
// node:test tests of one file that share the name "works" (in the suites
// "calc" and "format"), so the runner's name filter runs both and their
// coverage cannot be told apart.
const JSCalcTwiceTest = `'use strict';

const { describe, test } = require('node:test');
const assert = require('node:assert');
const calc = require('../calc');
const { sum } = require('../format');

describe('calc', () => {
  test('works', () => {
    assert.strictEqual(calc.add(1, 2), 3);
  });
});

describe('format', () => {
  test('works', () => {
    assert.strictEqual(sum(1, 2), '1 + 2 = 3');
  });
});
`
