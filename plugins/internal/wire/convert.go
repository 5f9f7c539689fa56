package wire

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	pb "github.com/gauntlet-dev/gauntlet/plugins/internal/pluginv1"
)

// Conversions between gauntlet's values and the protocol's messages. The
// *ToProto functions never fail: strings that protobuf requires to be UTF-8
// (messages, titles) are made valid, and offsets are clamped at zero. The
// *FromProto functions that read what a plugin sent check what the host
// relies on: a fix's edits stay inside the workspace.

// SeverityToProto converts a severity; 0 stays unspecified.
func SeverityToProto(s analysis.Severity) pb.Severity {
	if s >= analysis.SeverityError && s <= analysis.SeverityHint {
		return pb.Severity(s)
	}
	return pb.Severity_SEVERITY_UNSPECIFIED
}

// SeverityFromProto converts a severity; unspecified or unknown is 0.
func SeverityFromProto(s pb.Severity) analysis.Severity {
	if s >= pb.Severity_SEVERITY_ERROR && s <= pb.Severity_SEVERITY_HINT {
		return analysis.Severity(s)
	}
	return 0
}

// DescriptionToProto converts a plugin's description.
func DescriptionToProto(d *Description) *pb.DescribeResponse {
	out := &pb.DescribeResponse{Name: utf8(d.Name), Version: utf8(d.Version), AcceptsEdits: d.AcceptsEdits}
	for _, a := range d.Analyzers {
		out.Analyzers = append(out.Analyzers, &pb.AnalyzerInfo{
			Name:      utf8(a.Name),
			Doc:       utf8(a.Doc),
			Url:       utf8(a.URL),
			Languages: a.Languages,
			Severity:  SeverityToProto(a.Severity),
		})
	}
	return out
}

// DescriptionFromProto converts a plugin's description.
func DescriptionFromProto(m *pb.DescribeResponse) *Description {
	d := &Description{Name: m.GetName(), Version: m.GetVersion(), AcceptsEdits: m.GetAcceptsEdits()}
	for _, a := range m.GetAnalyzers() {
		d.Analyzers = append(d.Analyzers, AnalyzerInfo{
			Name:      a.GetName(),
			Doc:       a.GetDoc(),
			URL:       a.GetUrl(),
			Languages: a.GetLanguages(),
			Severity:  SeverityFromProto(a.GetSeverity()),
		})
	}
	return d
}

// FileToProto converts a file; its language is sent by name.
func FileToProto(f *analysis.File) *pb.File {
	m := &pb.File{Path: f.Path, Content: f.Content, Version: f.Version}
	if f.Lang != nil {
		m.Language = f.Lang.Name
	}
	return m
}

// FileFromProto converts a file. A language this side does not know falls
// back to the one of the path's extension (possibly none).
func FileFromProto(m *pb.File) *analysis.File {
	lang := analysis.LanguageNamed(m.GetLanguage())
	if lang == nil {
		lang = analysis.LanguageForPath(m.GetPath())
	}
	return analysis.NewFileLang(m.GetPath(), m.GetContent(), m.GetVersion(), lang)
}

// RequestToProto converts an Analyze request.
func RequestToProto(r *Request) *pb.AnalyzeRequest {
	m := &pb.AnalyzeRequest{Analyzers: r.Analyzers}
	for _, f := range r.Files {
		m.Files = append(m.Files, FileToProto(f))
	}
	return m
}

// RequestFromProto converts an Analyze request, with each file's revision
// and edit (whose file has no content).
func RequestFromProto(m *pb.AnalyzeRequest) *Request {
	r := &Request{Analyzers: m.GetAnalyzers()}
	for _, f := range m.GetFiles() {
		r.Files = append(r.Files, FileFromProto(f))
		r.Revisions = append(r.Revisions, f.GetRevision())
		var e *FileEdit
		if pe := f.GetEdit(); pe != nil {
			e = &FileEdit{BaseRevision: pe.GetBaseRevision()}
			for _, c := range pe.GetChanges() {
				e.Changes = append(e.Changes, analysis.Change{Start: int(c.GetStart()), End: int(c.GetEnd()), Text: string(c.GetText())})
			}
			r.Files[len(r.Files)-1].Content = nil
		}
		r.Edits = append(r.Edits, e)
	}
	return r
}

