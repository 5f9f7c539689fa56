package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// SARIF 2.1.0, as GitHub code scanning and other SARIF consumers read it.
// Columns count Unicode code points (SARIF's default columnKind), lines and
// columns are 1-based, and an end column is just past the last character.

const (
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	sarifVersion = "2.1.0"
	toolURI      = "https://github.com/gauntlet-dev/gauntlet"
)

// SARIFLog is the document `gauntlet check --format sarif` prints.
type SARIFLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []SARIFRun `json:"runs"`
}

// SARIFRun is the one run of a check.
type SARIFRun struct {
	Tool SARIFTool `json:"tool"`
	// OriginalURIBaseIDs defines %SRCROOT%, the repository root every
	// artifact URI is relative to: a file: URI when the root is known, a
	// description only otherwise.
	OriginalURIBaseIDs map[string]SARIFBaseLocation `json:"originalUriBaseIds"`
	Results            []SARIFResult                `json:"results"`
	ColumnKind         string                       `json:"columnKind"`
}

// SARIFBaseLocation is the artifactLocation of a URI base id.
type SARIFBaseLocation struct {
	URI         string        `json:"uri,omitempty"`
	Description *SARIFMessage `json:"description,omitempty"`
}

// SARIFTool describes gauntlet and its rules.
type SARIFTool struct {
	Driver SARIFDriver `json:"driver"`
}

// SARIFDriver is the tool component: gauntlet, with every analyzer as a rule.
type SARIFDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []SARIFRule `json:"rules"`
}

// SARIFRule is a reportingDescriptor: one analyzer or rule.
type SARIFRule struct {
	ID                   string       `json:"id"`
	ShortDescription     SARIFMessage `json:"shortDescription"`
	FullDescription      SARIFMessage `json:"fullDescription"`
	HelpURI              string       `json:"helpUri,omitempty"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
}

// SARIFMessage is a plain-text message.
type SARIFMessage struct {
	Text string `json:"text"`
}

// SARIFResult is one diagnostic.
type SARIFResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             SARIFMessage      `json:"message"`
	Locations           []SARIFLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Fixes               []SARIFFix        `json:"fixes,omitempty"`
}

// SARIFLocation holds a physical location.
type SARIFLocation struct {
	PhysicalLocation SARIFPhysicalLocation `json:"physicalLocation"`
}

// SARIFPhysicalLocation is a file and a region of it.
type SARIFPhysicalLocation struct {
	ArtifactLocation SARIFArtifactLocation `json:"artifactLocation"`
	Region           SARIFRegion           `json:"region"`
}

// SARIFArtifactLocation names a file relative to the repository root: a
// percent-encoded relative reference resolved against URIBaseID.
type SARIFArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

// srcRoot is the URI base id of the repository root, the name GitHub code
// scanning and other consumers know.
const srcRoot = "%SRCROOT%"

// sarifURI percent-encodes a slash-separated relative path as RFC 3986
// requires of a relative reference: each segment through url.PathEscape
// (space, '#', '?', '%' and non-ASCII escaped), and ':' as well, since a
// colon in the first segment would read as a URI scheme.
func sarifURI(p string) string {
	segs := strings.Split(filepath.ToSlash(p), "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
	}
	return strings.Join(segs, "/")
}

// artifact is the location of a snapshot path.
func (in *Input) artifact(p string) SARIFArtifactLocation {
	return SARIFArtifactLocation{URI: sarifURI(in.repoPath(p)), URIBaseID: srcRoot}
}

// rootURI is the file: URI of a directory, with its trailing slash.
func rootURI(dir string) string {
	d := filepath.ToSlash(dir)
	if !strings.HasPrefix(d, "/") {
		d = "/" + d // a Windows drive: file:///C:/...
	}
	u := url.URL{Scheme: "file", Path: strings.TrimSuffix(d, "/") + "/"}
	return u.String()
}

// SARIFRegion is a 1-based range in Unicode code points.
type SARIFRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn"`
}

// SARIFFix is a fix as changes to files.
type SARIFFix struct {
	Description     SARIFMessage          `json:"description"`
	ArtifactChanges []SARIFArtifactChange `json:"artifactChanges"`
}

// SARIFArtifactChange is the replacements of one file.
type SARIFArtifactChange struct {
	ArtifactLocation SARIFArtifactLocation `json:"artifactLocation"`
	Replacements     []SARIFReplacement    `json:"replacements"`
}

// SARIFReplacement deletes a region and inserts text in its place. A
// deletion carries an empty insertedContent: SARIF allows leaving it out,
// but consumers (reviewdog v0.21.0) dereference it.
type SARIFReplacement struct {
	DeletedRegion   SARIFRegion  `json:"deletedRegion"`
	InsertedContent SARIFMessage `json:"insertedContent"`
}

