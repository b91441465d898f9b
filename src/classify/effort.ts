/**
 * What a turn says about how long to think, before its ask: "Think step by step:", "Take your time
 * and reason carefully.", "No need to overthink it:", "Réfléchis bien, étape par étape :",
 * "请一步一步仔细思考：", Qwen3's "/think" and "/no_think" switches, gpt-oss's "Reasoning: high".
 * The cue says what the asker wants, not what the ask needs: a label is how much thinking a good
 * answer needs (benchmarks/datasets/README.md), and "Think step by step: what's the capital of
 * Canada?" read moderate, "Réfléchis bien, étape par étape : combien font 15 + 27 ?" a calculation
 * (probe set 183: 16 of 40 such asks read a tier or two high). The cue is set apart and the ask
 * after it is read; the caller keeps a reading of at least simple where a cue asked to think
 * (the tune split's "Think very hard … what is 12 times 12?" is labelled simple).
 *
 * A cue is a run of leading clauses, each ending at a mark (":", ",", ".", "!", a dash or a line
 * break), whose every word is a word of such cues (CUE_WORDS) and one of them a word of thinking,
 * effort or difficulty (CUE_CORE): "Think about how you'd shard this:" holds "shard", and is kept.
 * Pure; bounded to the turn's first CUE_SCAN characters.
 */

/** The most characters of a turn's start read for a cue. */
const CUE_SCAN = 200;
/** The most clauses set apart as one cue ("Think very hard and deeply, step by step, with maximum reasoning:"). */
const CUE_CLAUSES = 4;

/** Words of thinking, effort or difficulty: a cue clause holds one. */
const CUE_CORE: ReadonlySet<string> = new Set([
  'think', 'thinking', 'overthink', 'overthinking', 'reason', 'reasoning', 'thorough', 'thoroughly', 'carefully', 'effort', 'step', 'time', 'deeply',
  'hard', 'difficult', 'tricky', 'tough', 'easy', 'simple', 'thought',
  // Spanish, German, French, Russian, Portuguese, Italian.
  'piensa', 'piénsalo', 'pensar', 'pensarlo', 'pienses', 'razona', 'paso', 'tiempo', 'calma', 'difícil', 'fácil',
  'denk', 'denke', 'nachdenken', 'nachzudenken', 'überlegung', 'überleg', 'überlege', 'gründlich', 'schritt', 'zeit', 'schwer', 'schwierig',
  'réfléchis', 'réfléchissez', 'réfléchir', 'étape', 'temps', 'difficile', 'facile',
  'подумай', 'подумайте', 'думай', 'размышлений', 'рассуждай', 'шаг', 'тщательно', 'сложный', 'сложная', 'простой', 'простая',
  'pense', 'pensa', 'reflita', 'passo', 'pensaci', 'rifletti',
]);

/** Every word a cue clause may hold (CUE_CORE's and the words around them). */
const CUE_WORDS: ReadonlySet<string> = new Set([
  ...CUE_CORE,
  'a', 'an', 'the', 'this', 'that', 'it', "it's", 'its', 'one', 'is', 'be', 'very', 'really', 'extremely', 'super', 'extra', 'so', 'too', 'much', 'long',
  'longer', 'as', 'you', 'your', 'can', 'need', 'needs', 'like', 'want', 'all', 'before', 'answer', 'answering', 'respond', 'and', 'with', 'please', 'pls',
  'consider', 'every', 'edge', 'case', 'cases', "don't", 'dont', 'do', 'not', 'no', 'to', 'just', 'skip', 'final', 'only', 'of', 'through', 'problem',
  'question', 'for', 'me', 'i', 'know', 'big', 'ask', 'but', 'harder', 'deep', 'deeper', 'deepest', 'maximum', 'max', 'full', 'high', 'use', 'take',
  'by', 'give', 'about', 'properly', 'slowly', 'chain', 'thought', 'careful', 'quick', 'quickly', 'sanity', 'check', 'now', 'here', 'first',
  'por', 'favor', 'bien', 'mucho', 'muy', 'detenidamente', 'cuidadosamente', 'tómate', 'tu', 'todo', 'el', 'que', 'necesites', 'y', 'sin', 'lo',
  'demasiado', 'con', 'antes', 'de', 'responder', 'responde', 'es', 'esto',
  'nach', 'genau', 'gut', 'sorgfältig', 'für', 'und', 'sehr', 'bevor', 'du', 'antwortest', 'ohne', 'lange', 'zu', 'viel', 'lass', 'dir', 'nimm', 'bitte',
  'ganz', 'ruhig', 'das', 'ist', 'eine', 'frage', 'aufgabe',
  'pas', 'besoin', 'longtemps', 'prends', 'prenez', 'le', 'soigneusement', 'attentivement', 'vite', 'sans', 'trop', 'avant', 'répondre', 'et', 'tout',
  'ton', 'votre', 'par', "c'est", 'une', 'très',
  'как', 'следует', 'хорошо', 'внимательно', 'очень', 'за', 'без', 'долгих', 'не', 'долго', 'сначала', 'прежде', 'чем', 'отвечать', 'ответить', 'и',
  'пожалуйста', 'это', 'вопрос', 'задача',
  'com', 'sem', 'muito', 'bem', 'antes', 'responder', 'e', 'favor',
  'per', 'senza', 'troppo', 'bene', 'attentamente', 'prima', 'di', 'rispondere',
]);

