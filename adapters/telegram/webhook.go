package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

const maxBody = 1 << 20

// ServeHTTP is the webhook; mount it at POST /telegram/webhook. A wrong or
// missing secret token gets 401 and nothing is processed. Everything
// accepted or deliberately ignored gets 200; only a failure worth a
// redelivery gets 503 (store outage, nothing of the answer sent, a body that
// could not be read, or a copy of an update still being processed), since
// Telegram holds back that chat's later updates until this one succeeds.
//
// An update is processed within updateTimeout, detached from the request:
// a dropped connection must not stop it between sending and recording the
// delivery.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if a.cfg.WebhookSecret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(a.cfg.WebhookSecret)) != 1 {
		a.m.Event("telegram", "webhook", "bad_secret")
		a.log.Warn("webhook request with a wrong or missing secret token")
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if !errors.As(err, &tooBig) {
			// Without an explicit status Go would answer 200 and the
			// update would be lost.
			a.log.Warn("webhook body not read; asking for a redelivery", "err", err)
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		a.m.Event("telegram", "webhook", "bad_body")
		a.log.Warn("webhook body over 1 MiB ignored")
		w.WriteHeader(http.StatusOK)
		return
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(body, &u); err != nil {
		a.m.Event("telegram", "webhook", "bad_body")
		a.log.Warn("webhook body is not an update; ignored")
		w.WriteHeader(http.StatusOK)
		return
	}
	if !a.begin(u.UpdateID) {
		// Telegram gave up waiting and sent the update again: let the first
		// copy finish; the retry then finds it delivered.
		a.log.Info("update already in progress; asking for a redelivery", "update_id", u.UpdateID)
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	defer a.end(u.UpdateID)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), updateTimeout)
	defer cancel()
	ans, err := a.process(ctx, &u, "webhook", !a.cfg.WebhookReplyByAPI)
	if err != nil {
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	if ans == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	a.answerInResponse(ctx, w, ans)
}

// answerInResponse gives the answer as the webhook's response: Telegram
// calls sendMessage with it when it reads the 200. The delivery is recorded
// after the response is written; a crash in between leaves the intent
// "sending", but Telegram, having its 200, sends no copy that could find it.
func (a *Adapter) answerInResponse(ctx context.Context, w http.ResponseWriter, ans *webhookAnswer) {
	chat := strconv.FormatInt(ans.to, 10)
	// The send still counts against the chat's and the bot's limits.
	if err := a.sleep(ctx, a.limit.reserve(chat)); err != nil {
		ans.job.Finish(ctx, true)
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	body := map[string]any{"method": "sendMessage", "chat_id": ans.to, "text": ans.msg.html, "parse_mode": "HTML"}
	if ans.msg.markup != "" {
		body["reply_markup"] = json.RawMessage(ans.msg.markup)
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, werr := w.Write(b)
	if werr == nil {
		werr = http.NewResponseController(w).Flush()
	}
	a.m.Outbound("telegram", "sendMessage", "webhook")
	if werr != nil {
		// Telegram did not get the answer, so it delivers the update again.
		a.log.Warn("webhook answer not written; the update will come again", "err", werr)
		ans.job.Finish(ctx, true)
		return
	}
	ans.job.Finish(ctx, false)
}

// begin marks update id as in progress; it reports false when it already is.
func (a *Adapter) begin(id int) bool {
	a.inflightMu.Lock()
	defer a.inflightMu.Unlock()
	if _, busy := a.inflight[id]; busy {
		return false
	}
	a.inflight[id] = struct{}{}
	return true
}

func (a *Adapter) end(id int) {
	a.inflightMu.Lock()
	defer a.inflightMu.Unlock()
	delete(a.inflight, id)
}
