package lsp

import (
	"encoding/json"

	lsp "github.com/sourcegraph/go-lsp"
	"github.com/sourcegraph/jsonrpc2"
)

// This file holds the LSP 3.17 wire types that github.com/sourcegraph/go-lsp
// lacks or declares too narrowly. Everything else comes from go-lsp. Only the
// fields the server reads or writes are declared: unknown fields a client
// sends are ignored, so an unusual client cannot fail initialize.

// Error codes of the LSP specification beyond JSON-RPC's.
const (
	codeServerNotInitialized = -32002
	codeRequestCancelled     = -32800
	codeContentModified      = -32801
)

// Position encodings (LSP 3.17 PositionEncodingKind).
const (
	encodingUTF8  = "utf-8"
	encodingUTF16 = "utf-16"
	encodingUTF32 = "utf-32"
)

// initializeParams is the part of InitializeParams the server uses.
type initializeParams struct {
	ProcessID    *int               `json:"processId"`
	RootURI      lsp.DocumentURI    `json:"rootUri,omitempty"`
	RootPath     string             `json:"rootPath,omitempty"`
	ClientInfo   *lsp.ClientInfo    `json:"clientInfo,omitempty"`
	Capabilities clientCapabilities `json:"capabilities"`
	Folders      []workspaceFolder  `json:"workspaceFolders,omitempty"`
}

type workspaceFolder struct {
	URI  lsp.DocumentURI `json:"uri"`
	Name string          `json:"name"`
}

type clientCapabilities struct {
	General struct {
		PositionEncodings []string `json:"positionEncodings,omitempty"`
	} `json:"general"`
	Workspace struct {
		ApplyEdit     bool `json:"applyEdit,omitempty"`
		WorkspaceEdit struct {
			DocumentChanges bool `json:"documentChanges,omitempty"`
		} `json:"workspaceEdit"`
		DidChangeWatchedFiles struct {
			DynamicRegistration bool `json:"dynamicRegistration,omitempty"`
		} `json:"didChangeWatchedFiles"`
	} `json:"workspace"`
	TextDocument struct {
		PublishDiagnostics struct {
			VersionSupport bool `json:"versionSupport,omitempty"`
		} `json:"publishDiagnostics"`
		CodeAction struct {
			CodeActionLiteralSupport *json.RawMessage `json:"codeActionLiteralSupport,omitempty"`
			IsPreferredSupport       bool             `json:"isPreferredSupport,omitempty"`
		} `json:"codeAction"`
	} `json:"textDocument"`
	Window struct {
		WorkDoneProgress bool `json:"workDoneProgress,omitempty"`
	} `json:"window"`
}

type initializeResult struct {
	Capabilities serverCapabilities `json:"capabilities"`
	ServerInfo   *serverInfo        `json:"serverInfo,omitempty"`
}

type serverInfo struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

type serverCapabilities struct {
	PositionEncoding       string                     `json:"positionEncoding,omitempty"`
	TextDocumentSync       textDocumentSyncOptions    `json:"textDocumentSync"`
	CodeActionProvider     *codeActionOptions         `json:"codeActionProvider,omitempty"`
	CodeLensProvider       *lsp.CodeLensOptions       `json:"codeLensProvider,omitempty"`
	ExecuteCommandProvider *lsp.ExecuteCommandOptions `json:"executeCommandProvider,omitempty"`
}

type textDocumentSyncOptions struct {
	OpenClose bool                     `json:"openClose"`
	Change    lsp.TextDocumentSyncKind `json:"change"`
	Save      *lsp.SaveOptions         `json:"save,omitempty"`
}

type codeActionOptions struct {
	CodeActionKinds []string `json:"codeActionKinds,omitempty"`
}

// Code action kinds.
const (
	kindQuickFix       = "quickfix"
	kindSourceFixAll   = "source.fixAll"
	kindFixAllGauntlet = "source.fixAll.gauntlet"
)

// publishDiagnosticsParams carries the document version (3.15+).
type publishDiagnosticsParams struct {
	URI         lsp.DocumentURI `json:"uri"`
	Version     *int32          `json:"version,omitempty"`
	Diagnostics []diagnostic    `json:"diagnostics"`
}

type diagnostic struct {
	Range           lsp.Range        `json:"range"`
	Severity        int              `json:"severity,omitempty"`
	Code            string           `json:"code,omitempty"`
	CodeDescription *codeDescription `json:"codeDescription,omitempty"`
	Source          string           `json:"source,omitempty"`
	Message         string           `json:"message"`
}

