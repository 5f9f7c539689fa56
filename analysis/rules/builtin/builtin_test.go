package builtin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/rules"
	"github.com/gauntlet-dev/gauntlet/analysis/rules/builtin"
)

// The built-in packs compile and pass their own test cases, as
// `gauntlet rules test` runs them.
func TestPacks(t *testing.T) {
	s, err := rules.Compile(builtin.Rules())
	if err != nil {
		t.Fatal(err)
	}
	res := s.Test(context.Background(), builtin.Tests())
	for _, f := range res.Failures {
		t.Error(f)
	}
	if res.Cases == 0 {
		t.Fatal("no test cases")
	}
}

// Every built-in rule is documented and tested both ways.
func TestEveryRuleDocumentedAndTested(t *testing.T) {
	valid, invalid := map[string]int{}, map[string]int{}
	for _, tc := range builtin.Tests() {
		valid[tc.ID] += len(tc.Valid)
		invalid[tc.ID] += len(tc.Invalid)
	}
	langs := map[string]bool{}
	for _, r := range builtin.Rules() {
		if r.Doc == "" || !strings.HasPrefix(r.URL, "https://") {
			t.Errorf("%s: %s needs a doc line and a url", r.Pos, r.ID)
		}
		if valid[r.ID] == 0 || invalid[r.ID] == 0 {
			t.Errorf("%s: %s needs valid and invalid test cases", r.Pos, r.ID)
		}
		for _, l := range r.Languages {
			if !builtin.OptIn(r.ID) {
				langs[l] = true
			}
		}
	}
	for _, l := range analysis.LanguageNames() {
		if !langs[l] {
			t.Errorf("no built-in rule on by default for %s", l)
		}
	}
}

func TestSelect(t *testing.T) {
	ids := func(rs []config.Rule) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return " " + strings.Join(out, " ") + " "
	}
	def := ids(builtin.Select(config.Default(t.TempDir())))
	if !strings.Contains(def, " go-defer-in-loop ") || strings.Contains(def, " go-println ") {
		t.Errorf("default selection: %s", def)
	}
	cfg := config.Default(t.TempDir())
	cfg.Disable = []string{"builtin"}
	cfg.Enable = []string{"go-println"}
	if got := ids(builtin.Select(cfg)); got != " go-println " {
		t.Errorf("builtin disabled, go-println enabled: %s", got)
	}
}
