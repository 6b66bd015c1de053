// Package understand turns what a person typed into meaning: which slot
// values (role, location, route, topic, contact, control word, out-of-scope
// topic) a message names, how sure that reading is, and which readings come
// next. It learns only from example phrasings (the content's intents, built
// into a Corpus by bot) and is pure: no I/O, no clock, no knowledge of the
// dialog, the content files or any platform. It imports nothing of ours.
//
// How it reads a message:
//
//   - Fold normalises the text (NFKC, case and width, ё→е, katakana→hiragana,
//     the Corpus' kana Spellings as their kanji, punctuation and emoji
//     dropped) and Read splits it into words (Japanese
//     and Chinese script: character bigrams, as there are no spaces; a
//     bigram joining a kanji and a particle (社を, を経) is skipped, and a
//     kanji with its inflection (働き, 働く) also reads as its stem 働…).
//   - Each word is compared with the examples' words by a matching key that
//     forgives what phones do to Russian and Kyrgyz (ө/ү/ң/й/ь typed as
//     o/u/n/i or left out), by Snowball stems (English, Russian), by shared
//     prefixes (Kyrgyz and Russian endings) and by one typo (one letter
//     missing, extra, wrong or swapped). A Latin word that is not a known
//     English word is also read transliterated to Cyrillic ("ya uzhe v
//     Tokio" → «я уже в токио», "jumush" → «жумуш»).
//   - An example scores by how much of it, weighted by how rare each word is
//     among the intents (IDF), the message contains; an intent scores as its
//     best example. Control words (ok, thanks, help …) must also make up
//     most of the message, so "we help our students" is not a call for help.
//   - A negation next to a match (no, not, without, без, не, жок, -сыз,
//     ない, ません …) marks it Negated instead of selecting it.
//   - Query.Expect (the slots the current question fills) puts those slots
//     first: "agency" answers the route question, and inside a walk it is a
//     topic.
package understand
