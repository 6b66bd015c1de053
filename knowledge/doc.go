// Package knowledge owns sswbot's content: the procedures, contacts, links,
// glossary and every text the bot says, in ja, en, ru and ky. The content is
// YAML under content/ (embedded with go:embed) and is loaded strictly: an
// unknown key, a duplicate id, a dangling reference, a missing language, an
// empty text, a route without steps or a step without a source is an error
// with its file and line, so bad content stops startup, never a live chat.
//
// One shared file (kind: shared) holds the interface texts, glossary and
// keywords; each sending country is one more file (kind: country) with its
// source document, routes, steps, contacts and links. Files of kind
// understanding (and a country file's intents section) hold the intents:
// for each slot value (a role, a location, a route, a topic, a control word,
// an out-of-scope question with its honest answer) the phrasings people
// type, which the bot turns into the understanding model.
//
// knowledge must not know the dialog, the bot, storage or any platform: it
// names things by string ids that the bot checks.
package knowledge
