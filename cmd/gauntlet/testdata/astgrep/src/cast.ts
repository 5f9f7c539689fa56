export function f(x: unknown): number {
  const n = x as any;
  g(x as any);
  return x as any;
}
