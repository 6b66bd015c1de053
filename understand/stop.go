package understand

// stopWords are function words of the four languages (as matching keys):
// they count a quarter in an example, so "the" or «мен» never carries a
// reading on its own however few intents happen to use them. Japanese ones
// are the bigrams of polite endings and particles.
var stopWords = set(
	// en
	"the", "a", "an", "is", "are", "am", "was", "were", "be", "been", "i", "im", "ive", "id", "we", "were", "weve", "you",
	"he", "she", "it", "its", "they", "me", "us", "him", "her", "them", "my", "our", "your", "his", "their", "in", "on",
	"at", "to", "for", "of", "and", "or", "so", "this", "that", "these", "those", "do", "does", "did", "can", "could",
	"would", "will", "please", "pls", "just", "now", "there", "here", "with", "about", "from", "as", "by", "if", "then",
	"also", "some", "well", "lets", "about", "any", "get", "got", "have", "has", "had", "through", "via",
	// ru (keyed: й → и)
	"я", "мы", "вы", "ты", "он", "она", "оно", "они", "меня", "мне", "нас", "нам", "вас", "вам", "его", "ее", "их", "в",
	"во", "на", "и", "а", "но", "у", "с", "со", "к", "ко", "по", "из", "за", "о", "об", "от", "до", "для", "это", "этот",
	"мои", "моя", "мое", "наш", "наша", "наше", "ваш", "ваша", "же", "ли", "бы", "то", "вот", "так", "тут", "там",
	"пожалуиста", "через", "даваи", "ну", "насчет", "есть", "был", "была", "были", "быть",
	// ky
	"мен", "биз", "сен", "сиз", "ал", "алар", "жана", "менен", "бул", "ошол", "да", "де", "та", "те", "го", "эле",
	"еле", "жатам", "жатабыз", "жатат", "жатасыз", "журом", "журобуз", "журот", "турам", "болот",
	"деп", "учун", "аркылуу",
	// ja bigrams
	"です", "ます", "まし", "した", "して", "いま", "しま", "でし", "くだ", "ださ", "さい", "ござ", "ざい", "おね", "ねが",
	"がい", "お願", "願い", "たい", "てい", "いる", "ている", "すか", "ので", "から", "けど", "のは", "には", "では", "です", "ると", "こと",
)

// stopFactor is what a function word weighs against a rare word.
const stopFactor = 0.25

// okurigana reports whether r is hiragana (an inflection between kanji).
func okurigana(r rune) bool { return r >= 'ぁ' && r <= 'ゖ' }

func isKanji(r rune) bool { return r >= 0x4E00 && r <= 0x9FFF || r == '々' }
