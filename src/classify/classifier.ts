import { TIER_NAMES, type TierName } from '../config/schema.js';
import { messageText, splitAsk, textShape, type ChatMessageLike } from './text.js';

export interface Classification {
  tier: TierName;
  /** Continuous difficulty score; tier thresholds cut it into five bands. */
  score: number;
  /** 0..1: how far the score sits from the nearest tier boundary. */
  confidence: number;
  /** The decision in plain words, strongest first. */
  signals: string[];
}

/** Score at which each tier starts (trivial starts at -infinity). */
const THRESHOLDS: readonly number[] = [1.0, 2.6, 4.4, 6.4];

// Everything is matched on whole words (\b or script-aware lookarounds), never substrings:
// "recover" is not "cover", "designer" is not "design".
const B = '(?<![\\p{L}\\p{N}])';
const E = '(?![\\p{L}\\p{N}])';
function words(list: string): RegExp {
  return new RegExp(`${B}(?:${list})${E}`, 'iu');
}
function wordsGlobal(list: string): RegExp {
  return new RegExp(`${B}(?:${list})${E}`, 'giu');
}

/** Greetings, thanks and acknowledgements, in the languages we cover. */
const SMALL_TALK = new RegExp(
  `^(?:${[
    'hi', 'hello', 'hey', 'yo', 'hiya', 'howdy', 'good (?:morning|afternoon|evening|night)', 'thanks?(?: you)?(?: (?:so|very) much)?',
    'thx', 'ty', 'ok(?:ay)?', 'k', 'cool', 'great', 'nice', 'perfect', 'awesome', 'got it', 'sure', 'yes', 'no', 'yep', 'nope',
    'bye', 'goodbye', 'see you', 'cheers', 'lol', 'sounds good', 'makes sense', 'understood', 'how are you(?: doing)?',
    "what'?s up", 'hola', 'gracias', 'buenos d[ií]as', 'adi[oó]s', 'vale', 'hallo', 'danke(?: sch[öo]n)?', 'tsch[üu]ss',
    'guten (?:tag|morgen|abend)', 'bonjour', 'salut', 'merci(?: beaucoup)?', 'au revoir', "d'accord", 'привет',
    'спасибо', 'пока', 'здравствуйте', 'хорошо', 'ладно', 'ciao', 'grazie', 'olá', 'obrigad[oa]',
    '你好', '谢谢', '再见', '好的', 'こんにちは', 'ありがとう(?:ございます)?', 'おはよう(?:ございます)?', 'さようなら', '안녕하세요', '감사합니다',
  ].join('|')})(?:[\\s,.!?！。？~]+(?:${['there', 'so much', 'a lot', 'again', 'man', 'mate', 'friend', 'everyone', 'all', 'bot', 'assistant', 'very much', 'much'].join('|')}))*[\\s,.!?！。？~:)😀🙂👍]*$`,
  'iu',
);

