package testrun

import (
	"reflect"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

func TestGoCoverFlagsAndContentKey(t *testing.T) {
	dir := goModuleAB(t, map[string]string{
		"a/a_test.go":         "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) { _ = A() }\n",
		"onlytests/x_test.go": "package onlytests\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n",
	})
	snap := analysis.NewSnapshot(dir)
	flags, err := GoCoverFlags(snap, ".", Settings{})
	if err != nil {
		t.Fatal(err)
	}
	// Exactly what Run gives go test: the module's packages with code.
	if want := []string{"-covermode=set", "-coverpkg=example.com/m/a,example.com/m/b"}; !reflect.DeepEqual(flags, want) {
		t.Errorf("GoCoverFlags = %q, want %q", flags, want)
	}

	tests := []Test{{ID: "example.com/m/a.TestA", Language: "go", Package: "example.com/m/a", File: "a/a_test.go", Name: "TestA"}}
	key, ok, err := ContentKey(snap, tests, Settings{})
	if err != nil || !ok {
		t.Fatalf("ContentKey: %v %v", ok, err)
	}
	same, _, _ := ContentKey(snap.With(analysis.NewFile("b/b.go", []byte("package b\n\nfunc B() int { return 3 }\n"), 0)), tests, Settings{})
	if same != key {
		t.Error("a change to a package the tests do not import changed the key")
	}
	other, _, _ := ContentKey(snap.With(analysis.NewFile("a/a.go", []byte("package a\n\nfunc A() int { return 2 }\n"), 0)), tests, Settings{})
	if other == key {
		t.Error("a change to the tests' package kept the key")
	}
	if _, ok, _ := ContentKey(snap, []Test{{ID: "t.py::test_x", Language: "python", File: "t.py"}}, Settings{}); ok {
		t.Error("a key for a Python test: only Go tests have one")
	}
}
