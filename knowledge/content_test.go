package knowledge_test

import (
	"testing"

	"example.com/sswbot/knowledge"
)

func TestContentLoads(t *testing.T) {
	if _, err := knowledge.Default(); err != nil {
		t.Fatal(err)
	}
}
