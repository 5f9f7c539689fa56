function f(a: number): number {
  return a
}
let y: = 3;  // want "unexpected"
