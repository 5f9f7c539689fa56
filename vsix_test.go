package gauntlet_test

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// TestVSIX: `make vsix` packages the VS Code extension with vsce without a
// warning: bundled (no node_modules in the package), with its repository,
// LICENSE and icon; the bundle loads and exports activate. It needs npm and
// the npm registry, so it runs in CI only.
func TestVSIX(t *testing.T) {
	testenv.CIOnly(t, "needs npm and the npm registry")
	for _, tool := range []string{"make", "npm", "node"} {
		testenv.NeedTool(t, tool)
	}
	vsix := filepath.Join("bin", "gauntlet-vscode.vsix")
	os.Remove(vsix)
	out, err := exec.Command("make", "vsix").CombinedOutput()
	if err != nil {
		t.Fatalf("make vsix: %v\n%s", err, out)
	}
	if strings.Contains(strings.ToUpper(string(out)), "WARNING") {
		t.Errorf("vsce warned:\n%s", out)
	}
	z, err := zip.OpenReader(vsix)
	if err != nil {
		t.Fatalf("%s: %v\n%s", vsix, err, out)
	}
	defer z.Close()
	have := map[string]bool{}
	for _, f := range z.File {
		have[f.Name] = true
		if strings.Contains(f.Name, "node_modules/") {
			t.Errorf("unbundled file in the package: %s", f.Name)
		}
	}
	for _, want := range []string{"extension/dist/extension.js", "extension/package.json", "extension/LICENSE.txt", "extension/icon.png", "extension/readme.md"} {
		if !have[want] {
			t.Errorf("%s not in the package: %v", want, have)
		}
	}
	// The bundle loads with only the editor's own module ("vscode", a stub
	// here) outside it.
	script := `const Module = require('module');
const orig = Module._load;
const stub = new Proxy({}, { get: () => class {} });
Module._load = function (req, ...rest) { return req === 'vscode' ? stub : orig.call(this, req, ...rest); };
const ext = require(process.argv[1]);
if (typeof ext.activate !== 'function' || typeof ext.deactivate !== 'function') { throw new Error('no activate/deactivate'); }
console.log('ok');`
	abs, _ := filepath.Abs(filepath.Join("editors", "vscode", "dist", "extension.js"))
	if out, err := exec.Command("node", "-e", script, abs).CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "ok" {
		lines := strings.Split(string(out), "\n")
		t.Errorf("the bundle does not load: %v\n%s", err, lines[len(lines)-min(len(lines), 5):])
	}
}
