import { TIER_NAMES, type TierName } from '../config/schema.js';
import { decideTier, DEFAULT_UNDER_TIER_COST, tierProbabilities } from './calibration.js';
import { agentCommand, opensWithInstruction } from './commands.js';
import { withoutEffortCue } from './effort.js';
import { givenPassage, groundedAsk, pastedLogs, TONE_EDIT } from './given.js';
import { ANALYSIS_ASKED, BREAKDOWN, BREVITY, BUILD_VERB_DE, CHANGE_REF, CHANGE_RISK, CHEAPEST, COHORT_WORD, COMMAND_NAMES, COMPLEX_ASK, CONDITIONAL_DE, CONSTRAINT, COUNTING_PUZZLE, CREATIVE_OBJECT, DEEP_ASK, definesTools, DEPTH_TERMS, DESIGN_QUESTION, DIAGNOSE_ASK, EFFORT_WORDS, endLookup, ESTIMATE_CUE, EXTREMAL, FAILURE_PATTERN, FORECAST_HORIZON, IMPLEMENT_VERB, JUDGEMENT, KEPT_OR_LOST_MEASURE, LOOKUP_CORE, LOWER_CASE_SYSTEMS, MATH_MULTI_STEP, MATH_TASK, MATH_WORDS, mathNotationIn, METHOD_QUESTION, MODERATE_ASK, MULTI_STEP, NAMED_AFTER_WORDS, OPEN_QUESTION, OPERATIONAL_GUARANTEE, OWN_RECORD, POPULATION_LOOKUP, PUZZLE_STRATEGY, QUANTITY_QUESTION, REFACTOR_VERB, RETENTION_WORD, REVIEW_ASK, SEARCH_VERB, SIMPLE_ASK, SMALL_TALK_WORDS, SYMPTOM, SYMPTOM_OF_SYSTEM, SYSTEM_BRIEF, SYSTEM_RIGOUR, TECH_CONTEXT, TOPIC_SWITCH, TRIP_DAYS, TRIVIAL_ASK, WH_LOOKUP, WHAT_IF, WHOLE_SYSTEM, WORKING_ASKED } from './lexicon.js';
import { ARITHMETIC_STEP, countQuantities, endsInArithmetic, figuresIn, largestNumber, numericRanges, powerQuestionIn, quantitiesIn } from './numbers.js';
import { hasSocialWord, isSmallTalk, socialEdge, withoutSocialEdges } from './social.js';
import { declinesWorking, shortAskDeclines, withPlainNames } from './names.js';
import { clauseRanges, NO_OBJECT, stuffingClauses, unknownKeptWords, withoutHardWords } from './stuffing.js';
import { withTypoFixes } from './typos.js';
import { approxWords, astralToBmp, type ChatMessageLike, currentTurnIndex, ends, hasAttachment, isBmpLetter, isBmpWordChar, isJsSpace, isUnspaced, isUntrainedScript, lexicalForm, listLines, messageEnds, messageHead, nonBlankLines, splitAsk, technicalMarks, type TechnicalMarks, textShape, withCommonMarksAtEnds, withPlainSpaces, wordsUpTo } from './text.js';
import { type LexiconScan, readLexicons, words } from './wordlex.js';
import { FALLBACK_ODDS, liftOdds, SECOND_OPINION_ODDS, type SecondOpinionMargins, secondOpinionMargins, type SecondOpinionTier, unreadAbove, unreadTier, WORD_MODEL_CHARS, wordModelScore, wordModelTierOf } from './wordmodel.js';

export interface Classification {
  tier: TierName;
  /** Continuous difficulty score; tier thresholds cut it into five bands. */
  score: number;
  /** Calibrated probability that the chosen tier is the right one (see calibration.ts). */
  confidence: number;
  /** The decision in plain words, strongest first. */
  signals: string[];
}

/** Score at which each tier starts (trivial starts at -infinity): the bands the scoring rules are written against. */
const THRESHOLDS: readonly number[] = [0.95, 2.5, 4.2, 6.1];
/** Base score of each ask family: the middle of its tier. */
const BASE = { deep: 6.6, complex: 4.7, moderate: 3.1, simple: 1.6, none: 1.5 };
/** The middle of each tier's band, trivial first. */
const BAND_MIDDLE: readonly number[] = [0.3, BASE.simple, BASE.moderate, BASE.complex, BASE.deep];

/** The simple and moderate tiers' indices (the readings the second opinion may lift, see classifyMessages). */
const SIMPLE = TIER_NAMES.indexOf('simple');
const MODERATE = TIER_NAMES.indexOf('moderate');
/** The start of the signal of an ask the rules found nothing in, read a tier up by the word model (its tier follows). */
export const FALLBACK_SIGNAL_PREFIX = 'no ask the rules know; its words read as ';
/** The signal of an ask the rules found nothing in, in a script the word model cannot read, read a tier up by UNREAD_PRIOR. */
export const UNREAD_SIGNAL = 'no ask the rules know, in a script the word model does not read: read as such asks are labelled';
/** The signal of a reading the second opinion lifted, by the reading's tier. */
export const SECOND_OPINION_SIGNALS: Readonly<Record<SecondOpinionTier, string>> = {
  simple: 'read as simple; its words read as moderate',
  moderate: 'read as moderate; its words read as complex',
};

const MAX_SCAN = 8 * 1024; // characters examined from each side of a huge message (bounded time; pasted material stops adding past ~11 KB anyway)
const CONTEXT_TURNS = 6;
/**
 * Characters of earlier user turns the context reads in all, newest turn first. The newest is
 * always read, whole, as any turn is (scoreTurn bounds what it reads); an older one only if it
 * fits whole in what is left, since a turn read in part reads differently (600 characters of a
 * long paste look like one long ask). Scored whole, six long earlier turns and a "why?" cost six
 * asks: a 1 MB conversation ~1.6 ms, a 2 KB one of six short turns ~420 us, against ~120 us for
 * one 2 KB ask, on this VM (benchmarks/README.md, session 20). No labelled conversation has
 * more than 94 characters of earlier turns.
 */
const CONTEXT_SCAN = 600;
/**
 * Messages looked through for the others the classifier reads: back from the classified turn for
 * earlier user turns, and from the start for a system prompt. A request of 120,000 one-word
 * messages took ~1 ms a loop here (4 MB); 256 leaves room for dozens of an agent's tool calls
 * and results between two user turns.
 */
const MESSAGES_LOOKED_THROUGH = 256;
/**
 * Characters of an ask the lexicons read: its first 900 and its last 300 (a longer ask is long
 * whatever else it says, and this bounds the per-request cost).
 */
const ASK_SCAN = 1200;
const ASK_SCAN_HEAD = 900;
/**
 * Characters of it whose shape (words, distinct words, questions) is counted: its first 450 and
 * last 150. The length bonus is full from ~64 distinct words and questions add at most three, so
 * 600 characters tell what 1,200 do (no labelled query's tier changes) at half the cost; the
 * lexicons read all 1,200, so a hard verb in the middle of a long instruction still counts (read
 * at 600 too, an 874-character ask whose "prove ... derive" sat in its middle went from deep to
 * complex).
 */
const SHAPE_SCAN = 600;
const SHAPE_SCAN_HEAD = 450;
// What is left of a stuffed ask is scored on at most 300 characters, its two ends: no labelled
// rest is longer than 147 and no score of 3,000 seeded mixtures moved (a session script), where
// scoring up to 1,200 again nearly doubled the time of an ask of many short clauses.
const REST_SCAN = 300;
const REST_SCAN_HEAD = 225;

const MATH_HINT = /[=^\\∑∫∏√∞∀∃∂≤≥≠≈∈⊂]|mod\s|t\(n\)/;
/** "Check it for anything that could ...", "check pull request 17 for regressions". */
const CHECK_FOR = /\bcheck (?:(?:it|this|them) for |(?:[^\s]+ ){0,3}for (?:anything|any|problems|issues|bugs|regressions|risks|security)(?![\p{L}]))/u;

// "How do I / how can I / how should we ..." in the covered languages.
const HOW_TO = /^\s*(?:how (?:do|can|should|would) (?:i|we)|¿?cómo (?:puedo|hago|le|les|debo)|wie (?:kann|soll) ich|comment (?:puis-je|faire|dois-je)|как (?:мне|сделать))(?![\p{L}])/u;

/**
 * A how-to's first verb ("How do I set up ...", "¿Cómo puedo ahorrar ...") and the word after it;
 * German puts the verb last ("Wie kann ich meinen Bildschirm drehen?"): germanHowToVerb.
 */
const HOW_TO_VERB = /^\s*(?:how (?:do|can) (?:i|we)|¿?cómo (?:puedo|podemos|hago)|comment (?:puis-je|pouvons-nous|faire pour)|как (?:мне|нам))\s+(\p{L}+)(?:\s+(\p{L}+))?/u;
const HOW_TO_DE = /^\s*wie (?:kann|können) (?:ich|wir)(?!\p{L})/u;
/**
 * A Russian how-to, with or without "мне" or "нам" and a place before its verb ("как в bash
 * проверить …", "как мне в git удалить …"): its verb. Read first, and only for a verb of one
 * action (ONE_ACTION_VERBS): a bare "как" opens many other questions ("как называется …"), and
 * HOW_TO_VERB reads the rest of "как мне …" as before.
 */
const HOW_TO_RU_VERB = /^\s*как\s+(?:(?:мне|нам)\s+)?(?:(?:в|на|через)\s+[\p{L}\p{N}._-]+\s+)?(\p{L}+)/u;
/** What the regex dot does not cross. */
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;
/** ? ？ . ! */
const CLOSING_MARKS = new Set([0x3f, 0xff1f, 0x2e, 0x21]);

/**
 * The last word of a German how-to ("Wie kann ich meinen Bildschirm drehen?" -> "drehen"), or null:
 * what /^\s*wie (?:kann|können) (?:ich|wir)(?!\p{L}).{0,120}?(\p{L}+)\s*[?？.!]*\s*$/u captured, read
 * backwards from the end. That regex tried every split of a long run of letters at every start
 * (0.5 ms for 200 characters of "wie kann ich aaaa... 1"); this reads each character once
 * (exported for tests).
 */
export function germanHowToVerb(lex: string): string | null {
  const opener = HOW_TO_DE.exec(lex);
  if (opener === null) return null;
  // The main clause ends at its first comma ("…, ohne die Änderungen zu verlieren?"): its verb is last there.
  const comma = lex.indexOf(',', opener[0].length);
  let end = comma < 0 ? lex.length : comma;
  while (end > 0 && isJsSpace(lex.charCodeAt(end - 1))) end--;
  while (end > 0 && CLOSING_MARKS.has(lex.charCodeAt(end - 1))) end--;
  while (end > 0 && isJsSpace(lex.charCodeAt(end - 1))) end--;
  let start = end;
  while (start > 0 && isBmpLetter(lex.charCodeAt(start - 1))) start--;
  const from = opener[0].length;
  if (start === end || start <= from || start - from > 120 || LINE_TERMINATOR.test(lex.slice(from, start))) return null;
  const verb = lex.slice(start, end);
  // "rückgängig machen" (undo) is one action, as "undo" is; "machen" alone is not.
  return verb === 'machen' && lex.slice(Math.max(from, start - 11), start) === 'rückgängig ' ? 'rückgängig machen' : verb;
}

/**
 * Verbs of one action that a how-to asks the steps of ("How do I exit vim?", "undo my last
 * commit", "¿Cómo puedo cambiar el idioma ...?"): a lookup. Not here: verbs of a process or of
 * advice ("set up", "reduce", "learn", "deal with").
 */
