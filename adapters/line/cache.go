package line

import (
	"sync"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"example.com/sswbot/bot"
)

// A card comes from the content alone (a step in a language, for a role,
// on a route; the checklist with its marks; the contacts), so the same
// card recurs for every user who reaches the same place. Its bubble is
// laid out (flex) and encoded once, then kept as JSON that requests splice
// in whole: a cached step costs building its key (a copy of the card's
// texts, ~1 µs) instead of the SDK's types and the encoding.
//
// The key is the card's whole content, so a hit is the same card: nothing
// of one card can show in another, and a new content version simply makes
// new keys. The cache is bounded; when full it starts over (the content
// has a few hundred distinct cards, so that happens only when something
// varies per user, which no card does today). Quick replies are kept
// the same way (quickReplies).
const (
	maxCachedBubbles = 2048
	maxCachedBytes   = 24 << 20 // keys and JSON
)

// bubbles is the process's cache of encoded bubbles.
var bubbles = &memo[*encodedBubble]{}

// memo is a bounded cache from a key's bytes to a value made from them
// alone; when full it starts over.
type memo[V any] struct {
	mu    sync.RWMutex
	m     map[string]V
	bytes int
}

// get returns key's value, if kept.
func (c *memo[V]) get(key []byte) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[string(key)] // no allocation for the lookup
	c.mu.RUnlock()
	return v, ok
}

// put keeps v (size bytes besides the key) for key and returns it, or
// the value another turn put first.
func (c *memo[V]) put(key []byte, v V, size int) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedBubbles || c.bytes > maxCachedBytes {
		c.m, c.bytes = make(map[string]V), 0
	}
	if old, ok := c.m[string(key)]; ok { // another turn was quicker
		return old
	}
	c.m[string(key)] = v
	c.bytes += len(key) + size
	return v
}

// encodedBubble is a card's bubble as JSON. It is a FlexContainerInterface
// with a MarshalJSON, so a FlexMessage holding it still marshals through
// the SDK's types (the console's preview, the tests).
type encodedBubble struct {
	alt  string
	json []byte // nil: no bubble (LINE has no layout for it, or it is too big)
}

func (*encodedBubble) GetType() string                { return "bubble" }
func (e *encodedBubble) MarshalJSON() ([]byte, error) { return e.json, nil }

// cachedBubble returns the card's encoded bubble, laying it out and
// encoding it on a miss.
func cachedBubble(c *bot.Card) *encodedBubble {
	kp := getBuf()
	defer putBuf(kp)
	key := bot.AppendCard((*kp)[:0], c)
	*kp = key
	if e, ok := bubbles.get(key); ok {
		return e
	}
	e := encodeCard(c)
	return bubbles.put(key, e, len(e.json)+len(e.alt))
}

// encodeCard lays a card out as a bubble and encodes it; a card LINE has no
// layout for, or whose bubble exceeds LINE's size limit, gets none (its
// text is sent then).
func encodeCard(c *bot.Card) *encodedBubble {
	fm, ok := flex(c)
	if !ok {
		return &encodedBubble{}
	}
	bp := getBuf()
	defer putBuf(bp)
	j := appendContainer((*bp)[:0], fm.Contents)
	*bp = j
	if len(j) > maxBubbleJSON {
		return &encodedBubble{}
	}
	return &encodedBubble{alt: fm.AltText, json: append([]byte(nil), j...)}
}

// cardMessage is the Flex message of a card through the cache; false
// when there is no card or no bubble for it.
func cardMessage(c *bot.Card) (*messaging_api.FlexMessage, bool) {
	if c == nil {
		return nil, false
	}
	e := cachedBubble(c)
	if e.json == nil {
		return nil, false
	}
	return &messaging_api.FlexMessage{AltText: e.alt, Contents: e}, true
}
