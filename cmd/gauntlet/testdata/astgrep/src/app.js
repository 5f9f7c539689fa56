function run(x) {
  var n = x + 1;
  console.log("start", x);
  try {
    work(x);
  } catch (e) {
    console.log(e);
  }
  debugger;
  // ast-grep-ignore: no-console-log
  console.log("kept on purpose");
  console.log("done");
}
