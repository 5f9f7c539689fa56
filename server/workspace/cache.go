package workspace

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/server"
)

// analyzerCache keeps each workspace's analyzers (compiled rules, started
// plugins) while its configuration files stay the same, for gauntlet
// serve: a request then pays for none of it. Entries replaced by a changed
// configuration are closed once the last request using them ends.
type analyzerCache struct {
	log io.Writer // the plugins' stderr and their failures

	mu      sync.Mutex
	entries map[string]*analyzerEntry // by root and --only
}

type analyzerEntry struct {
	stamp     string
	ready     chan struct{} // closed once analyzers or err is set
	analyzers []*analysis.Analyzer
	err       error
	close     func()
	refs      int
	stale     bool
}

func newAnalyzerCache(log io.Writer) *analyzerCache {
	return &analyzerCache{log: log, entries: map[string]*analyzerEntry{}}
}

// get returns the workspace's analyzers for only, compiling and starting
// them on first use (other requests for the same workspace wait for that;
// other workspaces do not), and a release to call when the request ends.
// A configuration that does not compile stays an error until it changes.
func (ac *analyzerCache) get(ws *workspace, only []string) ([]*analysis.Analyzer, func(), error) {
	key := ws.root + "\x00" + fmt.Sprint(only)
	stamp := configStamp(ws)
	ac.mu.Lock()
	e := ac.entries[key]
	build := e == nil || e.stamp != stamp
	if build {
		if e != nil {
			e.stale = true
			e.maybeClose()
		}
		e = &analyzerEntry{stamp: stamp, ready: make(chan struct{})}
		ac.entries[key] = e
	}
	e.refs++
	ac.mu.Unlock()
	var once sync.Once
	release := func() {
		once.Do(func() {
			ac.mu.Lock()
			defer ac.mu.Unlock()
			e.refs--
			e.maybeClose()
		})
	}
	if build {
		// Compile and start once, on a workspace of the cache's own (its
		// plugins outlive this request).
		own := *ws
		own.closers = nil
		own.stderr = ac.log
		own.engine = server.New(server.WithAnalyzers(syntax.Analyzer))
		err := own.loadAnalyzers(only)
		if err != nil {
			own.close()
		}
		ac.mu.Lock()
		if err != nil {
			e.err = err
		} else {
			e.analyzers, e.close = own.engine.Analyzers(), own.close
		}
		ac.mu.Unlock()
		close(e.ready)
	}
	<-e.ready
	if e.err != nil {
		release()
		return nil, nil, e.err
	}
	return e.analyzers, release, nil
}

func (e *analyzerEntry) maybeClose() {
	if e.stale && e.refs == 0 && e.close != nil {
		e.close()
		e.close = nil
	}
}

// closeAll stops every cached plugin (server shutdown).
func (ac *analyzerCache) closeAll() {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	for k, e := range ac.entries {
		e.stale = true
		if e.close != nil {
			e.close()
			e.close = nil
		}
		delete(ac.entries, k)
	}
}

// configStamp identifies the configuration's files as they are now: their
// paths, sizes and modification times.
func configStamp(ws *workspace) string {
	files := append([]string{filepath.Join(ws.root, config.FileName), ws.cfg.Path}, ws.cfg.RuleFiles...)
	for _, p := range ws.cfg.Plugins {
		files = append(files, p.Path)
	}
	var b bytes.Buffer
	for _, f := range files {
		if f == "" {
			continue
		}
		st, err := os.Stat(f)
		if err != nil {
			fmt.Fprintf(&b, "%s:-;", f)
			continue
		}
		fmt.Fprintf(&b, "%s:%d:%d;", f, st.Size(), st.ModTime().UnixNano())
	}
	return b.String()
}

// fileCache keeps the files gauntlet serve has read, with their parsed
// trees, so that a file unchanged since an earlier request is not parsed
// again, and requests at once share one parse and one tree. A file is
// reused only when its content is byte for byte the same.
type fileCache struct {
	mu    sync.Mutex
	files map[string]*analysis.File // by root and snapshot path
}

func newFileCache() *fileCache { return &fileCache{files: map[string]*analysis.File{}} }

// share returns snap with the files at paths taken from the cache where
// their content did not change (open buffers, already overlays, are left
// as they are).
func (fc *fileCache) share(snap *analysis.Snapshot, paths []string) *analysis.Snapshot {
	overlay := map[string]bool{}
	for _, p := range snap.Overlays() {
		overlay[p] = true
	}
	var shared []*analysis.File
	for _, p := range paths {
		if overlay[p] {
			continue
		}
		content, err := os.ReadFile(snap.Abs(p))
		if err != nil {
			continue // the snapshot reports it
		}
		key := snap.Root() + "\x00" + p
		fc.mu.Lock()
		f := fc.files[key]
		if f == nil || !bytes.Equal(f.Content, content) {
			f = analysis.NewFile(p, content, 0)
			fc.files[key] = f
		}
		fc.mu.Unlock()
		shared = append(shared, f)
	}
	return snap.With(shared...)
}
