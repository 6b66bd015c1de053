package line

import (
	"bytes"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"example.com/sswbot/bot"
)

// Internals the black-box tests check directly.
var (
	SplitText = splitText
	UTF16Len  = utf16Len
	RetryKey  = retryKey
)

// SetPushBackoff replaces the waits between push attempts until the returned
// func is called. Tests using it must not run in parallel.
func SetPushBackoff(d ...time.Duration) (restore func()) {
	old := pushBackoff
	pushBackoff = d
	return func() { pushBackoff = old }
}

// ValidateRequest checks a reply or push body against LINE's limits.
var ValidateRequest = validateRequest

// Render is what the adapter sends for replies.
func Render(rs []bot.Reply) []messaging_api.MessageInterface { return render(rs) }

// Requests are the JSON bodies of the reply requests for msgs, as the
// adapter writes them (without the final newline).
func Requests(msgs []messaging_api.MessageInterface) [][]byte {
	var out [][]byte
	for _, b := range batches(msgs) {
		out = append(out, bytes.TrimSuffix(replyBody("t", b), []byte("\n")))
	}
	return out
}

// QuickReplies lists the last message's quick replies as "label=data".
func QuickReplies(msgs []messaging_api.MessageInterface) []string {
	var qr *messaging_api.QuickReply
	switch m := msgs[len(msgs)-1].(type) {
	case *messaging_api.TextMessage:
		qr = m.QuickReply
	case *messaging_api.FlexMessage:
		qr = m.QuickReply
	}
	if qr == nil {
		return nil
	}
	var out []string
	for _, it := range qr.Items {
		if a, ok := it.Action.(messaging_api.PostbackAction); ok {
			out = append(out, a.Label+"="+a.Data)
		}
	}
	return out
}

// CPUTime is the process's CPU time, for benchmarks in line_test.
var CPUTime = cpuTime
