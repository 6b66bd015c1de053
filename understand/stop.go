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
	// the programme's own name (特定技能) is in almost every message and says
	// nothing about what a message wants: 「特定技能で来てもらいたい会社です」
	// is an employer, not a question about changing to 特定技能
	"特定", "定技",
	// どのくらい, どれくらい, ぐらい, かかる: how much, how long, how many
	// alike; the noun they ask about (費用, 期間, 給料) says which
	"どの", "のく", "どれ", "れく", "らい", "ぐら", "くら", "いか", "かか", "かる", "かり",
)

// stopFactor is what a function word weighs against a rare word.
const stopFactor = 0.25

// okurigana reports whether r is hiragana (an inflection between kanji).
func okurigana(r rune) bool { return r >= 'ぁ' && r <= 'ゖ' }

func isKanji(r rune) bool { return r >= 0x4E00 && r <= 0x9FFF || r == '々' }

// particle reports whether r is a one-kana particle (を, は, が, に …). Beside
// a kanji it is a word of its own: 会社を経営 is 会社 + を + 経営, and the
// bigrams 社を and を経 are not words. Read and New both skip them, so a
// message need not repeat an example's particles to match it: 「日本の会社
// です」 reads as 「会社の者です」 does.
func particle(r rune) bool {
	switch r {
	case 'を', 'は', 'が', 'に', 'で', 'の', 'と', 'も', 'へ', 'や', 'か':
		return true
	}
	return false
}

// cjkPair says whether the bigram rs[i:i+2] is read: not when it joins a
// kanji and a particle (社を, を経). (Skipping every kana before a kanji, as
// in から採用, was tried too: it read the eval sets worse.)
func cjkPair(rs []rune, i int) bool {
	a, b := rs[i], rs[i+1]
	return !(isKanji(a) && particle(b) || particle(a) && isKanji(b))
}

// stemMark ends the key of a verb's or adjective's stem: the kanji before
// its inflection. 働き, 働く and 働い share 「働…」, so 「働く側です」 meets
// 「働きたい」; a stem matches at simStem, never as the word itself.
const stemMark = "…"

// cjkStem is the stem key of the pair at i, if it is a kanji followed by
// kana of inflection (not a particle).
func cjkStem(rs []rune, i int) (string, bool) {
	if !isKanji(rs[i]) || isKanji(rs[i+1]) || particle(rs[i+1]) {
		return "", false
	}
	return string(rs[i]) + stemMark, true
}

// loneKanji: rs[i] is a kanji with kana on both sides (寮は, 次の): a word
// of one kanji, read on its own where its bigram with a particle is skipped.
func loneKanji(rs []rune, i int) bool {
	return isKanji(rs[i]) && (i == 0 || !isKanji(rs[i-1])) && (i+1 == len(rs) || !isKanji(rs[i+1]))
}

// cjkSingle is the one-kanji word a skipped pair at i stands for, if any:
// the kanji before a particle, or the last kanji of the run after one.
func cjkSingle(rs []rune, i int) (rune, bool) {
	switch {
	case isKanji(rs[i]) && loneKanji(rs, i):
		return rs[i], true
	case i+2 == len(rs) && isKanji(rs[i+1]) && loneKanji(rs, i+1):
		return rs[i+1], true
	}
	return 0, false
}