/** Ask families, with the difficulty each implies. Several languages per family. */
const DEEP_ASK = words(
  [
    'prove', 'proof', 'derive', 'derivation', 'rigorous(?:ly)?', 'formally verify', 'from first principles', 'from scratch',
    'demonstrate that', 'show that', 'theorem', 'lemma', 'research (?:plan|proposal)', 'novel algorithm',
    'demuestra', 'demostrar?', 'demostración', 'beweise', 'beweis', 'herleiten', 'démontrer', 'démontrez', 'démonstration',
    'prouver', 'докажите', 'докажи', 'доказательство', 'выведите', '证明', '推导', '証明', '導出',
  ].join('|'),
);
const COMPLEX_ASK = words(
  [
    'design', 'architect(?:ure)?', 'debug', 'diagnose', 'optimi[sz]e', 'refactor', 'implement', 'race condition', 'deadlock',
    'memory leak', 'root cause', 'trade-?offs?', 'scalab(?:le|ility)', 'distributed', 'concurren(?:t|cy)', 'time complexity',
    'space complexity', 'big-?o', 'analy[sz]e', 'evaluate', 'migration plan', 'threat model', 'strategy', 'simulate',
    'diseña', 'diseñar', 'depura', 'optimiza', 'implementa', 'analiza', 'entwirf', 'entwerfen', 'optimiere', 'implementiere',
    'analysiere', 'concevoir', 'concevez', 'optimiser', 'implémenter', 'analyser', 'analysez', 'спроектируй', 'спроектируйте',
    'оптимизируй', 'реализуй', 'реализуйте', 'проанализируй', 'проанализируйте', '设计', '优化', '调试', '实现', '分析',
    '設計', '最適化', 'デバッグ', '実装', '分析して',
  ].join('|'),
);
const MODERATE_ASK = words(
  [
    'compare', 'comparison', 'contrast', 'explain (?:why|how)', 'why does', 'why do', 'why is', 'how does', 'how do',
    'difference between', 'differences between', 'pros and cons', 'advantages', 'disadvantages', 'write (?:a|an|the) (?:function|script|program|class|query|test|regex)',
    'solve', 'calculate', 'compute', 'estimate', 'plan', 'outline', 'review', 'critique', 'fix', 'troubleshoot',
    'walk me through', 'step[- ]by[- ]step', 'in detail', 'when should', 'should i',
    'compara', 'explica (?:por qué|cómo)', 'diferencia entre', 'ventajas', 'resuelve', 'calcula', 'vergleiche', 'erkläre (?:warum|wie)',
    'unterschied zwischen', 'vorteile', 'löse', 'berechne', 'comparez', 'comparer', 'expliquez (?:pourquoi|comment)',
    'explique (?:pourquoi|comment)', 'différence entre', 'avantages', 'résoudre', 'résous', 'calculez', 'сравни', 'сравните',
    'объясни (?:почему|как)', 'объясните (?:почему|как)', 'разница между', 'преимущества', 'реши', 'решите', 'вычисли',
    '比较', '为什么', '如何', '区别', '优缺点', '解释', '比較', 'なぜ', 'どうして', '違い', '解いて', '計算して',
  ].join('|'),
);
const SIMPLE_ASK = words(
  [
    'what is', "what's", 'what are', 'who is', 'who was', 'when (?:is|was|did)', 'where is', 'define', 'definition of',
    'convert', 'translate', 'summari[sz]e', 'tl;?dr', 'list', 'name', 'spell', 'rephrase', 'reword', 'fix the typo',
    'capital of', 'how many', 'how much', 'meaning of', 'synonym', 'qué es', 'quién es', 'traduce', 'resume', 'resumir', 'was ist',
    'wer ist', 'übersetze', 'fasse', 'zusammen', "qu'est-ce que", 'qui est', 'traduis', 'traduisez', 'résume', 'résumez',
    'что такое', 'кто такой', 'переведи', 'переведите', 'кратко', '什么是', '是什么', '翻译', '总结', 'とは', '翻訳', '要約',
  ].join('|'),
);
/** Asks that want a long artefact: more thinking even without hard keywords. */
const MULTI_STEP = wordsGlobal(
  [
    'step by step', 'then', 'after that', 'finally', 'first', 'second', 'third', 'also', 'additionally', 'for each',
    'and explain', 'and show', 'including', 'cover', 'walk through', 'luego', 'después', 'dann', 'danach', 'ensuite', 'puis',
    'затем', 'потом', '然后', '接着', 'それから', '次に',
  ].join('|'),
);
const CONSTRAINT = wordsGlobal(
  [
    'must', 'should', 'without', 'at least', 'at most', 'no more than', 'ensure', 'guarantee', 'handle', 'support', 'supports',
    'requirement', 'constraint', 'edge cases?', 'o\\(n(?: log n)?\\)', 'in-place', 'thread-safe', 'idempotent', 'exactly-once',
    'at-least-once', 'debe', 'sin', 'muss', 'ohne', 'doit', 'sans', 'должен', 'без', '必须', '不能', '必要',
  ].join('|'),
);
const BREVITY = words(
  ['briefly', 'in one (?:sentence|word|line)', 'one-liner', 'short answer', 'just (?:the|a) (?:answer|number|name)', 'yes or no', 'tl;?dr', 'brevemente', 'kurz', 'en une phrase', 'кратко', '简单说', '一言で'].join('|'),
);
// Real math notation, not every '-' or '/': LaTeX, operators between symbols, powers, named objects.
const MATH_NOTATION = /\\(?:frac|int|sum|prod|sqrt|lim|infty|mathbb|forall|exists|partial)|[∑∫∏√∞∀∃∂≤≥≠≈∈⊂]|\b[a-z]\s*\^\s*\d|\b\d*[a-z]\s*[+\-*/]\s*\d*[a-z]\b\s*=|\b[a-z]\(\s*[a-z]\s*\)\s*=|\bmod\s+\d/iu;
const MATH_WORDS = words(
  [
    'integral', 'derivative', 'eigen(?:value|vector)s?', 'matrix', 'matrices', 'polynomial', 'prime', 'primes', 'probability',
    'expected value', 'variance', 'converge(?:s|nce)?', 'series', 'limit', 'equation', 'inequality', 'induction', 'modulo',
    'combinatorics?', 'permutations?', 'bayes', 'gradient', 'integer', 'integers', 'rational', 'irrational', 'infinitely many',
    'integral', 'ecuación', 'gleichung', 'équation', 'уравнение', 'интеграл', '方程', '积分', '方程式', '積分',
  ].join('|'),
);
const SIMPLE_ARITH = /^[\s\d+\-*/×÷().=?^%]+$|^(?:what is|what's|calculate|compute)\s+[\d\s+\-*/×÷().^%]+\??$/iu;
const SYSTEM_RIGOUR = words('expert|rigorous|think carefully|careful reasoning|research|mathematician|proof|olympiad|senior engineer');
const SYSTEM_BRIEF = words('concise|brief|short answers?|one sentence|casual|friendly chat|small talk');

const MAX_SCAN = 64 * 1024; // characters examined from each side of a huge message (bounded time)
const CONTEXT_TURNS = 6;

function clip(text: string): string {
  if (text.length <= MAX_SCAN * 2) return text;
  return text.slice(0, MAX_SCAN) + '\n' + text.slice(text.length - MAX_SCAN);
}

function countMatches(re: RegExp, text: string, cap: number): number {
  re.lastIndex = 0;
  const seen = new Set<string>();
  for (let m = re.exec(text); m && seen.size < cap; m = re.exec(text)) seen.add(m[0].toLowerCase());
  // Distinct matches only: repeating a keyword buys nothing.
  return seen.size;
}

interface TurnScore {
  score: number;
  signals: string[];
  smallTalk: boolean;
  short: boolean;
}

/** Score one user turn on its own. */
function scoreTurn(raw: string): TurnScore {
  const text = clip(raw);
  const trimmed = text.trim();
  const signals: string[] = [];
  if (trimmed.length === 0) return { score: 0, signals: ['empty message'], smallTalk: true, short: true };
  if (trimmed.length <= 60 && SMALL_TALK.test(trimmed)) {
    return { score: 0, signals: ['greeting or acknowledgement'], smallTalk: true, short: true };
  }

  const { ask, code, material } = splitAsk(text);
  const askShape = textShape(ask);
  const codeLines = code ? code.split('\n').filter((l) => l.trim()).length : 0;
  const materialShape = material ? textShape(material) : null;

  let score = 1.2; // a real question
  // Length of the ask itself: log-scaled on distinct words so padding buys little.
  const substance = Math.min(askShape.words, askShape.distinct * 1.5);
  if (substance > 8) score += Math.min(1.6, Math.log2(substance / 8) * 0.55);
  if (substance <= 4) score -= 0.3;

  if (SIMPLE_ARITH.test(trimmed)) {
    signals.push('plain arithmetic');
    return { score: 1.3, signals, smallTalk: false, short: true };
  }

  // Ask families: the strongest one sets the base, weaker ones add a little.
  const deep = DEEP_ASK.test(ask);
  const complex = COMPLEX_ASK.test(ask);
  const moderate = MODERATE_ASK.test(ask);
  const simple = SIMPLE_ASK.test(ask);
  if (deep) {
    score += 3.6;
    signals.push('asks for a proof or derivation');
  }
  if (complex) {
    score += deep ? 0.6 : 2.5;
    signals.push('asks to design, debug, optimise or analyse');
  }
  if (moderate) {
    score += deep || complex ? 0.3 : 1.3;
    signals.push('asks to compare, explain or solve');
  }
  if (simple && !deep && !complex && !moderate) {
    score -= 0.2;
    signals.push('asks a lookup, definition or conversion');
  }

  const steps = countMatches(MULTI_STEP, ask, 8);
  const constraints = countMatches(CONSTRAINT, ask, 10);
  let enumerated = 0;
  for (const line of ask.split('\n')) if (/^\s*(?:[-*•]|\d+[.)])\s+\S/u.test(line)) enumerated++;
  const listItems = (ask.match(/,/g)?.length ?? 0) + (ask.match(/、|，/g)?.length ?? 0);
  const requirementLoad = steps + constraints + Math.min(enumerated, 8) * 0.7 + Math.min(listItems, 12) * 0.12;
  if (requirementLoad > 0) {
    score += Math.min(2.0, requirementLoad * 0.3);
    if (requirementLoad >= 3) signals.push(`${Math.round(requirementLoad)} steps, constraints or requirements`);
  }
  if (askShape.questionMarks >= 2) {
    score += Math.min(0.8, (askShape.questionMarks - 1) * 0.3);
    signals.push(`${askShape.questionMarks} questions`);
  }

  const math = MATH_NOTATION.test(ask) || MATH_NOTATION.test(code);
  const mathWords = countMatches(new RegExp(MATH_WORDS.source, 'giu'), ask, 5);
  if (math || mathWords > 0) {
    score += (math ? 0.7 : 0) + Math.min(1.0, mathWords * 0.4);
    signals.push(math ? 'mathematical notation' : 'mathematical subject');
  }

  if (codeLines > 0) {
    // Code matters through what is asked about it.
    const codeWeight = Math.min(1.4, 0.35 + Math.log2(1 + codeLines) * 0.2);
    score += complex || deep ? codeWeight : codeWeight * 0.6;
    signals.push(`${codeLines} lines of code`);
  }
  if (materialShape) {
    // Pasted material: the work grows slowly with its size; the ask decides the tier.
    score += Math.min(0.8, Math.log2(1 + materialShape.words / 200) * 0.3);
    signals.push(`${materialShape.words} words of pasted material`);
  }
  if (BREVITY.test(ask)) {
    score -= 0.8;
    signals.push('asks for a brief answer');
  }
  return { score, signals, smallTalk: false, short: substance <= 6 && codeLines === 0 };
}

