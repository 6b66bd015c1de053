package line

import (
	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"example.com/sswbot/bot"
)

// withImages puts the replies' pictures (an invite's QR code) as image
// messages before the texts: in the first request when it has room, else
// in a request of their own.
func withImages(reqs [][]messaging_api.MessageInterface, replies []bot.Reply) [][]messaging_api.MessageInterface {
	var imgs []messaging_api.MessageInterface
	for _, r := range replies {
		if r.Image != "" {
			imgs = append(imgs, messaging_api.ImageMessage{OriginalContentUrl: r.Image, PreviewImageUrl: r.Image})
		}
	}
	if len(imgs) == 0 {
		return reqs
	}
	if len(reqs) > 0 && len(reqs[0])+len(imgs) <= maxMessages {
		reqs[0] = append(imgs, reqs[0]...)
		return reqs
	}
	return append([][]messaging_api.MessageInterface{imgs}, reqs...)
}
