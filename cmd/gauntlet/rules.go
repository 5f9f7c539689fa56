package main

import (
	"github.com/gauntlet-dev/gauntlet/server/workspace"
)

func init() {
	register(&command{name: "rules", summary: "test and list rules (rules test [PATH...], rules list)", sub: []*command{
		{name: "test", args: "[PATH...]", summary: "run rule test files; exit 1 if a case fails", long: rulesTestHelp, run: workspace.RulesTest},
		{name: "list", summary: "list the rules and whether they are on", run: workspace.RulesList},
	}})
}

const rulesTestHelp = `A rule test file (NAME_test.yaml) holds, for each rule id, valid snippets the
rule must not report on and invalid ones it must report on:

  tests:
    - id: go-println
      valid: ["package p\nfunc f() { log.Println() }\n"]
      invalid:
        - code: "package p\nfunc f() { fmt.Println() }\n"
          lines: [2]              # optional: findings start on exactly these lines
          fixed: "package p\nfunc f() {  }\n"   # optional: the code once fixed

PATHs are test files or directories searched for *_test.yaml. Without PATH,
the built-in packs' tests run, with the test files beside .gauntlet.yaml and
beside each of its rule files, and those of an ast-grep project (sgconfig.yml
testConfigs), whose files (id, valid, invalid) are read as ast-grep writes them.
`
