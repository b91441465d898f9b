/**
 * Small talk and the social edges of a turn: whether a turn is a greeting, thanks or an
 * acknowledgement and nothing more (isSmallTalk), and the ask without the greeting, mention,
 * courtesy, closing thanks, emoji and sign-off around it (withoutSocialEdges). Pure.
 */

import { agentCommand } from './commands.js';
import { ASK_OPENING_WORDS, CLOSING_ASIDE, CLOSING_ASIDE_LAST_WORDS, COMPLEX_ASK, COURTESY_OPENING, DEEP_ASK, DISCOURSE_OPENING, EMOJI_UNIT, EMOTICONS, LABEL_OPENING, MODERATE_ASK, MULTI_STEP, NAME_LINE, QUOTE_CLOSES, REQUEST_OPENING, SIGN_OFF_LINE, SIMPLE_ASK, SMALL_TALK_CJK, SMALL_TALK_UNSPACED, SMALL_TALK_WORDS, SOCIAL_EDGE_WORDS, SOCIAL_OPENING, SOCIAL_OPENING_CJK, WRAPPED_LINE } from './lexicon.js';
import { withoutHardWords } from './stuffing.js';
import { astralToBmp, isBmpLetter, isBmpWordChar, isJsSpace, LETTER_OR_DIGIT, wordCharAt, lexicalForm, withoutEmphasis } from './text.js';
import { readLexicons, words, wordSet } from './wordlex.js';
import { HASH_SEED, hashStep, RangeSet } from './wordset.js';

/** Wh-words that open a question (isSmallTalk: such a question with a word of its own asks something). */
const WH_QUESTION_OPENER = new Set(['what', 'which', 'why', 'where', 'when', 'who']);

/** The distinct words isSmallTalk has read (it stops at the fifteenth), and its word list as ranges. */
const SMALL_TALK_SEEN = new RangeSet(15);
const SMALL_TALK_WORD_SET = wordSet(SMALL_TALK_WORDS);

/** Length of the word unit at i: a letter, number, combining mark or apostrophe (2 for an astral one), or 0. WORD_RE's, marks added (session 65). */
function wordUnitAt(t: string, i: number): number {
  const c = t.charCodeAt(i);
  return c === 39 || c === 0x2019 ? 1 : wordCharAt(t, i);
}

