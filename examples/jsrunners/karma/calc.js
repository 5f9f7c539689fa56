// A small calculator: the code under test of the karma example.
const LIMIT = 1000;

function clamp(n) {
  if (n > LIMIT) {
    return LIMIT;
  }
  return n;
}

function add(a, b) {
  return clamp(a + b);
}

function sub(a, b) {
  return clamp(a - b);
}

function div(a, b) {
  if (b === 0) {
    throw new Error('division by zero');
  }
  return Math.trunc(a / b);
}

module.exports = { add, sub, div, clamp };
