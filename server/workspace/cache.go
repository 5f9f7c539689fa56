package workspace

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

// analyzerCache is the one cache of compiled rules and started plugins,
// keyed by configuration, that gauntlet serve and mcp share between
// requests and gauntlet lsp between configuration reloads: a request pays
// for none of it. Compiled rules are kept while the configuration's files
// stay the same; started plugins while their configuration (the plugins:
// entries and their executables) does, so that a changed rule keeps them
// running, with their restart budget. Entries replaced by a changed
// configuration are closed once the last request or session using them
// lets go.
type analyzerCache struct {
	log  io.Writer    // the plugins' stderr
	load PluginLoader // starts plugins; nil: none may be configured

	mu      sync.Mutex
	entries map[string]*cacheEntry // assembled analyzers, by root, --only and partial
	plugins map[string]*cacheEntry // started plugins' analyzers, by root
}

// cacheEntry is one cached set of analyzers, ref-counted.
type cacheEntry struct {
	stamp     string        // the configuration it was made for
	ready     chan struct{} // closed once analyzers or err is set
	analyzers []*analysis.Analyzer
	err       error
	close     func()
	refs      int
	stale     bool // replaced: closed once refs drops to 0
}

func newAnalyzerCache(log io.Writer, load PluginLoader) *analyzerCache {
	return &analyzerCache{log: log, load: load, entries: map[string]*cacheEntry{}, plugins: map[string]*cacheEntry{}}
}

// get returns the analyzers of the workspace at root with configuration
// cfg, for only and partial (see assemble), compiling and starting them on
// first use (other callers for the same workspace wait for that; other
// workspaces do not), and a release to call when the caller stops using
// them. A configuration that does not compile stays an error until it
// changes; with partial, analyzers may come back beside the error, and
// release is then to be called too.
func (ac *analyzerCache) get(ctx context.Context, root string, cfg *config.Config, only []string, partial bool) ([]*analysis.Analyzer, func(), error) {
	key := fmt.Sprint(root, "\x00", only, "\x00", partial)
	e, release := ac.acquire(ac.entries, key, configStamp(root, cfg), func() ([]*analysis.Analyzer, func(), error) {
		stop := func() {}
		as, err := assemble(cfg, only, partial, func(cfg *config.Config) ([]*analysis.Analyzer, error) {
			p, release := ac.acquire(ac.plugins, root, pluginStamp(cfg), func() ([]*analysis.Analyzer, func(), error) {
				// Started once for the cache: they outlive this caller.
				return startPlugins(ctx, cfg, ac.load, ac.log)
			})
			stop = release
			return p.analyzers, p.err
		})
		if as == nil {
			stop()
			return nil, nil, err
		}
		return as, stop, err
	})
	if e.err != nil && (e.analyzers == nil || !partial) {
		release()
		return nil, nil, e.err
	}
	return e.analyzers, release, e.err
}

// acquire returns the entry of key in m made for stamp, calling build
// (outside the lock) when there is none or the configuration changed; the
// entry it replaces is closed once unused. Call release when done with the
// entry.
func (ac *analyzerCache) acquire(m map[string]*cacheEntry, key, stamp string, build func() ([]*analysis.Analyzer, func(), error)) (_ *cacheEntry, release func()) {
	ac.mu.Lock()
	e := m[key]
	var old *cacheEntry
	fresh := e == nil || e.stamp != stamp
	if fresh {
		old = e
		e = &cacheEntry{stamp: stamp, ready: make(chan struct{})}
		m[key] = e
	}
	e.refs++
	ac.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			ac.mu.Lock()
			e.refs--
			closeIt := e.closer()
			ac.mu.Unlock()
			closeIt()
		})
	}
	if fresh {
		as, closeFn, err := build()
		ac.mu.Lock()
		e.analyzers, e.close, e.err = as, closeFn, err
		closeOld := func() {}
		if old != nil {
			// Only now: what old shares with e (its plugins) stays running.
			old.stale = true
			closeOld = old.closer()
		}
		ac.mu.Unlock()
		close(e.ready)
		closeOld()
	}
	<-e.ready
	return e, release
}

// closer takes the entry's close function if the entry is to close now (a
// no-op otherwise); call it with the lock held, and what it returns
// without.
func (e *cacheEntry) closer() func() {
	if !e.stale || e.refs > 0 || e.close == nil {
		return func() {}
	}
	f := e.close
	e.close = nil
	return f
}

// closeAll stops every cached plugin (server shutdown, end of session).
func (ac *analyzerCache) closeAll() {
	ac.mu.Lock()
	var closers []func()
	for _, m := range []map[string]*cacheEntry{ac.entries, ac.plugins} {
		for k, e := range m {
			e.stale = true
			if e.close != nil {
				closers = append(closers, e.close)
				e.close = nil
			}
			delete(m, k)
		}
	}
	ac.mu.Unlock()
	for _, f := range closers {
		f()
	}
}

// pluginStamp identifies the plugins' configuration: their entries (not
// where they are written) and their executables as they are now.
func pluginStamp(cfg *config.Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s;", cfg.Path)
	for _, p := range cfg.Plugins {
		p.Pos = config.Pos{}
		fmt.Fprintf(&b, "%#v;%s", p, statStamp(p.Path))
	}
	return b.String()
}

// configStamp identifies the configuration's files as they are now: their
// paths, sizes and modification times.
func configStamp(root string, cfg *config.Config) string {
	files := append([]string{filepath.Join(root, config.FileName), cfg.Path}, cfg.RuleFiles...)
	for _, p := range cfg.Plugins {
		files = append(files, p.Path)
	}
	var b strings.Builder
	for _, f := range files {
		if f != "" {
			b.WriteString(statStamp(f))
		}
	}
	return b.String()
}

// statStamp is a file's path, size and modification time.
func statStamp(f string) string {
	st, err := os.Stat(f)
	if err != nil {
		return f + ":-;"
	}
	return fmt.Sprintf("%s:%d:%d;", f, st.Size(), st.ModTime().UnixNano())
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