function tierIndex(score: number): number {
  let i = 0;
  while (i < THRESHOLDS.length && score >= THRESHOLDS[i]!) i++;
  return i;
}

/**
 * Classify a whole chat request: the last user turn read in the context of the conversation
 * (earlier user turns, system prompt). Pure and deterministic.
 */
export function classifyMessages(messages: readonly ChatMessageLike[]): Classification {
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') {
      lastUser = i;
      break;
    }
  }
  if (lastUser < 0) {
    // No user turn (e.g. a continuation of an assistant prefill): judge the last message.
    lastUser = messages.length - 1;
  }
  if (lastUser < 0) return { tier: 'trivial', score: 0, confidence: 1, signals: ['no messages'] };

  const current = scoreTurn(messageText(messages[lastUser]!));
  let score = current.score;
  const signals = [...current.signals];

  // Conversation context: a short follow-up ("and for n = 5?", "why?") inherits most of the
  // difficulty of the conversation; a closing "ok thanks" stays trivial.
  if (!current.smallTalk && current.short) {
    let prior = -Infinity;
    let seen = 0;
    for (let i = lastUser - 1; i >= 0 && seen < CONTEXT_TURNS; i--) {
      const m = messages[i]!;
      if (m.role !== 'user') continue;
      seen++;
      prior = Math.max(prior, scoreTurn(messageText(m)).score);
    }
    if (prior > score) {
      score = Math.max(score, prior - 1.0);
      signals.push('follow-up in a harder conversation');
    }
  }

  if (!current.smallTalk) {
    for (const m of messages) {
      if (m.role !== 'system' && m.role !== 'developer') continue;
      const sys = messageText(m).slice(0, 4000);
      if (SYSTEM_RIGOUR.test(sys)) {
        score += 0.5;
        signals.push('system prompt asks for rigour');
      } else if (SYSTEM_BRIEF.test(sys)) {
        score -= 0.5;
        signals.push('system prompt asks for brevity');
      }
      break;
    }
  }

  const idx = tierIndex(score);
  const lower = idx === 0 ? -Infinity : THRESHOLDS[idx - 1]!;
  const upper = idx === THRESHOLDS.length ? Infinity : THRESHOLDS[idx]!;
  const margin = Math.min(score - lower, upper - score);
  const confidence = Number.isFinite(margin) ? Math.max(0, Math.min(1, margin / 0.9)) : 1;
  if (signals.length === 0) signals.push('short general question');
  return { tier: TIER_NAMES[idx]!, score: Math.round(score * 100) / 100, confidence: Math.round(confidence * 100) / 100, signals };
}

/** Convenience for a single prompt. */
export function classifyText(text: string): Classification {
  return classifyMessages([{ role: 'user', content: text }]);
}
