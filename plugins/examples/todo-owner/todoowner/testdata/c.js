// TODO(cy): owned
function f() {
  return `TODO`; // TODO: not owned // want "names no owner"
}
/*
 * TODO (ana) a space before the owner does not count // want "names no owner"
 */
