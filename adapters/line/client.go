package line

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"example.com/sswbot/bot"
	"example.com/sswbot/internal/apiclient"
)

// pushAttempts is how often a push is tried; retries reuse the retry key,
// so LINE accepts the message at most once.
const pushAttempts = 3

var pushBackoff = []time.Duration{250 * time.Millisecond, time.Second}

// apiError is a failed Messaging API call. Status is 0 when no response came.
type apiError struct {
	method string
	status int
	// detail is LINE's error message and the names of the fields it
	// complains about, lowercased; it holds no user data.
	detail string
	err    error
}

func (e *apiError) Error() string {
	if e.status == 0 {
		return fmt.Sprintf("line %s: %v", e.method, e.err)
	}
	// The SDK's error quotes the response body: it holds no user data, but
	// the status says enough.
	return fmt.Sprintf("line %s: status %d", e.method, e.status)
}

func (e *apiError) Unwrap() error { return e.err }

// transient reports whether err may succeed when tried again later.
func transient(err error) bool {
	var ae *apiError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.status == 0 || ae.status == http.StatusTooManyRequests || ae.status >= 500
}

// quotaRefused reports whether LINE refused a push for the channel's
// monthly limit (429 "You have reached your monthly limit."): trying again
// this month is useless.
func quotaRefused(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.status == http.StatusTooManyRequests && strings.Contains(ae.detail, "monthly limit")
}

// countPush counts an accepted push against the quota (best effort: a
// push that went out is not undone by a store outage).
func (a *Adapter) countPush(ctx context.Context, key string) {
	if a.cfg.Pushes == nil {
		return
	}
	if err := a.cfg.Pushes.Count(context.WithoutCancel(ctx), key); err != nil {
		a.log.Warn("line: push not counted against the quota", "err", err)
	}
}

// tokenRejected reports whether LINE refused a reply because of its reply
// token (used, expired, unknown or malformed). Only then was the reply
// certainly not shown, so pushing the same messages cannot double them.
func tokenRejected(err error) bool {
	var ae *apiError
	if !errors.As(err, &ae) || ae.status < 400 || ae.status >= 500 || ae.status == http.StatusTooManyRequests {
		return false
	}
	return strings.Contains(ae.detail, "reply token") || strings.Contains(ae.detail, "replytoken")
}

// errorDetail reads LINE's error body ({"message": ..., "details":
// [{"message": ..., "property": ...}]}) from a failed response.
func errorDetail(res *http.Response) string {
	if res == nil || res.Body == nil {
		return ""
	}
	var body struct {
		Message string `json:"message"`
		Details []struct {
			Message  string `json:"message"`
			Property string `json:"property"`
		} `json:"details"`
	}
	if json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&body) != nil {
		return ""
	}
	parts := []string{body.Message}
	for _, d := range body.Details {
		parts = append(parts, d.Property, d.Message)
	}
	return strings.ToLower(strings.Join(parts, " "))
}

// deliver sends one event's replies. The first request uses the reply token
// when there is one; the others, and a first request whose token LINE
// rejects, are pushed with a retry key derived from the event id, so a
// second attempt (even after a crash) is refused by LINE with 409 instead of
// doubling the message.
//
// For a redelivery whose first send is uncertain (d.resolve), a rejected
// token means the first handler's reply got through (it is young enough not
// to have expired): only the pushed parts are sent again, which LINE
// deduplicates by their keys.
//
// Any other failed reply is returned, not pushed: after a timeout or a 5xx
// LINE may have shown the reply already, and a reply has no retry key. A
// transient error makes the webhook answer 500, and the redelivered event
// is pushed with the stable key.
func (a *Adapter) deliver(ctx context.Context, d delivery) error {
	for i, msgs := range withImages(batches(render(d.replies)), d.replies) {
		if i == 0 && d.replyToken != "" {
			err := a.reply(ctx, d.replyToken, msgs)
			if err == nil {
				continue
			}
			if !tokenRejected(err) {
				return err
			}
			if d.resolve {
				a.log.Info("line: the first reply got through (token used)", "event", d.eventID)
				continue
			}
			a.log.Info("line: reply token rejected, pushing instead", "event", d.eventID, "err", err)
		}
		if i == 0 && d.possibleDouble {
			// The first handler may have replied before it stopped, and the
			// token that would tell has expired: at least once.
			d.job.PossibleDouble()
		}
		if err := a.push(ctx, d.to, msgs, retryKey(d.eventID, i)); err != nil {
			return err
		}
	}
	return nil
}

