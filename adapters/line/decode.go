package line

// The webhook body is decoded into these few fields, not into the SDK's
// polymorphic types: the SDK unmarshals every event and source up to three
// times (a map of raw messages, the type, the concrete struct), which was
// the largest single cost of a turn in the CPU profile (BENCHMARKS.md). The
// field names are LINE's wire format; FuzzDecodeAsSDK checks that whatever
// the SDK reads, this reads the same.
type callback struct {
	Events []event `json:"events"`
}

type event struct {
	Type            string `json:"type"`
	Mode            string `json:"mode"`
	Timestamp       int64  `json:"timestamp"`
	WebhookEventID  string `json:"webhookEventId"`
	ReplyToken      string `json:"replyToken"`
	DeliveryContext *struct {
		IsRedelivery bool `json:"isRedelivery"`
	} `json:"deliveryContext"`
	Source   *source `json:"source"`
	Message  *typed  `json:"message"`
	Postback *struct {
		Data string `json:"data"`
	} `json:"postback"`
}

type source struct {
	Type    string `json:"type"`
	UserID  string `json:"userId"`
	GroupID string `json:"groupId"`
	RoomID  string `json:"roomId"`
}

// typed is a message: its type, and its text when it is a text message.
type typed struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// eventTypes are the event types LINE documents (and the SDK knows); any
// other is logged as unknown, these only at debug level when not handled.
var eventTypes = map[string]bool{
	"accountLink": true, "activated": true, "beacon": true, "botResumed": true, "botSuspended": true,
	"deactivated": true, "delivery": true, "follow": true, "join": true, "leave": true,
	"memberJoined": true, "memberLeft": true, "membership": true, "message": true, "module": true,
	"postback": true, "things": true, "unfollow": true, "unsend": true, "videoPlayComplete": true,
}
