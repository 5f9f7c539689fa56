// A minimal VS Code client for `gauntlet lsp`: it starts the server on stdio
// for Go, Python, JavaScript and TypeScript files and leaves the rest to
// vscode-languageclient (diagnostics, quick fixes, code lenses, progress).
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('gauntlet').get('path') || 'gauntlet';
  const serverOptions = {
    run: { command, args: ['lsp'], transport: TransportKind.stdio },
    debug: { command, args: ['lsp'], transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: ['go', 'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact']
      .map((language) => ({ scheme: 'file', language })),
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{.gauntlet.yaml,*.gauntlet.yaml,rules/**/*.yaml}'),
    },
  };
  client = new LanguageClient('gauntlet', 'gauntlet', serverOptions, clientOptions);
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