func (a *Adapter) reply(ctx context.Context, token string, msgs []messaging_api.MessageInterface) error {
	body := newSharedBody(replyBuf(token, msgs))
	defer body.release()
	res, err := a.send(ctx, newPostShared(ctx, a.replyTo, body), "")
	a.m.Outbound(platform, "reply", statusLabel(res, err))
	if err != nil {
		return &apiError{method: "reply", err: err}
	}
	defer closeBody(res)
	if res.StatusCode/100 != 2 {
		return &apiError{method: "reply", status: res.StatusCode, detail: errorDetail(res), err: errStatus}
	}
	return nil
}

// push sends msgs to one user, group or room, retrying transient failures
// with the same key. A 409 means LINE already accepted this key: success.
func (a *Adapter) push(ctx context.Context, to string, msgs []messaging_api.MessageInterface, key string) error {
	body := pushBody(to, msgs)
	for attempt := 0; ; attempt++ {
		res, err := a.post(ctx, a.pushTo, body, key)
		a.m.Outbound(platform, "push", statusLabel(res, err))
		if err == nil && res.StatusCode/100 == 2 {
			closeBody(res)
			a.countPush(ctx, key)
			return nil
		}
		if status(res) == http.StatusConflict {
			closeBody(res)
			a.log.Info("line: push already accepted for this retry key")
			a.countPush(ctx, key) // counted once per key: the first may have stopped before counting
			return nil
		}
		if err == nil {
			err = errStatus
		}
		perr := &apiError{method: "push", status: status(res), detail: errorDetail(res), err: err}
		closeBody(res)
		if quotaRefused(perr) {
			return fmt.Errorf("line: push refused for the monthly limit: %w: %w", bot.ErrQuotaExhausted, perr)
		}
		if !transient(perr) || attempt+1 >= pushAttempts {
			return perr
		}
		t := time.NewTimer(pushBackoff[min(attempt, len(pushBackoff)-1)])
		select {
		case <-ctx.Done():
			t.Stop()
			return perr
		case <-t.C:
		}
	}
}

// errStatus is the error of a call LINE answered with a status other than
// 2xx; apiError carries the status and LINE's message.
var errStatus = errors.New("unexpected status")

// post sends a request body the adapter encoded itself (encode.go) to the
// Messaging API, with the headers the SDK sends: the channel access token,
// the JSON content type, and the retry key of a push. The response is the
// caller's to close; a status other than 2xx is not an error here.
func (a *Adapter) post(ctx context.Context, to *http.Request, body []byte, retryKey string) (*http.Response, error) {
	return a.send(ctx, newPost(ctx, to, body), retryKey)
}

// send is post of a request newPost or newPostShared made.
func (a *Adapter) send(ctx context.Context, req *http.Request, retryKey string) (*http.Response, error) {
	req.Header["Authorization"] = a.auth
	req.Header["Content-Type"] = jsonContentType
	req.Header["User-Agent"] = userAgent
	if retryKey != "" {
		req.Header["X-Line-Retry-Key"] = []string{retryKey}
	}
	if _, ok := ctx.Deadline(); ok {
		// The context bounds the call (a webhook's sends have
		// SendTimeout): the client's own Timeout would only add a second
		// context and timer to every call.
		return apiclient.Do(a.untimed, req)
	}
	return a.cfg.HTTPClient.Do(req)
}

// newPost is http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
// for the url of the template request to (built once by
// NewRequestWithContext, so the URL is read as it reads it), without
// parsing the URL again for every request.
func newPost(ctx context.Context, to *http.Request, body []byte) *http.Request {
	if len(body) == 0 {
		return postOf(ctx, to, 0, http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil })
	}
	// A request on a kept-alive connection the server closed just before
	// is sent again on a new one: the transport reads the body again from
	// GetBody.
	return postOf(ctx, to, int64(len(body)), io.NopCloser(bytes.NewReader(body)),
		func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil })
}

// newPostShared is newPost with body's readers: its buffer goes back to
// the pool once the transport has closed them and the caller released it.
func newPostShared(ctx context.Context, to *http.Request, body *sharedBody) *http.Request {
	n := len(body.bytes())
	if n == 0 {
		return newPost(ctx, to, nil)
	}
	r, _ := body.open() // the caller holds its reference: it opens
	return postOf(ctx, to, int64(n), r, body.open)
}

