package knowledge

import (
	"embed"
	"io/fs"
)

//go:embed content/*.yaml
var content embed.FS

// Content is the embedded content directory, for Load.
func Content() fs.FS {
	sub, err := fs.Sub(content, "content")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// Default loads the embedded content.
func Default() (*Base, error) { return Load(Content()) }
