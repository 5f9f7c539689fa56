'use strict';
// gauntlet's mocha reporter: one JSON line as each test starts and one with
// its outcome (with its title path, so that nested suites keep their names
// apart) in the file GAUNTLET_RESULTS.
// Loaded with `mocha --reporter /path/gauntlet_mocha.cjs`.
const fs = require('fs');

module.exports = function GauntletReporter(runner) {
  const out = process.env.GAUNTLET_RESULTS;
  const write = (o) => { if (out) fs.appendFileSync(out, JSON.stringify(o) + '\n'); };
  const titles = (t) => (typeof t.titlePath === 'function' ? t.titlePath() : [t.title]);
  runner.on('test', (t) => write({ event: 'start', file: t.file, titles: titles(t) }));
  runner.on('pass', (t) => write({ status: 'passed', file: t.file, titles: titles(t), duration: t.duration }));
  runner.on('pending', (t) => write({ status: 'pending', file: t.file, titles: titles(t) }));
  runner.on('fail', (t, err) => write({
    status: 'failed', type: t.type, file: t.file || (t.parent && t.parent.file), titles: titles(t), duration: t.duration,
    message: err ? String(err.stack || err.message || err) : 'failed',
  }));
};
