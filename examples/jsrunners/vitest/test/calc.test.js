import { describe, test, expect } from 'vitest';
import { add, sub, div } from '../calc.js';

describe('add', () => {
  test('adds', () => {
    expect(add(2, 3)).toBe(5);
  });
  test('clamps', () => {
    expect(add(999, 5)).toBe(1000);
  });
});

describe('div', () => {
  test('divides', () => {
    expect(div(7, 2)).toBe(3);
  });
  test('refuses zero', () => {
    expect(() => div(1, 0)).toThrow('division by zero');
  });
});

test.each([[5, 3, 2], [1, 1, 0]])('sub(%i, %i) = %i', (a, b, want) => {
  expect(sub(a, b)).toBe(want);
});

test.skip('later', () => {});
