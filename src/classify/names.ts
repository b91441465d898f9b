/**
 * Hard words that are names (session 67, probe set 161): a command, a setting or a product whose
 * name is one of the rules' verbs. "what does kubectl explain do?", "how do I turn on debug
 * logging in nginx?", "what is Jetpack Compose?" and "what is the Perl prove command for?" are
 * lookups; before this they read as an explanation, a debugging task, a piece of writing and a
 * proof. The classifier reads such a name as the plain name it is (rewriting its lexical form)
 * before the rules read the ask. Pure; tables built once at load.
 *
 * Two kinds are read:
 * - phrases that are always a name (COMMAND_NAMES, lexicon.ts): "kubectl explain", "terraform
 *   plan", "docker compose", "debug mode", "proof of stake", "EXPLAIN ANALYZE" in any case;
 * - an SQL command written in capitals (EXPLAIN, ANALYZE, OPTIMIZE) in an ask that is not all
 *   capitals, where a word beside it is in capitals too or the ask names a database or a query
 *   ("через EXPLAIN в MySQL", "OPTIMIZE TABLE", "EXPLAIN (ANALYZE, BUFFERS)"). "EXPLAIN how TCP works" stays an ask to explain.
 */

import { COMMAND_NAMES, NAMED_COMMANDS, SQL_COMMAND_WORDS } from './lexicon.js';
import { expandTerm, type LexiconScan } from './wordlex.js';

/** A name's literal (as COMMAND_NAMES matches it) → the words it is read as. */
const PLAIN = new Map<string, string>();
for (const [term, plain] of NAMED_COMMANDS) {
  const literals = expandTerm(term);
  if (literals === null) throw new Error(`names: ${term} must be a finite pattern`);
  for (const literal of literals) {
    const words = literal.split(/[^\p{L}\p{N}]+/u);
    const firstWord = words[0]!;
    const lastWord = words[words.length - 1]!;
    // "verbose $1" reads "debug logging" as "verbose logging".
    PLAIN.set(literal, plain.replace('$0', firstWord).replace('$1', lastWord));
  }
}

/** The words the name read as (tests): undefined for a literal that is no name. */
export const plainNameOf = (literal: string): string | undefined => PLAIN.get(literal);

/** What after an SQL command in capitals makes it one ("EXPLAIN ANALYZE", "OPTIMIZE TABLE", "EXPLAIN (…"): a word in capitals, or '('. */
const CAPITAL_WORD_AFTER = /^[ ,]*(?:\(|[A-Z]{2,}\b)/;

const isCapital = (c: number): boolean => c >= 65 && c <= 90;

/** Whether what stands before `at` makes an SQL command in capitals one ("EXPLAIN (ANALYZE, …"): a word of two or more capitals, then spaces and at most one '('. */
function capitalWordBefore(written: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && written.charCodeAt(i) === 32) i--;
  if (i >= 0 && written.charCodeAt(i) === 40) i--;
  while (i >= 0 && written.charCodeAt(i) === 32) i--;
  let capitals = 0;
  // (At most 24 read: a longer run of capitals is a word in capitals too.)
  for (; i >= 0 && capitals < 24 && isCapital(written.charCodeAt(i)); i--) capitals++;
  // The word starts there: nothing before it, no letter or digit, or past the 24.
  return capitals >= 2 && (i < 0 || capitals === 24 || !/[\p{L}\p{N}]/u.test(written[i]!));
}

/** A database, a query or a table named in the ask (lower case, as the lexical form is). */
const DATABASE_NAMED = /sql|postgres|mariadb|oracle|sqlite|clickhouse|snowflake|bigquery|redshift|duckdb|\bquer(?:y|ies)\b|\btables?\b|запрос|consulta|abfrage|requête|查询|クエリ|쿼리/;
/** A letter with a case that is lower case, or a unit of a script with no case: the ask is not written in capitals. */
const NOT_ALL_CAPITALS = /\p{Ll}|[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/u;

/**
 * The lexical form lex with each name read as its plain words, or lex itself where it has none.
 * scan is lex's lexicon scan; written is the ask as written (lex is its lexical form), for the
 * capitals of an SQL command: read only where the two have one length (they nearly always do;
 * where lower-casing or astral characters changed it, SQL commands are read as words).
 */
export function withPlainNames(lex: string, scan: LexiconScan, written: string): string {
  const named = COMMAND_NAMES.test(scan);
  const sql = SQL_COMMAND_WORDS.test(scan) && written.length === lex.length;
  if (!named && !sql) return lex;
  // [position, length, plain] of each name, in text order.
  const edits: Array<readonly [number, number, string]> = [];
  const names = named ? COMMAND_NAMES.places(scan) : [];
  for (let k = 0; k < names.length; k += 3) {
    const at = names[k]!;
    const length = names[k + 2]!;
    // At one place, the first term's (places() orders them so); a place inside the last edit is not another name.
    const last = edits[edits.length - 1];
    if (last !== undefined && at < last[0] + last[1]) continue;
    const plain = PLAIN.get(lex.slice(at, at + length));
    if (plain !== undefined) edits.push([at, length, plain]);
  }
  if (sql) {
    const words = SQL_COMMAND_WORDS.places(scan);
    // Read once, where a word in capitals asks (most asks with these words write them in lower case).
    let database: boolean | undefined;
    let capitals: boolean | undefined;
    for (let k = 0; k < words.length; k += 3) {
      const at = words[k]!;
      const length = words[k + 2]!;
      // Most are written in lower case: one character says so, with nothing made.
      if (!isCapital(written.charCodeAt(at))) continue;
      if (edits.some(([from, len]) => at < from + len && from < at + length)) continue;
      const word = written.slice(at, at + length);
      if (word !== word.toUpperCase() || (capitals ??= !NOT_ALL_CAPITALS.test(written))) continue;
      const command = CAPITAL_WORD_AFTER.test(written.slice(at + length, at + length + 24)) || capitalWordBefore(written, at);
      if (command || (database ??= DATABASE_NAMED.test(lex))) edits.push([at, length, 'sql']);
    }
    edits.sort((a, b) => a[0] - b[0]);
  }
  if (edits.length === 0) return lex;
  let out = '';
  let from = 0;
  for (const [at, length, plain] of edits) {
    out += lex.slice(from, at) + plain;
    from = at + length;
  }
  return out + lex.slice(from);
}
