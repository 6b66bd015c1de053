package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// performWebhookAnswer does what Telegram does with a method in a
// webhook's 2xx response: it calls that method, here on the fake Bot API
// at apiURL (form-encoded, as the adapter's own calls are). It reports
// whether the response held a method.
func performWebhookAnswer(apiURL, token string, body []byte) bool {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	method, _ := m["method"].(string)
	if method == "" {
		return false
	}
	delete(m, "method")
	form := url.Values{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			form.Set(k, s)
			continue
		}
		b, _ := json.Marshal(v)
		form.Set(k, string(b))
	}
	res, err := http.Post(apiURL+"/bot"+token+"/"+method, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err == nil {
		res.Body.Close()
	}
	return true
}