const ONE_ACTION_VERBS = new Set([
  'undo', 'exit', 'quit', 'check', 'turn', 'say', 'pronounce', 'spell', 'convert', 'delete', 'remove', 'change', 'install', 'uninstall', 'find', 'open',
  'close', 'reset', 'enable', 'disable', 'rename', 'restart', 'reboot', 'update', 'upgrade', 'cancel', 'unsubscribe', 'log', 'sign', 'print', 'copy',
  'paste', 'add', 'insert', 'type', 'center', 'centre', 'align', 'clear', 'save', 'download', 'upload', 'see', 'view', 'show', 'hide', 'list', 'count', 'rotate', 'mute', 'unmute',
  'cambiar', 'borrar', 'eliminar', 'instalar', 'desinstalar', 'abrir', 'cerrar', 'decir', 'convertir', 'activar', 'desactivar', 'encontrar', 'ver', 'quitar', 'apagar', 'encender', 'restablecer', 'cancelar',
  'supprimer', 'changer', 'modifier', 'installer', 'désinstaller', 'ouvrir', 'fermer', 'dire', 'convertir', 'activer', 'désactiver', 'trouver', 'voir', 'annuler', 'effacer', 'éteindre', 'allumer', 'réinitialiser',
  'drehen', 'ändern', 'löschen', 'öffnen', 'schließen', 'installieren', 'deinstallieren', 'sagen', 'umrechnen', 'finden', 'aktivieren', 'deaktivieren', 'ausschalten', 'einschalten', 'zurücksetzen', 'kündigen', 'entfernen', 'sehen', 'herausfinden',
  'изменить', 'удалить', 'установить', 'открыть', 'закрыть', 'сказать', 'перевести', 'найти', 'включить', 'выключить', 'отключить', 'сбросить', 'отменить', 'посмотреть', 'проверить', 'узнать',
  // Session 66 (probe set 153): "wie kann ich … den letzten commit rückgängig machen"; sorting a list, as set 73 labels it.
  'rückgängig machen', 'sort', 'ordenar', 'trier', 'sortieren', 'отсортировать',
  // Session 67 (probe set 163): one git command each ("how do I merge the branch … into main?").
  'merge', 'checkout', 'push', 'pull', 'clone', 'stash', 'revert', 'commit', 'switch',
  // Session 68 (probe set 171): "how do I freeze the top row in Google Sheets?", "how do I skip a test?".
  'freeze', 'unfreeze', 'skip',
]);

/** What "make" does in a how-to of one action: formatting ("How do I make text bold in Markdown?"). */
const MAKE_FORMAT = /^make (?:(?:a|the|my|some|this) )?(?:text |font |it |word |line )?(?:bold|italic|underlined?|bigger|smaller|larger|uppercase|lowercase|strikethrough)(?!\p{L})/u;

/**
 * What a how-to asks for: the steps of a process or advice ("How do I set up SSH keys for
 * GitHub?", "How do I stop procrastinating?"), or one named action, a lookup ("How do I exit
 * vim?"); null if the ask is no how-to. Tune split: 8 of 11 such how-tos are moderate; the simple
 * ones open developer tools, reset a password, make text bold.
 */
function howToKind(lex: string): 'process' | 'action' | null {
  const ru = HOW_TO_RU_VERB.exec(lex);
  if (ru !== null && ONE_ACTION_VERBS.has(ru[1]!)) return 'action';
  const m = HOW_TO_VERB.exec(lex);
  let oneAction: boolean;
  if (m !== null) {
    const verb = m[1]!;
    const next = m[2];
    if (verb === 'set' || verb === 'get') oneAction = next !== 'up' && next !== 'started' && (next === 'the' || next === 'a' || next === 'an' || next === undefined);
    else if (verb === 'make') oneAction = MAKE_FORMAT.test(lex.slice(lex.indexOf('make', m.index)));
    else if (verb === 'take') oneAction = lex.includes('screenshot');
    else oneAction = ONE_ACTION_VERBS.has(verb);
  } else {
    const verb = germanHowToVerb(lex);
    if (verb === null) return null;
    oneAction = ONE_ACTION_VERBS.has(verb);
  }
  return oneAction ? 'action' : 'process';
}

// One-step arithmetic asked in words, in the covered languages: "Wie viel ist 8 plus 9?", "Combien
// font 6 fois 7 ?", "Сколько будет 2 плюс 2?" (a percentage or a square root is simple: the labels).
const NUM = '\\d+(?:[.,]\\d+)?';
const ARITH_OPENER = "(?:what(?:'s|s| is)|how much is|calculate|compute|¿?cuánto (?:es|son)|was (?:ist|ergibt)|wie ?viel ist|combien (?:font|fait)|quanto (?:é|fa|faz)|ile (?:to )?jest|сколько будет|чему равно|كم (?:يساوي|تساوي)|berapa(?: hasil)?)";
/** What closes the same ask asked number first ("7 nhân 8 bằng mấy?", "7 गुणा 8 कितना होता है?"). */
const ARITH_CLOSER = '(?:bằng (?:mấy|bao nhiêu)|là bao nhiêu|कितना (?:होता )?है|berapa|(?:يساوي )?كم)';
const ARITH_OPERATOR = '(?:[-+*/x×÷]|times|plus|minus|divided by|multiplied by|mal|geteilt durch|más|menos|por|entre|dividido (?:por|entre)|fois|moins|divisé par|vezes|mais|per|diviso|razy|плюс|минус|умножить на|разделить на|ضرب|زائد|ناقص|مقسوم(?:ة)? على|kali|tambah|kurang|dibagi|nhân|cộng|trừ|chia|गुणा|जमा|घटा|भाग)';
export const ARITHMETIC_QUESTION = new RegExp(
  `^(?:${ARITH_OPENER}\\s+${NUM}\\s*${ARITH_OPERATOR}\\s*${NUM}|${NUM}\\s*${ARITH_OPERATOR}\\s*${NUM}\\s+${ARITH_CLOSER})\\s*[?？!]{0,3}$`,
  'iu',
);

