'use strict';

const { add } = require('./calc');

// sum renders a sum as "a + b = c".
function sum(a, b) {
  return `${a} + ${b} = ${add(a, b)}`;
}

module.exports = { sum };
