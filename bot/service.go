package bot

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Options tune a Service. Zero values get defaults.
type Options struct {
	Now    func() time.Time // the clock; time.Now by default
	Logger *slog.Logger
}

// Service is the bot: adapters call Handle for every platform event; the
// console calls the staff methods.
type Service struct {
	store Store
	opt   Options
}

// Handle processes one event exactly once (see Outcome). It returns an error
// wrapping ErrUnavailable when the store cannot be reached; then nothing was
// written and the platform should redeliver.
func (s *Service) Handle(ctx context.Context, ev Event) (Outcome, error) {
	return Outcome{}, errors.New("bot: not implemented yet")
}

// MarkDelivered records that the replies to eventID were sent, so a
// redelivered copy is not answered twice.
func (s *Service) MarkDelivered(ctx context.Context, id ConversationID, eventID string) error {
	return s.store.MarkDelivered(ctx, id, eventID)
}

// Forget erases everything kept about the conversation.
func (s *Service) Forget(ctx context.Context, id ConversationID) error {
	return s.store.Forget(ctx, id)
}

// TakeOver makes staff the owner of the conversation: the bot stays silent
// for that user until HandBack. Recorded in the transcript.
func (s *Service) TakeOver(ctx context.Context, id ConversationID, staff string) error {
	return errors.New("bot: not implemented yet")
}

// HandBack returns the conversation to the bot. Recorded in the transcript.
func (s *Service) HandBack(ctx context.Context, id ConversationID, staff string) error {
	return errors.New("bot: not implemented yet")
}

// StaffReply records a message a staff member sent to the user (the console
// sends it through the platform first).
func (s *Service) StaffReply(ctx context.Context, id ConversationID, staff, text string) error {
	return errors.New("bot: not implemented yet")
}
