package knowledge_test

import (
	"bytes"
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"example.com/sswbot/knowledge"
)

// FuzzLoad loads a fuzzed content file: the loader must return a Base or
// an error, never panic, whatever an editor saves. The seeds are the
// embedded content files. The file is loaded alone (with the other files a
// load takes ~60 ms, too slow to explore anything in a bounded run); the
// checks across files still run and report what is missing.
func FuzzLoad(f *testing.F) {
	files := map[string][]byte{}
	names, err := fs.Glob(knowledge.Content(), "*.yaml")
	if err != nil || len(names) == 0 {
		f.Fatalf("content files: %v %v", names, err)
	}
	for _, n := range names {
		b, err := fs.ReadFile(knowledge.Content(), n)
		if err != nil {
			f.Fatal(err)
		}
		files[n] = b
	}
	// The head of each file (its kind, ids and first items): whole files
	// (up to 90 KB) make every mutation slow.
	for i, n := range names {
		f.Add(uint8(i), head(files[n], 4<<10))
	}
	f.Add(uint8(0), []byte("kind: country\nid: kg\nroutes: [{id: x, steps: [{id: A.1, source: }]}]\n"))
	f.Add(uint8(1), []byte("texts:\n  welcome: {ja: 'a {x}', en: 'b', ru: 'c {y}', ky: ''}\n"))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		fsys := fstest.MapFS{names[int(which)%len(names)]: &fstest.MapFile{Data: data}}
		done := make(chan struct{})
		var kb *knowledge.Base
		var err error
		go func() {
			defer close(done)
			kb, err = knowledge.Load(fsys)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Load has not returned after 5 s")
		}
		if err == nil && kb == nil {
			t.Fatal("Load returned neither a Base nor an error")
		}
	})
}

// head returns b up to the last line break within n bytes.
func head(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	b = b[:n]
	if i := bytes.LastIndexByte(b, '\n'); i > 0 {
		b = b[:i+1]
	}
	return b
}
