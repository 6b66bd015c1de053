package telegram

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// CheckHTML parses text as Telegram's parse_mode HTML does and reports
// what Telegram would refuse ("can't parse entities"): a tag outside its
// set or with attributes it does not take, tags that do not balance or
// nest, a bare <, > or &, an entity it does not know, a text over 4,096
// characters (UTF-16 units, after the entities are read) or an empty one.
// Format's output always passes; the tests' fake Bot APIs hold every
// message to it, as Telegram would.
func CheckHTML(text string) error {
	var stack []string
	visible := 0
	for i := 0; i < len(text); {
		switch c := text[i]; c {
		case '<':
			j := strings.IndexByte(text[i:], '>')
			if j < 0 {
				return fmt.Errorf("unclosed tag at byte %d", i)
			}
			tag := text[i+1 : i+j]
			i += j + 1
			if name, ok := strings.CutPrefix(tag, "/"); ok {
				if len(stack) == 0 || stack[len(stack)-1] != canonical(name) {
					return fmt.Errorf("unexpected end tag </%s> (open: %v)", name, stack)
				}
				stack = stack[:len(stack)-1]
				continue
			}
			name, attrs, _ := strings.Cut(tag, " ")
			if err := checkTag(name, strings.TrimSpace(attrs)); err != nil {
				return err
			}
			stack = append(stack, canonical(name))
		case '>':
			return fmt.Errorf("bare '>' at byte %d", i)
		case '&':
			j := strings.IndexByte(text[i:], ';')
			if j < 0 || !entityRe.MatchString(text[i:i+j+1]) {
				return fmt.Errorf("bare '&' or unknown entity at byte %d: %.12q", i, text[i:])
			}
			ent := text[i : i+j+1]
			r := ' '
			if n, ok := strings.CutPrefix(strings.TrimSuffix(ent, ";"), "&#"); ok {
				base := 10
				if n2, hex := strings.CutPrefix(n, "x"); hex {
					n, base = n2, 16
				}
				v, err := strconv.ParseInt(n, base, 32)
				if err != nil {
					return fmt.Errorf("bad entity %s", ent)
				}
				r = rune(v)
			}
			visible += len(utf16.Encode([]rune{r}))
			i += j + 1
		default:
			r := []rune(text[i:min(i+4, len(text))])[0]
			visible += len(utf16.Encode([]rune{r}))
			i += len(string(r))
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed tags %v", stack)
	}
	if visible == 0 {
		return fmt.Errorf("text is empty")
	}
	if visible > 4096 {
		return fmt.Errorf("message is too long: %d characters", visible)
	}
	return nil
}

var (
	entityRe = regexp.MustCompile(`^&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});$`)
	hrefRe   = regexp.MustCompile(`^href="[^"<>]+"$`)
)

// canonical folds Telegram's synonyms (<strong> is <b>, ...).
func canonical(name string) string {
	switch name {
	case "strong":
		return "b"
	case "em":
		return "i"
	case "ins":
		return "u"
	case "strike", "del":
		return "s"
	}
	return name
}

func checkTag(name, attrs string) error {
	switch name {
	case "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "pre", "tg-spoiler":
		if attrs != "" {
			return fmt.Errorf("<%s> takes no attributes, got %q", name, attrs)
		}
	case "a":
		if !hrefRe.MatchString(attrs) {
			return fmt.Errorf("<a> needs exactly href=\"...\", got %q", attrs)
		}
	case "code":
		if attrs != "" && !strings.HasPrefix(attrs, `class="language-`) {
			return fmt.Errorf("<code> takes only class=\"language-...\", got %q", attrs)
		}
	case "blockquote":
		if attrs != "" && attrs != "expandable" {
			return fmt.Errorf("<blockquote> takes only expandable, got %q", attrs)
		}
	case "span":
		if attrs != `class="tg-spoiler"` {
			return fmt.Errorf("<span> must be class=\"tg-spoiler\", got %q", attrs)
		}
	default:
		return fmt.Errorf("unsupported start tag %q", name)
	}
	return nil
}