/** A greeting, thanks or acknowledgement and nothing more (exported for tests). */
export function isSmallTalk(text: string): boolean {
  // Length first: lower-casing 2 KB of mixed scripts costs more than the rest of this check.
  const trimmed = text.trim();
  if (trimmed.length === 0) return true;
  if (trimmed.length > 600) return false;
  const t = trimmed.toLowerCase();
  if (SMALL_TALK_CJK.test(t) || SMALL_TALK_UNSPACED.test(t)) return true;
  if (SOCIAL_OPENING_CJK.test(t)) return !namesAnAsk(t);
  // Distinct words ("thanks thanks thanks" is still thanks), as WORD_RE reads them, scanned in
  // place (hashed ranges, no string or match per word: a turn of repeated small-talk words is
  // read to its end); stop at the fourth unknown word so an ordinary prompt costs a few words.
  const seen = SMALL_TALK_SEEN;
  seen.reset(t);
  let known = 0;
  let unknown = 0;
  let firstStart = -1;
  let firstEnd = -1;
  let lastStart = -1;
  let lastEnd = -1;
  // Chinese and Japanese characters (U+2E80 to U+9FFF) past a distinct word's first two, two to a
  // word: a sentence in them is one run of letters ("Hi! デプロイのたびにメモリ使用量が増えていきます"
  // is not two words).
  let cjkMore = 0;
  for (let i = 0; i < t.length; ) {
    let len = wordUnitAt(t, i);
    if (len === 0) {
      i++;
      continue;
    }
    const start = i;
    let h = HASH_SEED;
    let cjk = 0;
    do {
      const c = t.charCodeAt(i);
      // A number: never small talk (the answer whatever the other words are).
      if (c >= 48 && c <= 57) return false;
      if (c >= 0x2e80 && c <= 0x9fff) cjk++;
      h = hashStep(h, c);
      if (len === 2) h = hashStep(h, t.charCodeAt(i + 1));
      i += len;
    } while (i < t.length && (len = wordUnitAt(t, i)) > 0);
    lastStart = start;
    lastEnd = i;
    if (firstStart < 0) {
      firstStart = start;
      firstEnd = i;
    }
    if (!seen.addNew(start, i, h)) continue;
    // A run of three or more such characters: a greeting or thanks of its own ("ありがとうございます"), or a sentence.
    const cjkSocial = cjk > 2 && SMALL_TALK_CJK.test(t.slice(start, i));
    if (cjk > 2 && !cjkSocial) cjkMore += Math.ceil((cjk - 2) / 2);
    if (cjkSocial || SMALL_TALK_WORD_SET.getRange(t, start, i, h) !== undefined) known++;
    else if (++unknown > 3) return false;
    if (seen.size > 14) return false;
  }
  if (seen.size === 0) return /^[\p{Emoji}\s!?.]+$/u.test(t); // emoji only
  const first = t.slice(firstStart, firstEnd);
  const last = t.slice(lastStart, lastEnd);
  // A wh-question with a word of its own ("What makes a good unit test?") asks something, even if
  // its other words are small-talk words ("makes sense", "quick test").
  if (unknown > 0 && WH_QUESTION_OPENER.has(first) && /[?？]/.test(t)) return false;
  if (known / (seen.size + cjkMore) >= 0.75) return !SIMPLE_ASK.regex.test(astralToBmp(t));
  // Up to five words opened or closed by thanks or a greeting, asking nothing: on the tune split
  // 58 of the 59 such turns are labelled trivial.
  return seen.size + cjkMore <= 5 && !/[?？]/.test(t) && (SOCIAL_EDGE_WORDS.has(first) || SOCIAL_EDGE_WORDS.has(last)) && !namesAnAsk(t);
}

/** Does a short text name an ask of any family (so that it is not small talk)? */
function namesAnAsk(lower: string): boolean {
  const lex = astralToBmp(lower);
  return SIMPLE_ASK.regex.test(lex) || MODERATE_ASK.regex.test(lex) || COMPLEX_ASK.regex.test(lex) || DEEP_ASK.regex.test(lex);
}