/** The Chinese and Japanese cues, where the turn starts (their words have no spaces to split on). */
const CJK_CUE = /^(?:请|請)?(?:(?:一步一步|一步步|逐步)(?:地)?(?:仔细|认真)?(?:思考|想|推理)?|(?:认真|仔细|好好|深入)(?:地)?(?:思考|想想|想一想|想一下|考虑)(?:(?:之)?后再回答)?|(?:不用|别|不要)想太多|慢慢想|(?:よく|じっくり|深く|慎重に)考えて(?:から(?:答えて|回答して))?(?:ください)?|ステップバイステップで(?:考えて(?:ください)?)?|考えすぎないで(?:ください)?)[ \t]*(?:[:：，,。！!、]|\r?\n)[ \t\r\n]*/u;

/** Qwen3's soft switches ("/think", "/no_think") as a turn's first word. */
const SWITCH_AT_START = /^[ \t]*\/(?:no_)?think(?:[ \t\r\n]+|$)/;

/** Where a soft switch that is a turn's last word starts (with the blanks before it), or -1. */
function switchAtEnd(turn: string): number {
  const t = turn.trimEnd();
  const word = t.endsWith('/no_think') ? 9 : t.endsWith('/think') ? 6 : 0;
  if (word === 0) return -1;
  let at = t.length - word;
  if (at === 0 || !/\s/.test(t[at - 1]!)) return -1;
  while (at > 0 && /\s/.test(t[at - 1]!)) at--;
  return at;
}
/** gpt-oss's reasoning level, as a turn's first line ("Reasoning: high"). */
const REASONING_LEVEL = /^[ \t]*reasoning(?:[ \t]+(?:effort|level))?[ \t]*[:=][ \t]*(?:high|medium|low|max|min|minimal|none)[ \t]*(?:[.,;]|\r?\n)[ \t\r\n]*/i;

/**
 * The stems of CUE_CORE's words: a first clause that holds none is no cue (it must hold one), and
 * is not split into words (~1 us a call on 2 KB here).
 */
const CUE_HINT = /think|reason|thorough|careful|effort|step|time|deep|hard|difficult|tricky|tough|easy|simple|thought|piens|piéns|pensar|razona|paso|tiempo|calma|fácil|difícil|denk|nachzudenken|überleg|gründlich|schritt|zeit|schwer|schwierig|réfléch|étape|temps|facile|difficile|подума|думай|размышл|рассужд|шаг|тщательн|сложн|прост|pense|pensa|reflit|passo|riflett/i;

// The hint must hold every core word, or a cue would be missed: checked where the module loads.
for (const w of CUE_CORE) if (!CUE_HINT.test(w)) throw new Error(`effort: CUE_HINT misses the cue word "${w}"`);

/** The marks that end a clause (CLAUSE_END's), and the blanks between words. */
const isClauseMark = (c: number) =>
  c === 0x3a || c === 0x2c || c === 0x2e || c === 0x21 || c === 0x3b || c === 0xff1a || c === 0xff0c || c === 0x3002 || c === 0xff01;
const isBlank = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
/** The longest cue word: a first word longer than it (and two quotes) is none. */
const LONGEST_CUE_WORD = Math.max(...[...CUE_WORDS].map((w) => w.length));

/** A clause's end: a mark, a dash between spaces, or a line break. */
const CLAUSE_END = /[:：,，.。!！;]|[ \t][-—–][ \t]|\r?\n/g;

export interface EffortCue {
  /** The turn without its cue (the turn itself where it has none, or where nothing would be left). */
  text: string;
  /** Whether a cue that asks to think more was set apart (not "/no_think", "don't overthink", "Reasoning: low"). */
  asksMore: boolean;
}

