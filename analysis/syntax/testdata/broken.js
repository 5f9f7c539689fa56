function f(a) {
  return a + ;  // want "missing identifier"
}
const x = {a: 1};