/** One step named in words ("half of 350?", "double 21?", "What's a third of 90?"). */
const WORD_ARITH = /^(?:what(?:'s|s| is)\s+)?(?:half|a third|a quarter|double|twice|triple)\s+(?:of\s+)?\d+(?:[.,]\d+)?\s*[?？.!]{0,3}$/iu;
/** A translation of one quoted word ("Translate 'yes' to Spanish"): a one-word answer; a phrase stays a lookup. */
const TRANSLATE_ONE_WORD = /^(?:translate|traduce|traduis|traduisez|übersetze|переведи)\s+(?!(?:this|that|it|these|those|esto|eso|esta|este|das|dies|ceci|cela|ça|это)\s)["'“‘«„]?[\p{L}-]+["'”’»“]?\s+(?:to|into|al|a|en|auf|ins|in|на)\s+\p{L}+\s*[.!?]?$/iu;
const SIMPLE_ARITH = /^(?:what(?:'s|s| is)\s+|calculate\s+|compute\s+)?[\d\s+\-*/×÷().^%=?]+(?:times|plus|minus|divided by|squared|cubed|mal|más|menos|plus|fois)?[\d\s+\-*/×÷().^%=?]*$/iu;

interface TurnScore {
  score: number;
  signals: string[];
  smallTalk: boolean;
  short: boolean;
  family?: 'deep' | 'complex' | 'moderate' | 'simple' | 'none';
  /** The turn is all ask: no pasted material and no code (the word model would read a paste's start, not the ask). */
  plain?: boolean;
  /**
   * A rule bounded this reading on purpose, against words that read harder: a design for people,
   * a word problem or a piece of prose capped at one worked answer, hard words stuffed around an
   * easier ask. The word model's second opinion does not overrule it (classifyMessages).
   */
  settled?: boolean;
  /**
   * What the word model reads instead of the turn as written: the ask with its names read as plain
   * words (names.ts), where they held its hardest word. Undefined otherwise.
   */
  modelText?: string;
  /** The text the lexicons read and what they found (a nested score's caller may reuse them). */
  lex?: string;
  lexScan?: LexiconScan;
}

/**
 * A list mark not before a number, or a bracketed group closed on its line within 120 characters:
 * a group's commas list the parts of one thing (a signature, a schema, a tuple: "orders(id,
 * customer_id, total)"), not items of the ask. A '(' with no ')' near it on its line (":(") hides
 * nothing. A mark before a number (white space between) separates figures: the terms of a
 * sequence ("1, 1, 2, 3, 5, 8") or data given with the ask ("grades: 71, 85, 92, 64, 88"; session
 * 68, probe set 173: such a series read as a list of asks lifted lookups in it a tier).
 */
const LIST_MARK = /[(（][^()（）\n]{0,120}[)）]|[,，、;](?!\s*\d)/g;

/**
 * Commas, ideographic commas and semicolons in a text outside bracketed groups and not before a
 * number (LIST_MARK), counted up to max. test() in a loop makes no string (a match that ends in a
 * closing bracket is a group) and stops at max (exported for tests).
 */
export function listMarks(text: string, max: number): number {
  let n = 0;
  LIST_MARK.lastIndex = 0;
  while (n < max && LIST_MARK.test(text)) {
    const last = text.charCodeAt(LIST_MARK.lastIndex - 1);
    if (last !== 0x29 && last !== 0xff09) n++;
  }
  LIST_MARK.lastIndex = 0;
  return n;
}

/** Characters of pasted material whose words are counted: half from each end (~80 words of prose). */
const MATERIAL_SAMPLE = 512;

/**
 * Words of pasted material, counted on its two ends and scaled to its length past
 * MATERIAL_SAMPLE characters (exported for tests). Material only adds a little to the score and
 * names its size in a signal ("about 360 words"), so an estimate serves; a full count was a pass
 * over all of it (~5-10 ns a character on this VM, 10-16 us for 2 KB), the costliest step of a
 * classification whose ask is short. On the 38 labelled queries with longer material the
 * estimate is 1.4 % off at the median, 9 % at most, and changed no tier.
 */
export function materialWords(material: string): number {
  const n = material.length;
  if (n <= MATERIAL_SAMPLE) return approxWords(material);
  const half = MATERIAL_SAMPLE / 2;
  const sampled = approxWords(material.slice(0, half)) + approxWords(material.slice(n - half));
  return Math.round((sampled * n) / MATERIAL_SAMPLE);
}

/** Does a paragraph of a long message read like the instruction rather than the material? */
function isInstruction(p: string): boolean {
  if (/[?？]/u.test(p) || /[:：]\s*$/u.test(p)) return true;
  const head = lexicalForm(p.slice(0, 80));
  return DEEP_ASK.regex.test(head) || COMPLEX_ASK.regex.test(head) || SIMPLE_ASK.regex.test(head) || /^(?:please|can you|could you|list|summar|tl;?dr|turn|group|rewrite|translate|fix|explain|compare)/iu.test(head);
}

/**
 * Whether the ask around items or options given with it (text.ts, givenItems) asks no work of its
 * own on them: no word of WORK_ON_ITEMS nor of the three hard lexicons (readAgain). Then they are
 * data ("Label each of these tweets as spam or not spam", "Which of the following is a prime
 * number?"); else what they say is part of the ask ("Classify each of these bugs by its most
 * likely root cause and say how you'd confirm it", "Which of the following can deadlock? Explain
 * each": probe set 181 read nine such asks a tier low with their items as data). One lexicon scan
 * of the lead, only where items were found.
 */
function asksNoWorkOnItems(ask: string): boolean {
  const lex = lexicalForm(ask.length > ASK_SCAN ? ask.slice(0, ASK_SCAN) : ask);
  if (WORK_ON_ITEMS.test(lex)) return false;
  const { deep, complex, moderate } = readAgain(lex);
  return hardestFamily(deep, complex, moderate) === 0;
}

/** A forecast's opening: "Will …", "Is … going to …". */
const FORECAST_OPENING = /^\s*(?:will|is [^?]{1,60} going to|are [^?]{1,60} going to)(?!\p{L})/u;
/** A decision asked of the assistant ("Should I …", "¿Debería …", "Sollte ich …", "Стоит ли мне …"). */
const DECISION_ASKED = /(?<!\p{L})(?:should (?:i|we)|debería|deberíamos|sollte ich|sollten wir|dois-je|devrais-je|devrions-nous|стоит ли|devo|devemos|dovrei|dovremmo)(?!\p{L})/u;

/**
 * Whether a count or an amount is asked as an estimate: with a word of approximation
 * (ESTIMATE_CUE), or as what something would take ("How many golf balls would fill …", "how much
 * would it cost"); not a statistic to look up (POPULATION_LOOKUP).
 */
function estimateAsked(lex: string, lexScan: LexiconScan): boolean {
  if (!(QUANTITY_QUESTION.test(lexScan) || COUNT_ASKED.test(lex)) || POPULATION_LOOKUP.test(lexScan)) return false;
  if (ESTIMATE_CUE.test(lexScan)) return true;
  const at = lex.search(HOW_MANY);
  if (at < 0) return false;
  const would = lex.indexOf(' would ', at);
  return would >= 0 && would - at <= 80;
}
const HOW_MANY = /(?<!\p{L})how (?:many|much)(?!\p{L})/u;
/** "How many" where QUANTITY_QUESTION does not hold it (SIMPLE_ASK's "wie viele", Spanish "cuántos"). */
const COUNT_ASKED = /(?<!\p{L})(?:wie viele?|cuánt[oa]s?)(?!\p{L})/u;
/** Signals a later rule reads back: one string each, so that the push and the test cannot drift apart. */
const ESTIMATE_SIGNAL = 'a count or amount to estimate';
const NAMED_SYSTEM_SIGNAL = 'a question about a named system';

/**
 * Words that ask for a judgement on each item beyond a label: a reason, a fix, an order of what to
 * do first, a priority, an estimate, a strategy (probe set 181: "Pick the right data structure for
 * each of these needs and justify briefly", "Which of these proofs … are correct? Fix the wrong
 * ones", "Tag each user story with a T-shirt size", "… et dis ce qu'il faut faire en premier"), or
 * a diagnosis of each (session 70: "Identify the bottleneck in each of these systems:" over three
 * measured symptoms read simple, its systems as data).
 */
const WORK_ON_ITEMS = /(?<!\p{L})(?:justif\p{L}*|reasons?|reasoning|why|fix|fixes|correct the wrong|priorit\p{L}*|delegat\p{L}*|strateg\p{L}*|propos\p{L}*|recommend\p{L}*|confirm|verify|root cause|risks?|dependenc\p{L}*|depends?|first|sizes?|estimat\p{L}*|effort|story points|trade-?offs?|failure modes?|bottlenecks?|bugs?|vulnerabilit\p{L}*|flaws?|race conditions?|deadlocks?|leaks?|causes?|what(?:'s| is) wrong|cuellos? de botella|engp[aä]ss\p{L}*|goulots?|узк\p{L}* мест\p{L}*|en premier|d'abord|primero|zuerst|abhängigkeit\p{L}*|dependencias|gravité|сначала|приоритет\p{L}*|зависимост\p{L}*)(?!\p{L})|理由|原因|优先|依赖|先に|優先|依存|瓶颈|ボトルネック|漏洞|脆弱性/u;

/**
 * Words of a text that are not small talk ("hello", "thanks", "ok"), counted up to 4; a run of
 * Chinese or Japanese counts a word per two characters.
 */
function wordsBeside(text: string): number {
  let n = 0;
  for (const w of words(text.toLowerCase())) {
    if (SMALL_TALK_WORDS.has(w)) continue;
    const c = w.charCodeAt(0);
    n += c >= 0x3040 && c <= 0x9fff ? Math.ceil(w.length / 2) : 1;
    if (n >= 4) return 4;
  }
  return n;
}

/** Whether an ask names a system the way systems are named or gives a measurement. */
function hasTechnicalMark(marks: TechnicalMarks): boolean {
  return marks.names > 0 || marks.measurements > 0;
}

/** A choice or a comparison beside a judgement word: "rent or buy", "better than", "worth it". */
const WEIGHS_OPTIONS = /(?<!\p{L})(?:or|o|oder|ou|или)(?!\p{L})|(?:better|worse|safer|healthier|cheaper) than|worth|vale la pena|lohnt|vaut|стоит ли|besser als|mejor que|лучше/u;
/** Words that tell a scene in the first person. */
const FIRST_PERSON = /(?<!\p{L})(?:i|i'm|my|me|we|our|us|mine|mi|mis|mein|meine|mon|ma|mes|мой|моя|мои|у меня|мы|нам|нас|wir|uns|nous|nosotros|nós|noi|nuestr[oa]s?|tenemos|hemos|estamos|somos|queremos|necesitamos|usamos|podemos|temos|precisamos|abbiamo|siamo|vogliamo|dobbiamo|usiamo|possiamo|unser(?:e|en|em|er|es)?|notre|nos|наш(?:а|и|его|ей|их)?|у нас|noss[oa]s?|nostr[oaie]|मैं|मेरा|मेरी|मेरे|हम|हमारा|हमारी|हमारे|أنا|عندي|لدي|لدينا|عندنا|نحن|saya|aku|kami|kita|tôi|chúng tôi|chúng ta|mình|ми|наші|мій|моя|мої|אני|אנחנו|שלי|שלנו|לנו|هستم|هستیم|دارم|داریم|jag|vi (?:har|är|kan|vill|måste|ska|er|skal|bruger|använder)|vår|vårt|våra|oss|mitt|আমি|আমরা|আমার|আমাদের|ہم|ہمارا|ہماری|ہمارے|میرا|میری|میرے|εγώ|μου|μας|εμείς|já|náš|naše|našeho|naší|nám|nás|můj|moje|ako|ko|aking|namin|natin|naming|nating|tayo|sisi|mimi|yetu|letu|wetu|zetu|yangu|langu|wangu|eu|meu|mea|nostru|noastră|noștri|noastre|நான்|நாங்கள்|எங்கள்|என்|எனது|நாம்|jeg|vores|minä|meidän|meillä|minun|én|nekünk|mienk)(?![\p{L}\p{M}])/u;
/**
 * The opening of a closing question that asks what to do, in the covered languages but English
 * (whose rules read such asks by their words): how, what to do or check, where to start. Not "how
 * does it work" or "what is it called".
 */
const COURSE_QUESTION_OPENER = /^\s*¿?(?:cómo (?!funciona|se llama)|qué (?:hacemos|harías|haría|deberíamos|hago|reviso|revisarías|opciones)|por dónde|wie (?!viel|lange|heißt|funktioniert)|was (?:tun|würdest|sollen|sollten|können|kann)|wo (?:fange|fangen|soll)|comment (?!fonctionne|s'appelle)|que (?:faire|proposes|ferais|feriez|vérifier)|par où|как (?!работает|называется)|что (?:делать|проверить|посоветуете|можно сделать)|с чего|куда|como (?!funciona|se chama)|o que (?:fazer|você faria|verificar)|por onde|come (?!funziona|si chiama)|cosa (?:faresti|fare|controller)|da dove|nasıl|hoe (?!werkt|heet)|waar|jak (?!działa|funguje|se jmenuje)|كيف (?!يعمل|تعمل)|من أين|ماذا (?:نفعل|أفعل|تقترح)|bagaimana (?!cara kerja)|apa yang (?:harus|sebaiknya|perlu)|dari mana|làm (?:sao|thế nào)|nên (?:bắt đầu|làm gì|kiểm tra)|cần (?:kiểm tra|làm gì)|як (?!працює|називається)|що (?:робити|перевірити|порадите)|з чого|איך (?!עובד|עובדת|קוראים)|מה (?:לעשות|לבדוק|כדאי)|מאיפה|چطور (?!کار)|چگونه (?!کار)|از کجا|چه کار|hur (?!fungerar|många|länge|mycket)|vad (?:ska|bör|borde) (?:vi|jag)|var (?:ska|bör|börjar)|πώς (?!λειτουργεί|λέγεται)|τι να (?:κάνω|κάνουμε|ελέγξ)|από πού|co (?:máme|mám|dělat)|kde (?:máme|mám)|paano (?!gumagana)|saan (?:kami|tayo|ako|dapat)|ano ang dapat|tunawezaje|tuanzie|tufanye|cum (?!funcționează|se numește)|ce (?:ar trebui|facem|să facem)|de unde|apa yang patut|hvordan (?!virker|fungerer)|hvor skal|hvad skal (?:vi|jeg)|miten (?!toimii)|mistä|mitä meidän pitäisi|hogyan (?!működik)|hol kezdj|mit (?:tegyünk|csináljunk))/u;
/** The same in Chinese, Japanese, Korean, Hindi, Bengali, Urdu and Tamil (which ask at the end), anywhere in the closing question. */
const COURSE_QUESTION_CJK = /怎么|如何|什么办法|什么方案|从哪|どう|どこから|どのように|어떻게|어디부터|कैसे (?!काम)|क्या (?:जाँचें|जांचें|करें|देखें)|कहाँ से|কীভাবে (?!কাজ)|কোথা থেকে|কী করব|কী (?:বদলানো|করা) উচিত|کیسے (?!کام)|کہاں سے|کیا کریں|எப்படி (?!வேலை)|எங்கிருந்து|என்ன செய்ய/u;
/** A team telling its own situation: "we" and "our" in the covered languages but English. */
const FIRST_PERSON_PLURAL = /(?<!\p{L})(?:мы|нам|нас|наш\p{L}*|у нас|wir|uns|unser\p{L}*|nous|notre|nos|nosotros|nuestr[oa]s?|tenemos|nós|noss[oa]s?|noi|nostr[oaie]|abbiamo|onze|wij|nasz\p{L}*|हम|हमारा|हमारी|हमारे|لدينا|عندنا|نحن|كنا|(?:موقع|تطبيق|نظام|خادم|شركت|فريق|متجر|منتج|خدمت|بيانات|عملاؤ|عملائ|مستخدمي)نا|kami|kita|chúng tôi|chúng ta|ми|наші|אנחנו|שלנו|לנו|هستیم|داریم|(?:فروشگاه|سایت|شرکت|تیم|سرور|سرورهای|برنامه|اپلیکیشن|سیستم|مشتریان|کاربران) ما|vi (?:har|är|kan|vill|måste|ska|er|skal|bruger|använder)|vår|vårt|våra|oss|আমরা|আমাদের|ہم|ہمارا|ہماری|ہمارے|ہمیں|μας|εμείς|náš|naše|našeho|naší|nám|nás|namin|natin|naming|nating|tayo|sisi|yetu|letu|wetu|zetu|nostru|noastră|noștri|noastre|நாங்கள்|எங்கள்|நாம்|vores|meidän|meillä|meitä|nekünk|mienk)(?![\p{L}\p{M}])|我们|我司|公司|私たち|我々|弊社|当社|社内|うちの(?:会社|チーム|店|サイト|サービス|システム)|우리/u;
/** A closing question for a value ("how many", "how long", "¿cuánto?", "多少"): a word problem's, not a course. Polish "ile" is also Turkish "with": a Turkish question that says it is not read as a course. */
const VALUE_QUESTION = /(?<!\p{L})(?:cuánt\p{L}*|wie (?:viel|lange)\p{L}*|combien|сколько|как долго|quant[oiae]s?|hoeveel|hoe lang|ile|jak długo|kaç|कितन[ाेी]|كم|berapa|bao nhiêu|bao lâu|скільки|як довго|כמה|چند|چقدر|hur (?:många|mycket|länge)|কত|کتن[ےای]|πόσ(?:α|οι|ες|ο|η)|kolik|jak dlouho|ilan|ilang|magkano|gaano katagal|ngapi|kiasi gani|câți|câte|cât|எத்தனை|எவ்வளவு|berapakah|hvor (?:mange|meget|længe)|kuinka (?:monta|paljon|kauan)|montako|paljonko|hány|mennyi|meddig)(?![\p{L}\p{M}])|多少|多久|多长|几|何人|何個|いくら|몇/u;

/**
 * A team's situation told in a sentence or more (six words, or twelve characters in Chinese or
 * Japanese), then one closing question for what to do (COURSE_QUESTION_OPENER, or its CJK words
 * anywhere in it), not for a value.
 */
function teamSituationThenCourse(lex: string): boolean {
  const t = lex.trimEnd();
  const last = t.charCodeAt(t.length - 1);
  if (last !== 63 && last !== 0xff1f) return false;
  let end = t.length - 1;
  while (end > 0 && (t.charCodeAt(end - 1) === 63 || t.charCodeAt(end - 1) === 0xff1f)) end--;
  // The closing question starts after the last sentence end; a question before it makes two.
  let q = -1;
  for (let i = end - 1; i >= 0 && q < 0; i--) {
    const c = t.charCodeAt(i);
    if (c === 63 || c === 0xff1f) return false;
    if (c === 46 || c === 33 || c === 59 || c === 10 || c === 0x3002 || c === 0xff01) q = i + 1;
  }
  // Chinese and Japanese often join the situation and its question with a comma ("我们的 CI
  // pipeline 从 10 分钟变成了 40 分钟，但代码量没怎么变，应该从哪里开始排查？"): where no sentence
  // ends before it, the last full-width comma starts a question in those words, after a
  // situation that asks for no value itself.
  const byComma = q <= 0;
  if (byComma) q = Math.max(t.lastIndexOf('，', end - 1), t.lastIndexOf('、', end - 1)) + 1;
  if (q <= 0) return false;
  const question = t.slice(q);
  if (VALUE_QUESTION.test(question)) return false;
  const cjk = COURSE_QUESTION_CJK.test(question);
  if (!cjk && (byComma || !COURSE_QUESTION_OPENER.test(question))) return false;
  const situation = t.slice(0, q);
  if (byComma && VALUE_QUESTION.test(situation)) return false;
  return (cjk ? situation.length >= 12 : wordsUpTo(situation, 6) >= 6) && FIRST_PERSON_PLURAL.test(situation);
}

/** "We" and "our" in Thai (not "เราเตอร์", router), Lao, Khmer and Burmese. */
const UNSPACED_WE = /เรา(?!เตอร์)|ພວກເຮົາ|យើង|ကျွန်တော်တို့|ကျွန်မတို့|ငါတို့/u;
/** What to do, how, should, where to start, in Thai, Lao, Khmer and Burmese (which often close a question with no mark). */
const UNSPACED_COURSE = /อย่างไร|ยังไง|ควร|จากตรงไหน|ແນວໃດ|ຄວນ|ຈາກໃສ|យ៉ាងដូចម្តេច|ដោយរបៀបណា|គួរ|ពីណា|ဘယ်လို|သင့်|ရမလဲ|ဘယ်ကနေ/u;
/** How many, how much, in the same four (Lao "ຈັກ", how many, is also the end of "ເຄື່ອງຈັກ", machine). */
const UNSPACED_VALUE = /เท่าไร|เท่าไหร่|กี่|(?<!ເຄື່ອງ)ຈັກ|ເທົ່າໃດ|ប៉ុន្មាន|ဘယ်လောက်|ဘယ်နှစ်/u;
/** Characters a Thai, Lao, Khmer or Burmese closing question is looked for in, and a situation told before it has at least (about ten words). */
const UNSPACED_QUESTION_CHARS = 40;

/**
 * teamSituationThenCourse's reading for Thai, Lao, Khmer and Burmese (session 64, probe set 139): their
 * sentences end with a space or their own marks, and a question often with none. The turn ends
 * in one of those scripts (a mark or "?" after it aside), its last 40 characters ask what to do
 * and not for a value, and at least 40 characters before that tell the situation with "we" or
 * "our" in them.
 */
function unspacedSituationThenCourse(t: string): boolean {
  let end = t.length;
  while (end > 0 && !isBmpWordChar(t.charCodeAt(end - 1))) end--;
  if (end === 0 || !isUnspaced(t.charCodeAt(end - 1))) return false;
  const from = Math.max(0, end - UNSPACED_QUESTION_CHARS);
  const question = t.slice(from, end);
  const course = UNSPACED_COURSE.exec(question);
  if (course === null || UNSPACED_VALUE.test(question)) return false;
  const situation = t.slice(0, from + course.index);
  return situation.length >= UNSPACED_QUESTION_CHARS && UNSPACED_WE.test(situation);
}

/** A statement of at least five words, then one closing question of one clause: "<scene>. <question>?". */
function setUpQuestion(lex: string): boolean {
  const t = lex.trimEnd();
  const last = t.charCodeAt(t.length - 1);
  if (last !== 63 && last !== 0xff1f) return false;
  // The closing question's marks, a run of them one ("How??").
  let end = t.length - 1;
  while (end > 0 && isQuestionOrBang(t.charCodeAt(end - 1))) end--;
  const q = Math.max(t.lastIndexOf('. ', end - 1), t.lastIndexOf('! ', end - 1), t.lastIndexOf('。', end - 1));
  if (q < 0 || t.lastIndexOf('?', end - 1) > q || t.lastIndexOf('？', end - 1) > q || t.indexOf(':', q) >= 0) return false;
  // Told in the first person it is a support request or advice ("My order 12345 hasn't arrived. Where is it?").
  return wordsUpTo(t.slice(0, q), 5) >= 5 && !FIRST_PERSON.test(t);
}
/** ? or ! (either width): a run of them closes one question. */
const isQuestionOrBang = (c: number): boolean => c === 63 || c === 0xff1f || c === 33 || c === 0xff01;
/** A sentence end, then a closing question of one to five words (its marks a run or one: "Options??"). */
const SHORT_FINAL_QUESTION = /[.!:;。！：；]\s+¿?((?:[\p{L}'’-]+\s+){0,4}[\p{L}'’-]+)\s*[?？]+\s*$/u;
/** "or" in the covered languages: a closing question with one is a choice. */
const CHOICE_WORDS = new Set(['or', 'o', 'oder', 'ou', 'или']);
/**
 * A closing question that asks how something works ("How do readiness probes work?", "¿Cómo
 * funciona el particionado?"): an explanation, not a course of action, whatever situation is told
 * before it (session 64, probe set 141: twelve such asks read complex).
 */
const HOW_IT_WORKS = /^(?:how (?:does|do|did|is|are) .*\bwork(?:s|ing)?$|(?:cómo|como|come) (?:funciona|funcionan|funziona|funzionano)(?!\p{L})|wie funktionier(?:t|en)(?!\p{L})|comment fonctionn(?:e|ent)(?!\p{L})|как работа(?:ет|ют)(?!\p{L}))/u;
/** Whether the ask closes, after a sentence, with a short question that asks how something works (HOW_IT_WORKS). */
function closesWithHowItWorks(lex: string): boolean {
  const m = SHORT_FINAL_QUESTION.exec(lex);
  return m !== null && HOW_IT_WORKS.test(m[1]!);
}
/** First words of a closing question that asks no course of action: yes/no openers, and a bare "Fix?" (a known remedy). */
const NO_COURSE_OPENER = new Set(['fix', 'is', 'are', 'was', 'does', 'do', 'did', 'can', 'could', 'should', 'will', 'would', 'ist', 'est', 'es']);
/** Forms of "to be": a longer closing question with one second ("What was the original price?") asks for a value, not a course. */
const VALUE_VERB = new Set(['is', 'was', 'are', 'were', "'s", 'will']);
/**
 * A statement of at least eight words closed by a question of up to five words that is not
 * yes/no or a choice: "... 2 TB table. Options?", "... won't converge. How should I simplify it?"
 * (up to three words until session 48: paraphrases of tune asks that said the same in four or five
 * words read a tier lower); of four or five words, not one that asks for a value.
 */
function terseCourseQuestion(lex: string, words: number): boolean {
  const m = SHORT_FINAL_QUESTION.exec(lex);
  // Nor one that asks how many or how much in another language ("¿Cuánto se paga en total?"), as
  // teamSituationThenCourse does not (session 66: "5 por ciento" became a measurement, as "5%" was).
  if (m === null || HOW_IT_WORKS.test(m[1]!) || VALUE_QUESTION.test(m[1]!)) return false;
  const q = m[1]!.split(/\s+/u);
  if (q.length > 3 && VALUE_VERB.has(q[1]!)) return false;
  return words - q.length >= 8 && !NO_COURSE_OPENER.has(q[0]!) && !q.some((w) => CHOICE_WORDS.has(w));
}

/** Below the simple/moderate boundary at the default cost (calibration cut 2.38 less 0.29 x ln 3). */
const BRIEF_EXPLANATION_CAP = 2.0;
/** What a term is, in the covered languages ("what recursion is", "什么是递归", "что такое мьютекс"): a definition asked for. */
const DEFINITION_ASKED = /(?<!\p{L})(?:what (?:is|are)|what (?:an? |the )?[\p{L}-]{1,40} (?:is|are|means)|define|definition of|meaning of|что такое|qué (?:es|son)|qu'est-ce qu|was (?:ist|sind))(?!\p{L})|什么是|是什么|とは/u;

/**
 * Whether a hard verb (IMPLEMENT_VERB, REFACTOR_VERB) is asked with no analysis and no other hard
 * verb: the ask without it names none of COMPLEX_ASK's (read only where the ask already is complex).
 */
function onlyVerbAsked(verb: typeof IMPLEMENT_VERB, lex: string, lexScan: LexiconScan): boolean {
  return verb.test(lexScan) && !ANALYSIS_ASKED.test(lexScan) && !COMPLEX_ASK.regex.test(lex.replace(verb.regexAll, ' '));
}

/** A piece of writing asked for at the start of the ask. */
const WRITING_OPENER = /^\s*(?:please\s+)?(?:write|draft|compose|rewrite|escribe|redacta|schreib|schreibe|écris|rédige|напиши)(?!\p{L})/u;
/** Code as the thing to write. */
const CODE_ARTIFACT = /(?<!\p{L})(?:functions?|scripts?|programs?|quer(?:y|ies)|class(?:es)?|regex|modules?|components?|code|sql|api|tests?)(?!\p{L})/u;
/** A long-form piece (a thousand words or more). */
const LONG_FORM = /\d,?\d{3}|thousand/u;
/** A difference or a comparison asked for. */
const DIFFERENCE = /differen|(?<!\p{L})vs\.?(?!\p{L})|versus|unterschied|diferencia|разниц|区别|違い/u;
/** "The difference between" two things, in the covered languages (a bare "vs" may weigh a choice). */
const DIFFERENCE_BETWEEN = /differences? between|unterschied zwischen|diferencias? entre|différences? entre|разниц[аеуы] между|区别|違い/u;
/** Below the moderate/complex boundary at the default cost (calibration cut 4.04 less 0.29 x ln 3): the most a capped moderate ask scores. */
const MODERATE_CEILING = 3.6;

/**
 * A pasted diff that only fixes spelling: one to three changed lines, each replaced by a line that
 * differs in at most three letters ("-Run `make instal`" / "+Run `make install`"). Checking it is
 * a glance, whatever "LGTM?" or "Is this safe?" asks of it; a changed digit or operator is not a
 * typo (exported for tests).
 */
export function isTypoDiff(code: string): boolean {
  const removed: string[] = [];
  const added: string[] = [];
  for (const line of code.split('\n', 64)) {
    if (line.startsWith('---') || line.startsWith('+++')) continue;
    if (line.startsWith('-')) removed.push(line.slice(1));
    else if (line.startsWith('+')) added.push(line.slice(1));
    if (removed.length > 3 || added.length > 3) return false;
  }
  if (removed.length === 0 || removed.length !== added.length) return false;
  for (let k = 0; k < removed.length; k++) {
    const a = removed[k]!;
    const b = added[k]!;
    if (a === b) return false;
    let p = 0;
    while (p < a.length && p < b.length && a[p] === b[p]) p++;
    let q = 0;
    while (q < a.length - p && q < b.length - p && a[a.length - 1 - q] === b[b.length - 1 - q]) q++;
    const fromA = a.slice(p, a.length - q);
    const fromB = b.slice(p, b.length - q);
    if (Math.max(fromA.length, fromB.length) > 3 || !/^\p{L}*$/u.test(fromA) || !/^\p{L}*$/u.test(fromB)) return false;
  }
  return true;
}

/**
 * An extremal puzzle over a large search space: the fewest tries to find something ("Fewest races
 * to find the 3 fastest", "the minimum number of drops that finds the critical floor"), the search
 * named after the extremum, and a number of 20 or more in the ask. "Find the minimum number of
 * servers for 2000 users" asks for a division, and "8 balls, minimum weighings" is a small one.
 */
function extremalSearch(lex: string, scan: LexiconScan): boolean {
  if (!EXTREMAL.test(scan) || !SEARCH_VERB.test(scan)) return false;
  const first = EXTREMAL.places(scan)[0]!;
  const search = SEARCH_VERB.places(scan);
  return search[search.length - 3]! > first && largestNumber(lex) >= 20;
}

/** An ask for a definition or an explanation of a term ("Define exactly-once delivery."): not an operation to carry out. */
const DEFINITION_OPENER = /^\s*(?:please\s+)?(?:define|definition|meaning|what|explain|describe|défini[rs]|definier|определи)(?![\p{L}])/u;

/** A second question joined to the first: ", and what ...", "; y cuánto ...", ", und wie ...". */
const SECOND_QUESTION = /[,;]\s*(?:and|y|und|et|и)\s+(?:what|how|which|when|who|why|qué|cuánto|cuántos|cuándo|cómo|was|wie|wann|welche[rsn]?|que|quel(?:le)?s?|combien|quand|comment|что|как|когда|сколько)(?![\p{L}])/u;

/** The hardest of the three hard lexicons that found a word: 3 deep, 2 complex, 1 moderate, 0 none. */
const hardestFamily = (deep: boolean, complex: boolean, moderate: boolean): number => (deep ? 3 : complex ? 2 : moderate ? 1 : 0);

/** A rewritten lexical form of an ask (names.ts, typos.ts) read again: its scan and whether the three hard lexicons find a word. */
function readAgain(lex: string): { lex: string; lexScan: LexiconScan; deep: boolean; complex: boolean; moderate: boolean } {
  const lexScan = readLexicons(lex);
  return { lex, lexScan, deep: DEEP_ASK.test(lexScan), complex: COMPLEX_ASK.test(lexScan), moderate: MODERATE_ASK.test(lexScan) };
}

/**
 * Score one user turn on its own. nested: a part of an ask already read (the stuffing check's
 * rest). earlier: a user turn before the current one, read for the difficulty a follow-up
 * inherits: its misspellings are not looked for (typos.ts; ~0.5 us a turn, ~4 us on the seeded
 * 2 KB conversations of six earlier turns).
 */
function scoreTurn(raw: string, nested = false, earlier = false): TurnScore {
  const text = ends(raw, 2 * MAX_SCAN, MAX_SCAN);
  // One plain space between words for the short forms below ("What is  15 + 27?" is arithmetic),
  // where a turn is short enough to be one (isSmallTalk reads at most 600 characters).
  const whole = text.trim();
  // (A nested turn is a part of a lexical form: its spaces are plain already.)
  const trimmed = whole.length <= 600 && !nested ? withPlainSpaces(whole) : whole;
  if (trimmed.length === 0) return { score: 0, signals: ['empty message'], smallTalk: true, short: true };
  if (isSmallTalk(trimmed)) return { score: 0.3, signals: ['greeting or acknowledgement'], smallTalk: true, short: true };
  if (trimmed.length <= 60 && (SIMPLE_ARITH.test(trimmed) || ARITHMETIC_QUESTION.test(trimmed) || WORD_ARITH.test(trimmed))) {
    return { score: 0.2, signals: ['one-step arithmetic'], smallTalk: false, short: true };
  }
  if (trimmed.length <= 60 && TRANSLATE_ONE_WORD.test(trimmed)) return { score: 0.25, signals: ['one-word answer'], smallTalk: false, short: true, family: 'none' };

  const split = splitAsk(text, isInstruction, asksNoWorkOnItems);
  const { code } = split;
  // A short text given to transform ("Summarize: '…'", "Fix the grammar:\n…") is material, not
  // the ask: its words are not what is asked ("Summarize: 'The team will review the design'").
  const transform = !nested && split.material === '' ? givenPassage(split.ask) : null;
  // So is a context a question is asked of ("Context: …\nQuestion: …", "From the abstract below, …").
  const grounded = !nested && split.material === '' && transform === null ? groundedAsk(split.ask) : null;
  const given = transform ?? grounded;
  const material = given === null ? split.material : given.passage;
  // A long paste with no recognisable instruction: judge its opening. Lexicons match lower case.
  const askRaw = given === null ? split.ask || text.slice(0, 200) : given.instruction;
  // Lexicons scan at most ASK_SCAN characters of instruction (its start and end): a longer ask is
  // long whatever else it says, and this bounds the per-request cost.
  // One plain space between words and plain apostrophes (withPlainSpaces): what the rules are written for.
  const scanRaw = ends(askRaw, ASK_SCAN, ASK_SCAN_HEAD);
  // (An ask that is the whole short turn has been made plain above, as trimmed.)
  const askScan = nested ? scanRaw : scanRaw === whole && whole.length <= 600 ? trimmed : withPlainSpaces(scanRaw);
  const ask = askScan.toLowerCase();
  const shape = textShape(ends(ask, SHAPE_SCAN, SHAPE_SCAN_HEAD), true);
  // What the lexicons read (the same as ask unless it has astral characters).
  let lex = astralToBmp(ask);
  // Every lexicon below reads this one word-by-word pass over the ask (wordlex.ts).
  let lexScan = readLexicons(lex);
  let deep = DEEP_ASK.test(lexScan);
  let complex = COMPLEX_ASK.test(lexScan);
  let moderate = MODERATE_ASK.test(lexScan);
  // A hard word that is no ask is read as a plain word (names.ts): a command, setting or product
  // named with one ("kubectl explain", "debug logging", EXPLAIN in capitals), a path, URL or name
  // holding one ("feature/optimize-cache"), a title ("'The Design of Everyday Things'"), a word
  // asked about ("spell 'architecture'"), one declined ("no need to explain"). Only where a hard
  // word or a name was found, and not in an earlier turn a follow-up inherits from (as typos: the
  // reading costs ~1 us a turn of a few hundred characters, and a name there can only lift the
  // follow-up, the cheaper error). Where the names took the ask's hardest word, the word model
  // reads the ask as the rules now do (modelText): read as written, its words lifted "how do you
  // pronounce 'derive'?" and "I don't need a design, only the name of …" a tier (session 68).
  let modelText: string | undefined;
  let workingDeclined = false;
  if (!earlier && (deep || complex || moderate || COMMAND_NAMES.test(lexScan) || NAMED_AFTER_WORDS.test(lexScan))) {
    const declines = shortAskDeclines(lex, lexScan);
    workingDeclined = declinesWorking(lex, declines);
    const plainNames = withPlainNames(lex, lexScan, askScan, declines);
    if (plainNames !== lex) {
      const hardest = hardestFamily(deep, complex, moderate);
      ({ lex, lexScan, deep, complex, moderate } = readAgain(plainNames));
      if (hardestFamily(deep, complex, moderate) < hardest) modelText = plainNames;
    }
  }
  // A short English ask with no word of those three may have misspelt one ("proove", "desing",
  // typos.ts): it is read again, spelt as the lexicons spell it. Not a nested turn (it is part of
  // a lexical form read for them already, or too long to be) nor an earlier one. (Run on every
  // short ask, the reading cost ~3 us a call on 200 characters of hard words, found at once here.)
  if (!nested && !earlier && !deep && !complex && !moderate) {
    const spelt = withTypoFixes(lex);
    if (spelt !== lex) ({ lex, lexScan, deep, complex, moderate } = readAgain(spelt));
  }
  const codeLines = nonBlankLines(code);
  const signals: string[] = [];

  const simple = SIMPLE_ASK.test(lexScan);
  const wholeSystem = WHOLE_SYSTEM.test(lexScan);

  let family: keyof typeof BASE = 'none';
  // A yes/no question about a mathematical object ("Is 221 prime?") takes a check, not a glance.
  const powerQuestion = shape.words >= 4 && (lex.includes('^') || lex.includes('**')) && powerQuestionIn(lex) && !socialEdge(askRaw);
  const trivialAsk = !deep && !complex && !moderate && !material && !code && shape.words <= 9 && TRIVIAL_ASK.regex.test(lex.trim()) && !MATH_WORDS.test(lexScan) && !JUDGEMENT.test(lexScan) && !OPEN_QUESTION.test(lexScan) && !powerQuestion;
  // The ask's names and measurements, found once where a rule first asks (up to eight rules do).
  let askMarks: TechnicalMarks | undefined;
  // Read on the ask's scan (plain spaces); names in lower case only where the scan found one.
  const marks = () => (askMarks ??= technicalMarks(askScan, LOWER_CASE_SYSTEMS.test(lexScan)));
  // A yes/no question about a system ("Does DNS use TCP or UDP?", "Does Python have tail calls?")
  // takes a fact and its caveat: a lookup, not a one-word answer.
  // So does one about the asker's own order or booking ("Can I cancel my order 5521?": OWN_RECORD).
  const aboutSystem = trivialAsk && (TECH_CONTEXT.test(lexScan) || marks().names > 0 || OWN_RECORD.test(lexScan));
  // The ask names a system: code, a system word, or a name or measurement.
  const namesSystem = () => codeLines > 0 || TECH_CONTEXT.test(lexScan) || hasTechnicalMark(marks());
  // A symptom: SYMPTOM's words anywhere, SYMPTOM_OF_SYSTEM's where a system is named.
  const symptom = () => SYMPTOM.test(lexScan) || (SYMPTOM_OF_SYSTEM.test(lexScan) && namesSystem());
  if (trivialAsk && !aboutSystem) return { score: 0.25, signals: ['one-word answer'], smallTalk: false, short: true, family: 'none' };
  if (deep) family = 'deep';
  else if (complex) family = 'complex';
  else if (moderate) family = 'moderate';
  else if (simple || aboutSystem) family = 'simple';
  // A given text rewritten for its tone ("Rewrite this sentence to sound more professional: '…'")
  // is a short edit, as "make this more formal" is, whatever "rewrite" asks elsewhere (training
  // rows: two such asks labelled simple; "Rewrite for a VP audience, 3 bullets max" moderate).
  if (family === 'moderate' && transform !== null && TONE_EDIT.test(lex)) family = 'simple';
  // Asks that name no hard verb but are hard work (second round of labels, tune split).
  const below = (f: keyof typeof BASE) => family === 'none' || family === 'simple' || (f === 'complex' && family === 'moderate');
  const extra: string[] = [];
  let namedCap = Infinity;
  // A symptom and a diagnosis ask make a failure to diagnose when a system is in the ask (a system
  // word, a named system or a measurement, or code): "Why did the stock market crash in 1929?" is
  // a question to explain, and a counting puzzle that climbs steps is a word problem.
  if (below('complex') && DIAGNOSE_ASK.test(lexScan) && !COUNTING_PUZZLE.test(lexScan) && ((symptom() && namesSystem()) || pastedLogs(material))) {
    family = 'complex';
    extra.push('a failure or slowdown to diagnose');
  } else if (below('complex') && ((codeLines > 5 && REVIEW_ASK.test(lexScan)) || (codeLines >= 2 && CHANGE_RISK.test(lexScan))) && !/\bquick\b/.test(lex)) {
    family = 'complex';
    extra.push('a review of pasted code');
  } else if (below('complex') && !code && CHANGE_REF.test(lexScan) && (REVIEW_ASK.test(lexScan) || CHECK_FOR.test(lex))) {
    // An agent asked to review a pull request by number reads the diff itself.
    family = 'complex';
    extra.push('a review of a change');
  } else if (below('complex') && (MATH_MULTI_STEP.test(lexScan) || PUZZLE_STRATEGY.test(lexScan) || extremalSearch(lex, lexScan))) {
    family = 'complex';
    extra.push('a multi-step problem');
  } else if (below('complex') && (family !== 'simple' || (shape.questionMarks === 0 && !DEFINITION_OPENER.test(lex))) && shape.words >= 8 && OPERATIONAL_GUARANTEE.test(lexScan)) {
    // Not a definition or lookup ("What does exactly-once mean?" stays simple), nor a short
    // how-to with a known recipe ("How do I restart nginx without downtime?").
    family = 'complex';
    extra.push('an operation under a hard guarantee');
  } else if (below('complex') && !code && !material && CHEAPEST.test(lexScan) && TRIP_DAYS.test(lexScan) && numericRanges(lex) >= 2) {
    // "The cheapest Lyon-Tokyo return, one stop at most, leaving 3-7 May, back 10 to 14 days later":
    // every combination of the ranges is a candidate.
    family = 'complex';
    extra.push('a search over many combinations');
  } else if (below('moderate') && (MATH_TASK.test(lexScan) || COUNTING_PUZZLE.test(lexScan) || powerQuestion || (QUANTITY_QUESTION.test(lexScan) && quantitiesIn(lex, lexScan) + (grounded === null ? 0 : figuresIn(grounded.passage)) + (split.data === '' ? 0 : figuresIn(split.data)) >= 2))) {
    family = 'moderate';
    extra.push('a calculation or word problem');
  } else if (
    below('complex') && !code && !material && askRaw.length <= 400 &&
    ((FAILURE_PATTERN.test(lexScan) && (symptom() || marks().names >= 1) && !opensWithInstruction(askRaw)) ||
      (family === 'none' && shape.questionMarks === 0 && shape.words >= 8 && symptom() && (quantitiesIn(lex, lexScan) >= 2 || ((TECH_CONTEXT.test(lexScan) || marks().names >= 1) && (marks().measurements >= 1 || !opensWithInstruction(askRaw)))) && !socialEdge(askRaw) && !hasSocialWord(lex)))
  ) {
    // A failure report says when it happens; it asks for a diagnosis whether or not it asks. A
    // symptom stated without a question and beside no other ask is a report too: with two
    // quantities ("1997 of 2000 tasks finish in a minute, the last 3 run for hours"), or about a
    // system, measured ("heap grows 1 GB a day in our Go service") or not ("The payments service
    // leaks file descriptors until it hits the ulimit"; fresh probes of session 49 under-tiered
    // these when a measurement was required), unless it opens as an instruction that names a
    // symptom ("Replace the retry loop ... with backoff and jitter", "Build an incident response
    // runbook for a ransomware detection").
    family = 'complex';
    extra.push('a failure report');
  } else if (below('complex') && !code && !material && askRaw.length <= 300 && ((COHORT_WORD.test(lexScan) && KEPT_OR_LOST_MEASURE.test(lexScan)) || (RETENTION_WORD.test(lexScan) && BREAKDOWN.test(lexScan))) && !DEFINITION_OPENER.test(lex)) {
    // Cohorts measured by what they keep or lose, or retention broken down by a group or a period:
    // an analysis over groups and time (COHORT_WORD's comment).
    family = 'complex';
    extra.push('a cohort or retention analysis');
  } else if (below('complex') && (DESIGN_QUESTION.test(lexScan) || (CONDITIONAL_DE.test(lexScan) && BUILD_VERB_DE.test(lexScan))) && !CREATIVE_OBJECT.test(lexScan)) {
    family = 'complex';
    extra.push('asks how one would build a system');
  } else if (below('complex') && !code && !material && askRaw.length <= 400 && shape.words >= 8 && METHOD_QUESTION.test(lexScan) && !CREATIVE_OBJECT.test(lexScan) && (TECH_CONTEXT.test(lexScan) || hasTechnicalMark(marks()))) {
    // A team asking how it should do something to a system is asking for a plan or a design.
    family = 'complex';
    extra.push('asks how a team should do something to a system');
  } else if (below('complex') && family !== 'simple' && !code && !material && askRaw.length <= 400 && shape.questionMarks === 1 && terseCourseQuestion(lex, shape.words) && (TECH_CONTEXT.test(lexScan) || hasTechnicalMark(marks()))) {
    // "Spark job OOMs on a 200 GB shuffle. Tuning?": the terse expert's whole ask is the situation;
    // the closing word asks for options, a plan or causes (tune split: 24 of 35 asks shaped so are
    // complex; the moderate ones are puzzles, yes/no checks, choices and a bare "Fix?").
    family = 'complex';
    extra.push('a technical situation and a short ask for what to do');
  } else if (below('complex') && !code && !material && askRaw.length <= 400 && unspacedSituationThenCourse(lex.trimEnd())) {
    // teamSituationThenCourse's reading (below) for the scripts written without spaces, before a
    // name in the ask ("Excel") caps it as a question about a named system.
    family = 'complex';
    extra.push('a situation told, then what to do');
  } else if (below('complex') && !code && !material && askRaw.length <= 400) {
    // Terse expert asks name no hard verb; what they give is a named system, often measured. The
    // ask must say something besides the names and numbers ("Hello, GC 400 ms" is a greeting), and
    // a lookup stays a lookup (names and numbers appended to "What is 7 times 8?" lift nothing).
    const found = marks();
    const systemWord = found.names === 0 && found.measurements >= 1 && TECH_CONTEXT.test(lexScan);
    if ((found.names >= 1 || systemWord) && wordsBeside(found.rest) >= 4) {
      if (found.measurements >= 1 && family !== 'simple') {
        family = 'complex';
        extra.push('a measured problem in a named system');
      } else if (family === 'none' && !(shape.words <= 10 && (WH_LOOKUP.test(lex) || endLookup(lex))) && !agentCommand(askRaw) && howToKind(lex) !== 'action') {
        // One tier up from a plain question, no more: a name says the topic is technical, not hard.
        // A short command naming one ("bump requests to 2.32 in requirements.txt") is one operation.
        family = 'moderate';
        namedCap = BAND_MIDDLE[2]!;
        extra.push(NAMED_SYSTEM_SIGNAL);
      }
    }
  }
  // A situation a team tells, then one closing question for what to do, in a language other than
  // English ("Tenemos 3 personas en soporte y los tickets se acumulan cada lunes. ¿Cómo
  // organizarías las guardias?"): a plan or a diagnosis, as the English rules above read it. Those
  // rules need a symptom, a system or a method question in the ask's own words, which the lexicons
  // hold far fewer of outside English (session 62: held-back sets 118-124 read 27 of 120 such asks
  // a tier low). English asks are left to those rules: their "How do I …?" after a situation is
  // often one fix (training rows: "Our Python API's Docker image weighs 2.1 GB. How do I make it
  // smaller?", moderate).
  if (below('complex') && extra.length === 0 && !code && !material && askRaw.length <= 400 && teamSituationThenCourse(lex)) {
    family = 'complex';
    extra.push('a situation told, then what to do');
  }
  // A scene set in a sentence with quantities, then a question about it ("Three switches outside,
  // one bulb inside a closed room, one visit. Which switch is it?"): a puzzle, not a lookup.
  if ((family === 'simple' || family === 'none') && extra.length === 0 && !code && !material && askRaw.length <= 300 && !MULTI_STEP.test(lexScan) && setUpQuestion(lex) && quantitiesIn(lex, lexScan) >= 1 && !TECH_CONTEXT.test(lexScan) && marks().names === 0) {
    family = 'moderate';
    extra.push('a puzzle set up before its question');
  }
  // Asking how to do something under a constraint ("How do I tell my manager ... without it
  // sounding like I'm quitting?") is advice with a constraint, not a lookup.
  if (family === 'simple' && extra.length === 0 && !code && !material && HOW_TO.test(lex) && CONSTRAINT.test(lexScan) && shape.words >= 10) {
    family = 'moderate';
    extra.push('how to do something under a constraint');
  }
  // "How do I set up SSH keys?", "How can I improve my sleep?": the steps of a process, or advice.
  // A how-to of one named action ("¿Cómo puedo cambiar el idioma?") is a lookup, whatever its words.
  if ((family === 'simple' || family === 'none') && extra.length === 0 && !code && !material && askRaw.length <= 200) {
    const howTo = howToKind(lex);
    if (howTo === 'process') {
      family = 'moderate';
      extra.push('how to do something that takes several steps');
    } else if (howTo === 'action') family = 'simple';
  }
  // A question asking for a judgement ("Is it better to learn Python or JavaScript first?") weighs
  // options: advice, not a lookup.
  if ((family === 'simple' || family === 'none') && extra.length === 0 && !code && !material && shape.questionMarks >= 1 && shape.words >= 5 && JUDGEMENT.test(lexScan) && WEIGHS_OPTIONS.test(lex)) {
    family = 'moderate';
    extra.push('asks for a judgement between options');
  }
  // One-line questions whose answer is an argument or an estimate, not a fact (probe set 185: 16 of
  // 40 read a tier or two low): a moral or philosophical question, a what-if, a forecast ("Will AI
  // replace software engineers within ten years?"), a count to estimate ("How many golf balls would
  // fill a swimming pool?", "Сколько примерно учителей работает в Москве?"; not a statistic to
  // look up: "How many people live in Canada?").
  if ((family === 'simple' || family === 'none') && extra.length === 0 && !code && !material && askRaw.length <= 300) {
    if (WHAT_IF.test(lexScan) || (shape.questionMarks >= 1 && (OPEN_QUESTION.test(lexScan) || (FORECAST_HORIZON.test(lexScan) && FORECAST_OPENING.test(lex))))) {
      family = 'moderate';
      extra.push('an open question: an argument, a what-if or a forecast');
    } else if (estimateAsked(lex, lexScan) && !BREVITY.test(lexScan) && !workingDeclined) {
      // (Not a figure asked for in brief: "I don't want a rigorous answer, roughly how many bytes is a UUID?")
      family = 'moderate';
      extra.push(ESTIMATE_SIGNAL);
    }
  }
  // The same with its assumptions and arithmetic asked ("Walk me through your assumptions", "Show
  // the calculation"), and a decision asked with the numbers to run ("… tengo 40.000 € ahorrados …
  // Haz los números."): multi-step quantitative work.
  if (below('complex') && (extra.length === 0 || extra[0] === ESTIMATE_SIGNAL || extra[0] === NAMED_SYSTEM_SIGNAL) && !code && !material && askRaw.length <= 400 && WORKING_ASKED.test(lexScan)) {
    const worked =
      extra[0] === ESTIMATE_SIGNAL || (QUANTITY_QUESTION.test(lexScan) && ESTIMATE_CUE.test(lexScan))
        ? 'an estimate with its assumptions and arithmetic'
        : DECISION_ASKED.test(lex) && quantitiesIn(lex, lexScan) >= 2
          ? 'a decision to work out with its numbers'
          : null;
    if (worked !== null) {
      // It replaces the reading it lifts, and the named system's cap with it.
      family = 'complex';
      extra.length = 0;
      namedCap = Infinity;
      extra.push(worked);
    }
  }
  // A calculation or word problem is one worked answer: its numbers say how much it tells.
  let settled = extra.includes('a calculation or word problem');
  // So is a lookup that holds one-step arithmetic ("What is 7 times 8? it drops 3 of 5 packets and
  // runs for hours"): the words beside the computation are not what it asks, and the second
  // opinion, which reads them, does not lift it (padded so, the rules read it one tier up already;
  // of the training rows' simple readings the second opinion may lift, one holds such a step).
  if (family === 'simple' && !settled && ARITHMETIC_STEP.test(lex)) settled = true;
  // A design verb on something made for people ("Design a logo for my bakery", "a 4-week workout
  // plan") asks for an idea or a plan, not engineering, unless the ask also names a system.
  if (family === 'complex' && extra.length === 0 && !code && !material && !wholeSystem && CREATIVE_OBJECT.test(lexScan) && !TECH_CONTEXT.test(lexScan) && !hasTechnicalMark(marks())) {
    family = 'moderate';
    extra.push('a design for people, not a system');
    settled = true;
  }
  // An implementation of a known thing with no analysis asked ("Implement binary search in Java",
  // "Implement a stack in Python with push and pop") is one piece of code, and so is a refactoring
  // of a short pasted function ("Refactor this to use a set so it's faster"): moderate, unless
  // another hard verb is in the ask (IMPLEMENT_VERB's and REFACTOR_VERB's comments).
  if (family === 'complex' && extra.length === 0 && !material && !wholeSystem) {
    if (!code && onlyVerbAsked(IMPLEMENT_VERB, lex, lexScan)) {
      family = 'moderate';
      extra.push('an implementation of a known thing, no analysis asked');
    } else if (codeLines > 0 && codeLines <= 20 && onlyVerbAsked(REFACTOR_VERB, lex, lexScan)) {
      family = 'moderate';
      extra.push('a refactoring of pasted code, no analysis asked');
    }
  }
  let score = BASE[family];
  if (extra.length) signals.push(...extra);
  else if (family === 'deep') signals.push('asks for a proof or derivation');
  else if (family === 'complex') signals.push('asks to design, debug, optimise or analyse');
  else if (family === 'moderate') signals.push('asks to explain, compare, write or solve');
  else if (family === 'simple') signals.push('asks a lookup, definition, conversion or short edit');
  // Whole-system scope widens a design ask, not a review or a diagnosis ("full review").
  if (family === 'complex' && complex && wholeSystem) {
    score += 1.2;
    signals.push('whole-system scope');
  }
  if (family === 'deep' && complex) score += 0.3;

  // Length of the ask itself, on distinct words so padding buys little.
  const substance = Math.min(shape.words, shape.distinct * 1.3);
  if (substance > 14) {
    const add = Math.min(1.1, Math.log2(substance / 14) * 0.5);
    score += add;
    if (add > 0.4) signals.push(`${Math.round(substance)}-word ask`);
  } else if (substance <= 4) score -= 0.3;

  const steps = MULTI_STEP.count(lexScan, 8);
  const constraints = CONSTRAINT.count(lexScan, 8);
  const depth = DEPTH_TERMS.count(lexScan, 8);
  const enumerated = listLines(ask);
  // Figures a comma separates are no items of the ask (LIST_MARK): a sequence to continue, data.
  const listItems = listMarks(ask, 10);
  const quantities = countQuantities(ask);
  const load = steps * 0.35 + constraints * 0.3 + depth * 0.35 + Math.min(enumerated, 8) * 0.25 + listItems * 0.12 + quantities * 0.2;
  if (load > 0) {
    score += Math.min(family === 'simple' || family === 'none' ? 1.2 : 1.8, load);
    const named = steps + constraints + depth + enumerated + quantities;
    // Commas and semicolons alone can make the load (a list of many items): say so, not "0 requirements".
    if (load >= 1) signals.push(named > 0 ? `${named} requirements, constraints or hard topics` : `a list (${listItems} commas or semicolons)`);
  }
  if (shape.questionMarks >= 2) {
    score += Math.min(0.6, (shape.questionMarks - 1) * 0.3);
    signals.push(`${shape.questionMarks} questions`);
  }
  // The notation's forms only where a math character could be (mathNotationIn tries the math
  // symbols' plain class search among them, second, after the LaTeX one where a backslash is).
  const mathNotation = MATH_HINT.test(lex) && mathNotationIn(lex);
  const mathWords = MATH_WORDS.count(lexScan, 4);
  if (mathNotation || mathWords > 0) {
    score += (mathNotation ? 0.4 : 0) + Math.min(0.6, mathWords * 0.2);
    signals.push(mathNotation ? 'mathematical notation' : 'mathematical subject');
    // A short exercise asked to solve or explain ("Solve for x: 3x + 7 = 22") is one worked
    // answer: its notation says the topic, not the size of the work.
    if (family === 'moderate' && extra.length === 0 && substance <= 14 && !complex && steps <= 1) score = Math.min(score, MODERATE_CEILING);
  }
  // A moderate ask of its own family, with no hard verb and no code: the asks the caps below keep
  // under the moderate/complex boundary when they are one answer.
  const plainModerate = family === 'moderate' && extra.length === 0 && !code && !complex && !deep;
  // A short question to explain ("Monty Hall: should you switch, and why?") is one explanation,
  // whatever its second part or its questions add; a measured one may be a system's problem.
  if (plainModerate && !material && substance <= 16 && shape.questionMarks >= 1 && marks().measurements === 0) score = Math.min(score, MODERATE_CEILING);
  // The difference between two named things ("nginx: difference between proxy_pass with and
  // without a trailing slash") is two definitions and the contrast: one explanation, which the
  // second opinion does not lift (tune split and used probes: 48 such asks, 45 labelled moderate, 3 simple).
  if (plainModerate && !material && substance <= 16 && steps === 0 && DIFFERENCE_BETWEEN.test(lex)) settled = true;
  // So is a situation told, then how something works ("We just moved our app to Kubernetes last
  // week. How do readiness probes work?"): the model reads the situation's words (team, server,
  // month) as complex (probe set 141: five such asks lifted, all labelled moderate).
  if (plainModerate && !material && closesWithHowItWorks(lex)) settled = true;
  // Prose with a few constraints ("a cover letter; I have a physics degree", "3 bullets max") is one
  // piece of writing however many constraints it lists; code and long-form pieces are not capped.
  if (plainModerate && !material && WRITING_OPENER.test(lex) && !CODE_ARTIFACT.test(lex) && !LONG_FORM.test(lex)) {
    score = Math.min(score, MODERATE_CEILING);
    settled = true;
  }
  // A word problem is one worked answer too: its numbers and length say how much it tells, not
  // how hard it is (extremal and counting puzzles and named steps are left to their rules).
  // A second question about the same numbers ("When does it reach 4,000, and what churn would get
  // there a year sooner?") makes it several worked answers: not capped.
  if (extra.length === 1 && (extra[0] === 'a calculation or word problem' || extra[0] === 'a puzzle set up before its question') && !complex && steps === 0 && !COUNTING_PUZZLE.test(lexScan) && !SECOND_QUESTION.test(lex)) {
    score = Math.min(score, MODERATE_CEILING);
    settled = true;
  }
  if (codeLines > 0 && codeLines <= 12 && family !== 'complex' && family !== 'deep' && isTypoDiff(code)) {
    score = Math.min(score, BASE.simple);
    signals.push('a spelling fix in a pasted diff');
  } else if (codeLines > 0) {
    // Code matters through what is asked about it.
    const w = family === 'complex' || family === 'deep' ? 0.4 : family === 'moderate' ? 0.3 : family === 'simple' ? 0.1 : 1.2;
    score += w;
    signals.push(`${codeLines} lines of code`);
  }
  if (material) {
    const words = materialWords(material);
    score += Math.min(0.5, Math.log2(1 + words / 400) * 0.2);
    // Options given to choose among are no finding of a rule: a question the rules know nothing of
    // is left to the word model, as without them ("A shirt costs $40 after a 20% discount. What was
    // the original price?" over four options read simple, probe set 177).
    if (material !== split.options) signals.push(`about ${words} words of pasted material`);
    // A short ask to explain or compare pasted text is one reading, however long the text.
    if (plainModerate && substance <= 20) score = Math.min(score, MODERATE_CEILING);
  }
  if (BREVITY.test(lexScan) || workingDeclined) {
    score -= 0.8;
    // A difference asked for in one line ("the difference between a process and a thread, in one
    // sentence") is two definitions, and a definition explained in one ("用一句话解释什么是递归",
    // "explain in one sentence what recursion is") is one; a puzzle explained briefly is still a puzzle.
    if (family === 'moderate' && extra.length === 0 && substance <= 14 && !code && !material && (DIFFERENCE.test(lex) || DEFINITION_ASKED.test(lex))) score = Math.min(score, BRIEF_EXPLANATION_CAP);
    signals.push('asks for a brief answer');
  }

  // Keyword stuffing: hard words around an easy ask do not make it hard. Sentences made of hard
  // words with no object of their own ("Prove it rigorously, design the architecture") are
  // set aside and the rest is scored on its own; one hard word may lift it a tier, several not.
  // Only whether there are none, one or several is read: each lexicon is counted up to 2.
  const hardWords = deep || complex || steps > 0 ? DEEP_ASK.count(lexScan, 2) + COMPLEX_ASK.count(lexScan, 2) + steps : 0;
  if (hardWords >= 1 && !nested) {
    const ranges = clauseRanges(lex);
    const { stuffing, rest } = stuffingClauses(lex, lexScan, ranges);
    let core: number | null = null;
    // A rest that names a hard topic or a failure ("pods OOMKilled at 70% of limit. Diagnose.")
    // is not an easy ask: the bare verb beside it may lift it one tier more.
    let hardRest = false;
    if (stuffing.length > 0 && rest.length > 0) {
      // The rest is scored on at most REST_SCAN characters (its two ends), as a long ask's shape is.
      const restText = ends(rest.join('. '), REST_SCAN, REST_SCAN_HEAD);
      const inner = scoreTurn(restText, true);
      core = inner.score;
      // The nested score's lexicons read the rest as it is unless it had code lines or more than ASK_SCAN characters.
      const restScan = inner.lex === restText ? inner.lexScan! : readLexicons(restText);
      // SYMPTOM's words only: SYMPTOM_OF_SYSTEM's would need the rest's system read too.
      hardRest = DEPTH_TERMS.test(restScan) || SYMPTOM.test(restScan);
    } else if (lex.length < 600) {
      // One sentence: strip the hard words and judge what is left.
      const lookupCore = LOOKUP_CORE.test(lexScan) || endsInArithmetic(lex, ranges);
      if (lookupCore || unknownKeptWords(lex) < 4) {
        const left = withoutHardWords(lex, lexScan).replace(EFFORT_WORDS, ' ');
        const bare = left.replace(NO_OBJECT, ' ');
        core = isSmallTalk(left) || isSmallTalk(bare) ? 0.3 : lookupCore ? Math.min(scoreTurn(left, true).score, BASE.simple) : null;
      }
    }
    if (core !== null) {
      const coreTier = tierIndex(core);
      // The cap is the middle of the tier's band, not its top: the calibrated decision moves the
      // boundaries towards the lower tier by the under-tier cost, and a score at the top of a band
      // then reads as the next tier.
      const capTier = Math.min(THRESHOLDS.length, coreTier + (hardWords >= 2 ? 0 : 1) + (hardRest ? 1 : 0));
      const cap = capTier >= THRESHOLDS.length ? Infinity : Math.max(core, BAND_MIDDLE[capTier]!);
      if (score > cap) {
        score = Math.max(core, Math.min(score, cap));
        settled = true;
        const around = hardWords >= 2 ? 'hard keywords stuffed around' : 'a hard word around';
        signals.push(hardRest ? `${around} an ask on a hard topic: at most ${capTier - coreTier} tier${capTier - coreTier > 1 ? 's' : ''} up` : hardWords >= 2 ? `${around} an easy ask: the easy ask decides` : `${around} an easy ask: at most one tier up`);
      }
    }
  }
  score = Math.min(score, namedCap);
  // A design without whole-system scope stays below deep.
  if (family === 'complex' && !wholeSystem) score = Math.min(score, THRESHOLDS[3]! - 0.15);
  if (family === 'moderate') score = Math.min(score, THRESHOLDS[3]! - 0.6);
  // A real question is at least simple, whatever brevity asks.
  if (family !== 'none') score = Math.max(score, THRESHOLDS[0]! + 0.2);
  return { score, signals, smallTalk: false, short: substance <= 14 && codeLines === 0 && !material, family, plain: !code && !material, settled, modelText, lex, lexScan };
}

/**
 * Whether the word model may read an ask the rules found nothing in: not a short wh-lookup
 * ("What year did the first PS2 go on sale?" stays a lookup) and not a turn opened or closed by
 * a greeting, thanks or acknowledgement, nor one with a greeting, thanks or "ok" anywhere in its
 * first 200 characters (names and numbers beside "Hello" lift it one tier at most, by the rules;
 * the model would add another).
 */
function fallbackMayRead(text: string): boolean {
  const start = text.length > 200 ? text.slice(0, 200) : text;
  if (approxWords(start) <= 10 && WH_LOOKUP.test(text.slice(0, 60).trim().toLowerCase())) return false;
  if (text.length <= 40 && endLookup(text)) return false;
  return !socialEdge(text) && !hasSocialWord(start.toLowerCase());
}

/**
 * Whether the word model has words to read in a text: not where most of the letters it reads are
 * of a script it was trained on no row of (isUntrainedScript: Hebrew, Arabic, the Indic scripts,
 * Thai, Lao, Khmer, Burmese). Its reading of such a text is hash collisions: set 137's Thai
 * capital lookup and set 145's Telugu one read moderate, a Persian definition and a Hebrew one
 * (set 127) too. Thai, Lao, Khmer and Burmese also put no space between words, which the model
 * takes for a word's end. Such a text's asks that the rules know nothing of are read by
 * UNREAD_PRIOR instead (session 64 for those four scripts, session 65 for the others).
 */
function modelHasWords(text: string): boolean {
  const n = Math.min(text.length, WORD_MODEL_CHARS);
  let untrained = 0;
  let letters = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (isUntrainedScript(c)) untrained++;
    else if (isBmpLetter(c)) letters++;
  }
  return untrained <= letters;
}

/** The tier of a score by the hand-set bands alone (before calibration; benchmarks compare). */
export function thresholdTier(score: number): TierName {
  return TIER_NAMES[tierIndex(score)]!;
}

function tierIndex(score: number): number {
  let i = 0;
  while (i < THRESHOLDS.length && score >= THRESHOLDS[i]!) i++;
  return i;
}

/**
 * Classify a whole chat request: the last user turn read in the context of the conversation
 * (earlier user turns, system prompt). Pure and deterministic. `fallback: false` leaves out the
 * word model (benchmarks and tests compare the rules alone); a function stands in for it (the
 * benchmark's checks of a model trained on part of the labelled rows), returning its score;
 * `secondOpinionMargin` overrides the second opinion's margins (benchmarks; a number sets both;
 * Infinity: none).
 */
export function classifyMessages(
  messages: readonly ChatMessageLike[],
  underTierCost = DEFAULT_UNDER_TIER_COST,
  fallback: boolean | ((text: string) => number) = true,
  secondOpinionMargin: number | SecondOpinionMargins = secondOpinionMargins(underTierCost),
): Classification {
  const lastUser = currentTurnIndex(messages);
  if (lastUser < 0) return { tier: 'trivial', score: 0, confidence: 1, signals: ['no messages'] };

  // Every turn is read at its two ends at most (scoreTurn), the parts of a long one too.
  // The ask, without a greeting before it or thanks after it (withoutSocialEdges), nor a cue of how
  // long to think ("Think step by step:", "/no_think": withoutEffortCue).
  const { text: currentText, asksMore } = withoutEffortCue(withoutSocialEdges(withCommonMarksAtEnds(messageEnds(messages[lastUser]!, 2 * MAX_SCAN, MAX_SCAN))));
  // An image, a file or a recording sent with no text asks about itself: what it shows, what it
  // says (probe set 187: an image alone read as an empty message, trivial).
  const current = currentText.trim() === '' && hasAttachment(messages[lastUser]!) ? ATTACHMENT_ALONE : scoreTurn(currentText);
  let score = current.score;
  const signals = [...current.signals];
  // A cue to think hard before a one-step ask gets it a simple tier's budget ("Think very hard …
  // what is 12 times 12?", labelled simple); the cue lifts nothing else.
  if (asksMore && !current.smallTalk && score < THRESHOLDS[0]! + 0.2) {
    score = THRESHOLDS[0]! + 0.2;
    signals.push('asks to think hard about a one-step ask: read as simple');
  }

  // Conversation context: a short follow-up ("and for n = 5?", "why?") inherits most of the
  // difficulty of the conversation; a closing "ok thanks" stays trivial, and a turn that changes
  // the subject ("unrelated: …", TOPIC_SWITCH) inherits nothing.
  if (!current.smallTalk && current.short && !TOPIC_SWITCH.test(current.lexScan ?? readLexicons(lexicalForm(currentText)))) {
    let prior = -Infinity;
    let seen = 0;
    let left = CONTEXT_SCAN;
    const stop = Math.max(0, lastUser - MESSAGES_LOOKED_THROUGH);
    for (let i = lastUser - 1; i >= stop && seen < CONTEXT_TURNS; i--) {
      const m = messages[i]!;
      if (m.role !== 'user') continue;
      const text = withCommonMarksAtEnds(messageEnds(m, 2 * MAX_SCAN, MAX_SCAN));
      if (seen > 0 && text.length > left) break;
      left -= Math.min(text.length, left);
      seen++;
      prior = Math.max(prior, scoreTurn(withoutSocialEdges(text), false, true).score);
    }
    if (prior > score) {
      // A lookup asked in a harder conversation ("what's autovacuum?" after a diagnosis, "what's
      // the largest known prime?" after a proof) takes at most a moderate reading: it asks a fact
      // the conversation's subject names, not more of its work (probe set 107 labels such turns
      // simple; read with the whole conversation's difficulty they read complex and deep).
      const cap = current.family === 'simple' ? BAND_MIDDLE[MODERATE]! : Infinity;
      score = Math.max(score, Math.min(prior - 0.6, cap));
      signals.push('follow-up in a harder conversation');
    }
  }

  // Whether a system prompt defines tools (an agent).
  let toolAgent = false;
  if (!current.smallTalk) {
    for (const m of messages.length <= MESSAGES_LOOKED_THROUGH ? messages : messages.slice(0, MESSAGES_LOOKED_THROUGH)) {
      if (m.role !== 'system' && m.role !== 'developer') continue;
      // Lower case and BMP only, as written: a system prompt is the platform's own text, and a
      // search of 4,000 characters for odd spaces (withPlainSpaces) cost ~4 us a request here.
      const sys = astralToBmp(messageHead(m, 4000).toLowerCase());
      // An agent's system prompt (it defines tools): its tone rules are policy for every turn,
      // not a hint about this ask.
      if (definesTools(sys)) {
        toolAgent = true;
        // A request to an agent takes at least a tool call, even a yes/no one ("Can I move my
        // appointment?"); one-step arithmetic (a turn with no family) stays trivial.
        if (current.family !== undefined && score < THRESHOLDS[0]! + 0.2) {
          score = THRESHOLDS[0]! + 0.2;
          signals.push('a request to a tool-using agent');
        }
        break;
      }
      // Two small lexicons: their own regexes, not the scan of every lexicon (~10 against ~110 us
      // over 4,000 characters here; the answers are the same, see wordlex.ts).
      if (SYSTEM_RIGOUR.regex.test(sys)) {
        // Rigour deepens an answer within its tier band; it does not turn a design into a proof.
        score = Math.min(score + 0.4, current.family === 'deep' ? Infinity : THRESHOLDS[3]! - 0.15);
        signals.push('system prompt asks for rigour');
      } else if (SYSTEM_BRIEF.regex.test(sys)) {
        score = Math.max(score - 0.5, current.family && current.family !== 'none' ? THRESHOLDS[0]! + 0.2 : 0);
        signals.push('system prompt asks for brevity');
      }
      break;
    }
  }

  let idx = decideTier(score, underTierCost);
  // The confidence of a reading the word model lifted: its odds, not the band's.
  let liftedOdds: number | undefined;
  const model = fallback === true ? wordModelScore : fallback;
  // Where the model may lift at all: not a short wh-lookup or a social turn, and (a short command
  // to a tool-using agent is one tool call, whatever its words suggest) not one agent command.
  // Nor a turn that follows an earlier user turn: the model reads the turn's words alone, and the
  // rules read a follow-up with its conversation (followsUserTurn).
  const mayLift = () => fallbackMayRead(currentText) && !(toolAgent && agentCommand(currentText)) && !followsUserTurn(messages, lastUser);
  // Read once: the fallback's branch asks it, then modelMayLift again.
  let hasWords: boolean | undefined;
  const readable = () => (hasWords ??= modelHasWords(currentText));
  const modelMayLift = () => mayLift() && readable();
  if (signals.length === 0 && model && !readable()) {
    // Nothing the rules know, in a script the model has no training row in (isUntrainedScript:
    // Hebrew, Arabic, the Indic scripts, Thai, Lao, Khmer, Burmese): read as the asks the fallback
    // reads are labelled (UNREAD_PRIOR), at most one tier up, never down.
    const prior = unreadTier(underTierCost);
    if (prior > idx && mayLift()) {
      liftedOdds = unreadAbove(idx);
      idx++;
      score = Math.max(score, BAND_MIDDLE[idx]!);
      signals.push(UNREAD_SIGNAL);
    }
  } else if (signals.length === 0 && model) {
    // The rules recognised nothing in this ask (no verb, problem, puzzle or material, no context):
    // the word model reads it, and may lift it one tier, never more and never down (wordmodel.ts).
    // The model first: it is the cheaper test, and most reads lift nothing.
    const s = model(current.modelText ?? currentText);
    if (wordModelTierOf(s) > idx && idx < TIER_NAMES.length - 1 && modelMayLift()) {
      // Its confidence is the fitted odds that the label is above the rules' tier, as a second
      // opinion's is: such lifts are right about half the time out of fold, not the band's ~0.9.
      liftedOdds = liftOdds(FALLBACK_ODDS, s - idx);
      idx++;
      // The middle of the tier's band, so the score and the tier agree.
      score = Math.max(score, BAND_MIDDLE[idx]!);
      signals.push(`${FALLBACK_SIGNAL_PREFIX}${TIER_NAMES[idx]}`);
    }
  } else if ((idx === MODERATE || idx === SIMPLE) && model && current.plain === true && !current.settled) {
    // A moderate reading is where the rules under-tier most (complex asks phrased casually, with
    // no failure, design verb or method question), a simple one next (a short question on a hard
    // subject read as a lookup); the model's words, read well above the reading, lift it one tier
    // (never down). Not over a paste (the model reads a turn's start) nor over a rule that bounded
    // the reading on purpose (stuffing among them); a simple reading not where the fallback would
    // not read either (a short wh-lookup, a social turn, one command to an agent). The margin is
    // where the odds of the tier above pass what the cost ratio asks for (secondOpinionMarginFor).
    const reading: SecondOpinionTier = idx === MODERATE ? 'moderate' : 'simple';
    const margin = typeof secondOpinionMargin === 'number' ? secondOpinionMargin : secondOpinionMargin[reading];
    const read = margin === Infinity ? -Infinity : model(current.modelText ?? currentText);
    if (read > idx + margin && (reading === 'moderate' ? !followsUserTurn(messages, lastUser) && readable() : modelMayLift())) {
      // Its confidence is the fitted odds that the label is above the reading (P of the tier above
      // or higher: that tier's by far the most), not the band middle's: lifted readings are right
      // well under the band's ~0.9 (out of fold, 36 % of simple and 41 % of moderate ones).
      liftedOdds = liftOdds(SECOND_OPINION_ODDS[reading], read - idx);
      idx++;
      score = Math.max(score, BAND_MIDDLE[idx]!);
      signals.push(SECOND_OPINION_SIGNALS[reading]);
    }
  }
  const confidence = liftedOdds ?? tierProbabilities(score)[idx]!;
  if (signals.length === 0) signals.push('short general question');
  return { tier: TIER_NAMES[idx]!, score: Math.round(score * 100) / 100, confidence: Math.round(confidence * 100) / 100, signals };
}

/** The reading of a turn that is an attachment with no text: a simple ask about it, settled (the word model has no words to read). */
const ATTACHMENT_ALONE: TurnScore = { score: BAND_MIDDLE[SIMPLE]!, signals: ['an attachment with no text: read as a question about it'], smallTalk: false, short: true, family: 'simple', settled: true };

/**
 * Whether the current turn follows an earlier user turn (among the messages looked through): a
 * turn of a conversation, which the rules read with the turns before it ("And why not a hash
 * index?" after a question on B-tree indexes). The word model reads the turn's words alone, and
 * a follow-up names the topic's words, not how much it asks: the training rows' follow-ups it
 * lifted (two by the second opinion, one by the fallback) were each labelled the tier it lifted
 * them from.
 */
function followsUserTurn(messages: readonly ChatMessageLike[], lastUser: number): boolean {
  const stop = Math.max(0, lastUser - MESSAGES_LOOKED_THROUGH);
  for (let i = lastUser - 1; i >= stop; i--) if (messages[i]!.role === 'user') return true;
  return false;
}

/** Convenience for a single prompt. */
export function classifyText(text: string, underTierCost = DEFAULT_UNDER_TIER_COST): Classification {
  return classifyMessages([{ role: 'user', content: text }], underTierCost);
}
