package line

import (
	"bytes"
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// The rich menu's image is drawn by the program, so a label changed in the
// content needs no designer and no network. The font is VL PGothic (Debian
// fonts-vlgothic, TrueType outlines, licence in font/LICENSE) cut down by
// scripts/menufont.sh to ASCII, Latin-1, Cyrillic (Russian and Kyrgyz) and
// the Japanese characters of the menu labels.
//
//go:generate bash ../../scripts/menufont.sh
//go:embed font/menu.ttf
var menuFontData []byte

// MenuWidth and MenuHeight are the image size: LINE's 2500×843 ("compact")
// rich menu.
const (
	MenuWidth  = 2500
	MenuHeight = 843
	// maxMenuImage is LINE's limit for a rich menu image.
	maxMenuImage = 1 << 20
	// maxChatBar is LINE's limit for the chat bar text, in characters.
	maxChatBar = 14
	// menuItems is how many areas the layout has.
	menuItems = 5
)

// MenuItem is one tappable area: its label (drawn on the image and shown
// as the user's message when tapped) and the postback payload it sends,
// one of the bot's global payloads (bot.PayloadContacts, ...).
type MenuItem struct {
	Label   string
	Payload string
}

// Menu is the rich menu of one language. Items fill the layout in order:
// three areas in the top row, two in the bottom row.
type Menu struct {
	Lang    string // "ja", "en", "ru", "ky"
	ChatBar string // the text of the bar that opens the menu (≤ 14 characters)
	Items   []MenuItem
}

func (m Menu) check() error {
	if m.Lang == "" || strings.ContainsFunc(m.Lang, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsLetter(r) }) {
		return fmt.Errorf("rich menu: bad language %q", m.Lang)
	}
	if n := utf8.RuneCountInString(m.ChatBar); n == 0 || n > maxChatBar {
		return fmt.Errorf("rich menu %s: chat bar text %q must be 1-%d characters", m.Lang, m.ChatBar, maxChatBar)
	}
	if len(m.Items) != menuItems {
		return fmt.Errorf("rich menu %s: %d items, the layout has %d", m.Lang, len(m.Items), menuItems)
	}
	for _, it := range m.Items {
		if strings.TrimSpace(it.Label) == "" || it.Payload == "" || len(it.Payload) > 300 {
			return fmt.Errorf("rich menu %s: item %q/%q needs a label and a payload of at most 300 bytes", m.Lang, it.Label, it.Payload)
		}
		if miss := MissingGlyphs(it.Label); miss != "" {
			return fmt.Errorf("rich menu %s: the menu font has no glyph for %q (in %q); run scripts/menufont.sh", m.Lang, miss, it.Label)
		}
	}
	return nil
}

// areas returns the bounds of the layout's areas, in item order.
func areas() []image.Rectangle {
	top, w3, w2 := MenuHeight/2, MenuWidth/3, MenuWidth/2
	return []image.Rectangle{
		image.Rect(0, 0, w3, top),
		image.Rect(w3, 0, 2*w3, top),
		image.Rect(2*w3, 0, MenuWidth, top),
		image.Rect(0, top, w2, MenuHeight),
		image.Rect(w2, top, MenuWidth, MenuHeight),
	}
}

var (
	menuFontOnce sync.Once
	menuFont     *sfnt.Font
	menuFontErr  error
)

func loadMenuFont() (*sfnt.Font, error) {
	menuFontOnce.Do(func() {
		menuFont, menuFontErr = opentype.Parse(menuFontData)
	})
	return menuFont, menuFontErr
}

// MissingGlyphs returns the characters of s the menu font cannot draw
// (spaces aside), "" when it has them all.
func MissingGlyphs(s string) string {
	f, err := loadMenuFont()
	if err != nil {
		return s
	}
	var buf sfnt.Buffer
	var miss []rune
	for _, r := range s {
		if unicode.IsSpace(r) {
			continue
		}
		if i, err := f.GlyphIndex(&buf, r); err != nil || i == 0 {
			miss = append(miss, r)
		}
	}
	return string(miss)
}

// Colours of the menu: white areas with dark text, "talk to a person" in
// LINE green, thin grey lines between the areas.
var (
	menuBG     = color.RGBA{0xff, 0xff, 0xff, 0xff}
	menuInk    = color.RGBA{0x1f, 0x29, 0x37, 0xff}
	menuLine   = color.RGBA{0xd1, 0xd5, 0xdb, 0xff}
	menuAccent = color.RGBA{0x06, 0xc7, 0x55, 0xff}
)

// drawn remembers the images drawn in this process: drawing and encoding
// one takes a good fraction of a second, and a setup or a test asks for
// the same menu more than once.
var drawn sync.Map // fmt of (Menu, accent) → []byte