// fingerprintKey names gauntlet's own partial fingerprint; GitHub computes
// its primaryLocationLineHash itself.
const fingerprintKey = "gauntlet/v1"

// ToSARIF converts the input to a SARIF log.
func ToSARIF(in *Input) SARIFLog {
	driver := SARIFDriver{Name: "gauntlet", Version: in.ToolVersion, InformationURI: toolURI, Rules: []SARIFRule{}}
	index := map[string]int{}
	addRule := func(id, doc, url string, sev analysis.Severity) int {
		if i, ok := index[id]; ok {
			return i
		}
		if doc == "" {
			doc = id
		}
		short, _, _ := strings.Cut(doc, "\n")
		r := SARIFRule{ID: id, ShortDescription: SARIFMessage{short}, FullDescription: SARIFMessage{doc}, HelpURI: url}
		r.DefaultConfiguration.Level = sarifLevels.of(sev)
		index[id] = len(driver.Rules)
		driver.Rules = append(driver.Rules, r)
		return index[id]
	}
	for _, a := range in.Analyzers {
		sev := a.Severity
		if sev == 0 {
			sev = analysis.SeverityWarning
		}
		addRule(a.Name, a.Doc, a.URL, sev)
	}
	results := []SARIFResult{}
	seen := map[string]int{} // fingerprint base -> occurrences so far
	for _, d := range in.Diagnostics {
		loc := in.artifact(d.Path)
		r := SARIFResult{
			RuleID:    d.Code,
			RuleIndex: addRule(d.Code, "", d.URL, d.Severity),
			Level:     sarifLevels.of(d.Severity),
			Message:   SARIFMessage{d.Message},
			Locations: []SARIFLocation{{PhysicalLocation: SARIFPhysicalLocation{
				ArtifactLocation: loc,
				Region:           in.sarifRegion(d.Path, d.Start, d.End),
			}}},
		}
		base := in.fingerprint(d, in.repoPath(d.Path))
		r.PartialFingerprints = map[string]string{fingerprintKey: fmt.Sprintf("%s:%d", base, seen[base]+1)}
		seen[base]++
		for _, f := range d.Fixes {
			fix := SARIFFix{Description: SARIFMessage{f.Title}}
			byPath := map[string]int{}
			for _, e := range f.Edits {
				p := e.Path
				if p == "" {
					p = d.Path
				}
				i, ok := byPath[p]
				if !ok {
					i = len(fix.ArtifactChanges)
					byPath[p] = i
					fix.ArtifactChanges = append(fix.ArtifactChanges, SARIFArtifactChange{ArtifactLocation: in.artifact(p)})
				}
				rep := SARIFReplacement{DeletedRegion: in.sarifRegion(p, e.Start, e.End), InsertedContent: SARIFMessage{e.NewText}}
				fix.ArtifactChanges[i].Replacements = append(fix.ArtifactChanges[i].Replacements, rep)
			}
			if len(fix.ArtifactChanges) > 0 {
				r.Fixes = append(r.Fixes, fix)
			}
		}
		results = append(results, r)
	}
	base := SARIFBaseLocation{Description: &SARIFMessage{"the repository root"}}
	if in.RepoRoot != "" {
		base.URI = rootURI(in.RepoRoot)
	}
	return SARIFLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []SARIFRun{{Tool: SARIFTool{Driver: driver}, OriginalURIBaseIDs: map[string]SARIFBaseLocation{srcRoot: base},
			Results: results, ColumnKind: "unicodeCodePoints"}},
	}
}

func (in *Input) sarifRegion(path string, start, end int) SARIFRegion {
	r := in.RangeOf(path, start, end, analysis.UTF32)
	return SARIFRegion{StartLine: r.Start.Line, StartColumn: r.Start.Column, EndLine: r.End.Line, EndColumn: r.End.Column}
}

// fingerprint identifies a finding independently of its line number: the
// rule, the file, and the text of the line it starts on (trimmed), so that a
// finding keeps its identity when code above it moves. Identical findings
// are told apart by their order (the ":N" suffix).
func (in *Input) fingerprint(d analysis.Diagnostic, uri string) string {
	line := ""
	if f := in.Files[d.Path]; f != nil {
		m := f.Mapper()
		start, end := m.LineRange(m.Line(d.Start))
		line = strings.Join(strings.Fields(string(f.Content[start:end])), " ")
	}
	h := sha256.Sum256([]byte(d.Code + "\x00" + uri + "\x00" + line))
	return hex.EncodeToString(h[:8])
}

var sarifLevels = levels{"error", "warning", "note"}

func writeSARIF(w io.Writer, in *Input) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(ToSARIF(in))
}

func init() { Register("sarif", writeSARIF) }