// ResultToProto converts an Analyze result.
func ResultToProto(r *Result) *pb.AnalyzeResponse {
	m := &pb.AnalyzeResponse{NeedContent: r.NeedContent}
	for _, f := range r.Findings {
		m.Diagnostics = append(m.Diagnostics, DiagnosticToProto(f.Analyzer, f.Diagnostic))
	}
	for _, e := range r.Errors {
		msg := ""
		if e.Err != nil {
			msg = e.Err.Error()
		}
		m.Errors = append(m.Errors, &pb.AnalyzerError{Analyzer: e.Analyzer, Path: e.Path, Message: utf8(msg)})
	}
	return m
}

// ResultFromProto converts an Analyze result, refusing fixes whose edits
// leave the workspace (the whole result is refused: a plugin that sends
// them is broken or hostile).
func ResultFromProto(m *pb.AnalyzeResponse) (*Result, error) {
	r := &Result{}
	for _, d := range m.GetDiagnostics() {
		diag, err := DiagnosticFromProto(d)
		if err != nil {
			return nil, fmt.Errorf("analyzer %s: %w", d.GetAnalyzer(), err)
		}
		r.Findings = append(r.Findings, Finding{Analyzer: d.GetAnalyzer(), Diagnostic: diag})
	}
	for _, e := range m.GetErrors() {
		r.Errors = append(r.Errors, &analysis.AnalyzerError{Analyzer: e.GetAnalyzer(), Path: e.GetPath(), Err: errors.New(e.GetMessage())})
	}
	r.NeedContent = m.GetNeedContent()
	return r, nil
}

// DiagnosticToProto converts one diagnostic reported by analyzer.
func DiagnosticToProto(analyzer string, d analysis.Diagnostic) *pb.Diagnostic {
	m := &pb.Diagnostic{
		Analyzer: analyzer,
		Path:     d.Path,
		Start:    offset(d.Start),
		End:      offset(max(d.End, d.Start)),
		Severity: SeverityToProto(d.Severity),
		Code:     utf8(d.Code),
		Message:  utf8(d.Message),
		Url:      utf8(d.URL),
	}
	for _, f := range d.Fixes {
		pf := &pb.Fix{Title: utf8(f.Title)}
		for _, e := range f.Edits {
			pf.Edits = append(pf.Edits, &pb.TextEdit{Path: e.Path, Start: offset(e.Start), End: offset(max(e.End, e.Start)), NewText: []byte(e.NewText)})
		}
		m.Fixes = append(m.Fixes, pf)
	}
	return m
}

// DiagnosticFromProto converts one diagnostic. An edit without a path is in
// the diagnostic's file; an edit whose path is absolute or leaves the
// workspace is an error. Source is left empty: the host sets it.
func DiagnosticFromProto(m *pb.Diagnostic) (analysis.Diagnostic, error) {
	d := analysis.Diagnostic{
		Path:     m.GetPath(),
		Start:    int(m.GetStart()),
		End:      int(max(m.GetEnd(), m.GetStart())),
		Severity: SeverityFromProto(m.GetSeverity()),
		Code:     m.GetCode(),
		Message:  m.GetMessage(),
		URL:      m.GetUrl(),
	}
	for _, f := range m.GetFixes() {
		fix := analysis.Fix{Title: f.GetTitle()}
		for _, e := range f.GetEdits() {
			p := e.GetPath()
			if p == "" {
				p = d.Path
			}
			if !inWorkspace(p) {
				return d, fmt.Errorf("fix %q edits %q, outside the workspace", f.GetTitle(), e.GetPath())
			}
			fix.Edits = append(fix.Edits, analysis.TextEdit{Path: p, Start: int(e.GetStart()), End: int(max(e.GetEnd(), e.GetStart())), NewText: string(e.GetNewText())})
		}
		d.Fixes = append(d.Fixes, fix)
	}
	return d, nil
}

// inWorkspace reports whether p is a clean relative slash path that stays
// below the workspace root.
func inWorkspace(p string) bool {
	if p == "" || path.IsAbs(p) || strings.Contains(p, `\`) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
		return false
	}
	// Nor into .git, under any name a file system takes for it; the
	// workspace's links are resolved where the fix is applied
	// (analysis.ResolvePath in verify's apply gate).
	for _, seg := range strings.Split(p, "/") {
		if analysis.GitName(seg) {
			return false
		}
	}
	return true
}

func offset(n int) uint32 {
	if n < 0 {
		return 0
	}
	return uint32(n)
}

func utf8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
