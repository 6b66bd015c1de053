package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ledger is what the fake platform APIs saw, per user and event. The load
// generator issues every event (and its reply token) here before posting
// it, so each reply can be matched to the event it answers.
type ledger struct {
	lineToken string // expected channel access token
	tgToken   string // expected bot token
	users     []*user
	byLineID  map[string]int
	lineIDs   []string // user → LINE user id
	chatBase  int64

	tokens sync.Map // reply token → tokenInfo, deleted when used

	apiCalls  atomic.Int64 // reply, push and sendMessage requests
	messages  atomic.Int64 // messages in them
	newConns  atomic.Int64 // TCP connections accepted by the fake APIs
	badAuth   atomic.Int64 // requests with a wrong token
	badToken  atomic.Int64 // replies with an unknown or used reply token
	overFive  atomic.Int64 // requests with 0 or more than 5 messages
	refused   atomic.Int64 // pushes refused with 409 (a retry key seen before)
	unknownTo atomic.Int64 // messages to nobody we sent events for

	keysMu sync.Mutex
	keys   map[string]bool // X-Line-Retry-Key values accepted
}

type tokenInfo struct{ user, seq int }

// user is one simulated person.
type user struct {
	mu    sync.Mutex
	seq   int              // the event last sent (1-based)
	got   map[int][]string // seq → delivered batches, texts joined
	acked map[int]bool     // seq → answered 2xx
	next  string           // data of the first button of the last message with buttons
}

func newLedger(users int, lineToken, tgToken string, nonce uint32) *ledger {
	l := &ledger{lineToken: lineToken, tgToken: tgToken, byLineID: map[string]int{}, keys: map[string]bool{},
		chatBase: 5_000_000_000 + int64(nonce%1_000_000)*10_000}
	for i := range users {
		l.users = append(l.users, &user{got: map[int][]string{}, acked: map[int]bool{}})
		l.lineIDs = append(l.lineIDs, lineUserID(nonce, i))
		l.byLineID[l.lineIDs[i]] = i
	}
	return l
}

// record notes a batch of texts delivered to user i, for event seq (or the
// user's current event when seq is 0), and remembers its first button.
func (l *ledger) record(i, seq int, texts []string, button string) {
	u := l.users[i]
	u.mu.Lock()
	defer u.mu.Unlock()
	if seq == 0 {
		seq = u.seq
	}
	u.got[seq] = append(u.got[seq], strings.Join(texts, "\x1f"))
	if button != "" {
		u.next = button
	}
}

// serve starts the fake APIs on addr: LINE under /v2/bot/, Telegram under
// /bot<token>/. New connections are counted.
func (l *ledger) serve(addr string) (*http.Server, net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v2/bot/", l.line)
	mux.HandleFunc("/", l.telegram)
	srv := &http.Server{Handler: mux, ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			l.newConns.Add(1)
		}
	}}
	go func() { _ = srv.Serve(ln) }()
	return srv, ln, nil
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// bodyBufs holds request body buffers of the fake APIs: a reply body is
// read whole, scanned, and the buffer reused.
var bodyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// line answers like the Messaging API: 401 for a wrong token, 400 for an
// unknown or used reply token or a bad message count, 409 for a retry key
// already accepted.
func (l *ledger) line(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+l.lineToken {
		l.badAuth.Add(1)
		writeJSON(w, http.StatusUnauthorized, `{"message":"Authentication failed. Confirm that the access token in the authorization header is valid."}`)
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/v2/bot/profile/"); ok && r.Method == http.MethodGet {
		writeJSON(w, http.StatusOK, `{"userId":"`+id+`","displayName":"Load","language":"ja"}`)
		return
	}
	if r.Method != http.MethodPost || (r.URL.Path != "/v2/bot/message/reply" && r.URL.Path != "/v2/bot/message/push") {
		writeJSON(w, http.StatusNotFound, `{"message":"Not found"}`)
		return
	}
	buf := bodyBufs.Get().(*bytes.Buffer)
	defer bodyBufs.Put(buf)
	buf.Reset()
	_, err := buf.ReadFrom(io.LimitReader(r.Body, 1<<20))
	b, perr := parseLineReply(buf.Bytes())
	if err != nil || perr != nil {
		writeJSON(w, http.StatusBadRequest, `{"message":"The request body has 1 error(s)"}`)
		return
	}
	l.apiCalls.Add(1)
	if b.Messages < 1 || b.Messages > 5 {
		l.overFive.Add(1)
		writeJSON(w, http.StatusBadRequest, `{"message":"The request body has 1 error(s)","details":[{"message":"Size must be between 1 and 5","property":"messages"}]}`)
		return
	}
	texts, button := b.Texts, b.Button
	l.messages.Add(int64(len(texts)))
	if r.URL.Path == "/v2/bot/message/reply" {
		v, ok := l.tokens.LoadAndDelete(b.ReplyToken)
		if !ok {
			l.badToken.Add(1)
			writeJSON(w, http.StatusBadRequest, `{"message":"Invalid reply token"}`)
			return
		}
		t := v.(tokenInfo)
		l.record(t.user, t.seq, texts, button)
	} else {
		key := r.Header.Get("X-Line-Retry-Key")
		l.keysMu.Lock()
		seen := key != "" && l.keys[key]
		if key != "" {
			l.keys[key] = true
		}
		l.keysMu.Unlock()
		if seen {
			l.refused.Add(1)
			w.Header().Set("X-Line-Accepted-Request-Id", "accepted-before")
			writeJSON(w, http.StatusConflict, `{"message":"The retry key is already accepted"}`)
			return
		}
		i, ok := l.byLineID[b.To]
		if !ok {
			l.unknownTo.Add(1)
			writeJSON(w, http.StatusBadRequest, `{"message":"The property, 'to', in the request body is invalid (line 1, column 7)"}`)
			return
		}
		l.record(i, 0, texts, button)
	}
	writeJSON(w, http.StatusOK, `{"sentMessages":[{"id":"1","quoteToken":"q"}]}`)
}

