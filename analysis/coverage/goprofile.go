package coverage

import (
	"fmt"
	"io"

	"golang.org/x/tools/cover"
)

// ParseGo reads a Go cover profile ("mode: set" then lines of
// "importpath/file.go:sl.sc,el.ec stmts count") through golang.org/x/tools/cover,
// which merges a block repeated across packages as go tool cover does. path
// maps the profile's file names (import path plus base name) to workspace
// paths; files it rejects are skipped.
func ParseGo(r io.Reader, path func(string) (string, bool)) (*Profile, error) {
	profiles, err := cover.ParseProfilesFromReader(r)
	if err != nil {
		return nil, fmt.Errorf("cover profile: %v", err)
	}
	p := NewProfile()
	for _, f := range profiles {
		rel, ok := path(f.FileName)
		if !ok {
			continue
		}
		for _, b := range f.Blocks {
			p.Add(rel, Block{StartLine: b.StartLine, StartCol: b.StartCol, EndLine: b.EndLine, EndCol: b.EndCol, Stmts: b.NumStmt}, b.Count)
		}
	}
	return p, nil
}
