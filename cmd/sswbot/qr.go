package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"example.com/sswbot/bot"
)

// inviteLookup is what the QR endpoint needs of the store.
type inviteLookup interface {
	LookupInvite(ctx context.Context, code string) (string, error)
}

// qrHandler serves GET /qr/<code>.png: the QR code of a live invite's link
// (the Telegram deep link, or "/join CODE" without one), for the LINE image
// message and the Telegram photo of an invite. Only a live, unused code has
// one; nothing is cached, so a used or expired code's image is gone.
func qrHandler(st inviteLookup, link func(string) string, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		name, ok := strings.CutSuffix(r.PathValue("file"), ".png")
		code := bot.NormalizeCode(name)
		if !ok || code == "" || code != name {
			http.NotFound(w, r)
			return
		}
		if _, err := st.LookupInvite(r.Context(), code); err != nil {
			if errors.Is(err, bot.ErrNotFound) {
				http.NotFound(w, r)
				return
			}
			log.Warn("qr: invite lookup failed", "err", err)
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		content := link(code)
		if content == "" {
			content = "/join " + code
		}
		png, err := qrcode.Encode(content, qrcode.Medium, 512)
		if err != nil {
			http.Error(w, "cannot draw the code", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(png)
	}
}

// inviteImage is the public URL of an invite's QR image, "" without
// SSWBOT_PUBLIC_URL (LINE fetches images from a public HTTPS address).
func inviteImage(public string) func(string) string {
	public = strings.TrimSuffix(public, "/")
	return func(code string) string {
		if public == "" {
			return ""
		}
		return public + "/qr/" + code + ".png"
	}
}
