const assert = require('node:assert');
const { add, sub, div } = require('../calc');

describe('add', function () {
  it('adds', function () {
    assert.strictEqual(add(2, 3), 5);
  });
  it('clamps', function () {
    assert.strictEqual(add(999, 5), 1000);
  });
});

describe('div', function () {
  it('divides', function () {
    assert.strictEqual(div(7, 2), 3);
  });
  it('refuses zero', function () {
    assert.throws(() => div(1, 0), /division by zero/);
  });
});

for (const [a, b, want] of [[5, 3, 2], [1, 1, 0]]) {
  it(`sub(${a}, ${b}) = ${want}`, function () {
    assert.strictEqual(sub(a, b), want);
  });
}

it.skip('later', function () {});
