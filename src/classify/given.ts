/**
 * Text given with an ask: a passage to transform ("Summarize: '…'"), a context a question is
 * asked of, a few-shot prompt, a template's input fields, pasted log lines. Each reader splits a
 * turn into its instruction and the passage (GivenText), or returns null. Pure.
 */

import { COMPLEX_ASK, DEEP_ASK, endLookup, MODERATE_ASK, QUOTE_CLOSES, SIMPLE_ASK, WH_LOOKUP } from './lexicon.js';
import { astralToBmp, LETTER_OR_DIGIT, lineEndAt, paragraphBreaks } from './text.js';
import { readLexicons } from './wordlex.js';

/**
 * An instruction to transform a text given with it (summarize, translate, proofread, fix or check
 * the grammar, rephrase, shorten, extract), in the covered languages, asked plainly or with "can
 * you": what follows its colon is the text, not the ask. Latin and Cyrillic verbs end at a word's
 * end; Chinese and Japanese ones need not.
 */
const TRANSFORM_INSTRUCTION =
  /^(?:(?:please|pls|plz)\s+|(?:can|could|would) (?:you|u) (?:please |pls |plz )?)?(?:(?:summari[sz]e|tl;?dr|translate|proofread|check (?:[\p{L}']+ ){0,3}for (?:grammar|spelling|typos?|punctuation)|paraphrase|rephrase|reword|rewrite|shorten|extract|fix (?:the |my )?(?:grammar|spelling|typos?|punctuation|wording)|correct (?:the |my )?(?:grammar|spelling|typos?|punctuation)|make (?:this|it|the)(?: \p{L}+){0,2} (?:more|less|shorter|longer|clearer|simpler|sound)|reescribe|réécris|réécrivez|перепиши|resume (?:este|esto|el|la)|resumir|resúmeme|traduce|traduis|traduisez|traduz|traduci|übersetze|fasse|korrigiere|corrige|résume|résumez|переведи|перескажи|исправь|сократи)(?![\p{L}])|翻译|总结|概括|要約|翻訳)/iu;
/**
 * Quotes a given text may be put in, each with its closing mark: QUOTE_CLOSES, the CJK corner
 * brackets, and closing marks used at both ends (typography that turns every ' into ’).
 */
const PASSAGE_QUOTES: Readonly<Record<string, string>> = { ...QUOTE_CLOSES, '「': '」', '『': '』', '’': '’', '”': '”' };
/**
 * How a text should sound, in the covered languages ("to sound more professional", "que suene más
 * formal", "professioneller klingt"), or how much shorter or plainer it should be ("to be more
 * concise", set 91).
 */
export const TONE_EDIT = /(?<!\p{L})(?:sound|sounds|suene|sueni|klingt|klingen|sonne|звучал[оаи]?|звучит|(?:more )?(?:concise|shorter|clearer|simpler|plainer))(?!\p{L})/u;
/** Where an instruction's colon may be looked for: a transform instruction is short. */
const GIVEN_INSTRUCTION_MAX = 160;

/** A turn split into what it asks (instruction) and the text it gives with the ask (passage: material). */
export interface GivenText {
  instruction: string;
  passage: string;
}

/**
 * A text given to transform, split from its instruction: "Summarize in one sentence: '…'" or an
 * instruction line ending in a colon with the text on the lines after it. Null for anything else:
 * a question about the text ("Translate: … — is that right?"), a text not quoted to its end, or an
 * instruction that is no transform ("Explain: …").
 */
export function givenPassage(ask: string): GivenText | null {
  return instructionThenPassage(ask) ?? passageThenInstruction(ask);
}

/** "Summarize in one sentence: '…'", "Fix the grammar:" and the text on the lines after it (givenPassage). */
function instructionThenPassage(ask: string): GivenText | null {
  let colon = -1;
  const look = Math.min(ask.length, GIVEN_INSTRUCTION_MAX);
  for (let i = 0; i < look; i++) {
    const c = ask.charCodeAt(i);
    if (c === 0x3a || c === 0xff1a) {
      colon = i;
      break;
    }
    // An instruction is one line, and a question is no transform.
    if (c === 0x0a || c === 0x3f || c === 0xff1f) return null;
  }
  if (colon < 0) return null;
  const instruction = ask.slice(0, colon).trim();
  if (!TRANSFORM_INSTRUCTION.test(instruction)) return null;
  let at = colon + 1;
  while (at < ask.length && (ask.charCodeAt(at) === 0x20 || ask.charCodeAt(at) === 0x09)) at++;
  if (at >= ask.length) return null;
  const rest = ask.slice(at);
  if (rest.charCodeAt(0) === 0x0a || rest.charCodeAt(0) === 0x0d) return LETTER_OR_DIGIT.test(rest) ? { instruction, passage: rest.trim() } : null;
  // A quoted text: its closing mark ends the turn (a stop or a question mark after it aside).
  const close = PASSAGE_QUOTES[rest[0]!];
  if (close === undefined) return null;
  let end = rest.trimEnd().length - 1;
  if (end > 0 && /[.!?。！？]/u.test(rest[end]!) && rest[end - 1] === close) end--;
  if (end <= 1 || rest[end] !== close) return null;
  const passage = rest.slice(1, end);
  return LETTER_OR_DIGIT.test(passage) ? { instruction, passage } : null;
}

/**
 * A text, a blank line, then a transform instruction of one line as the turn's last paragraph
 * ("<meeting notes>\n\nSummarize this in 3 bullet points.", "<a paragraph>\n\nTranslate to
 * Spanish."): the text is given, not asked (givenPassage). A question is no transform.
 */
function passageThenInstruction(ask: string): GivenText | null {
  const t = ask.trimEnd();
  const nl = t.lastIndexOf('\n');
  if (nl < 0 || t.length - nl - 1 > GIVEN_INSTRUCTION_MAX) return null;
  // The line before the instruction is blank.
  let k = nl - 1;
  while (k >= 0 && (t.charCodeAt(k) === 0x20 || t.charCodeAt(k) === 0x09 || t.charCodeAt(k) === 0x0d)) k--;
  if (k < 0 || t.charCodeAt(k) !== 0x0a) return null;
  const instruction = t.slice(nl + 1).trim();
  if (instruction.includes('?') || instruction.includes('？') || !TRANSFORM_INSTRUCTION.test(instruction)) return null;
  const passage = t.slice(0, k).trim();
  return LETTER_OR_DIGIT.test(passage) ? { instruction, passage } : null;
}

/** The most characters of a grounded ask's question or instruction (groundedAsk): a longer one is the ask itself. */
const GROUNDED_ASK_MAX = 300;
/** The most characters of a line that introduces a given text ("Here are the release notes of v3.0:"). */
const GROUNDED_INTRO_MAX = 100;
/** The fewest characters of a text given before its ask with no line to introduce it (a sentence or two). */
const GROUNDED_PASSAGE_MIN = 100;
/**
 * How an ask that points at a text below opens when it is no question ("Using the following policy,
 * decide …", "Based on this job description, list …"): a report ("I'm getting these errors:") is
 * not one, and its text is the problem, not material.
 */
const GROUNDING_OPENER = /^\s*(?:(?:using|use|based on|from|given|according to|read|look at|consider|usando|según|con base en|a partir de|anhand|basierend auf|laut|gemäß|lies|d'après|selon|en utilisant|à partir de|lis|используя|на основе|согласно|прочитай)(?!\p{L})|根据|基于)/iu;
/** Words that point at a text given after the ask ("the table below", "these two reviews", "la siguiente tabla"), in the covered languages. */
const GIVEN_BELOW = /(?<!\p{L})(?:below|following|these|this (?:text|passage|paragraph|abstract|clause|excerpt|article|email|letter|review|transcript|log|table|data|description|notes|list|survey|contract|policy|document|job description)|a continuación|siguientes?|folgenden?|unten|suivante?s?|ci-dessous|ниже|следующ\p{L}*)(?!\p{L})|以下|下面|次の/u;
/** A line that labels the question asked of a given context ("Question:", "Q:", "Pregunta:", "问题："), in the covered languages. */
const QUESTION_LABEL = /\n[ \t]*(?:question|q|pregunta|frage|вопрос|pergunta|domanda|pytanie|vraag|soru|질문|问题|質問)[ \t]*[:：][ \t]*(?=\S)/giu;

/**
 * An ask of a text given with it, split into the ask and the text (material): a few-shot prompt
 * (fewShotAsk), a template's input fields (templatedAsk), a context then a labelled question
 * ("Context: <facts>\nQuestion: When did it open?"), an ask that points at the text below it, a text
 * introduced by a line of its own then the ask, and a text then a lookup in it or a transform of
 * it. Reading comprehension is as hard as its question, not its context (set 97: eleven such asks
 * read one or two tiers high); groundedParts keeps whole what asks for hard work. Null for
 * anything else.
 */
export function groundedAsk(ask: string): GivenText | null {
  // Every form has a line break: most asks are one line, and stop at this search.
  const nl = ask.indexOf('\n');
  if (nl < 0) return null;
  const shots = fewShotAsk(ask) ?? templatedAsk(ask);
  if (shots !== null) return shots;
  QUESTION_LABEL.lastIndex = 0;
  const m = QUESTION_LABEL.exec(ask);
  if (m !== null) return groundedParts(ask.slice(m.index + m[0].length), ask.slice(0, m.index));
  // The first and last paragraph breaks, found from the two ends (paragraphBreaks).
  const breaks = paragraphBreaks(ask);
  // An ask that points at the text after it ("From the abstract below, what …?\n\nAbstract: …").
  const firstEnd = breaks.count === 0 ? nl : breaks.firstStart;
  const first = ask.slice(0, firstEnd);
  if (firstEnd <= GROUNDED_ASK_MAX && GIVEN_BELOW.test(first) && (first.includes('?') || first.includes('？') || GROUNDING_OPENER.test(first))) return groundedParts(first, ask.slice(firstEnd));
  if (breaks.count === 0) return null;
  const passage = ask.slice(0, breaks.lastStart);
  const instruction = ask.slice(breaks.lastEnd);
  // A text introduced by a line of its own ("Here is a paragraph from our privacy policy:",
  // "Meeting notes, 14 March:"), then the ask as the last paragraph.
  const intro = ask.slice(0, nl).trimEnd();
  if (nl <= GROUNDED_INTRO_MAX && (intro.endsWith(':') || intro.endsWith('：'))) return breaks.lastStart < nl ? null : groundedParts(instruction, passage.slice(nl));
  // A text, a blank line, then a lookup in it or a transform of it ("<an article>\n\nWhat is the
  // main point of this text?", "<a notice>\n\nTranslate this into Spanish."). Any other ask of it
  // may be as hard as the text makes it ("Do you agree? Argue both sides"), and log lines are the
  // failure itself, not a text to read ("What's happening here?"): those are read whole, as before.
  if (passage.length < GROUNDED_PASSAGE_MIN || instruction.length > GROUNDED_ASK_MAX || pastedLogs(passage)) return null;
  return groundedParts(instruction, passage, true);
}

/** A last line that is a label waiting for its value ("Sentiment:", "French:", "A:"): a completion prompt. */
const EMPTY_LABEL_LINE = /^[ \t]*([\p{L}](?:[\p{L}\p{N} _-]{0,23}[\p{L}\p{N}_-])?)[ \t]*[:：][ \t]*$/u;
/** A line that opens with a short label and its colon ("Text: …", "Q: …"): a field, not an instruction. */
const LABELLED_LINE = /^[ \t]*[\p{L}][\p{L}\p{N} _-]{0,24}[:：]/u;
/** A last line that waits for what an arrow maps it to ("\"USB-C Cable 2m\" ->"). */
const ARROW_END = /(?:->|=>|→)[ \t]*$/u;
/** An example line: an arrow and what it maps to ("\"Café Table\" -> cafe-table"). */
const ARROW_WITH_VALUE = /(?:->|=>|→)[ \t]*[^\s]/u;

/**
 * A few-shot prompt: examples, then one more item whose answer is left empty ("Text: …\nSentiment:
 * positive\n\nText: …\nSentiment:", "\"Oak Table\" -> oak-table\n\"USB-C Cable\" ->"). What is asked is
 * the instruction before the examples and the last item; the examples are given (set 99: seven of
 * eight read a tier or two high, their examples read as requirements). Null for anything else.
 */
export function fewShotAsk(ask: string): GivenText | null {
  const t = ask.trimEnd();
  const lastNl = t.lastIndexOf('\n');
  if (lastNl < 0) return null;
  const lastLine = t.slice(lastNl + 1);
  const label = EMPTY_LABEL_LINE.exec(lastLine);
  let itemStart: number;
  if (label !== null) {
    // An example gives the same label its value ("Sentiment: positive"); the item is the line before the label.
    if (!labelledWithValue(t, lastNl, label[1]!)) return null;
    itemStart = t.lastIndexOf('\n', lastNl - 1) + 1;
  } else if (ARROW_END.test(lastLine) && ARROW_WITH_VALUE.test(t.slice(0, lastNl))) {
    itemStart = lastNl + 1;
  } else return null;
  // The instruction before the examples: the first line, unless it is an example or a field itself.
  const firstNl = t.indexOf('\n');
  const firstLine = t.slice(0, firstNl);
  const preamble = LABELLED_LINE.test(firstLine) || ARROW_WITH_VALUE.test(firstLine) ? '' : firstLine;
  const from = preamble === '' ? 0 : firstNl;
  if (itemStart <= from) return null;
  return groundedParts(preamble === '' ? t.slice(itemStart) : `${preamble}\n${t.slice(itemStart)}`, t.slice(from, itemStart));
}

/** A field's label at a line's start: "Input:", "### Context", "TEXT :" (sticky: read where a line starts). */
const FIELD_LABEL = /[ \t]*(?:#{1,4}[ \t]*([\p{L}](?:[\p{L}\p{N} _-]{0,23}[\p{L}\p{N}_-])?)[ \t]*(?:[:：][ \t]*)?(?=\r?\n|$)|([\p{L}](?:[\p{L}\p{N} _-]{0,23}[\p{L}\p{N}_-])?)[ \t]*[:：])/uy;
/** Labels of the fields a template gives its input in (lower case), in the covered languages and the six more. */
const MATERIAL_FIELDS = new Set([
  'input', 'text', 'context', 'passage', 'document', 'article', 'email', 'e-mail', 'message', 'review', 'ticket', 'schema', 'data', 'table', 'log', 'logs',
  'transcript', 'notes', 'excerpt', 'abstract', 'reference', 'student answer', 'sentence', 'recipe', 'product', 'paragraph', 'source', 'snippet',
  'texto', 'contexto', 'entrada', 'mensaje', 'reseña', 'frase', 'oración', 'kontext', 'eingabe', 'nachricht', 'satz', 'texte', 'contexte', 'entrée',
  'phrase', 'schéma', 'текст', 'контекст', 'сообщение', 'предложение', 'ввод', '文本', '上下文', '背景', '输入', '句子', '入力', 'テキスト', '文', '文章',
  'testo', 'contesto', 'messaggio', 'tekst', 'treść', 'metin', 'bericht', 'invoer',
]);
/** The most fields a template is read into (a longer list of labelled lines is material whatever its labels). */
const TEMPLATE_FIELDS = 24;

/**
 * A templated prompt: labelled fields, some of which give its input ("### Task\nSummarize …\n###
 * Input\n<message>", "TASK: …\nSCHEMA: …\nQUESTION: …"). What is asked is every line but the input
 * fields' (set 99: the templates read a tier high, their input read as the ask). Null where no
 * field gives input, or nothing else is asked.
 */
export function templatedAsk(ask: string): GivenText | null {
  // First the fields, with no string per line: most asks have none, or none that gives input.
  let fields = 0;
  let material = false;
  for (let start = 0; start < ask.length; start = lineEndAt(ask, start) + 1) {
    const label = fieldLabelAt(ask, start);
    if (label === null) continue;
    if (++fields > TEMPLATE_FIELDS) return null;
    material ||= MATERIAL_FIELDS.has(label.toLowerCase());
  }
  if (!material || fields < 2) return null;
  let instruction = '';
  let passage = '';
  let inMaterial = false;
  for (let start = 0; start <= ask.length; ) {
    const end = lineEndAt(ask, start);
    const label = fieldLabelAt(ask, start);
    let value = ask.slice(start, end);
    if (label !== null) {
      inMaterial = MATERIAL_FIELDS.has(label.toLowerCase());
      // A field's value without its label; a heading's label alone says nothing asked.
      value = FIELD_LABEL.lastIndex >= end ? '' : ask.slice(FIELD_LABEL.lastIndex, end).trimStart();
    }
    if (inMaterial) passage += value + '\n';
    else instruction += value + '\n';
    start = end + 1;
  }
  return groundedParts(instruction, passage);
}

/**
 * The label of a field that opens the line at `start` (FIELD_LABEL, which is left just past the
 * label and its colon), or null. A line with no '#' first and no colon in its first 32 characters
 * opens none, and is not run through the regex.
 */
function fieldLabelAt(text: string, start: number): string | null {
  let i = start;
  while (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09) i++;
  if (text.charCodeAt(i) !== 0x23) {
    const stop = Math.min(text.length, start + 32);
    let colon = false;
    for (let k = i; k < stop && !colon; k++) {
      const c = text.charCodeAt(k);
      if (c === 0x0a) break;
      colon = c === 0x3a || c === 0xff1a;
    }
    if (!colon) return null;
  }
  FIELD_LABEL.lastIndex = start;
  const m = FIELD_LABEL.exec(text);
  return m === null ? null : (m[1] ?? m[2]!);
}

/** Whether a line of text[0, end) opens with `label`, its colon and a value (an example of a completion prompt). */
function labelledWithValue(text: string, end: number, label: string): boolean {
  for (let at = text.indexOf(label); at >= 0 && at < end; at = text.indexOf(label, at + 1)) {
    if (at > 0 && text.charCodeAt(at - 1) !== 0x0a) continue;
    let k = at + label.length;
    while (k < end && (text.charCodeAt(k) === 0x20 || text.charCodeAt(k) === 0x09)) k++;
    if (text.charCodeAt(k) !== 0x3a && text.charCodeAt(k) !== 0xff1a) continue;
    for (k++; k < end && (text.charCodeAt(k) === 0x20 || text.charCodeAt(k) === 0x09); k++);
    if (k < end && text.charCodeAt(k) !== 0x0a && text.charCodeAt(k) !== 0x0d) return true;
  }
  return false;
}

/**
 * The parts of a grounded ask, or null where its instruction is long, the text has no word, or the
 * instruction asks for hard work (a proof, a design, a diagnosis): the context is then the problem
 * itself, not a text to read ("… Question: Diagnose the root cause and propose a fix" is as hard as
 * the incident it is given). Steps ("and explain", "for each") are no such ask. `lookupOnly`: null
 * too unless the instruction asks a lookup or transform, or one value (lookupQuestion), and nothing
 * moderate.
 */
function groundedParts(instruction: string, passage: string, lookupOnly = false): GivenText | null {
  const i = instruction.trim();
  const p = passage.trim();
  if (i.length === 0 || i.length > GROUNDED_ASK_MAX || !LETTER_OR_DIGIT.test(p)) return null;
  // One scan of the instruction's words in lower case, not the lexicons' whole regexes nor the
  // full lexical form (its plain spaces and apostrophes cost ~2 us more on 300 characters of the
  // benchmark's mixtures, and a guard does not need them).
  const lower = i.toLowerCase();
  const scan = readLexicons(astralToBmp(lower));
  if (DEEP_ASK.test(scan) || COMPLEX_ASK.test(scan)) return null;
  return !lookupOnly || ((SIMPLE_ASK.test(scan) || lookupQuestion(lower)) && !MODERATE_ASK.test(scan)) ? { instruction: i, passage: p } : null;
}

/** The most characters of a question that asks one value of a text given before it (lookupQuestion). */
const LOOKUP_QUESTION_MAX = 60;
/**
 * Advice asked for, not a value ("What should we do?", "Who should pay for it?", "¿Qué deberíamos
 * hacer?"), in the covered languages: a judgement on the text, not a lookup in it.
 */
const ADVICE_ASKED = /(?<!\p{L})(?:should|would|could|shall|ought|recommend|suggest|advise|think|do (?:we|i|you)|deber\p{L}*|sollte\p{L}*|würde\p{L}*|devr\p{L}*|faudrait|следует|стоит|надо|deveri\p{L}*|dovre\p{L}*)(?!\p{L})|应该|建议|べき|どうすれば/u;
/** "How many / much / long / often / old / far …": one value asked, as WH_LOOKUP's questions ask. */
const HOW_MUCH = /^\s*how (?:many|much|long|often|old|far)(?!\p{L})/u;

/**
 * A question of one sentence and at most LOOKUP_QUESTION_MAX characters (lower case) that asks one
 * value: a wh-word first (WH_LOOKUP, HOW_MUCH) or, where the question word comes last, END_LOOKUP's
 * ending, and no advice asked (ADVICE_ASKED). After a text ("<Q3 results>\n\nWhat was revenue in
 * Q3?", "<a biology paragraph>\n\nWhere does glycolysis happen?") it looks the value up in the
 * text: set 105 read such lookups two or three tiers high, the text's figures and terms taken for
 * the ask.
 */
function lookupQuestion(lower: string): boolean {
  const end = lower.length - 1;
  if (end < 0 || end >= LOOKUP_QUESTION_MAX) return false;
  const last = lower.charCodeAt(end);
  if (last !== 0x3f && last !== 0xff1f) return false;
  for (let k = 0; k < end; k++) {
    const c = lower.charCodeAt(k);
    if (c === 0x3f || c === 0xff1f || c === 0x21 || c === 0x0a || c === 0x3002 || (c === 0x2e && lower.charCodeAt(k + 1) === 0x20)) return false;
  }
  return (WH_LOOKUP.test(lower) || HOW_MUCH.test(lower) || endLookup(lower)) && !ADVICE_ASKED.test(lower);
}

/** Log lines: a level or an exception name, as loggers write them (case matters: "error" in prose is not one). */
const LOG_LEVEL = /\b(?:ERROR|WARN(?:ING)?|FATAL|CRITICAL|SEVERE|PANIC|Traceback|[A-Z]\w+(?:Exception|Error))\b/;
/** Every word LOG_LEVEL can match holds one of these: searched first, so prose costs a few indexOf calls. */
const LOG_WORDS = ['ERROR', 'WARN', 'FATAL', 'CRITICAL', 'SEVERE', 'PANIC', 'Traceback', 'Exception', 'Error'];
/** Whether pasted material holds at least three log lines among its first 2,000 characters. */
export function pastedLogs(material: string): boolean {
  if (material.length === 0) return false;
  const head = material.length > 2000 ? material.slice(0, 2000) : material;
  // Three lines need two line breaks: a paste of one line (most prose) stops at one indexOf.
  const firstBreak = head.indexOf('\n');
  if (firstBreak < 0 || head.indexOf('\n', firstBreak + 1) < 0) return false;
  if (!LOG_WORDS.some((w) => head.includes(w))) return false;
  let n = 0;
  for (const line of head.split('\n', 40)) if (LOG_LEVEL.test(line) && ++n >= 3) return true;
  return false;
}