func postOf(ctx context.Context, to *http.Request, n int64, body io.ReadCloser, getBody func() (io.ReadCloser, error)) *http.Request {
	// A value: WithContext copies it into the request it returns (the
	// only way to give a request its context), so this one stays on the
	// stack.
	req := http.Request{
		// Shared by every request: a RoundTripper must not modify the
		// request, and http.Client builds a new URL for a redirect.
		Method: http.MethodPost, URL: to.URL, Host: to.Host,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(http.Header, 4), ContentLength: n,
		Body: body, GetBody: getBody,
	}
	return req.WithContext(ctx)
}

// postTo is the template request of newPost for url (absolute, checked by
// checkBaseURL).
func postTo(url string) (*http.Request, error) {
	return http.NewRequestWithContext(context.Background(), http.MethodPost, url, nil)
}

// Header values shared by every request (net/http does not change them).
var (
	jsonContentType = []string{"application/json; charset=UTF-8"}
	userAgent       = []string{"sswbot"}
)

// Push sends text to a LINE user outside any webhook (a staff message). It
// is split like replies; each request gets a fresh retry key. When the
// month's push quota is used up it sends nothing and returns an error
// wrapping bot.ErrQuotaExhausted (the console says so).
func (a *Adapter) Push(ctx context.Context, userID, text string) error {
	if userID == "" {
		return errors.New("line: push: missing user id")
	}
	if strings.TrimSpace(text) == "" {
		return errors.New("line: push: empty text")
	}
	if a.cfg.Pushes != nil {
		if err := a.cfg.Pushes.Allow(ctx); err != nil {
			return fmt.Errorf("line: push: %w", err)
		}
	}
	for _, msgs := range batches(render([]bot.Reply{{Text: text}})) {
		if err := a.push(ctx, userID, msgs, randomKey()); err != nil {
			return fmt.Errorf("line: push: %w", err)
		}
	}
	return nil
}

// retryKey derives the X-Line-Retry-Key of the n-th push for an event, so
// that every attempt for the same event and request uses the same key.
func retryKey(eventID string, n int) string {
	name := "sswbot:" + eventID
	if n > 0 {
		name += "#" + strconv.Itoa(n)
	}
	sum := sha256.Sum256([]byte(name))
	var u [16]byte
	copy(u[:], sum[:16])
	u[6] = u[6]&0x0f | 0x50 // version 5: name-based
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return formatUUID(u)
}

func randomKey() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // never fails (crypto/rand)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

func formatUUID(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func status(res *http.Response) int {
	if res == nil {
		return 0
	}
	return res.StatusCode
}

func statusLabel(res *http.Response, err error) string {
	if res == nil {
		if err != nil {
			return "error"
		}
		return "none"
	}
	return strconv.Itoa(res.StatusCode)
}

// closeBody drains and closes a response body the SDK may have left open.
func closeBody(res *http.Response) {
	if res != nil && res.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		_ = res.Body.Close()
	}
}

// FitsOneReply reports whether replies go out as one reply request (at most
// five messages, images included): only then are they free of the push
// quota (bot.Options.ReplyFits).
func FitsOneReply(replies []bot.Reply) bool {
	return len(withImages(batches(render(replies)), replies)) <= 1
}

// Quota reads LINE's own numbers for this month: the pushes counted
// (GET /v2/bot/message/quota/consumption) and the limit (GET
// /v2/bot/message/quota; 0 when the plan sets none).
func (a *Adapter) Quota(ctx context.Context) (used, limit int64, err error) {
	api, err := a.api(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("line: quota: %w", err)
	}
	res, q, err := api.GetMessageQuotaWithHttpInfo()
	a.m.Outbound(platform, "quota", statusLabel(res, err))
	closeBody(res)
	if err != nil {
		return 0, 0, fmt.Errorf("line: quota: %w", &apiError{method: "quota", status: status(res), err: err})
	}
	res, c, err := api.GetMessageQuotaConsumptionWithHttpInfo()
	a.m.Outbound(platform, "quota_consumption", statusLabel(res, err))
	closeBody(res)
	if err != nil {
		return 0, 0, fmt.Errorf("line: quota consumption: %w", &apiError{method: "quota_consumption", status: status(res), err: err})
	}
	if q.Type == messaging_api.QuotaType_LIMITED {
		limit = q.Value
	}
	return c.TotalUsage, limit, nil
}