/** A mention that opens a turn ("@assistant ", "@bot: "): withoutSocialEdges reads the word after it. */
const MENTION_OPENING = /@[\p{L}\p{N}_.-]{1,40}(?:[ \t]*[,:])?[ \t]+/uy;
/** What ends an opening greeting (SOCIAL_OPENING): a mark or a line break, and the space after it. */
const OPENING_END = /[ \t]*(?:[,!.:;~，！。：、]+|\n)\s*/y;
/** A name after a greeting ("Hi Anna,", "Hey ChatGPT:"): one capitalised word. */
const OPENING_NAME = /[ \t]+\p{Lu}[\p{L}\p{N}'’-]{0,24}/uy;
/** Characters of a turn's ends that the greeting and thanks are looked for in. */
const SOCIAL_EDGE_SCAN = 120;

/** Marks that end a sentence before closing thanks: kept with the ask. */
const SENTENCE_MARKS = '.!?;:)]。！？；：';
/** Is the character at i an upper-case letter (a capitalised word starts there)? */
const isUpperAt = (s: string, i: number): boolean => {
  const ch = s[i] ?? '';
  return ch !== ch.toLowerCase();
};

/** Whether the last word of text[0, end) (before marks and spaces) is one a closing aside (thanks, a please, an urgency) can end with (CLOSING_ASIDE_LAST_WORDS). */
function endsInAsideWord(text: string, end: number): boolean {
  let e = end;
  while (e > 0 && !isBmpWordChar(text.charCodeAt(e - 1))) e--;
  let b = e;
  while (b > 0 && e - b < 24 && isBmpWordChar(text.charCodeAt(b - 1))) b--;
  return e > b && CLOSING_ASIDE_LAST_WORDS.has(text.slice(b, e).toLowerCase());
}

/** Where the emoji and spaces that open a text end (0 if none open it), read forward one unit at a time. */
function leadingEmojiEnd(text: string): number {
  let at = 0;
  let cut = 0;
  for (;;) {
    while (at < text.length && isJsSpace(text.charCodeAt(at))) at++;
    const c = text.charCodeAt(at);
    // (Every emoji unit but © and ®, which open no greeting, is U+200D or above: most turns open
    // below it, and are read with no regex test.)
    if (at >= text.length || c < 0x200d) return cut;
    const unit = c >= 0xd800 && c <= 0xdbff ? text.slice(at, at + 2) : text.slice(at, at + 1);
    if (!EMOJI_UNIT.test(unit)) return cut;
    at += unit.length;
    cut = at;
    while (cut < text.length && isJsSpace(text.charCodeAt(cut))) cut++;
  }
}

/**
 * Where the emoji, emoticons and spaces that end a text begin (its length if none end it):
 * read back from the end, one unit at a time (no regex reads a run from each start).
 */
function withoutTrailingEmoji(text: string): number {
  let end = text.length;
  let cut = end;
  for (;;) {
    while (end > 0 && isJsSpace(text.charCodeAt(end - 1))) end--;
    const c = text.charCodeAt(end - 1);
    // A pictograph past the BMP is a surrogate pair; one in the BMP (☕, ❤) a single unit.
    const unit = c >= 0xdc00 && c <= 0xdfff && end >= 2 ? text.slice(end - 2, end) : text.slice(end - 1, end);
    if (end > 0 && EMOJI_UNIT.test(unit)) {
      end -= unit.length;
      cut = end;
      continue;
    }
    // An emoticon stands apart: "4:3" and "f(x=)" end in none.
    const emoticon = EMOTICONS.find((e) => text.endsWith(e, end) && (end === e.length || isJsSpace(text.charCodeAt(end - e.length - 1))));
    if (emoticon === undefined) {
      if (cut === text.length) return cut;
      while (cut > 0 && isJsSpace(text.charCodeAt(cut - 1))) cut--;
      return cut;
    }
    end -= emoticon.length;
    cut = end;
  }
}

/**
 * A turn without what opens it before its ask (emoji, a mention, a greeting, a discourse opening, a
 * label or tag, a courtesy or a request: "Can you ...") and what closes it after (thanks, a please or an urgency, emoji, a
 * sign-off and a name): "Hi! Prove that ...", "... why? Thanks!", "..., please", "...\n\nBest,\nAlice".
 * The ask between them is what the rules and the word model read. Without this, a greeting before
 * a proof read as small talk around an easy ask, and one before a Chinese failure report as small
 * talk: "Hi! " moved 11 % of the training asks' tiers, 8 % down (exported for tests; sessions 55
 * and 56 in benchmarks/README.md). The turn itself where nothing would be left ("Hi!") or thanks
 * close an acknowledgement ("thanks, that's all").
 */
export function withoutSocialEdges(turn: string): string {
  const unwrapped = unwrappedLine(turn);
  // A sign-off and a name on the turn's last lines ("...\n\nBest,\nAlice") end it as thanks do:
  // what is read below is the turn before them.
  const signed = withoutSignOff(unwrapped);
  const text = signed < unwrapped.length ? unwrapped.slice(0, signed) : unwrapped;
  const head = text.length > SOCIAL_EDGE_SCAN ? text.slice(0, SOCIAL_EDGE_SCAN) : text;
  // In this order, one of each at most: emoji, a mention, a greeting or thanks, a discourse
  // opening, a label, a courtesy or a request ("Hi! Quick question: could you please explain ...").
  // Emoji before the greeting or the ask ("👋 Hi! ...", "🙏 Please ...") are no words of it, nor
  // is a mention of the assistant ("@assistant how do I ...", "@bot What is ..."): a handle before
  // a capital or an ask's first word. A capitalised one may be a Java annotation ("@Transactional
  // Spring ..."): only before an ask's first word.
  let start = leadingEmojiEnd(head);
  MENTION_OPENING.lastIndex = start;
  if (head.charCodeAt(start) === 0x40 && MENTION_OPENING.test(head)) {
    const word = wordAfter(head, MENTION_OPENING.lastIndex);
    const handle = !isUpperAt(head, start + 1);
    if (word > 0 && ((handle && isUpperAt(head, word)) || askOpeningAfter(head, MENTION_OPENING.lastIndex) > 0)) start = word;
  }
  let greeted = false;
  let unmarked = false;
  let thanksFirst = false;
  SOCIAL_OPENING.lastIndex = start;
  const opening = SOCIAL_OPENING.exec(head);
  if (opening !== null) {
    const after = start + opening[0].length;
    OPENING_NAME.lastIndex = after;
    const named = OPENING_NAME.test(head) ? OPENING_NAME.lastIndex : -1;
    for (const at of named >= 0 ? [named, after] : [after]) {
      OPENING_END.lastIndex = at;
      if (OPENING_END.test(head)) {
        start = OPENING_END.lastIndex;
        greeted = true;
        thanksFirst = opening[1] !== undefined;
        break;
      }
    }
    // No mark after it: a greeting run straight into an ask ("hey how do I ...", "hi write ...").
    // One that is nothing but a greeting or a please ("hey", "Please", BARE_OPENINGS) before any word; one that
    // may be part of a name or a phrase ("Hello World", "Good morning routine") before an ask's
    // first word only.
    if (!greeted && opening[1] === undefined) {
      const ask = BARE_OPENINGS.has(firstWordOf(opening[0])) ? wordAfter(head, after) : askOpeningAfter(head, after);
      if (ask > 0) {
        start = ask;
        greeted = true;
        unmarked = true;
      }
    }
  }
  // A discourse opening before an ask ("Okay so how do I ...", "So, what is ..."): before any word
  // where it is one for sure (a mark or "so" ends it, or it is a filler: "Okay so", "Um,"), before
  // an ask's first word where it may be a word of the ask ("So many people ...", "Well ...").
  DISCOURSE_OPENING.lastIndex = start;
  if (start < head.length && DISCOURSE_OPENING.test(head)) {
    const opener = head.slice(start, DISCOURSE_OPENING.lastIndex);
    const sure = FILLER_OPENING.test(opener);
    const ask = sure ? wordAfter(head, DISCOURSE_OPENING.lastIndex) : askOpeningAfter(head, DISCOURSE_OPENING.lastIndex);
    if (ask > 0) start = ask;
  }
  LABEL_OPENING.lastIndex = start;
  if (LABEL_OPENING.test(head)) start = LABEL_OPENING.lastIndex;
  COURTESY_OPENING.lastIndex = start;
  if (COURTESY_OPENING.test(head)) start = COURTESY_OPENING.lastIndex;
  else {
    // A request put as a question ("Can you explain ...?") before an ask's verb.
    REQUEST_OPENING.lastIndex = start;
    if (REQUEST_OPENING.test(head)) {
      const ask = askOpeningAfter(head, REQUEST_OPENING.lastIndex);
      if (ask > 0) start = ask;
    }
  }
  const from = Math.max(start, text.length - SOCIAL_EDGE_SCAN);
  const tail = from === 0 ? text : text.slice(from);
  const unEmoji = withoutTrailingEmoji(tail);
  const emoji = unEmoji < tail.length;
  let end = from + unEmoji;
  const closing = endsInAsideWord(tail, unEmoji) ? CLOSING_ASIDE.exec(emoji ? tail.slice(0, unEmoji) : tail) : null;
  let closed = false;
  if (closing !== null) {
    // What is before the thanks: a sentence mark (kept with the ask: its question mark is read), a
    // comma or a line break (not kept), or a space before a capital ("... do you think Thanks!").
    let k = closing.index - 1;
    let lineBreak = false;
    for (; k >= 0 && (tail[k] === ' ' || tail[k] === '\t' || tail[k] === '\n'); k--) if (tail[k] === '\n') lineBreak = true;
    const mark = k >= 0 ? tail[k]! : '';
    const spaced = k < closing.index - 1;
    if (mark === '(' || mark === '（') {
      // Thanks in parentheses ("... overlap? (thanks!)"): the parenthesis is theirs.
      while (k > 0 && isJsSpace(tail.charCodeAt(k - 1))) k--;
      end = from + k;
    } else if (k < 0 && from === start && greeted) {
      // Nothing between the greeting and the aside ("hey! ASAP"): no ask.
      end = from;
    } else if (mark !== '' && SENTENCE_MARKS.includes(mark)) end = from + k + 1;
    else if (mark === ',' || mark === '，' || lineBreak || (spaced && mark !== '' && isUpperAt(closing[0], 0))) end = from + k + (mark === ',' || mark === '，' ? 0 : 1);
    closed = end <= from + closing.index;
  }
  if (start === 0 && end === text.length) return text;
  const ask = text.slice(start, end);
  closed ||= signed < unwrapped.length;
  if (ask.trim() === '') {
    // Nothing but a greeting and what closes it ("hey! ASAP"): the greeting.
    const greeting = text.slice(0, end);
    return greeted && end < text.length && greeting.trim() !== '' ? greeting : text;
  }
  // Thanks with an acknowledgement, asking nothing, is a social turn, read whole ("thanks, that's
  // all", "that fixed it, thx"); with a question or a command ("Isolate laptop-bob. Thanks!") what
  // is left is the ask.
  // So is a greeting with no mark and small talk after it ("hallo zusammen", "hey how are you").
  const thanked = closed || thanksFirst || emoji || unmarked;
  if (thanked && !/[?？]/.test(ask) && isSmallTalk(text) && !agentCommand(ask)) return text;
  // Hard words with no sentence around them after a greeting ("Hello! prove design optimize
  // derive theorem step by step") are keyword stuffing around the greeting, the turn's only ask:
  // read whole, where the stuffing check lets the greeting decide (scoreTurn).
  return greeted && keywordSoup(ask) ? text : ask;
}

/**
 * Where the ask starts after a greeting or a discourse opening that no mark ends: the word after
 * `at` (wordAfter) where it opens an ask (ASK_OPENING_WORDS), else -1.
 */
function askOpeningAfter(head: string, at: number): number {
  const b = wordAfter(head, at);
  if (b < 0) return -1;
  let e = b;
  while (e < head.length && e - b <= 12 && isBmpLetter(head.charCodeAt(e))) e++;
  return e > b && ASK_OPENING_WORDS.has(head.slice(b, e).toLowerCase()) ? b : -1;
}

/** Greetings and a please that are nothing else: set apart before any word with no mark after them ("hey book a table ...", "Please book a table ..."). */
const BARE_OPENINGS: ReadonlySet<string> = new Set(['hey', 'hi', 'hiya', 'heya', 'yo', 'hola', 'bonjour', 'salut', 'hallo', 'ciao', 'привет', 'oi', 'please']);
/** A discourse opening that is one for sure: a mark or "so" ends it, or it is a filler ("um", "hmm"). */
const FILLER_OPENING = /[,.!]|\sso\s*$|^[\s"'“«]*(?:um+|uh+|hmm+)\s*$/iu;

/** The first word of a greeting's match, lower case. */
function firstWordOf(match: string): string {
  return words(match.toLowerCase())[0] ?? '';
}

/** Where the word after `at` starts, if a space is before it (a greeting is a whole word: "yo" is no greeting in "you're") and a letter starts it; else -1. */
function wordAfter(head: string, at: number): number {
  let b = at;
  while (b < head.length && (head.charCodeAt(b) === 32 || head.charCodeAt(b) === 9)) b++;
  const spaced = b > 0 && (head.charCodeAt(b - 1) === 32 || head.charCodeAt(b - 1) === 9);
  return spaced && b < head.length && isBmpLetter(head.charCodeAt(b)) ? b : -1;
}

/** Characters of a turn's end a sign-off and a name are looked for in. */
const SIGN_OFF_SCAN = 80;

/** The last line break before `end` within SIGN_OFF_SCAN characters, or -1 (lastIndexOf would read a long line to its start). */
function lineBreakBefore(text: string, end: number): number {
  // Most turns have none there: indexOf, forward, says so fastest.
  const from = Math.max(0, end - SIGN_OFF_SCAN);
  const first = text.indexOf('\n', from);
  if (first < 0 || first >= end) return -1;
  for (let i = end - 1; i > first; i--) if (text.charCodeAt(i) === 10) return i;
  return first;
}

/**
 * Where a turn ends without a sign-off and a name on its last two lines ("Thanks in advance,\nBob",
 * "Cheers,\nSam": SIGN_OFF_LINE then NAME_LINE, each at most SIGN_OFF_SCAN characters); the
 * turn's length if it has none, or nothing before them.
 */
function withoutSignOff(text: string): number {
  let end = text.length;
  while (end > 0 && isJsSpace(text.charCodeAt(end - 1))) end--;
  const nameAt = lineBreakBefore(text, end);
  if (nameAt <= 0) return text.length;
  // A name opens with a capital or a dash (most last lines do not: one test before the regex).
  let n = nameAt + 1;
  while (n < end && isJsSpace(text.charCodeAt(n))) n++;
  const first = text.charCodeAt(n);
  if ((first < 0x41 || first > 0x5a) && first < 0x80 && first !== 0x2d && first !== 0x7e) return text.length;
  if (!NAME_LINE.test(text.slice(nameAt + 1, end))) return text.length;
  const lineAt = lineBreakBefore(text, nameAt);
  if (lineAt <= 0 || !SIGN_OFF_LINE.test(text.slice(lineAt + 1, nameAt))) return text.length;
  let cut = lineAt;
  while (cut > 0 && isJsSpace(text.charCodeAt(cut - 1))) cut--;
  return cut > 0 ? cut : text.length;
}

/**
 * Function words: a sentence has one ("Design a cache", "Prove that ..."); a list of keywords
 * ("prove design optimize theorem") has none. The covered languages' articles, prepositions,
 * pronouns, conjunctions and copulas.
 */
const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the this that these those my our your his her its their me us it i we you he she they to of for in on at by with from into about and or but if ' +
    'is are was were be been am do does did how what why which who when where can could should would will not no ' +
    'el la los las un una de del que y o en por para con es son como qué cómo mi su ' +
    'der die das ein eine einen und oder ist sind wie was warum mit für zu von im in den dem ich wir mein unser ' +
    'le les une des et ou est sont comment pourquoi avec pour dans du je nous mon notre ' +
    'и в на с по для как что это почему мой наш я мы не ' +
    'o os as um uma do da dos das é são com em meu nosso il lo gli di che è sono come perché per mio nostro'
  ).split(' '),
);

