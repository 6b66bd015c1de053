package telegram_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"example.com/sswbot/adapters/telegram"
)

var checkHTML = telegram.CheckHTML

// checkKeyboard checks reply_markup as Telegram does for an inline
// keyboard: every button has a text and exactly one of callback_data (1-64
// bytes) and an http(s) url.
func checkKeyboard(markup string) error {
	if markup == "" {
		return nil
	}
	var kb struct {
		Inline *[][]map[string]string `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(markup), &kb); err != nil || kb.Inline == nil {
		return fmt.Errorf("can't parse reply keyboard markup JSON object")
	}
	for _, row := range *kb.Inline {
		for _, b := range row {
			cb, hasCB := b["callback_data"]
			u, hasURL := b["url"]
			switch {
			case strings.TrimSpace(b["text"]) == "":
				return fmt.Errorf("text buttons are unallowed in the inline keyboard")
			case hasCB == hasURL:
				return fmt.Errorf("button %q needs exactly one of callback_data and url", b["text"])
			case hasCB && (len(cb) < 1 || len(cb) > 64):
				return fmt.Errorf("BUTTON_DATA_INVALID")
			case hasURL && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://"):
				return fmt.Errorf("BUTTON_URL_INVALID")
			}
		}
	}
	return nil
}
