package understand_test

import (
	"os"
	"sort"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"example.com/sswbot/understand"
)

var (
	corpusOnce sync.Once
	corpus     understand.Corpus
	corpusErr  error
)

// mustCorpus reads testdata/corpus.yaml, a snapshot of the content's intents
// and kana spellings.
func mustCorpus(tb testing.TB) understand.Corpus {
	tb.Helper()
	corpusOnce.Do(func() {
		var doc struct {
			Intents []struct {
				Slot, Value string
				Examples    map[string][]string
			}
			Spellings []understand.Spelling
		}
		b, err := os.ReadFile("testdata/corpus.yaml")
		if err != nil {
			corpusErr = err
			return
		}
		if corpusErr = yaml.Unmarshal(b, &doc); corpusErr != nil {
			return
		}
		corpus.Languages = []string{"ja", "en", "ru", "ky"}
		for _, in := range doc.Intents {
			corpus.Intents = append(corpus.Intents, understand.Intent{Slot: in.Slot, Value: in.Value, Examples: in.Examples})
		}
		sort.SliceStable(corpus.Intents, func(i, j int) bool { return false })
		corpus.Spellings = doc.Spellings
	})
	if corpusErr != nil {
		tb.Fatal(corpusErr)
	}
	return corpus
}

func mustModel(tb testing.TB) *understand.Model {
	tb.Helper()
	m, err := understand.New(mustCorpus(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}
