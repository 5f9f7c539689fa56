// Command todo-owner is an example gauntlet plugin: it reports TODO
// comments that name no owner in Go, Python and JavaScript files. Build it,
// then name it in .gauntlet.yaml:
//
//	plugins:
//	  - name: todo-owner
//	    path: bin/todo-owner
package main

import (
	"github.com/gauntlet-dev/gauntlet/plugins/examples/todo-owner/todoowner"
	"github.com/gauntlet-dev/gauntlet/plugins/sdk"
)

func main() { sdk.Serve(todoowner.Analyzer) }