// MenuImage draws m's image as a PNG of MenuWidth×MenuHeight. accent is the
// index of the item drawn highlighted (-1 for none). The bytes are shared:
// do not change them.
func MenuImage(m Menu, accent int) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%q", []any{m, accent})
	if b, ok := drawn.Load(key); ok {
		return b.([]byte), nil
	}
	b, err := drawMenu(m, accent)
	if err == nil {
		drawn.Store(key, b)
	}
	return b, err
}

func drawMenu(m Menu, accent int) ([]byte, error) {
	f, err := loadMenuFont()
	if err != nil {
		return nil, fmt.Errorf("rich menu font: %w", err)
	}
	img := image.NewPaletted(image.Rect(0, 0, MenuWidth, MenuHeight), menuPalette())
	draw.Draw(img, img.Bounds(), image.NewUniform(menuBG), image.Point{}, draw.Src)
	for i, r := range areas() {
		bg, ink := menuBG, menuInk
		if i == accent {
			bg, ink = menuAccent, menuBG
		}
		draw.Draw(img, r, image.NewUniform(bg), image.Point{}, draw.Src)
		if err := drawLabel(img, f, r.Inset(40), m.Items[i].Label, ink); err != nil {
			return nil, fmt.Errorf("rich menu %s: %w", m.Lang, err)
		}
	}
	// Lines between the areas.
	for _, r := range areas() {
		hline(img, r.Min.X, r.Max.X, r.Min.Y, 3)
		vline(img, r.Min.X, r.Min.Y, r.Max.Y, 3)
	}
	var out bytes.Buffer
	// The default level: the best one takes seconds on these long runs of
	// one colour and saves little.
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&out, img); err != nil {
		return nil, err
	}
	if out.Len() > maxMenuImage {
		return nil, fmt.Errorf("rich menu %s: image of %d bytes is over LINE's 1 MB", m.Lang, out.Len())
	}
	return out.Bytes(), nil
}

// menuPalette holds the menu's colours and the steps between ink and
// background that anti-aliased text needs; a paletted PNG stays small.
func menuPalette() color.Palette {
	p := color.Palette{menuBG, menuInk, menuLine, menuAccent}
	for _, pair := range [][2]color.RGBA{{menuBG, menuInk}, {menuAccent, menuBG}} {
		for i := 1; i < 16; i++ {
			p = append(p, mix(pair[0], pair[1], i, 16))
		}
	}
	return p
}

func mix(a, b color.RGBA, i, n int) color.RGBA {
	m := func(x, y uint8) uint8 { return uint8((int(x)*(n-i) + int(y)*i) / n) }
	return color.RGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), 0xff}
}

func hline(img draw.Image, x0, x1, y, w int) {
	draw.Draw(img, image.Rect(x0, y-w/2, x1, y-w/2+w), image.NewUniform(menuLine), image.Point{}, draw.Src)
}

func vline(img draw.Image, x, y0, y1, w int) {
	draw.Draw(img, image.Rect(x-w/2, y0, x-w/2+w, y1), image.NewUniform(menuLine), image.Point{}, draw.Src)
}

// drawLabel draws text centred in r, on one line or wrapped at spaces onto
// two, at the largest size (up to 110 px) that fits.
func drawLabel(dst draw.Image, f *sfnt.Font, r image.Rectangle, text string, ink color.Color) error {
	for size := 110.0; size >= 36; size -= 4 {
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			return err
		}
		lines, ok := fit(face, text, r.Dx())
		lineH := face.Metrics().Height.Ceil()
		if !ok || lineH*len(lines) > r.Dy() {
			face.Close()
			continue
		}
		ascent := face.Metrics().Ascent.Ceil()
		y := r.Min.Y + (r.Dy()-lineH*len(lines))/2 + ascent
		for _, l := range lines {
			w := font.MeasureString(face, l).Ceil()
			d := font.Drawer{Dst: dst, Src: image.NewUniform(ink), Face: face,
				Dot: fixed.P(r.Min.X+(r.Dx()-w)/2, y)}
			d.DrawString(l)
			y += lineH
		}
		return face.Close()
	}
	return fmt.Errorf("label %q does not fit its area", text)
}

// fit breaks text into at most two lines no wider than w: whole if it fits,
// else at the space that balances the lines best.
func fit(face font.Face, text string, w int) ([]string, bool) {
	text = strings.TrimSpace(text)
	if font.MeasureString(face, text).Ceil() <= w {
		return []string{text}, true
	}
	best, bestW := -1, 0
	for i, r := range text {
		if r != ' ' {
			continue
		}
		a, b := text[:i], strings.TrimSpace(text[i+1:])
		wa, wb := font.MeasureString(face, a).Ceil(), font.MeasureString(face, b).Ceil()
		if wa <= w && wb <= w && (best < 0 || max(wa, wb) < bestW) {
			best, bestW = i, max(wa, wb)
		}
	}
	if best < 0 {
		return nil, false
	}
	return []string{text[:best], strings.TrimSpace(text[best+1:])}, true
}
