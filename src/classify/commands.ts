/**
 * Instructions and agent commands: whether an ask opens with an instruction's verb, and whether
 * a short turn is one operation for a tool-using agent ("isolate host db-07"). Pure.
 */

import { approxWords } from './text.js';

/**
 * Verbs that open an instruction, in the covered languages: an ask that opens with one is asked
 * for, not reported, whatever symptom it names ("Replace the retry loop ... with backoff and
 * jitter"). The verbs the ask lexicons know ("design", "fix", "explain") give an ask a family of
 * its own and never reach the rule this serves.
 */
const INSTRUCTION_VERBS = new Set([
  'replace', 'build', 'add', 'make', 'remove', 'create', 'move', 'rename', 'convert', 'put', 'migrate', 'rotate', 'enable', 'disable', 'configure', 'install',
  'upgrade', 'downgrade', 'deploy', 'rerun', 'delete', 'give', 'show', 'find', 'send', 'restart', 'tell', 'let', 'keep', 'bring', 'generate', 'wrap',
  'extract', 'increase', 'reduce', 'please', 'can', 'could', 'would', 'will',
  // Asked to write or automate something that runs on a schedule ("Write a cron job that restarts
  // the worker every night"): a thing to write, not a failure that recurs.
  'write', 'draft', 'implement', 'automate', 'schedule', 'escribe', 'implementa', 'schreib', 'schreibe', 'implementiere', 'écris', 'écrivez', 'напиши', 'напишите',
  'reemplaza', 'construye', 'añade', 'agrega', 'crea', 'cambia', 'mueve', 'usa', 'elimina', 'configura', 'instala', 'actualiza',
  'ersetze', 'baue', 'füge', 'erstelle', 'ändere', 'verschiebe', 'nutze', 'verwende', 'entferne', 'lösche', 'konfiguriere', 'installiere', 'aktualisiere',
  'remplace', 'remplacez', 'construis', 'construisez', 'ajoute', 'ajoutez', 'crée', 'créez', 'changez', 'déplace', 'déplacez', 'utilise', 'utilisez', 'supprime', 'supprimez',
  'замени', 'замените', 'построй', 'постройте', 'добавь', 'добавьте', 'создай', 'создайте', 'измени', 'измените', 'удали', 'удалите', 'перенеси', 'перенесите', 'настрой', 'настройте',
]);
/**
 * English words that are verbs and nouns both ("Log volume grows ...", "Change failure rate
 * doubled ..."): an instruction only when an object's determiner follows ("Change the ...").
 */
const VERB_OR_NOUN = new Set([
  'use', 'change', 'update', 'set', 'switch', 'run', 'scale', 'drop', 'turn', 'get', 'list', 'check', 'open', 'close', 'start', 'stop', 'help', 'take',
  'port', 'split', 'merge', 'limit', 'cap', 'lower', 'raise', 'retry', 'handle', 'log', 'print', 'return',
]);
const OBJECT_DETERMINERS = new Set(['the', 'a', 'an', 'our', 'my', 'this', 'that', 'these', 'those', 'it', 'them', 'all', 'every', 'each', 'its', 'their', 'your', 'some']);
const FIRST_TWO_TOKENS = /^[\s"'“‘«„(¿¡]*([\p{L}\p{N}][\p{L}\p{N}_'’-]*)(?:\s+([\p{L}]+))?/u;

/**
 * Verbs of one operation an agent's tool carries out ("isolate host db-07", "ack incident 4412",
 * "scale payments to 6 replicas"), besides INSTRUCTION_VERBS and VERB_OR_NOUN: such a command,
 * short, to a tool-using agent, is one tool call (agentCommand).
 */
const AGENT_COMMAND_VERBS = new Set([
  ...INSTRUCTION_VERBS, ...VERB_OR_NOUN,
  'isolate', 'ack', 'acknowledge', 'block', 'unblock', 'cancel', 'pause', 'resume', 'revert', 'rollback', 'approve', 'reopen', 'assign', 'mute', 'silence', 'reset',
  'bump', 'kill', 'drain', 'cordon', 'uncordon', 'tag', 'label', 'book', 'reserve', 'refund', 'archive', 'promote', 'purge', 'flush', 'revoke', 'grant', 'invite', 'ban',
  'suspend', 'reschedule', 'freeze', 'unfreeze', 'dispute', 'dim', 'lock', 'unlock', 'setze', 'cancela', 'reinicia', 'borra', 'bloquea', 'muestra', 'reembolsa', 'lösche', 'starte', 'stoppe', 'sperre', 'zeige', 'storniere',
  'annule', 'annulez', 'supprime', 'bloque', 'redémarre', 'affiche', 'rembourse', 'перезапусти', 'удали', 'покажи', 'заблокируй', 'отмени', 'останови',
  // Session 59 (set 81): Portuguese, Italian, Polish and Dutch.
  'marque', 'agende', 'cancele', 'mostre', 'envie', 'reinicie', 'apague', 'prenota', 'annulla', 'cancella', 'mostra', 'invia', 'riavvia', 'fissa',
  'zarezerwuj', 'anuluj', 'pokaż', 'wyślij', 'usuń', 'boek', 'annuleer', 'toon', 'stuur', 'verwijder', 'herstart',
]);
/** A Japanese request ending ("…してください") or a Chinese one-operation form ("把 X 改成 Y"). */
const CJK_COMMAND = /(?:して(?:ください|下さい|くれ)|しといて)[。！!]?\s*$|^\s*(?:请)?把/u;

/** A short command to a tool-using agent: one operation (at most eight words opening with its verb, or 30 characters of a Japanese or Chinese command form). */
export function agentCommand(text: string): boolean {
  const head = text.length > 120 ? text.slice(0, 120) : text;
  // approxWords counts a word per Chinese or Japanese character: such a command is short in characters.
  if (head.trim().length <= 30 && CJK_COMMAND.test(head)) return true;
  if (approxWords(head) > 8) return false;
  const m = FIRST_TWO_TOKENS.exec(head);
  return m !== null && AGENT_COMMAND_VERBS.has(m[1]!.toLowerCase());
}

/** Whether an ask opens with an instruction's verb (INSTRUCTION_VERBS, or VERB_OR_NOUN before a determiner). */
export function opensWithInstruction(askRaw: string): boolean {
  const m = FIRST_TWO_TOKENS.exec(askRaw.length > 80 ? askRaw.slice(0, 80) : askRaw);
  if (m === null) return false;
  const first = m[1]!.toLowerCase();
  return INSTRUCTION_VERBS.has(first) || (VERB_OR_NOUN.has(first) && m[2] !== undefined && OBJECT_DETERMINERS.has(m[2].toLowerCase()));
}