/**
 * Whether a short text is hard words with no sentence around them: a hard lexicon's word, no
 * question mark, and once the hard words are out no function word (FUNCTION_WORDS) and no Chinese
 * or Japanese (whose sentences have no spaces to find words by).
 */
function keywordSoup(text: string): boolean {
  if (text.length > SOCIAL_EDGE_SCAN * 5 || /[?？]/.test(text)) return false;
  const lex = lexicalForm(text);
  const scan = readLexicons(lex);
  if (!DEEP_ASK.test(scan) && !COMPLEX_ASK.test(scan) && !MULTI_STEP.test(scan)) return false;
  const left = withoutHardWords(lex, scan);
  return !/[\u2e80-\u9fff]/.test(left) && !words(left).some((w) => FUNCTION_WORDS.has(w));
}

/**
 * A one-line turn without the list mark or the quotes around all of it ("- What is X?",
 * "\"How do I ...?\""), which the rules that read a turn from its start would take for its first
 * word, and without markdown emphasis (withoutEmphasis); any other turn as it is. Lines of up to
 * SOCIAL_EDGE_SCAN * 5 characters.
 */
function unwrappedLine(line: string): string {
  if (line.length > SOCIAL_EDGE_SCAN * 5 || line.includes('\n') || line.includes('\r')) return line;
  // Markdown emphasis and a heading mark are not words either ("**What** has keys ...?" is a
  // riddle asked as a wh-question, which the word model's gate reads from the turn's start): looked
  // for where the line opens or closes with one (inside, the rules read it away: withPlainSpaces).
  const text = emphasisAtEdge(line) ? withoutEmphasis(line) : line;
  const m = WRAPPED_LINE.exec(text);
  if (m === null) return text;
  const body = text.slice(m[0].length);
  const open = m[1];
  if (open === undefined) return body.trim() === '' ? text : body;
  // A quotation: only where its closing quote ends the line (a question mark or stop after it kept).
  const trimmed = body.trimEnd();
  const close = QUOTE_CLOSES[open]!;
  const last = trimmed.length - 1;
  const at = trimmed[last] === close ? last : /[?.!？。！]/u.test(trimmed[last] ?? '') && trimmed[last - 1] === close ? last - 1 : -1;
  if (at <= 0 || body.slice(0, at).includes(close)) return text;
  return body.slice(0, at) + trimmed.slice(at + 1);
}

