package coverage

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Cache stores values as JSON files under a directory, by key. Keys are
// content hashes, so an entry never goes stale: a changed input is a new key.
// Writes are atomic (rename), so concurrent gauntlet processes at worst
// compute the same entry twice.
type Cache struct {
	Dir string
}

// DefaultCacheDir is $GAUNTLET_CACHE if set, else os.UserCacheDir()/gauntlet,
// or a directory under the system's temporary directory when there is no
// user cache directory.
func DefaultCacheDir() string {
	if d := os.Getenv("GAUNTLET_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "gauntlet")
	}
	return filepath.Join(os.TempDir(), "gauntlet-cache")
}

// Key hashes its parts into a cache key.
func Key(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s\n", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (c *Cache) path(group, key string) string {
	return filepath.Join(c.Dir, safeName(group), key+".json")
}

// Has reports whether the group holds any entry, of any key: whether what
// it caches was ever built here.
func (c *Cache) Has(group string) bool {
	if c == nil || c.Dir == "" {
		return false
	}
	ents, err := os.ReadDir(filepath.Join(c.Dir, safeName(group)))
	if err != nil {
		return false
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") {
			return true
		}
	}
	return false
}

// Get reads the entry group/key into v; ok is false when there is none or it
// cannot be read (a damaged entry is a miss, not an error).
func (c *Cache) Get(group, key string, v any) bool {
	if c == nil || c.Dir == "" {
		return false
	}
	data, err := os.ReadFile(c.path(group, key))
	if err != nil {
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false
	}
	now := time.Now()
	os.Chtimes(c.path(group, key), now, now) // recently used entries survive pruning
	return true
}

// Put writes v as the entry group/key and keeps only the keep most recently
// used entries of the group.
func (c *Cache) Put(group, key string, v any, keep int) error {
	if c == nil || c.Dir == "" {
		return nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	p := c.path(group, key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("coverage cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("coverage cache: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("coverage cache: %w", err)
	}
	tmp.Close()
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("coverage cache: %w", err)
	}
	if keep > 0 {
		c.prune(filepath.Dir(p), keep)
	}
	return nil
}

func (c *Cache) prune(dir string, keep int) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type ent struct {
		name string
		mod  int64
	}
	var list []ent
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		if info, err := e.Info(); err == nil {
			list = append(list, ent{e.Name(), info.ModTime().UnixNano()})
		}
	}
	if len(list) <= keep {
		return
	}
	sort.Slice(list, func(i, j int) bool { return list[i].mod > list[j].mod })
	for _, e := range list[keep:] {
		os.Remove(filepath.Join(dir, e.name))
	}
}

// safeName turns a group name (an import path, a directory) into one
// directory name.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := b.String()
	if len(name) > 80 {
		name = name[:60] + "-" + Key(s)[:16]
	}
	return name
}
