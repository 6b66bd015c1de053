package understand_test

import (
	"fmt"
	"os"
	"testing"
)

func TestDebugWeights(t *testing.T) {
	if os.Getenv("UNDERSTAND_DEBUG") == "" {
		t.Skip()
	}
	m := mustModel(t)
	for _, w := range []string{"what", "is", "the", "difference", "agency", "in", "i", "a", "for", "work", "japan", "через", "агентство", "мен", "я", "в", "です", "visa", "to", "we", "how", "much"} {
		fmt.Println(w, m.Weight(w))
	}
}
