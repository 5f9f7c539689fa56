'use strict';

const LIMIT = 1000000;

function clamp(value) {
  if (value > LIMIT) {
    return LIMIT;
  }
  if (value < -LIMIT) {
    return -LIMIT;
  }
  return value;
}

function add(a, b) {
  return clamp(a + b);
}

function sub(a, b) {
  return clamp(a - b);
}

function div(a, b) {
  if (b === 0) {
    throw new RangeError('division by zero');
  }
  return Math.trunc(a / b);
}

module.exports = { LIMIT, add, sub, div };
