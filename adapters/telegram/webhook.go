package telegram

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

const maxBody = 1 << 20

// ServeHTTP is the webhook; mount it at POST /telegram/webhook. A wrong or
// missing secret token gets 401 and nothing is processed. Everything
// accepted or deliberately ignored gets 200; only a failure worth a
// redelivery (store outage) gets 503, since Telegram holds back that chat's
// later updates until this one succeeds.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if a.cfg.WebhookSecret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(a.cfg.WebhookSecret)) != 1 {
		a.m.Event("telegram", "unknown", "bad_signature")
		a.log.Warn("webhook request with a wrong or missing secret token")
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if !errors.As(err, &tooBig) {
			return // the connection broke; Telegram will try again
		}
		a.m.Event("telegram", "unknown", "ignored")
		a.log.Warn("webhook body over 1 MiB ignored")
		w.WriteHeader(http.StatusOK)
		return
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(body, &u); err != nil || u.UpdateID == 0 {
		a.m.Event("telegram", "unknown", "ignored")
		a.log.Warn("webhook body is not an update; ignored")
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := a.process(r.Context(), &u); err != nil {
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}
