package analysis

import (
	"path/filepath"
	"sort"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/golang"
	"github.com/smacker/go-tree-sitter/javascript"
	"github.com/smacker/go-tree-sitter/python"
	"github.com/smacker/go-tree-sitter/typescript/tsx"
	"github.com/smacker/go-tree-sitter/typescript/typescript"
)

// Language is one language gauntlet parses: its name (used in rules and
// configuration), the file extensions and LSP languageIds that select it, and
// its tree-sitter grammar.
type Language struct {
	Name        string   // "go", "python", "javascript", "typescript", "tsx"
	Extensions  []string // with the dot: ".go"
	LanguageIDs []string // LSP languageIds: "go", "javascriptreact", ...
	Grammar     *sitter.Language
	// LineComment is the token that starts a line comment ("//", "#").
	LineComment string
}

// The set of compiled grammars is deliberate: each costs cgo build time.
var languages = []*Language{
	{Name: "go", Extensions: []string{".go"}, LanguageIDs: []string{"go"}, Grammar: golang.GetLanguage(), LineComment: "//"},
	{Name: "python", Extensions: []string{".py", ".pyi"}, LanguageIDs: []string{"python"}, Grammar: python.GetLanguage(), LineComment: "#"},
	{Name: "javascript", Extensions: []string{".js", ".mjs", ".cjs", ".jsx"}, LanguageIDs: []string{"javascript", "javascriptreact"}, Grammar: javascript.GetLanguage(), LineComment: "//"},
	{Name: "typescript", Extensions: []string{".ts", ".mts", ".cts"}, LanguageIDs: []string{"typescript"}, Grammar: typescript.GetLanguage(), LineComment: "//"},
	{Name: "tsx", Extensions: []string{".tsx"}, LanguageIDs: []string{"typescriptreact", "tsx"}, Grammar: tsx.GetLanguage(), LineComment: "//"},
}

var (
	byName = map[string]*Language{}
	byExt  = map[string]*Language{}
	byID   = map[string]*Language{}
)

func init() {
	for _, l := range languages {
		if byName[l.Name] != nil {
			panic("analysis: duplicate language " + l.Name)
		}
		byName[l.Name] = l
		for _, e := range l.Extensions {
			if byExt[e] != nil {
				panic("analysis: extension registered twice: " + e)
			}
			byExt[e] = l
		}
		for _, id := range l.LanguageIDs {
			byID[id] = l
		}
	}
}

// Languages returns every registered language, sorted by name.
func Languages() []*Language {
	out := append([]*Language(nil), languages...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LanguageNamed returns the language with this name, or nil.
func LanguageNamed(name string) *Language { return byName[name] }

// LanguageForPath returns the language of a file by its extension, or nil.
func LanguageForPath(path string) *Language {
	return byExt[strings.ToLower(filepath.Ext(path))]
}

// LanguageForID returns the language for an LSP languageId, or nil.
func LanguageForID(id string) *Language { return byID[id] }

// LanguageNames lists the names accepted in configuration.
func LanguageNames() []string {
	var out []string
	for _, l := range Languages() {
		out = append(out, l.Name)
	}
	return out
}
