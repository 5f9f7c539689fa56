package verify

import (
	"os/exec"
	"strings"
	"testing"
)

// buildModule: lib, whose own test file (package lib) has a helper the
// code must not use, and app, which imports lib.
var buildModule = map[string]string{
	"go.mod":          "module example.com/m\n\ngo 1.21\n",
	"lib/lib.go":      "package lib\n\n// Double returns 2x.\nfunc Double(x int) int {\n\treturn x * 2\n}\n\n// Unit is one.\nvar Unit = one()\n\nfunc one() int { return 1 }\n",
	"lib/lib_test.go": "package lib\n\nimport \"testing\"\n\nfunc two() int { return 2 }\n\ntype fake struct{}\n\nfunc (fake) String() string { return \"fake\" }\n\nfunc TestDouble(t *testing.T) {\n\tif Double(two()) != 4 {\n\t\tt.Fatal(\"Double(2) != 4\")\n\t}\n}\n",
	// mth's test file gives its type T a method: T may satisfy an interface
	// with the tests and not without them.
	"mth/mth.go":      "package mth\n\n// T is a type.\ntype T struct{}\n\n// N is 1.\nfunc N() int { return 1 }\n",
	"mth/mth_test.go": "package mth\n\nimport \"testing\"\n\nfunc (T) String() string { return \"T\" }\n\nfunc TestN(t *testing.T) {\n\tif N() != 1 {\n\t\tt.Fatal(N())\n\t}\n}\n",
	"app/app.go":      "package app\n\nimport \"example.com/m/lib\"\n\n// Quad returns 4x.\nfunc Quad(x int) int { return lib.Double(lib.Double(x)) }\n\nvar _ int = lib.Unit\n",
	"app/app_test.go": "package app\n\nimport \"testing\"\n\nfunc TestQuad(t *testing.T) {\n\tif Quad(1) != 4 {\n\t\tt.Fatal(\"Quad(1) != 4\")\n\t}\n}\n",
}

// TestBuildGateOfBodyEdits: an edit that changes only what importers cannot
// see (function bodies, blank declarations, private helpers) is compiled
// with its own packages and their tests alone — by the tests' go test
// where it builds and runs them — and is still rejected for what does not
// compile: a type error, and code that names what only the package's test
// files declare (it compiles with the tests, not without). An edit of a
// declaration importers see, or of a private function whose result type
// an exported variable takes, compiles every package, and the importer's
// error is found.
func TestBuildGateOfBodyEdits(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	snap := workspace(t, buildModule)
	lib := buildModule["lib/lib.go"]
	edit := func(old, new string) Edit {
		if !strings.Contains(lib, old) {
			t.Fatalf("%q is not in lib.go", old)
		}
		return Edit{Files: []FileChange{{Path: "lib/lib.go", Content: []byte(strings.Replace(lib, old, new, 1))}}}
	}
	opts := Options{Sandbox: SandboxNone, CacheDir: t.TempDir()}
	for _, c := range []struct {
		name    string
		edit    Edit
		gate    string // the gate that rejects, "" for accepted
		errAt   string // a build error's path and message part
		command string // in the build gate's commands
	}{
		{name: "body", edit: edit("return x * 2", "return x + x"), command: "the tests gate's run"},
		{name: "a local named as a test helper is", edit: edit("return x * 2", "two := 2\n\treturn x * two"), command: "the tests gate's run"},
		{name: "test file gives a type of the package a method", edit: Edit{Files: []FileChange{{Path: "mth/mth.go", Content: []byte(strings.Replace(buildModule["mth/mth.go"], "return 1", "return 1 + 0", 1))}}}, command: "go list"},
		{name: "and the edit relies on it", edit: Edit{Files: []FileChange{{Path: "mth/mth.go", Content: []byte(strings.Replace(buildModule["mth/mth.go"], "return 1", "var s interface{ String() string } = T{}\n\treturn len(s.String())", 1))}}}, gate: GateBuild, errAt: "mth/mth.go does not implement", command: "go list"},
		{name: "body fails its test", edit: edit("return x * 2", "return x * 3"), gate: GateTests, command: "the tests gate's run"},
		{name: "type error in a body", edit: edit("return x * 2", "return x * \"2\""), gate: GateBuild, errAt: "lib/lib.go mismatched types", command: "go list"},
		{name: "body names a test helper", edit: edit("return x * 2", "return x * two()"), gate: GateBuild, errAt: "lib/lib.go undefined: two", command: "go list"},
		{name: "blank declaration and a private helper", edit: edit("\treturn x * 2\n}\n", "\treturn twice(x)\n}\n\nvar _ = Double\n\nfunc twice(x int) int { return x * 2 }\n"), command: "the tests gate's run"},
		{name: "a private function whose type an exported variable takes", edit: edit("func one() int {", "func one() int64 {"), gate: GateBuild, errAt: "app/app.go", command: "./..."},
		{name: "signature breaks the importer", edit: edit("func Double(x int) int {\n\treturn x * 2", "func Double(x int) int64 {\n\treturn int64(x * 2)"), gate: GateBuild, errAt: "app/app.go", command: "./..."},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := Verify(testContext(t), snap, c.edit, opts)
			if err != nil {
				t.Fatal(err)
			}
			wantRejectedBy(t, v, c.gate)
			b := v.Gate(GateBuild)
			if !strings.Contains(strings.Join(b.Commands, "\n"), c.command) {
				t.Errorf("build gate commands %q, want one with %q", b.Commands, c.command)
			}
			if c.errAt != "" {
				path, msg, _ := strings.Cut(c.errAt, " ")
				if len(b.Errors) == 0 || b.Errors[0].Path != path || !strings.Contains(b.Errors[0].Message, msg) {
					t.Errorf("build errors %+v, want %s", b.Errors, c.errAt)
				}
			}
		})
	}
}