/** Words that turn a cue down ("no need to", "don't", "/no_think", "sin pensarlo", "不用想太多", a low reasoning level). */
const DOWN_CUE = /(?<![\p{L}\p{N}_])(?:no|not|don't|dont|skip|without|low|minimal|min|none|sin|ohne|sans|pas|без|не|sem|senza|no_think)(?![\p{L}\p{N}_])|不用|别|不要|考えすぎない/u;

const OPENING_QUOTES = '"\'“«(';
const CLOSING_QUOTES = '"\'”»)';

/** A word without the quotes and parentheses around it. */
function unquoted(w: string): string {
  let a = 0;
  let b = w.length;
  while (a < b && OPENING_QUOTES.includes(w[a]!)) a++;
  while (b > a && CLOSING_QUOTES.includes(w[b - 1]!)) b--;
  return w.slice(a, b);
}

/** The words of a clause, lower case, with plain apostrophes and no quotes around them. */
function clauseWords(clause: string): string[] {
  return clause
    .toLowerCase()
    .replaceAll('’', "'")
    .split(/[ \t]+/)
    .map(unquoted)
    .filter((w) => w !== '');
}

/**
 * Whether a clause is a cue: every word a cue word, and (the first clause of a cue, of two words
 * or more) one a word of thinking, effort or difficulty; a later one may be only the words around
 * them ("Don't think, just answer:").
 */
function isCueClause(clause: string, first: boolean): boolean {
  const ws = clauseWords(clause);
  // A first clause of one word is a label ("Reasoning: the cache is cold …", "Time: …").
  return ws.length > (first ? 1 : 0) && ws.length <= 16 && ws.every((w) => CUE_WORDS.has(w)) && (!first || ws.some((w) => CUE_CORE.has(w)));
}

/** Where a turn's ask starts after its cue: 0 where it opens with none. */
function cueEnd(turn: string): number {
  const head = turn.length > CUE_SCAN ? turn.slice(0, CUE_SCAN) : turn;
  let a = 0;
  while (a < head.length && isBlank(head.charCodeAt(a))) a++;
  // The forms each open with their own character or word: a soft switch with "/", a Chinese or
  // Japanese cue above U+3000, a reasoning level with "reasoning".
  const first = head.charCodeAt(a);
  if (first === 0x2f) return SWITCH_AT_START.exec(head)?.[0].length ?? 0;
  if (first >= 0x3000) return CJK_CUE.exec(head)?.[0].length ?? 0;
  // A cue's first word is a cue word: most asks stop here ("We need to …", "Design …"), read by
  // character codes (a first word read as a string cost ~1.4 us a call on 2 KB of marks here).
  let b = a;
  const stop = Math.min(head.length, a + LONGEST_CUE_WORD + 3);
  while (b < stop && !isBlank(head.charCodeAt(b)) && !isClauseMark(head.charCodeAt(b))) b++;
  if (b - a > LONGEST_CUE_WORD + 2) return 0;
  let word = head.slice(a, b).toLowerCase();
  if (word.startsWith('reasoning')) {
    const level = REASONING_LEVEL.exec(head);
    if (level !== null) return level[0].length;
  }
  if (word.includes('’')) word = word.replaceAll('’', "'");
  if (!CUE_WORDS.has(unquoted(word))) return 0;
  let end = 0;
  let at = 0;
  CLAUSE_END.lastIndex = 0;
  for (let n = 0; n < CUE_CLAUSES; n++) {
    const m = CLAUSE_END.exec(head);
    if (m === null) break;
    const clause = head.slice(at, m.index);
    if ((n === 0 && !CUE_HINT.test(clause)) || !isCueClause(clause, n === 0)) break;
    at = m.index + m[0].length;
    while (at < head.length && /\s/.test(head[at]!)) at++;
    end = at;
    CLAUSE_END.lastIndex = at;
  }
  return end;
}

/**
 * The turn without a cue of how long to think at its start (and a soft switch at its end), and
 * whether there was one. Where nothing would be left ("Think step by step."), the turn itself.
 */
export function withoutEffortCue(turn: string): EffortCue {
  const tailAt = switchAtEnd(turn);
  let text = tailAt < 0 ? turn : turn.slice(0, tailAt);
  const end = cueEnd(text);
  if (end === 0 && tailAt < 0) return { text: turn, asksMore: false };
  const cue = `${text.slice(0, end)} ${tailAt < 0 ? '' : turn.slice(tailAt)}`.toLowerCase().replaceAll('’', "'");
  if (end > 0) text = text.slice(end);
  if (text === turn || text.trim() === '') return { text: turn, asksMore: false };
  return { text, asksMore: !DOWN_CUE.test(cue) };
}