/** Whether a line opens with '*', '_' or '#' or closes with '*' or '_' (spaces aside). */
function emphasisAtEdge(line: string): boolean {
  let b = 0;
  while (b < line.length && isJsSpace(line.charCodeAt(b))) b++;
  let e = line.length - 1;
  while (e > b && isJsSpace(line.charCodeAt(e))) e--;
  const first = line.charCodeAt(b);
  const last = line.charCodeAt(e);
  return first === 0x2a || first === 0x5f || first === 0x23 || last === 0x2a || last === 0x5f;
}

/** Whether any word of a (lower-case) text is a greeting, thanks or "ok" (a report beside "ok got it" is not only a report). */
export function hasSocialWord(lower: string): boolean {
  for (const w of words(lower)) if (SOCIAL_OR_OK.has(w)) return true;
  return false;
}

/** Whether a turn opens or closes with a greeting, thanks or acknowledgement (a word or a whole sentence). */
export function socialEdge(text: string): boolean {
  const head = text.slice(0, 60).trim().toLowerCase();
  const first = words(head)[0];
  const last = words(text.slice(-60).toLowerCase()).at(-1);
  if ((first !== undefined && SOCIAL_OR_ACK.has(first)) || (last !== undefined && SOCIAL_OR_ACK.has(last))) return true;
  // An acknowledgement sentence at either end ("... on G1. ok got it"). Marks alone are no
  // sentence: the "**" after "quarter." in "**Top 10 countries ... last quarter.**" is not one.
  const clause = (t: string | undefined) => t !== undefined && isSmallTalk(t);
  const sentences = (t: string) => t.split(/[.!?;。！？；\n]+/u).filter((x) => LETTER_OR_DIGIT.test(x));
  return clause(sentences(head)[0]) || clause(sentences(text.slice(-60)).at(-1));
}

/** Greetings, thanks and "ok": a turn with one of these anywhere is not read by the fallback. */
const SOCIAL_OR_OK = new Set([...SOCIAL_EDGE_WORDS, 'ok', 'okay']);
/** Words that open or close a social turn or an acknowledgement ("ok got it", "thanks"). */
const SOCIAL_OR_ACK = new Set([...SOCIAL_OR_OK, 'k', 'sure', 'yes', 'yep', 'no', 'nope', 'got']);
