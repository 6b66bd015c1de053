package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"example.com/sswbot/metrics"
)

// api is the part of the Bot API the adapter needs: one form-encoded method
// call returning the raw result. Everything above it speaks plain methods and
// parameters, so the library can be swapped without touching the adapter.
type api interface {
	call(ctx context.Context, method string, p map[string]string) (json.RawMessage, error)
}

// APIError is an error answer from the Bot API ("ok": false).
type APIError struct {
	Method      string
	Code        int    // error_code, e.g. 400, 403, 409, 429
	Description string // Telegram's description, e.g. "Forbidden: bot was blocked by the user"
	RetryAfter  time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram: %s: %d %s", e.Method, e.Code, e.Description)
}

func (e *APIError) notModified() bool {
	return e.Code == http.StatusBadRequest && strings.Contains(e.Description, "message is not modified")
}

func (e *APIError) badEntities() bool {
	return e.Code == http.StatusBadRequest && strings.Contains(e.Description, "can't parse entities")
}

// libAPI implements api with tgbotapi.BotAPI.MakeRequest. The BotAPI is built
// by hand on every call: the library's constructors call getMe, and its
// HTTPClient has no context, so a per-call client carries ctx instead.
type libAPI struct {
	token    string
	endpoint string // base + "/bot%s/%s"
	client   *http.Client
	metrics  *metrics.Set
	redact   *strings.Replacer
}

func newLibAPI(token, base string, client *http.Client, m *metrics.Set) *libAPI {
	return &libAPI{
		token:    token,
		endpoint: strings.TrimRight(base, "/") + "/bot%s/%s",
		client:   client,
		metrics:  m,
		redact:   newRedactor(token),
	}
}

// newRedactor hides the token in every spelling an error may carry it.
func newRedactor(token string) *strings.Replacer {
	if token == "" {
		return strings.NewReplacer()
	}
	forms := []string{token, url.PathEscape(token), url.QueryEscape(token)}
	var pairs []string
	seen := map[string]bool{}
	for _, f := range forms {
		if !seen[f] {
			seen[f] = true
			pairs = append(pairs, f, "<token>")
		}
	}
	return strings.NewReplacer(pairs...)
}

// ctxClient gives the library's context-free requests our context and
// remembers the HTTP status for metrics.
type ctxClient struct {
	ctx    context.Context
	c      *http.Client
	status *int
}

func (c ctxClient) Do(r *http.Request) (*http.Response, error) {
	resp, err := c.c.Do(r.WithContext(c.ctx))
	if resp != nil {
		*c.status = resp.StatusCode
	}
	return resp, err
}

func (l *libAPI) call(ctx context.Context, method string, p map[string]string) (json.RawMessage, error) {
	status := 0
	b := &tgbotapi.BotAPI{Token: l.token, Client: ctxClient{ctx: ctx, c: l.client, status: &status}}
	b.SetAPIEndpoint(l.endpoint)
	resp, err := b.MakeRequest(method, tgbotapi.Params(p))
	label := "error"
	if status != 0 {
		label = strconv.Itoa(status)
	}
	l.metrics.Outbound("telegram", method, label)
	if err == nil {
		return resp.Result, nil
	}
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		return nil, &APIError{
			Method:      method,
			Code:        te.Code,
			Description: l.redact.Replace(te.Message),
			RetryAfter:  time.Duration(te.RetryAfter) * time.Second,
		}
	}
	// Transport errors (*url.Error) spell out the URL, token included: keep
	// only a redacted message, and the context sentinels callers branch on.
	msg := l.redact.Replace(err.Error())
	switch {
	case errors.Is(err, context.Canceled):
		return nil, &transportError{method: method, msg: msg, cause: context.Canceled}
	case errors.Is(err, context.DeadlineExceeded):
		return nil, &transportError{method: method, msg: msg, cause: context.DeadlineExceeded}
	}
	return nil, &transportError{method: method, msg: msg}
}

// transportError is a failed call that got no Bot API answer (network, or a
// body that was not JSON). It never holds the original error, which may
// contain the token.
type transportError struct {
	method string
	msg    string
	cause  error
}

func (e *transportError) Error() string { return "telegram: " + e.method + ": " + e.msg }
func (e *transportError) Unwrap() error { return e.cause }