type codeDescription struct {
	Href string `json:"href"`
}

// didChangeParams uses int32 versions, as the protocol does.
type didChangeParams struct {
	TextDocument struct {
		URI     lsp.DocumentURI `json:"uri"`
		Version int32           `json:"version"`
	} `json:"textDocument"`
	ContentChanges []contentChange `json:"contentChanges"`
}

type contentChange struct {
	Range *lsp.Range `json:"range,omitempty"`
	Text  string     `json:"text"`
}

type didOpenParams struct {
	TextDocument struct {
		URI        lsp.DocumentURI `json:"uri"`
		LanguageID string          `json:"languageId"`
		Version    int32           `json:"version"`
		Text       string          `json:"text"`
	} `json:"textDocument"`
}

// cancelParams uses jsonrpc2's ID so that it matches the request's.
type cancelParams struct {
	ID jsonrpc2.ID `json:"id"`
}

type codeActionParams struct {
	TextDocument lsp.TextDocumentIdentifier `json:"textDocument"`
	Range        lsp.Range                  `json:"range"`
	Context      struct {
		Diagnostics []diagnostic `json:"diagnostics"`
		Only        []string     `json:"only,omitempty"`
	} `json:"context"`
}

type codeAction struct {
	Title       string         `json:"title"`
	Kind        string         `json:"kind,omitempty"`
	Diagnostics []diagnostic   `json:"diagnostics,omitempty"`
	IsPreferred bool           `json:"isPreferred,omitempty"`
	Edit        *workspaceEdit `json:"edit,omitempty"`
	Command     *lsp.Command   `json:"command,omitempty"`
}

// workspaceEdit holds either documentChanges (versioned, 3.x) or plain
// changes, depending on what the client supports.
type workspaceEdit struct {
	Changes         map[lsp.DocumentURI][]lsp.TextEdit `json:"changes,omitempty"`
	DocumentChanges []textDocumentEdit                 `json:"documentChanges,omitempty"`
}

type textDocumentEdit struct {
	TextDocument versionedDocument `json:"textDocument"`
	Edits        []lsp.TextEdit    `json:"edits"`
}

// versionedDocument is OptionalVersionedTextDocumentIdentifier: a nil
// version means the file on disk.
type versionedDocument struct {
	URI     lsp.DocumentURI `json:"uri"`
	Version *int32          `json:"version"`
}

type applyEditParams struct {
	Label string        `json:"label,omitempty"`
	Edit  workspaceEdit `json:"edit"`
}

type applyEditResult struct {
	Applied       bool   `json:"applied"`
	FailureReason string `json:"failureReason,omitempty"`
}

// Work done progress ($/progress).
type progressToken = json.RawMessage

type workDoneProgressCreateParams struct {
	Token progressToken `json:"token"`
}

type progressParams struct {
	Token progressToken `json:"token"`
	Value any           `json:"value"`
}

type workDoneProgressBegin struct {
	Kind        string `json:"kind"` // "begin"
	Title       string `json:"title"`
	Cancellable bool   `json:"cancellable,omitempty"`
	Message     string `json:"message,omitempty"`
	Percentage  *int   `json:"percentage,omitempty"`
}

type workDoneProgressReport struct {
	Kind       string `json:"kind"` // "report"
	Message    string `json:"message,omitempty"`
	Percentage *int   `json:"percentage,omitempty"`
}

type workDoneProgressEnd struct {
	Kind    string `json:"kind"` // "end"
	Message string `json:"message,omitempty"`
}

type workDoneProgressCancelParams struct {
	Token progressToken `json:"token"`
}

// Dynamic registration (client/registerCapability).
type registrationParams struct {
	Registrations []registration `json:"registrations"`
}

type registration struct {
	ID              string `json:"id"`
	Method          string `json:"method"`
	RegisterOptions any    `json:"registerOptions,omitempty"`
}

type didChangeWatchedFilesRegistrationOptions struct {
	Watchers []fileSystemWatcher `json:"watchers"`
}

type fileSystemWatcher struct {
	GlobPattern string `json:"globPattern"`
}

type didChangeWatchedFilesParams struct {
	Changes []struct {
		URI  lsp.DocumentURI `json:"uri"`
		Type int             `json:"type"`
	} `json:"changes"`
}

type codeLens struct {
	Range   lsp.Range    `json:"range"`
	Command *lsp.Command `json:"command,omitempty"`
}

type executeCommandParams struct {
	Command   string            `json:"command"`
	Arguments []json.RawMessage `json:"arguments,omitempty"`
}
