package rules

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

// checkVars is ast-grep's check_vars and check_var_in_fix
// (crates/config/src/check_var.rs): a metavariable that constraints,
// transform or fix use must be one the rule defines — in its patterns
// (those of relations and stopBy included), in a local utility rule or a
// constraint's rule; a `matches` of a project utility defines none — and a
// transformation may not redefine one. The message is not checked.
func checkVars(src config.Rule, s *srule, local map[string]*rnode) error {
	vars := map[string]bool{}
	s.root.definedVars(vars)
	for _, u := range local {
		u.definedVars(vars)
	}
	for _, cr := range s.constraints {
		cr.definedVars(vars)
	}
	for _, name := range slices.Sorted(maps.Keys(s.constraints)) {
		if !vars[name] {
			return &Error{Pos: src.PosOf("constraints"), Rule: src.ID, Reason: fmt.Sprintf("constraints: $%s is not a metavariable of the rule", name)}
		}
	}
	for _, t := range src.Transforms {
		if vars[t.Name] {
			return &Error{Pos: t.Pos, Rule: src.ID, Reason: fmt.Sprintf("transform.%s: $%s is already a metavariable of the rule", t.Name, t.Name)}
		}
	}
	for _, t := range src.Transforms {
		vars[t.Name] = true
	}
	for _, t := range src.Transforms {
		if name := strings.TrimLeft(t.Source, "$"); !vars[name] {
			return &Error{Pos: t.Pos, Rule: src.ID, Reason: fmt.Sprintf("transform.%s: %s is not a metavariable of the rule", t.Name, t.Source)}
		}
	}
	if s.fix != nil {
		for _, v := range s.fix.vars {
			if !vars[v.name] {
				return &Error{Pos: src.PosOf("fix"), Rule: src.ID, Reason: fmt.Sprintf("fix: $%s is not a metavariable of the rule", v.name)}
			}
		}
	}
	return nil
}

// definedVars adds the metavariables r's patterns capture to vars.
func (r *rnode) definedVars(vars map[string]bool) {
	if r == nil {
		return
	}
	if r.pat != nil {
		r.pat.root.definedVars(vars)
	}
	for _, s := range r.subs {
		s.definedVars(vars)
	}
	r.inner.definedVars(vars)
	r.until.definedVars(vars)
}

func (p *pnode) definedVars(vars map[string]bool) {
	if p.mv != nil && (p.mv.kind == mvCapture || p.mv.kind == mvMultiCapture) {
		vars[p.mv.name] = true
	}
	for _, c := range p.children {
		c.definedVars(vars)
	}
}