// telegram answers Bot API calls: sendMessage is checked and recorded,
// setup calls (setWebhook, setMyCommands, …) and keyboard edits succeed.
func (l *ledger) telegram(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		writeJSON(w, http.StatusNotFound, `{"ok":false,"error_code":404,"description":"Not Found"}`)
		return
	}
	token, method, _ := strings.Cut(rest, "/")
	if token != l.tgToken {
		l.badAuth.Add(1)
		writeJSON(w, http.StatusUnauthorized, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		return
	}
	form, err := tgForm(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, `{"ok":false,"error_code":400,"description":"Bad Request: can't parse request"}`)
		return
	}
	switch method {
	case "getMe":
		writeJSON(w, http.StatusOK, `{"ok":true,"result":{"id":6000000001,"is_bot":true,"first_name":"SSW Guide","username":"ssw_guide_bot"}}`)
		return
	case "getUpdates":
		writeJSON(w, http.StatusOK, `{"ok":true,"result":[]}`)
		return
	case "sendMessage":
	default:
		writeJSON(w, http.StatusOK, `{"ok":true,"result":true}`)
		return
	}
	l.apiCalls.Add(1)
	l.messages.Add(1)
	chat, _ := strconv.ParseInt(form.Get("chat_id"), 10, 64)
	i := chat - l.chatBase
	if i < 0 || i >= int64(len(l.users)) || form.Get("text") == "" {
		l.unknownTo.Add(1)
		writeJSON(w, http.StatusBadRequest, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`)
		return
	}
	button := ""
	var kb struct {
		Inline [][]struct {
			Data string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	if json.Unmarshal([]byte(form.Get("reply_markup")), &kb) == nil && len(kb.Inline) > 0 && len(kb.Inline[0]) > 0 {
		button = "callback:" + kb.Inline[0][0].Data
	}
	l.record(int(i), 0, []string{form.Get("text")}, button)
	res, _ := json.Marshal(map[string]any{"message_id": l.messages.Load(), "date": 1718000500,
		"chat": map[string]any{"id": chat, "type": "private"}, "text": form.Get("text")})
	writeJSON(w, http.StatusOK, `{"ok":true,"result":`+string(res)+`}`)
}

// tgForm reads a Bot API call's parameters, form-encoded or JSON.
func tgForm(r *http.Request) (url.Values, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, err
		}
		v := url.Values{}
		for k, x := range m {
			switch x := x.(type) {
			case string:
				v.Set(k, x)
			case float64:
				v.Set(k, strconv.FormatFloat(x, 'f', -1, 64))
			default:
				b, _ := json.Marshal(x)
				v.Set(k, string(b))
			}
		}
		return v, nil
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil && err != http.ErrNotMultipart {
		return nil, err
	}
	return r.Form, nil
}
