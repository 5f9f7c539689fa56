// Deliberately broken: `make demo` shows gauntlet finding this.
export function greet(name) {
  return `hello, ${name}`;
}

export function shout(name) {
  return greet(name).toUpperCase(;
}
