describe('add', function () {
  it('adds', function () {
    expect(add(2, 3)).toBe(5);
  });
});
