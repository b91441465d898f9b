import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FALLBACK_SIGNAL_PREFIX, SECOND_OPINION_SIGNALS, UNREAD_SIGNAL, classifyMessages, classifyText, germanHowToVerb, isTypoDiff } from '../../src/classify/classifier.js';
import { UNREAD_PRIOR, unreadAbove, unreadTier } from '../../src/classify/wordmodel.js';
import { ARITHMETIC_STEP, POWER_QUESTION, numericRanges, powerQuestionIn } from '../../src/classify/numbers.js';
import { fewShotAsk, givenPassage, groundedAsk, templatedAsk } from '../../src/classify/given.js';
import { isSmallTalk, withoutSocialEdges } from '../../src/classify/social.js';
import { COMPLEX_ASK, DEEP_ASK, DIAGNOSE_ASK, MATH_NOTATION, MATH_WORDS, mathNotationIn, MODERATE_ASK, TECH_CONTEXT, WH_LOOKUP } from '../../src/classify/lexicon.js';
import { readLexicons, type WordLexicon } from '../../src/classify/wordlex.js';
import { TIER_NAMES } from '../../src/config/schema.js';
import { astralToBmp, technicalMarks, textShape, withCommonMarks, withCommonMarksAtEnds } from '../../src/classify/text.js';
import { resolveThinkingBudget } from '../../src/budget/thinking.js';
import { validateConfig } from '../../src/config/load.js';
import { packageRoot } from '../../src/paths.js';
import { within } from '../harness/bounded.js';
import { scratchDir } from '../harness/scratch.js';

const idx = (t: string) => TIER_NAMES.indexOf(t as (typeof TIER_NAMES)[number]);
/** The rules' reading of one user turn at the default cost, without the word model. */
const rules = (q: string) => classifyMessages([{ role: 'user', content: q }], 3, false);
const FILLER = 'so um basically you know I mean like honestly well right actually';

describe('classifier', () => {
  it('is deterministic and explains itself', () => {
    const a = classifyText('Design a rate limiter for an API served by 10 replicas and explain the failure modes');
    const b = classifyText('Design a rate limiter for an API served by 10 replicas and explain the failure modes');
    expect(a).toEqual(b);
    expect(a.tier).toBe('complex');
    expect(a.signals.join(' ')).toMatch(/design/);
    expect(a.confidence).toBeGreaterThanOrEqual(0);
    expect(a.confidence).toBeLessThanOrEqual(1);
  });

  it('separates the ask from the material: a long email with "summarize this" is not deep', () => {
    const email = Array.from({ length: 300 }, (_, i) => `Paragraph ${i}: the vendor contract was reviewed and the migration plan was discussed with the distributed team.`).join(' ');
    const c = classifyText(`Summarize this email in one sentence:\n\n${email}`);
    expect(['simple', 'moderate']).toContain(c.tier);
  });

  it('reads math as math, not every hyphen or slash', () => {
    expect(idx(classifyText('Convert 2024-03-15 to the format 15/03/2024').tier)).toBeLessThanOrEqual(idx('simple'));
    expect(classifyText('Evaluate ∫ x^2 e^x dx and verify the result by differentiation').signals.join(' ')).toMatch(/mathematical notation/);
  });

  it('names what a long list adds: its commas, not "0 requirements"', () => {
    const c = classifyText('Compare apples, pears, plums, figs, dates, limes, kiwis, mangos, grapes, cherries and melons.');
    expect(c.signals).toContain('a list (9 commas or semicolons)');
    expect(c.signals.join(' ')).not.toMatch(/\b0 requirements/);
    expect(classifyText('Design a cache with TTL, write-through, and eviction; it must handle 10 rps and 5 ms reads.').signals.join(' ')).toMatch(/[1-9] requirements, constraints or hard topics/);
  });

  it('matches whole words, not substrings', () => {
    expect(classifyText('Recover my account password please').tier).not.toBe('complex');
    expect(classifyText('Where is the designer?').signals.join(' ')).not.toMatch(/design/);
  });

  it('reads the conversation: a short follow-up in a hard conversation is not trivial, a closing thanks is', () => {
    const hard = [
      { role: 'user', content: 'Prove that there are infinitely many primes of the form 4k+3.' },
      { role: 'assistant', content: 'Suppose finitely many ...' },
    ];
    expect(idx(classifyMessages([...hard, { role: 'user', content: 'why does that step hold?' }]).tier)).toBeGreaterThanOrEqual(idx('complex'));
    expect(classifyMessages([...hard, { role: 'user', content: 'ok thanks, makes sense' }]).tier).toBe('trivial');
  });

  it('is Unicode-aware across languages', () => {
    expect(classifyText('证明根号2是无理数，并推广到任意非完全平方数').tier).toBe('deep');
    expect(classifyText('Спасибо!').tier).toBe('trivial');
    expect(classifyText('¿Cuál es la capital de Australia?').tier).toBe('simple');
    expect(idx(classifyText('Entwirf ein Datenbankschema für ein Buchungssystem, das Doppelbuchungen bei gleichzeitigen Anfragen verhindert').tier)).toBeGreaterThanOrEqual(idx('moderate'));
  });

  it('second-round styles: terse expert asks, diff reviews, German questions, agent prompts, thanks in more languages', () => {
    expect(classifyText('CUDA kernel 3x slower on H100 than A100. Same code. Checklist.').tier).toBe('complex');
    expect(classifyText('Was ist ein Deadlock?').tier).toBe('simple'); // not the English yes/no "was"
    expect(classifyText('Was it raining?').signals).toContain('one-word answer');
    expect(classifyText('Was ist ein Deadlock?').signals).not.toContain('one-word answer');
    // One-step arithmetic and one-word answers are trivial under the default (asymmetric) decision.
    for (const t of ['What is 7 times 8?', '12 + 30', 'Is 10 bigger than 9?', 'How many legs does a dog have?']) expect(classifyText(t).tier, t).toBe('trivial');
    // A yes/no question about a mathematical object takes a check.
    expect(classifyText('Is 221 prime?').tier).toBe('simple');
    // Quantities written as words count in a word problem.
    expect(classifyText('I have two coins that total 15 cents. What are they?').tier).toBe('moderate');
    expect(classifyText('A rectangle is twice as long as it is wide and its perimeter is 30. What is its area?').tier).toBe('moderate');
    // Terse expert asks: a symptom and a request for causes or a plan, in any of the covered languages.
    for (const t of [
      "Our Postgres primary's CPU jumped from 30% to 95% after the deploy. Likely causes?",
      'Batch job runs out of memory only on the 1st of the month. Investigation plan?',
      'Nuestro servicio pierde conexiones cada 5 minutos. ¿Qué reviso?',
      'Der Cronjob hängt seit dem Update. Woran kann das liegen?',
    ]) expect(classifyText(t).tier, t).toBe('complex');
    expect(classifyText('Add a --verbose flag to the CLI.').tier).toBe('moderate');
    expect(classifyText('The nightly ETL job takes 3 hours; make it run in under 1 hour.').tier).toBe('complex');
    expect(classifyText('What number comes next: 3, 6, 9, 12?').tier).toBe('trivial');
    expect(classifyText('What is a flaky test?').tier).toBe('simple');
    const diff = '```diff\n' + Array.from({ length: 8 }, (_, i) => `+  line ${i} = compute(${i});`).join('\n') + '\n```';
    expect(classifyText(`Review this diff:\n\n${diff}`).tier).toBe('complex');
    expect(idx(classifyText(`Quick review?\n\n${diff}`).tier)).toBeLessThan(idx('complex'));
    for (const t of ['grazie mille', 'teşekkürler', '고마워요!', 'merci, c\'est parfait']) expect(classifyText(t).tier, t).toBe('trivial');
    // A tool-defining system prompt's tone rules do not lower the ask; a plain "be concise" one does.
    const ask = { role: 'user', content: 'I was charged twice this month and want the duplicate refunded, with an explanation of why it happened.' };
    // The rules alone: the word model's second opinion may lift the brief reading to the agent's.
    const agent = classifyMessages([{ role: 'system', content: 'Be concise. Tools: refund(order_id), escalate(ticket_id, reason).' }, ask], 3, false);
    const brief = classifyMessages([{ role: 'system', content: 'Be concise.' }, ask], 3, false);
    expect(agent.score).toBeGreaterThan(brief.score);
    expect(agent.signals.join(' ')).not.toMatch(/brevity/);
  });

  it('terse asks with no hard verb: a measured problem in a named system is complex, a question about one moderate, a fact lookup simple', () => {
    for (const t of [
      'Kafka consumer lag climbs to 2M messages every night at 02:00 while CPU sits at 20%. Where do I look?',
      'Elasticsearch: heap usage sits at 85% and old-gen GC runs every 30 s on the data nodes.',
      'Ceph-кластер: после замены диска запись замедлилась до 40 MB/s, раньше было 400.',
      'NFS マウントのレイテンシが夜間だけ 200 ms を超える。原因は？',
      'PostgreSQL: las consultas pasan de 50 ms a 3 s cuando autovacuum corre sobre la tabla de pedidos.',
    ]) {
      expect(classifyText(t).tier, t).toBe('complex');
    }
    expect(classifyText('Elasticsearch: heap usage sits at 85% and old-gen GC runs every 30 s on the data nodes.').signals).toContain('a measured problem in a named system');
    for (const t of ['Go generics: constraint that allows both int and float64 but not string, with a Sum over a slice?', 'Terraform state drifted after someone edited the ALB listener in the console. Reimport or recreate?']) {
      expect(classifyText(t).tier, t).toBe('moderate');
      expect(classifyText(t).signals, t).toContain('a question about a named system');
    }
    // A short wh-question about a named thing asks for a fact.
    for (const t of ['What port does SSH use?', 'Which company makes the RTX 4090?', 'What year did the first PS2 go on sale?', 'Who wrote the original TCP spec in the end?']) expect(classifyText(t).tier, t).toBe('simple');
    // Capitals that are units, currencies or times of day name no system.
    expect(classifyText('Convert 5 GB to MB.').signals).not.toContain('a measured problem in a named system');
    // Counting and extremal puzzles are never a lookup.
    for (const t of ['What is the minimum number of weighings to find the one heavier ball among 9?', 'In how many ways can 8 rooks sit on a chessboard without attacking each other?']) {
      expect(idx(classifyText(t).tier), t).toBeGreaterThanOrEqual(idx('moderate'));
    }
  });

  it('fourth-round styles: a failure report that says when it happens is complex with or without a question; a how-to under a constraint, a poem and a counting puzzle are moderate; "is this change safe" reviews a diff', () => {
    for (const q of ['Checkout latency doubled since we moved to the new load balancer.', 'Our nightly ETL job crashes every night around 3am.', 'The Kafka consumer stalls only under load.', 'Nuestro clúster de Redis falla cada noche a las 2.']) {
      expect(classifyText(q).tier, q).toBe('complex');
      expect(classifyText(q).signals, q).toContain('a failure report');
    }
    // A time pattern without a symptom or a named system is no failure report; a lookup stays a lookup.
    for (const q of ['It snows every night in winter.', 'Every night I read a book. What is a good novel?', 'What is Kafka? It happens every night']) {
      expect(classifyText(q).signals, q).not.toContain('a failure report');
      expect(idx(classifyText(q).tier), q).toBeLessThan(idx('complex'));
    }
    // The rules' reading (the word model's second opinion lifts this plain moderate reading: its
    // words are those of a team's system questions; an over-tier the cost ratio accepts).
    const reorg = [{ role: 'user', content: 'How should we tell the team about the reorg without causing panic?' }];
    expect(classifyMessages(reorg, 3, false).tier).toBe('moderate');
    expect(classifyMessages(reorg).signals.join(' ')).not.toMatch(/failure|design/);
    expect(classifyText('How do I tell my landlord the heating is broken without sounding rude?').signals).toContain('how to do something under a constraint');
    expect(classifyText('How do I center a div?').tier).toBe('simple');
    expect(classifyText('Write a limerick about a cat who codes.').tier).toBe('moderate');
    expect(classifyText('How many times does the digit 7 appear from 1 to 100?').tier).toBe('moderate');
    const diff = 'Is this change safe?\n```diff\n-\ta := load()\n+\ta := loadCached()\n-\tmu.Lock()\n+\tmu.RLock()\n \tcache[k] = a\n-\tmu.Unlock()\n+\tmu.RUnlock()\n```';
    expect(classifyText(diff).signals).toContain('a review of pasted code');
  });

  it('fifth-round styles: a measured symptom or a contrast clause is a failure report, a pull request named by number is reviewed, a large power or factorial is a calculation, an agent request is at least simple', () => {
    for (const q of [
      'The nightly export crawls: 40 of 60 partitions finish in 2 minutes, the other 20 run for hours.',
      'Our ESP32 drops MQTT messages while the display is refreshing.',
      'Die Tabelle wächst jeden Tag um 5 GB, obwohl nichts Neues hinzukommt.',
      'Egress costs tripled after the team switched the CDN origin.',
    ]) {
      expect(classifyText(q).tier, q).toBe('complex');
      expect(classifyText(q).signals, q).toContain('a failure report');
    }
    // A symptom word with numbers in everyday prose, or beside a greeting, is no failure report.
    for (const q of ['It snows for hours every night in winter.', 'hi, 5 ms 10 ms slow', 'ok it crashes 3 times a day at 2 am', 'My cat sleeps 16 hours while I work 8 hours']) {
      expect(classifyText(q).signals, q).not.toContain('a failure report');
      expect(idx(classifyText(q).tier), q).toBeLessThan(idx('complex'));
    }
    const agent = (sys: string, user: string) => classifyMessages([{ role: 'system', content: sys }, { role: 'user', content: user }]);
    const SYS = 'You are a code review bot. Tools: get_pr(number), get_diff(number, path), comment(number, path, line, text).';
    for (const q of ['Review PR 482.', 'Check pull request 17 for anything that could break logins.']) {
      expect(agent(SYS, q).tier, q).toBe('complex');
      expect(agent(SYS, q).signals, q).toContain('a review of a change');
    }
    // Naming a pull request without asking for a review is a lookup.
    expect(idx(agent(SYS, 'What files does PR 17 touch?').tier)).toBeLessThan(idx('moderate'));
    // A yes/no request to an agent takes a tool call; a greeting or one-step arithmetic stays trivial.
    expect(agent(SYS, 'Can I reopen PR 90?').tier).toBe('simple');
    expect(agent(SYS, 'Hi').tier).toBe('trivial');
    expect(agent(SYS, "What's 7 times 8?").tier).toBe('trivial');
    for (const q of ['Which is larger, 3^40 or 4^30?', 'How many trailing zeros does 50! have?', 'Is 2^13 - 1 prime?']) expect(classifyText(q).tier, q).toBe('moderate');
    // Small powers and factorials stay arithmetic or lookups.
    for (const q of ["What's 2^10?", 'What is 5!?', 'Is 3! = 6?', 'hello 2^100?']) expect(idx(classifyText(q).tier), q).toBeLessThan(idx('moderate'));
    expect(classifyText('Make this sound more formal: "gonna be late, traffic is nuts"').tier).toBe('simple');
    // Modular arithmetic on a power is multi-step; the last digits of a card number are a lookup.
    expect(classifyText('Find the last three digits of 3^400.').tier).toBe('complex');
    expect(classifyText('What are the last 4 digits of my card?').tier).toBe('simple');
  });

  it('an operation held to a hard guarantee (no downtime, exactly once, one machine) is complex; a definition or a short how-to is not. Asking for causes is an explanation', () => {
    for (const q of [
      'Move our 3 TB Postgres database to a new region with zero downtime.',
      'Les commandes doivent être traitées exactement une fois, même quand le consommateur redémarre.',
      'Cambiar el esquema de la tabla de pedidos en producción sin tiempo de inactividad y sin perder escrituras.',
      'Deduplicate 40 million customer records every night on a single machine with 16 GB of RAM.',
    ]) {
      expect(classifyText(q).tier, q).toBe('complex');
      expect(classifyText(q).signals, q).toContain('an operation under a hard guarantee');
    }
    for (const q of ['What does exactly-once delivery mean?', 'How do I restart nginx without downtime?', 'Is zero downtime possible?']) {
      expect(classifyText(q).signals, q).not.toContain('an operation under a hard guarantee');
      expect(idx(classifyText(q).tier), q).toBeLessThan(idx('complex'));
    }
    for (const q of ['Summarize the main causes of the Great Depression', 'Was sind die Ursachen der Inflation?', 'Каковы причины Первой мировой войны?', 'What were the reasons behind the fall of Rome?']) {
      expect(classifyText(q).tier, q).toBe('moderate');
    }
    expect(classifyText('Summarize the plot of Macbeth in three sentences.').tier).toBe('simple');
  });

  it('a symptom and a "why" are a failure to diagnose only in a system (a system word, a name, a measurement or code); an everyday "why" is an explanation', () => {
    for (const q of ['Why did the stock market crash in 1929?', 'Why do leaves turn yellow in autumn?', 'Why does jet lag feel worse flying east?', 'Why did inflation climb in 2022?', 'Why do most startups fail?', 'Why did I fail my driving test?', 'Why is my weight loss so slow?']) {
      expect(classifyText(q).signals, q).not.toContain('a failure or slowdown to diagnose');
      expect(classifyText(q).tier, q).toBe('moderate');
    }
    for (const q of ['Why does the nightly backup job keep failing?', 'Why is our checkout page so slow since Monday?', 'GC pauses spike every 30 s. Why?', 'Why do my unit tests fail on CI only?', 'Why does this crash? ```js\nconst a = b.c.d;\n```']) {
      expect(classifyText(q).signals, q).toContain('a failure or slowdown to diagnose');
    }
  });

  it('"group" alone is no mathematical subject; group theory is', () => {
    for (const q of ['Plan a dinner for a group of twelve friends with two vegetarians.', 'Split the users into a control group and a test group.']) {
      expect(classifyText(q).signals, q).not.toContain('mathematical subject');
    }
    expect(classifyText('Prove that every group of order 4 is abelian.').signals).toContain('mathematical subject');
  });

  it('a design for people (a logo, a card, a workout plan, a menu) is moderate; a design that names a system stays complex', () => {
    for (const q of ['Design a logo for my bakery.', 'Design a birthday card for my mom.', 'Design a 4-week workout plan for a beginner.', 'Optimize my morning routine.', 'Design a menu for a vegan dinner party.']) {
      expect(classifyText(q).tier, q).toBe('moderate');
      expect(classifyText(q).signals, q).toContain('a design for people, not a system');
    }
    for (const q of ['Design the database schema for a wedding planning app.', 'Design a REST API for a restaurant menu service.']) {
      expect(classifyText(q).tier, q).toBe('complex');
    }
  });

  it('"Can you ..." asking for something is a request, not a yes/no question; "Can you hear me?" is still small talk', () => {
    for (const q of ['Can you recommend a good laptop for students?', 'Can you suggest a name for my bakery?', 'Do you know a good recipe for pancakes?']) {
      expect(idx(classifyText(q).tier), q).toBeGreaterThanOrEqual(idx('simple'));
    }
    for (const q of ['Can you hear me?', 'Can pigs swim?', 'Do penguins have knees?']) expect(classifyText(q).tier, q).toBe('trivial');
  });

  it('a yes/no question that asks for a judgement (better, worth, bad for, safe) is no one-word answer; a yes/no fact is', () => {
    for (const q of ['Is it better to rent or buy a house?', 'Is coffee bad for you?', 'Is it worth learning Latin?', 'Is it safe to eat raw cookie dough?']) {
      expect(idx(classifyText(q).tier), q).toBeGreaterThanOrEqual(idx('simple'));
    }
    for (const q of ['Is a tomato a fruit?', 'Is 9.11 bigger than 9.9?']) expect(classifyText(q).tier, q).toBe('trivial');
  });

  it('a symptom stated with one measurement in a system is a failure report; the same words about a garden are not', () => {
    const report = classifyText('Memory leak in a long-running Go service, heap grows 1 GB per day.');
    expect(report.tier).toBe('complex');
    expect(report.signals).toContain('a failure report');
    expect(classifyText('My garden grows 2 cm per day in summer, which is nice to watch.').signals).not.toContain('a failure report');
  });

  it('a measurement in a system named by a plain word (job, database, memory) is a measured problem, as with a named system; a hike is not', () => {
    for (const q of ['The nightly job now needs 40 GB of memory and runs for 6 hours, any way to make it smaller', 'Our database takes 12 seconds per login since last week and nobody changed anything']) {
      expect(classifyText(q).tier, q).toBe('complex');
    }
    const hike = classifyText('My backpack weighs 12 kg on a 20 km hike, any way to make it lighter');
    expect(hike.signals).not.toContain('a measured problem in a named system');
    expect(hike.tier).not.toBe('complex');
  });

  it('a technical situation closed by a short ask for what to do ("Options?", "Next steps?", "Woran liegt das?") is a terse expert request', () => {
    for (const q of ["Postgres autovacuum can't keep up on a 2 TB table with 50k updates/s. Options?", 'Webpack build takes 9 minutes on CI but 2 on laptops. Next steps?', 'Kafka-Consumer verarbeitet nur 200 Nachrichten pro Sekunde statt 5000. Woran liegt das?']) {
      const c = classifyText(q);
      expect(c.tier, q).toBe('complex');
      expect(c.signals, q).toContain('a technical situation and a short ask for what to do');
    }
    // Not without a system, not a yes/no or a choice, and a bare "Fix?" asks for a known remedy.
    for (const q of ['The bakery sells 40 loaves a day and we open a second shop next month. Ideas?', 'Our Postgres table has 2 billion rows and keeps growing every single day. Is that bad?', 'Bootstrap CI for the median of 30 samples in our service: percentile or BCa?', 'CSS grid: items overflow their column when a long URL is inside. Fix?', 'Why does a hash table degrade to O(n) lookups?']) {
      expect(classifyText(q).signals, q).not.toContain('a technical situation and a short ask for what to do');
    }
  });

  it('the sum of a range of numbers is a calculation, not a lookup; the sum of two given numbers is one step', () => {
    const sum = classifyText('What is the sum of the integers from 1 to 1000?');
    expect(sum.tier).toBe('moderate');
    expect(sum.signals).toContain('a calculation or word problem');
    expect(classifyText('What is the sum of its parts?').signals).not.toContain('a calculation or word problem');
    // The sum of two given numbers is one step.
    expect(classifyText('What is the sum of 3 and 4?').signals).not.toContain('a calculation or word problem');
  });

  it('a yes/no question about a system is a lookup, not a one-word answer; about a cat it is', () => {
    for (const q of ['Does Python have tail call optimization?', 'Does Postgres support JSON?', 'Is the server down?']) expect(classifyText(q).tier, q).toBe('simple');
    for (const q of ['Are cats mammals?', 'Is the sun a star?']) expect(classifyText(q).tier, q).toBe('trivial');
  });

  it('"corrige" and "korrigiere" ask for a short edit', () => {
    for (const q of ["Corrige: 'je suis allé a la plage hier'", "Korrigiere: 'ich habe gestern nach hause gegangen'"]) expect(classifyText(q).tier, q).toBe('simple');
  });

  it('writing an article, a guide, a report or a review is a writing task, not a lookup', () => {
    for (const q of ['Write a short article on the history of tea.', 'Write a guide to setting up a home aquarium.', "Write a report on last quarter's sales for the board."]) {
      expect(classifyText(q).signals, q).toContain('asks to explain, compare, write or solve');
    }
  });

  it('a symptom in a system with "where do I begin", "figure out what happened" or a Spanish "¿por qué?" is a failure to diagnose', () => {
    const agent = [{ role: 'system' as const, content: 'You are HelpDesk, an IT agent. Tools: reset_password(user), get_ticket(id). Confirm before acting.' }];
    const cases = [
      [{ role: 'user' as const, content: 'Android app ANR rate tripled in the last release, mostly on Samsung devices. Where do I begin?' }],
      [{ role: 'user' as const, content: 'Nuestro clúster de Cassandra pierde escrituras cuando cae un nodo, con QUORUM. ¿Por qué?' }],
      [...agent, { role: 'user' as const, content: 'Half the office lost VPN access this morning after the certificate rotation. Figure out what happened and fix it.' }],
    ];
    for (const messages of cases) expect(classifyMessages(messages).signals, messages.at(-1)!.content).toContain('a failure or slowdown to diagnose');
  });

  it('a judgement between options or a comparison is advice (moderate); "the best-selling book" is a lookup', () => {
    for (const q of ['Is it better to learn Python or JavaScript first?', 'Is it worth upgrading to the M3 MacBook?', '¿Es mejor alquilar o comprar una casa?', 'What are good strategies to pay off credit card debt?']) {
      expect(classifyText(q).tier, q).toBe('moderate');
    }
    for (const q of ['What is the best-selling book of all time?', "What's the best time to visit Japan?"]) expect(classifyText(q).tier, q).toBe('simple');
  });

  it('a how-to of a process or of advice is moderate; a how-to of one named action is a lookup', () => {
    for (const q of ['How do I set up SSH keys for GitHub?', 'How can I improve my sleep?', 'How do I get my toddler to sleep through the night?', 'How do I make my website load faster on mobile?', 'How do I get started with woodworking?', '¿Cómo puedo ahorrar para comprar una casa?', 'Comment puis-je améliorer mon français rapidement ?', 'Wie kann ich meinen Hund an die Leine gewöhnen?']) {
      expect(classifyText(q).signals, q).toContain('how to do something that takes several steps');
    }
    // By the rules alone, where the convention lives: the word model's second opinion may lift a
    // simple reading one tier ("How do I set an alarm on Android?" reads moderate with it, an
    // over-tier the default cost ratio accepts; see wordmodel.test.ts).
    for (const q of ['How do I exit vim?', 'How do I undo my last git commit?', 'How do I make text bold in Markdown?', 'How do I get the length of a list in Python?', 'How do I take a screenshot on Windows?', 'How do I set an alarm on Android?', '¿Cómo puedo cambiar el idioma de mi teléfono?', 'Comment puis-je supprimer mon compte ?', 'Wie kann ich meinen Bildschirm drehen?', 'How do I open the developer tools in Chrome?']) {
      expect(rules(q).tier, q).toBe('simple');
    }
  });

  it('"for no apparent reason", "aleatoriamente", "solo con", "is fine" and "だけで" mark failure reports; zeros at the end of a factorial are a counting puzzle', () => {
    for (const q of ['Redis Sentinel fails over the master several times a day for no apparent reason.', 'Nginx devuelve 502 aleatoriamente detrás del balanceador, solo con keepalive activado.', 'Redis Sentinel переключает мастер несколько раз в день без видимой причины.', 'Vite の本番ビルドだけでメモリ不足になる。開発サーバーは問題ない。', 'The app works fine on Wi-Fi but every request times out on 4G.']) {
      expect(classifyText(q).signals, q).toContain('a failure report');
    }
    // Without a symptom or a named system, "fine" reports nothing.
    expect(classifyText('The weather is fine today, what should I wear?').signals).not.toContain('a failure report');
    for (const q of ['How many zeros at the end of 100 factorial?', 'Сколько нулей в конце числа 50!?']) expect(classifyText(q).signals, q).toContain('a calculation or word problem');
  });

  it('an operation under a hard guarantee needs no verb of its own ("Zero-downtime rename of a column used by 12 services"); a definition of the guarantee stays a lookup', () => {
    for (const q of ['Zero-downtime rename of a column used by 12 services.', 'Rename a column used by 12 services with zero downtime.']) expect(classifyText(q).signals, q).toContain('an operation under a hard guarantee');
    for (const q of ['Define exactly-once delivery in Kafka streams please.', 'What does exactly-once delivery mean in Kafka?']) expect(classifyText(q).signals, q).not.toContain('an operation under a hard guarantee');
  });

  it('an integral, a series to test for convergence and a closed form are math tasks, not lookups', () => {
    for (const q of ['Integral of ln(x) dx?', 'Is the series sum 1/(n ln n) convergent? Justify.']) expect(classifyText(q).signals, q).toContain('a calculation or word problem');
    expect(classifyText('Closed form for the sum of k^2 / 2^k from k=1 to infinity?').signals).toContain('a multi-step problem');
  });

  it('a definition asked "in plain terms" is an explanation (moderate, as the fifth round settled it); a bare definition is a lookup', () => {
    for (const q of ["What's a monad, in plain terms?", 'What is Kubernetes, in simple terms?', 'Что такое блокчейн простыми словами?']) expect(classifyText(q).tier, q).toBe('moderate');
    expect(classifyText("What's a monad?").tier).toBe('simple');
  });

  it('"should I" in Japanese and Chinese weighs options; a day of the week N days on is a calculation; a holiday\'s weekday is a lookup', () => {
    for (const q of ['転職すべきか迷っています。給料は上がるけど通勤が1時間増えます。どう考えればいい？', '我该不该换工作？工资高一点但通勤多一小时。']) expect(classifyText(q).tier, q).toBe('moderate');
    expect(classifyText('What day of the week will it be 100 days from today?').signals).toContain('a calculation or word problem');
    expect(classifyText('What day of the week is Christmas this year?').tier).toBe('simple');
  });

  it('a pasted diff that only fixes spelling is a glance (simple); a changed digit, operator or statement is not a typo', () => {
    const typo = 'LGTM?\n```diff\n--- a/docs/setup.md\n+++ b/docs/setup.md\n@@ -1,3 +1,3 @@\n-Run `make instal` to set up.\n+Run `make install` to set up.\n```';
    expect(classifyText(typo).tier).toBe('simple');
    expect(classifyText(typo).signals).toContain('a spelling fix in a pasted diff');
    expect(isTypoDiff('-Recieve the payload\n+Receive the payload')).toBe(true);
    for (const diff of ['-    return session.get(url, timeout=5)\n+    return session.get(url, timeout=50)', '-if x > 0:\n+if x >= 0:', '-    cache[key] = value\n+    with lock:\n+        cache[key] = value', '-a\n-b\n-c\n-d\n+a\n+b\n+c\n+e', '+only added']) {
      expect(isTypoDiff(diff), diff).toBe(false);
    }
    expect(classifyText('Is this safe?\n```diff\n-    cache[key] = value\n+    with lock:\n+        cache[key] = value\n```').signals).not.toContain('a spelling fix in a pasted diff');
  });

  it('an extremal puzzle over a large search space asks for a strategy (complex); a small one, or a division asked with "find", stays a word problem', () => {
    for (const q of ['25 horses, 5 lanes, no stopwatch. Fewest races to find the 3 fastest?', 'Two eggs, a 100-floor building: what is the minimum number of drops that finds the critical floor in the worst case?', '有 1000 瓶水，其中一瓶有毒，最少需要几只小白鼠才能一次测出来？']) {
      expect(classifyText(q).tier, q).toBe('complex');
    }
    for (const q of ['You have 8 balls, one heavier, and a balance. What is the minimum number of weighings to find it?', 'Find the minimum number of servers for 2000 users at 50 users per server.']) {
      expect(classifyText(q).tier, q).toBe('moderate');
    }
  });

  it('a diagnosis asked of pasted logs is a failure to diagnose, in any covered language; a summary of the same logs is not', () => {
    const logs = Array.from({ length: 60 }, (_, i) => `2026-11-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z ERROR payment-svc timeout calling ledger after 2000ms (attempt ${(i % 3) + 1})`).join('\n');
    for (const ask of ["Here are today's payment errors. What's going on and what should we check first?", 'Estos son los errores de pago de hoy. ¿Qué está pasando y qué reviso primero?', 'Hier sind die Zahlungsfehler von heute. Was ist los und was soll ich zuerst prüfen?']) {
      expect(classifyText(`${ask}\n\n${logs}`).signals, ask).toContain('a failure or slowdown to diagnose');
    }
    expect(classifyText(`Here are today's payment logs. Summarize them.\n\n${logs}`).tier).toBe('simple');
    // "error" in prose is no log line.
    const prose = Array.from({ length: 40 }, () => 'The error in the essay was small, and the editor fixed the error before print.').join('\n');
    expect(classifyText(`What's going on in this story?\n\n${prose}`).signals).not.toContain('a failure or slowdown to diagnose');
  });

  it('a choice of statistical method, build or buy, and triage are analysis; an ML model that fails after launch or training is a failure report', () => {
    for (const q of ['Conversion rates for 5 checkout variants, 300 visitors each, very skewed. Which test, and how do I correct for multiple comparisons?', '¿Qué modelo uso para predecir demanda diaria con festivos móviles y solo dos años de datos?', 'Welches Verfahren für Ausreißererkennung in Sensordaten mit Drift und fehlenden Werten?', 'Build or buy a feature flag system for 60 engineers and 15 services?', '300 impossible-travel alerts overnight, all users of one VPN. Real or noise? Decide what to do about each group.']) {
      expect(classifyText(q).tier, q).toBe('complex');
    }
    for (const q of ["Offline AUC 0.91 but online click-through didn't move after launch.", 'Fine-tuned model forgets how to follow instructions after 2 epochs on our support tickets.', "The model's predictions in production are all the same class since Tuesday's deploy."]) {
      expect(classifyText(q).signals, q).toContain('a failure report');
    }
    // Since 'laptop' is a system word (session 50) the phishing report is read as a failure to
    // diagnose, the branch before: complex either way.
    const phishing = classifyText('A user clicked a phishing link at 09:12. Work out what happened on their laptop since and whether anything spread.');
    expect(phishing.tier).toBe('complex');
    expect(phishing.signals.some((x) => x === 'a failure report' || x === 'a failure or slowdown to diagnose')).toBe(true);
    expect(classifyText('Which test failed in CI?').tier).toBe('simple');
    expect(classifyText("I've felt tired since Monday.").signals).not.toContain('a failure report');
    expect(classifyText('nginx config to redirect all http to https.').tier).toBe('moderate');
  });

  it('the cheapest trip over ranges of dates and stays is a search over combinations; the cheapest of one thing is a lookup', () => {
    for (const q of ['Cheapest way to get 4 people from Madrid to Oslo and back between 10 and 20 July, staying 5 to 7 nights, one stop max.', "Trouvez-moi l'aller-retour le moins cher Lyon–Tokyo avec une escale au plus, départ entre le 3 et le 7 mai, retour 10 à 14 jours plus tard."]) {
      expect(classifyText(q).signals, q).toContain('a search over many combinations');
    }
    for (const q of ["What's the cheapest flight from Berlin to Rome on June 3?", 'Compare the cheapest 2-4 person tents for 100-200 euros.']) expect(classifyText(q).signals, q).not.toContain('a search over many combinations');
  });

  it('a symptom in any tense, a change introduced by "once", the usual synonyms of a counting or correction ask, and a course asked for in five words (paraphrases of tune asks, session 48)', () => {
    // Each read a tier off before (one tier lower, but for the last, which the word model read as
    // moderate): the lexicons had "spikes" but not "spiked", "after ... switched" but not "once ...
    // switched", "smallest number" but not "least number", "fix the grammar" but not "correct the
    // grammar".
    const cases: [string, string][] = [
      ['Refunds spiked in week 32. Why? Break it down by reason and by product.', 'complex'],
      ['In one Spark stage 1997 of the 2000 tasks are done in a minute and the last three take hours.', 'complex'],
      ['Snowflake spend tripled once dashboards switched to live queries. How do we cut it without serving stale data?', 'complex'],
      ['On average how many fair coin flips until you get two heads in a row?', 'complex'],
      ['What is the least number divisible by all of 1 through 10?', 'moderate'],
      ['How many zeros are at the end of 100 factorial?', 'moderate'],
      ['Starting on a Monday, what weekday is it 1000 days later?', 'moderate'],
      ["Correct the grammar: 'Me and him goes to the store yesterday.'", 'simple'],
    ];
    for (const [q, tier] of cases) expect(classifyText(q).tier, q).toBe(tier);
    // A technical situation closed by a question for a course of action in four or five words, as
    // in one to three ("Approach?"); one that asks for a value is a word problem's question.
    for (const q of ['Churn survival model with time-varying covariates plus competing risks: how would you approach it?', "My lme4 model with random slopes over 12 items doesn't converge. How should I simplify it?", 'Consumer lag on our Kafka topic keeps climbing during the nightly batch. What should we check?']) {
      expect(classifyText(q).tier, q).toBe('complex');
    }
    expect(classifyText('A shirt costs $40 after a 20% discount. What was the original price?').tier).toBe('moderate');
    // The number alone is no puzzle: a primality check of three digits stays a lookup (tune label).
    expect(classifyText('Is 221 prime?').tier).toBe('simple');
  });

  it('a symptom stated about a system, without a question, number or name, is a failure report; and the symptom and timing words of freshly written reports (session 49)', () => {
    // Each read one tier lower at daf3d9d (moderate, or simple for the word problems): a report
    // stated with no question needed, besides its symptom, a measurement or two quantities, or a
    // timing the lexicon knew, and the lexicons lacked these symptoms and timings.
    const cases: [string, string][] = [
      ['Our Kafka cluster loses messages when a broker restarts.', 'complex'],
      ['Nuestro clúster de Kafka pierde mensajes cuando un broker se reinicia.', 'complex'],
      ['The payments service leaks file descriptors until it hits the ulimit after about two days.', 'complex'],
      ['BigQuery costs tripled this month without any new dashboards.', 'complex'],
      ["ClickHouse inserts get 'too many parts' errors during the nightly backfill.", 'complex'],
      ['Flink checkpoint durations grow from seconds to 10 minutes over a day.', 'complex'],
      ['Our Redis primary fails over twice a week and clients take a minute to reconnect.', 'complex'],
      ['After upgrading to Spring Boot 3, startup takes 90 seconds instead of 20.', 'complex'],
      ['Die Antwortzeiten unserer Spring-Boot-App verdoppeln sich jeden Nachmittag.', 'complex'],
      ['Die Trainingsverluste unseres Modells explodieren nach 2.000 Schritten, nur mit gemischter Präzision.', 'complex'],
      ['Ранжирование в поиске стало хуже после переобучения модели, офлайн-метрики выросли. Почему?', 'complex'],
      ['Наш сервис на Python съедает всю память за несколько часов под нагрузкой.', 'complex'],
      ['Nuestro job de Spark tarda 3 horas desde que duplicamos los datos.', 'complex'],
      ['线上 Kafka 消费者每隔几分钟就重新平衡一次。', 'complex'],
      ['Plan the rollout of a breaking change to a public API used by 2,000 customers.', 'complex'],
      ['How many rectangles are there on an 8x8 chessboard, and how do you count them?', 'complex'],
      ['A store raises a price 20% and then cuts it 20%. What is the net change?', 'moderate'],
      ['If a car goes 60 km at 30 km/h and 60 km back at 60 km/h, what is its average speed?', 'moderate'],
    ];
    for (const [q, tier] of cases) expect(classifyText(q).tier, q).toBe(tier);
    // A statement about a system with no symptom stays below a failure report, and so does a
    // symptom with no system in it.
    for (const q of ['Our Kafka cluster has twelve brokers spread over three racks in one region.', 'My grandmother loses her glasses all the time at our house in the summer.']) {
      expect(classifyText(q).tier, q).not.toBe('complex');
    }
    // An instruction that names a symptom is asked for, not reported (set 31: the first version
    // of the rule read this as a failure report).
    for (const q of ['Replace the hand-written retry loop in client.go with exponential backoff and jitter, keeping the public API.', 'Add a timeout to the payments client so a slow bank cannot stall the checkout service.', 'Change the retry policy so a flaky bank cannot stall the checkout service.']) {
      expect(classifyText(q).signals, q).not.toContain('a failure report');
    }
    // A word that is a verb and a noun opens a report when no object follows it.
    expect(classifyText('Log volume on the payments service keeps growing until the disks fill up.').signals).toContain('a failure report');
  });

  it('a team asking how it should do something to a system asks for a plan or a design; one person asking the best way to learn does not (session 49)', () => {
    // Each read moderate or simple before (set 29 of the probes).
    for (const q of [
      'What is the right way to version a public gRPC API used by mobile apps we cannot force to update?',
      'How do we estimate the capacity we need for Black Friday from last year\'s traffic?',
      'Our team of 6 owns 40 services. How do we set up on-call so nobody burns out?',
      'Should we move from a Kafka-based event bus to Pulsar for 2 million events per second, and what would the migration look like?',
      'Wie finde ich heraus, welcher Teil unserer Pipeline die Daten dupliziert?',
    ]) {
      expect(classifyText(q).tier, q).toBe('complex');
    }
    expect(classifyText('How do we estimate the capacity we need for Black Friday from last year\'s traffic?').signals).toContain('asks how a team should do something to a system');
    // Without a system, or in the casual "best way" of one person, it is not a team's plan.
    for (const q of ["What's the best way to learn SQL quickly?", "What's a good way to structure a small Flask app?", 'How do we tell the kids we are moving to another city next year?']) {
      expect(classifyText(q).signals, q).not.toContain('asks how a team should do something to a system');
      expect(classifyText(q).tier, q).not.toBe('complex');
    }
  });

  it('asks typed as real traffic is (lower case, no question mark, six languages) read at their tier (session 50)', () => {
    // Each read a tier lower at a5d7119 ("nvm figured it out" a tier higher, through the word
    // model): probe set 32, written and labelled before the classifier read it.
    const cases: [string, string][] = [
      ['find the bug: two goroutines append to the same slice and sometimes items go missing', 'complex'],
      ['cómo diseñaríamos un sistema de notificaciones push para 5 millones de usuarios con prioridades', 'complex'],
      ['unser Elasticsearch-Cluster wird jeden Montag morgen gelb, immer nach dem Snapshot', 'complex'],
      ['у нас после обновления драйвера GPU обучение стало в два раза медленнее, с чего начать', 'complex'],
      ['我们的Redis内存每天涨2GB，但key数量没变，可能是什么原因？', 'complex'],
      ['nossa fila do RabbitMQ acumula milhões de mensagens toda sexta à noite, como resolver', 'complex'],
      ['nvm figured it out', 'trivial'],
    ];
    for (const [q, tier] of cases) expect(classifyText(q).tier, q).toBe(tier);
    // A growth word with no ask to diagnose and no timing the lexicon knows is no failure; a
    // comparison asked in the abstract stays the question it was before ("медленнее" reads as
    // "slower" does: "Почему TCP медленнее UDP?" now reads complex, as "Why is TCP slower than
    // UDP?" already did, an over-tier left as it is).
    expect(classifyText('我们每天涨一点知识。').tier).not.toBe('complex');
    expect(classifyText('Почему TCP медленнее UDP?').tier).toBe(classifyText('Why is TCP slower than UDP?').tier);
    // "Never mind" words beside an ask leave the ask.
    expect(classifyText('nvm, how do i rename a git branch').tier).not.toBe('trivial');
  });

  it('failure reports and design asks in eight languages: falls over, restarted, goes red, on Mondays, after each restart, Russian inflections, Portuguese and Italian design verbs (session 50)', () => {
    // Each read moderate at 7d52d41 (probe set 34, written and labelled before the classifier read it).
    for (const q of [
      'nuestro servicio de pagos se cae cada vez que hay un pico de tráfico a mediodía',
      'unsere Kubernetes-Pods werden nach dem Deployment ständig neu gestartet, die Logs zeigen nichts',
      'запросы к базе выполняются по 10 секунд только по понедельникам утром',
      'como projetar um sistema de pagamentos que não cobre o cliente duas vezes',
      'come progetteresti un sistema di code per l\'elaborazione degli ordini',
      'le cluster ES passe en red après chaque redémarrage d\'un nœud',
    ]) {
      expect(classifyText(q).tier, q).toBe('complex');
    }
    // A design verb on something made for people stays a plan for people (CREATIVE_OBJECT), and a
    // weekday with no symptom and no system is no failure.
    expect(classifyText('progetta un logo per la mia pasticceria').tier).not.toBe('complex');
    expect(classifyText('projete um logotipo para minha padaria').tier).not.toBe('complex');
    expect(classifyText('по понедельникам мы ходим в бассейн').tier).not.toBe('complex');
  });

  it('held-back sets 33 and 35, once read: symptoms, timings and method questions in seven languages, a named system beside a stated symptom, and "whats" (session 50)', () => {
    // Each read a tier or two lower at ac8865e ("whats a deadlock" a tier higher, through the word model).
    const cases: [string, string][] = [
      ['la app móvil consume mucha batería desde la última actualización', 'complex'],
      ['wie skalieren wir unseren Postgres-Cluster für zehnmal mehr Schreibzugriffe', 'complex'],
      ['nos tests end-to-end échouent une fois sur trois en CI mais jamais en local', 'complex'],
      ["prouve que la somme des angles d'un triangle vaut 180 degrés", 'deep'],
      ['наш сайт на WordPress очень медленно грузится, особенно картинки', 'complex'],
      ['как нам организовать резервное копирование 50 ТБ данных с минимальным простоем', 'complex'],
      ['デプロイのたびにメモリ使用量が増えていきます', 'complex'],
      ['o site cai toda noite por volta da meia-noite e volta sozinho', 'complex'],
      ['il database rallenta moltissimo ogni lunedì mattina', 'complex'],
      ['после перехода на Kubernetes задержка выросла в два раза', 'complex'],
      ['our grpc streams drop after exactly 60 seconds behind the aws nlb, any idea', 'complex'],
      ['our s3 bill tripled last month and nobody changed anything', 'complex'],
      ['线上服务的CPU每到整点就飙到100%，怎么排查', 'complex'],
      ['whats a deadlock', 'simple'],
      ['whats the diff between a process and a thread and when would i pick one', 'moderate'],
    ];
    for (const [q, tier] of cases) expect(classifyText(q).tier, q).toBe(tier);
    // A named thing beside a symptom word in an instruction is asked for, not reported; a symptom
    // word in everyday Italian or Portuguese with no timing and no system is no failure.
    expect(classifyText('Drop the unused index on the Orders table in PostgreSQL before the release.').signals).not.toContain('a failure report');
    // An instruction with a timing is a schedule, not a failure that happens then (the timing +
    // symptom branch read these as reports while 'drop' was a symptom word of its own).
    for (const q of ['Drop the staging database every night.', 'drop the old index only when the backfill finishes']) {
      expect(classifyText(q).signals, q).not.toContain('a failure report');
    }
    for (const q of ['la mia nonna rallenta quando cammina in salita', 'o preço do café caiu este mês']) expect(classifyText(q).tier, q).not.toBe('complex');
    // This session's symptom words in everyday sentences with a timing the lexicon knows, and no
    // system: not failure reports (SYMPTOM_OF_SYSTEM needs a system; each read complex before it).
    for (const q of ['油价涨了之后我每天骑车上班', '房价涨了之后，年轻人怎么买房？', 'Mein Auto ist gelb und jeden Tag sauber', 'todos los lunes el entrenador se cae de risa', 'my phone was stolen after we moved to the new flat', 'mi hermano se queda sin dinero cada vez que sale']) {
      expect(classifyText(q).signals, q).not.toContain('a failure report');
    }
  });

  it('a short command to a tool-using agent is one tool call: the word model does not lift it (session 50)', () => {
    const ops = 'You are OpsGPT. Tools: kubectl(args), promql(query, range), logs(service, since), pagerduty_ack(id).';
    const asked = (system: string, user: string) => classifyMessages([{ role: 'system', content: system }, { role: 'user', content: user }]);
    // Each read moderate at 9e55554 (probe set 39: the word model lifted them).
    for (const q of ['ack incident 4412', 'isolate host db-07']) expect(asked(ops, q).tier, q).toBe('simple');
    expect(asked('You are DevBot, a coding agent in a Python monorepo. Tools: read_file(path), write_file(path, content), run(cmd).', 'delete the unused legacy/ folder').tier).toBe('simple');
    // A short command that names a system is one operation too, not "a question about a named
    // system" (moderate at 6383dc0).
    const dev = 'You are DevBot, a coding agent in a Python monorepo. Tools: read_file(path), write_file(path, content), run(cmd).';
    expect(asked(dev, 'bump requests to 2.32 in requirements.txt').tier).toBe('simple');
    expect(asked('你是代码助手。工具：read_file(path)、write_file(path, content)、run(cmd)。', '把 config.yaml 里的端口改成 8080').tier).toBe('simple');
    expect(asked(dev, 'Why does requests 2.32 break our retries in client.py?').tier).not.toBe('simple');
    // With no agent, a short command's words may still lift it ("Add pagination and tests to the
    // /orders endpoint." is moderate work: leaving them unread there lost it, set 23).
    expect(classifyText('Add pagination and tests to the /orders endpoint.').tier).toBe('moderate');
    expect(asked('あなたは社内ヘルプデスクです。ツール: reset_password(user), create_ticket(summary)', 'パスワードをリセットしてください').tier).toBe('simple');
    // An analytics ask put as a noun phrase is not a command: the model still reads it (a tune row).
    const sql = 'You are an analytics agent for an online shop. Tools: run_sql(query), describe_table(name).';
    expect(asked(sql, 'Median time from signup to first order, by acquisition channel.').tier).toBe('moderate');
    // A long request that opens with a verb is more than one call, and a command with no agent is read as before.
    expect(asked(ops, 'show me why the checkout pods restart every night since the 2.3 deploy and propose a fix').tier).toBe('complex');
    expect(classifyText('ack incident 4412').tier).toBe(classifyMessages([{ role: 'user', content: 'ack incident 4412' }]).tier);
  });

  it('agent requests of probe set 39 that are problems: failed logins since midnight, a PR to check for one risk, evidence for and against, a behaviour-keeping migration (session 50)', () => {
    // Each read moderate at 29c8cf8.
    const sec = 'You are SecBot for the SOC. Tools: search_alerts(q), isolate_host(name), get_host(name), block_ip(ip).';
    const asked = (system: string, user: string) => classifyMessages([{ role: 'system', content: system }, { role: 'user', content: user }]).tier;
    expect(asked(sec, 'we got 40 failed ssh logins per second on the bastion since midnight, is this an attack and what should we do')).toBe('complex');
    expect(asked('You are a code review bot. Tools: get_pr(n), get_diff(n), comment(n, text).', 'PR 203 rewrites the retry logic in the payment client; check it for double charges')).toBe('complex');
    expect(asked('You are a research agent. Tools: web_search(q), fetch(url).', "compare the evidence for and against daylight saving time's effect on traffic accidents, with sources")).toBe('complex');
    expect(asked('You are DevBot, a coding agent in a Python monorepo. Tools: read_file(path), write_file(path, content), run(cmd).', "migrate the whole codebase from flask to fastapi, keeping every endpoint's behaviour")).toBe('complex');
    expect(asked('あなたは社内ヘルプデスクです。ツール: reset_password(user), create_ticket(summary)', 'VPNに繋がるけど社内サイトだけ開けません。昨日から全員です')).toBe('complex');
    expect(asked('Ты помощник по инфраструктуре. Инструменты: kubectl(args), logs(service).', 'после обновления кластера часть подов не может достучаться до базы, разберись')).toBe('complex');
    // Set 41 (each read a tier off at 77f2e6a): operations of more tools, running out of memory in
    // Spanish, lights that turn on by themselves, a Spanish refactor that keeps behaviour.
    const bank = "You are the bank's chat assistant. Tools: get_balance(account), list_transactions(account, since), freeze_card(card_id), dispute(transaction_id, reason).";
    expect(asked(bank, 'freeze card 4421')).toBe('simple');
    expect(asked('Du bist der IT-Support-Agent. Tools: ticket_erstellen(text), passwort_zuruecksetzen(user), geraet_sperren(id).', 'setze das Passwort von mmueller zurück')).toBe('simple');
    const es = 'Eres un agente de programación en un repositorio Node.js. Herramientas: leer_archivo(ruta), escribir_archivo(ruta, contenido), ejecutar(cmd).';
    expect(asked(es, 'el servidor se queda sin memoria después de unas horas en producción, encuentra la causa')).toBe('complex');
    expect(asked(es, 'refactoriza el módulo de pagos para separar la lógica de reintentos, manteniendo el comportamiento')).toBe('complex');
    const home = 'You are a home automation agent. Tools: set_light(room, level), set_thermostat(temp), lock(door), list_devices().';
    expect(asked(home, 'the living room lights turn on by themselves around 3am every night, figure out which automation does it')).toBe('complex');
    // Children playing by themselves every afternoon are no system's failure.
    expect(classifyText('the kids play by themselves every afternoon').tier).not.toBe('complex');
    // Cohorts measured by what they keep or lose, or retention broken down (set 39: moderate at
    // a934b7e); a per-city repurchase rate (a tune row), grouping by cohort and a definition are not.
    const sqlAgent = 'You answer analytics questions with run_sql(query) on tables users, orders, events.';
    expect(asked(sqlAgent, 'weekly retention curve for users who signed up in january, split by platform')).toBe('complex');
    expect(asked("Tu es un agent de données. Outils : run_sql(requête).", 'Taux de réachat à 90 jours par cohorte mensuelle sur les 12 derniers mois')).toBe('complex');
    for (const q of ['统计每个城市上个月的复购率，并和去年同期比较。', 'Group the students by cohort.', 'What is cohort analysis?']) expect(classifyText(q).tier, q).not.toBe('complex');
    // A Chinese or Japanese question for one value is a lookup, as a wh-question is in the other
    // languages (moderate at 2e372b8: a name, then the word model, lifted it); a rising error rate
    // is a symptom.
    expect(classifyText('现在 CPU 使用率是多少？').tier).toBe('simple');
    expect(classifyText('API サーバーは何台ありますか？').tier).not.toBe('moderate');
    expect(classifyText('订单服务的错误率从今天早上开始上升，帮我找出原因。').tier).toBe('complex');
    expect(classifyText('为什么我们的 Redis 延迟是 200ms？').tier).toBe('complex');
    // A failed exam is no system's failure, and a check of one's own work is no review of a change.
    expect(classifyText('I failed my driving test twice since last summer, what should I do?').tier).not.toBe('complex');
    expect(classifyText('Check it for spelling mistakes: "Recieve the package tomorow."').tier).not.toBe('complex');
  });

  it('casual complex asks of probe set 43, and measurements inside Chinese and Japanese text (session 50)', () => {
    // Each read moderate at the commit that added set 43.
    for (const q of [
      'our stripe webhooks sometimes arrive twice and we double-ship orders',
      "the dashboard numbers don't match the finance report by about 3%, figure out where the gap comes from",
      'we keep running out of ephemeral ports on the nat gateway',
      'Comment fiabiliser notre pipeline de données qui perd des événements lors des pics ?',
      'Как спроектировать систему рекомендаций для маркетплейса с 10 млн товаров?',
      '我们的支付回调偶尔重复，导致重复发货，怎么彻底解决？',
      '本番DBのCPUが毎日昼に100%になります。どう対処すべきですか',
      'Come possiamo migrare 200 microservizi a Kubernetes senza interruzioni?',
    ]) {
      expect(classifyText(q).tier, q).toBe('complex');
    }
    // Set 45 (each read a tier or two lower before): models in Spanish, Chinese and Japanese, a
    // stolen laptop, a Russian "how do we protect".
    for (const q of [
      'Nuestro modelo de recomendación empeoró después de reentrenarlo con datos de diciembre, ¿por qué puede pasar?',
      '我们的推荐模型上线后点击率下降了20%，可能是什么原因？',
      '社内のLLMチャットボットが機密情報を回答してしまうことがあります。対策を考えてください',
      "a laptop with admin rights was stolen from an employee's car, what do we do in the next 24 hours",
      'Как защитить наш API от перебора паролей, не мешая обычным пользователям?',
    ]) {
      expect(classifyText(q).tier, q).toBe('complex');
    }
    // "Warum" as a diagnosis word was tried and left out: a tune row asking why a pasted function
    // is slow is labelled moderate.
    expect(classifyText('Warum ist mein Python-Skript so langsam beim Lesen großer Dateien?').tier).toBe('moderate');
    // A number and its unit are a measurement where Chinese or Japanese characters touch them.
    expect(technicalMarks('本番DBのCPUが毎日昼に100%になります。').measurements).toBe(1);
    expect(technicalMarks('延迟从200毫秒涨到3秒').measurements).toBe(2);
    expect(technicalMarks('abc40ms').measurements).toBe(0);
    // "Sometimes slower" in a question about two techniques is no failure (a first version read
    // set 15's "Why is recursion sometimes slower than iteration?" as one).
    expect(classifyText('Why is recursion sometimes slower than iteration?').tier).toBe('moderate');
  });

  it('puzzles that ask for a strategy or perfect play, integer solutions and random walks read at their tier (session 50)', () => {
    // Each read a tier lower at 9e55554 (probe set 37, written and labelled before the classifier read it).
    const cases: [string, string][] = [
      ['A king has 1000 bottles of wine, one poisoned, and 10 servants; the poison kills in 24 hours. How can he find the bottle in one day?', 'complex'],
      ['Two players alternately take 1 to 3 stones from a pile of 21; whoever takes the last stone wins. Who wins with perfect play and how?', 'complex'],
      ['Find all integer solutions of x^2 - y^2 = 45.', 'moderate'],
      ['An ant at one corner of a cube walks randomly along edges. Expected steps to reach the opposite corner?', 'complex'],
    ];
    for (const [q, tier] of cases) expect(classifyText(q).tier, q).toBe(tier);
    // Who wins a match is a lookup, not a game to solve; a walk in the park is no random walk.
    expect(classifyText('Who won the 2018 World Cup final?').tier).not.toBe('complex');
    expect(classifyText('Where can I take a long walk in Lisbon?').tier).not.toBe('complex');
  });

  it('duplicates after every rebalance, 504s only for one region, data lost after a failover, and leaked keys are problems to diagnose, in the covered languages', () => {
    for (const q of ['Die Kafka-Consumer verarbeiten Nachrichten doppelt nach jedem Rebalance.', 'Notre API renvoie des 504 uniquement pour les clients en Asie.', 'Приложение на Android падает при повороте экрана только на Android 14.', '我们的 Redis 集群在主从切换后丢了一部分数据，怎么排查？', '本番環境だけで注文の重複が発生しています。原因の調べ方を教えてください。', 'Our API keys showed up in a public GitHub repo an hour ago. What do we do, in order?']) {
      expect(classifyText(q).tier, q).toBe('complex');
    }
    expect(classifyText('Airflow DAG backfill for 2 years without hammering the source database.').signals).toContain('an operation under a hard guarantee');
    // No system, no symptom: advice; a wait measured in hours is no system's failure.
    expect(classifyText('What do I do if my cat vomits?').tier).not.toBe('complex');
    expect(classifyText("My flight is delayed, I've been at the gate 3 hours now, what should I do now?").signals).not.toContain('a failure or slowdown to diagnose');
  });

  it('germanHowToVerb reads what the regex it replaced captured, on any text (property), in time linear in the text', () => {
    // The regex, read on the main clause (up to the first comma after the opener, session 66),
    // with "rückgängig machen" read as one verb.
    const reference = (lex: string) => {
      const opener = /^\s*wie (?:kann|können) (?:ich|wir)(?!\p{L})/u.exec(lex);
      if (opener === null) return null;
      const comma = lex.indexOf(',', opener[0].length);
      const clause = comma < 0 ? lex : lex.slice(0, comma);
      const m = /^\s*wie (?:kann|können) (?:ich|wir)(?!\p{L}).{0,120}?(\p{L}+)\s*[?？.!]*\s*$/du.exec(clause);
      if (m === null) return null;
      const start = m.indices![1]![0];
      return m[1] === 'machen' && clause.slice(Math.max(opener[0].length, start - 11), start) === 'rückgängig ' ? 'rückgängig machen' : m[1];
    };
    const piece = fc.oneof(
      fc.constantFrom('wie kann ich ', 'wie können wir ', ' ', '  ', '\t', '\n', '\u2028', '?', '？', '.', '!', ',', 'drehen', 'meinen', 'hund', 'ä', 'ß', '1', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '证明', 'ich', '-', 'rückgängig', 'machen', 'rückgängig machen'),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.boolean(), (parts, lead) => {
        // What scoreTurn gives it: the ask with astral characters mapped into the BMP.
        const lex = astralToBmp((lead ? 'wie kann ich ' : '') + parts.join(''));
        expect(germanHowToVerb(lex), JSON.stringify(lex)).toBe(reference(lex));
      }),
      { numRuns: 20000 },
    );
    // The case the regex took 0.5 ms on: a long run of letters that does not end the ask.
    const attack = 'wie kann ich ' + 'a'.repeat(185) + ' 1';
    expect(germanHowToVerb(attack)).toBeNull();
    expect(germanHowToVerb('wie kann ich meinen bildschirm drehen?')).toBe('drehen');
    // Session 66 (probe set 153): the main clause's verb, before a comma; "rückgängig machen" is undo.
    expect(germanHowToVerb('wie kann ich in git den letzten commit rückgängig machen, ohne die changes zu verlieren?')).toBe('rückgängig machen');
    expect(germanHowToVerb('wie kann ich das fenster drehen, damit es passt?')).toBe('drehen');
    expect(germanHowToVerb('wie kann ich das besser machen?')).toBe('machen');
  });

  it('numericRanges counts what the unanchored range regex counted (property), and reads a long run of digits in one pass', () => {
    const reference = (t: string) => Math.min(3, [...t.matchAll(/\d+\s*(?:-|–|to|and|à|a|bis|y|et(?: le)?|и|до)\s*\d+/gu)].length);
    const piece = fc.oneof(fc.constantFrom('1', '23', '456', ' ', '-', '–', 'to', 'and', 'à', 'a', 'bis', 'y', 'et', 'et le', 'и', 'до', 'x', 'days', '\n'), fc.string({ maxLength: 3 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        const t = parts.join('');
        expect(numericRanges(t), JSON.stringify(t)).toBe(reference(t));
      }),
      { numRuns: 20000 },
    );
    // Started inside the run too, 100,000 digits would take hours (the test's timeout); from the run's start, one pass.
    expect(within(5000, () => numericRanges('cheapest days ' + '1'.repeat(100_000) + ' x'))).toBe(0);
    expect(numericRanges('between 10 and 20 July, 5 to 7 nights')).toBe(2);
  });

  it('powerQuestionIn answers what POWER_QUESTION answers on lexical forms (property), reading a text of powers once', () => {
    const piece = fc.oneof(
      fc.constantFrom('2', '10', '100', '3', ' ', '  ', '\t', '\n', '^', '**', '*', '?', '？', '.', '!', ',', 'x', 'which is bigger', 'or', 'x'.repeat(40), 'y'.repeat(79), 'z'.repeat(80), '\ud800', 'é'),
      fc.string({ maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const t = astralToBmp(parts.join('').toLowerCase());
        expect(powerQuestionIn(t), JSON.stringify(t)).toBe(POWER_QUESTION.test(t));
      }),
      { numRuns: 20000 },
    );
    // The gap is at most 80 characters; a power inside the one before is tried too ("1^23^45").
    // (The power ends after two digits: "0 " of "2^100 " is in the gap.)
    expect(powerQuestionIn('is 2^100 ' + 'a'.repeat(78) + '?')).toBe(true);
    expect(powerQuestionIn('is 2^100 ' + 'a'.repeat(79) + '?')).toBe(false);
    expect(powerQuestionIn('1^23' + 'b'.repeat(90) + '3^45 or?')).toBe(true);
    expect(powerQuestionIn('1^23^45 ' + 'c'.repeat(78) + '?')).toBe(true);
    expect(powerQuestionIn('which is bigger, 2^100. or 3^60 ok')).toBe(false);
    expect(within(2000, () => powerQuestionIn('2^100 summarize '.repeat(60_000) + '?'))).toBe(true);
  });

  it('the arithmetic step starts only where digits start, and answers what the unanchored regex answered (property)', () => {
    const reference = /\d+\s*(?:[-+*/×÷^]|times|plus|minus|divided by|mal|más|menos)\s*\d+/u;
    const piece = fc.oneof(fc.constantFrom('1', '23', '456', ' ', '\t', '+', '-', '*', '^', '×', 'times', 'plus', 'divided by', 'mal', 'más', 'x', '.'), fc.string({ maxLength: 3 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        const t = parts.join('');
        expect(ARITHMETIC_STEP.test(t), JSON.stringify(t)).toBe(reference.test(t));
      }),
      { numRuns: 20000 },
    );
    // Started inside the run too, it read 100,000 digits from each of them (it would run for hours).
    expect(within(5000, () => ARITHMETIC_STEP.test('1'.repeat(100_000) + ' x'))).toBe(false);
    expect(classifyText('Prove it rigorously. What is 7 times 8?').tier).toBe('simple');
  });

  it('math notation reads a run of spaces after an operator once, and answers what the two optional parts answered (property)', () => {
    const reference = new RegExp(MATH_NOTATION.source.replace('\\s*(?:(?:\\d+[a-z]?|[a-z])\\s*)?=', '\\s*\\d*[a-z]?\\s*='), 'u');
    expect(reference.source).not.toBe(MATH_NOTATION.source);
    const piece = fc.oneof(fc.constantFrom('s', 'x', 'ab', '2', '10', ' ', '  ', '\t', '\n', '*', '+', '-', '/', '=', '^', '(', ')', 'mod ', '\\frac', '∑', 'é'), fc.string({ maxLength: 2 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        const t = parts.join('');
        expect(MATH_NOTATION.test(t), JSON.stringify(t)).toBe(reference.test(t));
      }),
      { numRuns: 20000 },
    );
    // Split every way between two \s*, 100,000 spaces would take hours.
    expect(within(5000, () => MATH_NOTATION.test('s*' + ' '.repeat(100_000) + '*='))).toBe(false);
    expect(MATH_NOTATION.test('solve 2x + 3 = 7')).toBe(true);
    expect(MATH_NOTATION.test('x * y = 1')).toBe(true);
    expect(MATH_NOTATION.test('a / = 2')).toBe(true);
  });

  it('mathNotationIn answers what MATH_NOTATION does, its alternatives tried one by one (property)', () => {
    const piece = fc.oneof(
      fc.constantFrom('s', 'x', 'ab', 'f', 't', 'n', '2', '10', ' ', '  ', '\t', '\n', '*', '+', '-', '/', '=', '^', '(', ')', 't(n)', 'f(x)', 'mod ', 'mod', '\\frac', '\\', '∑', '≤', 'é', '_', '证'),
      fc.string({ maxLength: 2 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const t = parts.join('');
        expect(mathNotationIn(t), JSON.stringify(t)).toBe(MATH_NOTATION.test(t));
      }),
      { numRuns: 30000 },
    );
    for (const [t, want] of [['x^2', true], ['2^100', false], ['a ^ 3', true], ['solve 2x + 3 = 7', true], ['x * y = 1', true], ['f(x) = 3', true], ['f (x) = 3', false], ['7 mod 3', true], ['t(n)', true], ['\\sum', true], ['a = b', false], ['∑', true], ['ab=c', false]] as const) {
      expect(mathNotationIn(t), t).toBe(want);
      expect(MATH_NOTATION.test(t), t).toBe(want);
    }
    // Each "=" or "^" is tried once and reads back once: long runs of them, and of spaces before
    // them (what recheck tried against the lookbehind-first forms), stay bounded.
    const tabs = '\t'.repeat(100_000);
    for (const t of ['='.repeat(100_000), '^'.repeat(100_000), 's*' + ' '.repeat(100_000) + '*=', 'a+ '.repeat(30_000) + '=', 'x ^ '.repeat(30_000), tabs + '^', `a${tabs}^1`, `a+${tabs}=`, tabs + '=1', `a(${tabs}=`, `f(x${tabs})=`, '\t\t'.repeat(50_000) + '=^(']) {
      expect(within(5000, () => mathNotationIn(t)), t.slice(0, 12)).toBe(MATH_NOTATION.test(t));
    }
  });

  it('Chinese and Japanese failure reports ("飙升", "2 倍になった") with "原因", "どこを見れば" are failures to diagnose', () => {
    for (const q of ['MySQL 的主从延迟每天凌晨 2 点飙升到 10 分钟。原因是什么？', 'Redis のメモリ使用量が 1 日で 2 倍になった。どこを見ればいい？']) {
      expect(classifyText(q).signals, q).toContain('a failure or slowdown to diagnose');
    }
    expect(classifyText('这个词是什么意思？').tier).toBe('simple');
  });

  it('choosing when to use something, negotiating, counting paths and writing a note are more than lookups', () => {
    expect(classifyText('When would you pick Cassandra over Postgres?').tier).toBe('moderate');
    expect(classifyText('How do I negotiate rent with my landlord?').tier).toBe('moderate');
    expect(classifyText('Write a thank-you note to my team after a hard launch.').tier).toBe('moderate');
    const paths = classifyText('Wie viele Wege gibt es von links unten nach rechts oben in einem 4x4-Gitter?');
    expect(paths.signals).toContain('a calculation or word problem');
    expect(classifyText('Is Git distributed?').tier).toBe('simple');
  });

  it('handshakes, diagonals and "how many different" are counting puzzles in the covered languages', () => {
    for (const q of ['How many different 4-digit PINs have no repeated digits?', '¿Cuántos apretones de manos hay si 15 personas se saludan entre sí?', 'Сколько диагоналей у десятиугольника?', 'How many handshakes happen if 10 people each shake hands once?']) {
      expect(classifyText(q).signals, q).toContain('a calculation or word problem');
    }
    expect(classifyText("What's the healthiest way to lose 5 kg before summer?").tier).toBe('moderate');
  });

  it('lookups, explanations, proofs and failure reports in German, Japanese, Chinese, Italian and Portuguese phrasings the lexicons lacked', () => {
    const cases: Array<[string, string]> = [
      ['Wie hoch ist die Zugspitze?', 'simple'],
      ['東京タワーの高さは？', 'simple'],
      ['长城有多长？', 'simple'],
      ['O que é um índice em banco de dados?', 'simple'],
      ["Cos'è un database relazionale?", 'simple'],
      ['Perché il cielo è blu?', 'moderate'],
      ['Beweisen Sie, dass die Summe zweier ungerader Zahlen gerade ist.', 'deep'],
      ['本番環境の API のレイテンシが先週から 3 倍になった。調査の手順を教えて。', 'complex'],
      ['Kubernetes の Pod が 5 分おきに再起動する。原因の候補は？', 'complex'],
    ];
    for (const [q, tier] of cases) expect(classifyText(q).tier, q).toBe(tier);
  });

  it('"how are you" in Spanish, Russian, Chinese and Japanese is small talk; a question about a project is not', () => {
    for (const q of ['¿Qué tal?', 'Привет, как дела?', '你好吗？', 'お元気ですか？']) expect(classifyText(q).tier, q).toBe('trivial');
    for (const q of ['Как дела с проектом по миграции базы?', '¿Qué tal funciona Redis como cola?']) expect(classifyText(q).tier, q).not.toBe('trivial');
  });

  it('asking whether a pasted change can fail in a named way (deadlock, race, risk) is a review, even for a short diff', () => {
    const diff = '```diff\n--- a/cache.js\n+++ b/cache.js\n@@ -1,4 +1,6 @@\n-  if (!cache) cache = await load();\n+  if (!cache) {\n+    cache = load();\n+  }\n```';
    for (const ask of ['Can this deadlock?', 'Does this introduce a race?', 'Any risk shipping this during business hours?', 'Was hältst du von dieser Änderung?']) {
      const c = classifyText(`${ask}\n${diff}`);
      expect(c.tier, ask).toBe('complex');
      expect(c.signals, ask).toContain('a review of pasted code');
    }
    expect(classifyText('What does thread-safe mean?').tier).toBe('simple');
    expect(classifyText(`What language is this?\n${diff}`).signals).not.toContain('a review of pasted code');
  });

  it('"how would you build" a system, in the conditional of five languages, is a design question; a logo is not', () => {
    for (const q of ['Wie würdest du ein verteiltes Rate-Limiting für 20 Server bauen?', '¿Cómo diseñarías un sistema de colas con reintentos y orden garantizado por cliente?', 'Как бы вы построили поиск по 100 миллионам документов с задержкой меньше 100 мс?', 'Build an incident response runbook for a ransomware detection on one file server.']) {
      const c = classifyText(q);
      expect(c.tier, q).toBe('complex');
      expect(c.signals, q).toContain('asks how one would build a system');
    }
    expect(classifyText('How would you design a logo for my bakery?').tier).toBe('moderate');
    expect(classifyText('Wie würdest du das übersetzen?').tier).not.toBe('complex');
  });

  it('a property looked up by name (a default, a maximum, a port, a command) and a service request on "my" booking are lookups, not questions about a named system', () => {
    for (const q of ['Default TTL for a DNS record in Route 53?', 'Max length of a VARCHAR in MySQL 8?', 'Wie lautet der Standardport von MongoDB?', 'MySQL 的默认端口是多少？', 'Nginx のデフォルトのポートは？', 'kubectl command to get pods in all namespaces?', 'Change my booking XJ4471 to the 14th, please.']) {
      expect(classifyText(q).tier, q).toBe('simple');
    }
    // A failure beside a default is still a failure to diagnose.
    expect(classifyText('Since the upgrade our Kafka consumers lag 10 minutes with the default fetch size. Why?').tier).toBe('complex');
  });

  it('"how does it work" in Spanish, German, French, Russian, Italian and Portuguese asks for an explanation', () => {
    for (const q of ['¿Cómo funciona el garbage collector de Java?', 'Wie funktioniert ein Hashtable?', 'Comment fonctionne le DNS ?', 'Как работает индекс?', 'Come funziona un compilatore?', 'Como funciona o DNS?']) {
      expect(classifyText(q).tier, q).toBe('moderate');
    }
    expect(classifyText('Summarize the causes and effects of the Industrial Revolution.').tier).toBe('moderate');
  });

  it('a wh-question with a word of its own is not small talk, however many of its words small talk also uses', () => {
    expect(classifyText('What makes a good unit test?').tier).not.toBe('trivial');
    expect(classifyText('what up').tier).toBe('trivial');
    expect(classifyText('Describe how TCP congestion control works.').tier).toBe('moderate');
  });

  it('one step in words ("half of 350?"), a one-word translation and "wie geht\'s?" are trivial; a phrase to translate is a lookup', () => {
    for (const q of ['half of 350?', 'double 21?', "What's a third of 90?", "Translate 'yes' to Spanish", "Hallo, wie geht's?", "How's it going?"]) expect(classifyText(q).tier, q).toBe('trivial');
    for (const q of ["Traduce 'buenas noches' al inglés", "Translate 'see you tomorrow' into Italian.", 'half of the team left, what now?']) expect(classifyText(q).tier, q).not.toBe('trivial');
  });

  it('a short exercise to solve or explain stays moderate whatever its notation; a named multi-step task does not', () => {
    for (const q of ['Solve for x: 2x - 5 = 11', 'Solve the system: x + y = 10, x - y = 2', 'Explain why the derivative of x^2 is 2x', 'Solve for x: 4x - 9 = 23, and show the steps']) expect(classifyText(q).tier, q).toBe('moderate');
    expect(classifyText('Solve the recurrence T(n) = 2T(n/2) + n.').tier).toBe('complex');
  });

  it('a difference asked for in one line is two definitions (simple); a puzzle explained briefly stays moderate', () => {
    for (const q of ["Briefly, what's the difference between TCP and UDP?", "What's the difference between a process and a thread, in one sentence?"]) expect(classifyText(q).tier, q).toBe('simple');
    expect(classifyText('Is 0.999... equal to 1? Explain briefly.').tier).toBe('moderate');
    expect(classifyText("What's the difference between TCP and UDP?").tier).toBe('moderate');
  });

  it('a word problem with no step words and no counting puzzle stays moderate, however many numbers it gives', () => {
    for (const q of ['A snail climbs 3 m up a 10 m well each day and slips 2 m each night. When does it get out?', 'Se 5 máquinas fazem 5 peças em 5 minutos, quanto tempo 100 máquinas levam para fazer 100 peças?']) {
      expect(classifyText(q).tier, q).toBe('moderate');
    }
    // An extremal counting puzzle is not capped.
    expect(classifyText('Two eggs, a 100-floor building: what is the minimum number of drops that finds the critical floor in the worst case?').tier).toBe('complex');
  });

  it('a word problem with a second question about the same numbers is several worked answers: not capped', () => {
    const q = 'Our SaaS has 2,000 customers, 3% monthly churn, and adds 150 a month. When does it reach 4,000, and what churn would get there a year sooner?';
    expect(classifyText(q).tier).toBe('complex');
    // One question, or "and" inside the first: still one worked answer.
    expect(classifyText('Our SaaS has 2,000 customers, 3% monthly churn, and adds 150 a month. When does it reach 4,000?').tier).toBe('moderate');
    expect(classifyText('A tank fills in 6 hours with pipe A and 4 hours with pipe B. Together, how long?').tier).toBe('moderate');
  });

  it('"what language is this?" about pasted code is a lookup, not a question about the code', () => {
    const c = classifyText('What language is this?\n```\nfn main() {\n    let v = vec![1, 2, 3];\n    println!("{:?}", v);\n}\n```');
    expect(c.tier).toBe('simple');
  });

  it('objects retained and threads waiting on a lock are symptoms: a report of them asks for a diagnosis', () => {
    for (const q of ["Heap dumps show 2 million Buffer objects retained by the metrics exporter in our API. What's the likely cause?", 'Threads spend most of their time waiting on a lock in the order service, which calls the tax service while holding it.']) {
      expect(classifyText(q).tier, q).toBe('complex');
    }
    expect(classifyText("I'm waiting on my package, where is it?").tier).not.toBe('complex');
  });

  it('a scene with quantities, then a one-clause question about it, is a puzzle; told in the first person it is not', () => {
    for (const q of ['Three switches outside, one bulb inside a closed room, one visit. Which switch is it?', 'Two trains leave stations 300 km apart at 60 and 90 km/h. When do they meet?']) {
      const c = classifyText(q);
      expect(c.tier, q).toBe('moderate');
      expect(c.signals, q).toContain('a puzzle set up before its question');
    }
    for (const q of ["My order 12345 hasn't arrived yet. Where is it?", 'Step 1: read. Step 2: think. Step 3: think more. Step 4: answer: what is the capital of Spain?']) {
      expect(classifyText(q).signals, q).not.toContain('a puzzle set up before its question');
    }
  });

  it('the terms of a sequence to continue are not a list of asks', () => {
    for (const q of ["What's the next number: 1, 1, 2, 3, 5, 8, ...?", 'Qual é o próximo termo: 2, 6, 12, 20, 30, ...?']) expect(classifyText(q).tier, q).toBe('simple');
    // A list of figures to analyse still counts.
    expect(classifyText('Given sales of 120, 150, 90 and 200 units over four weeks, what is the trend and the week-over-week change?').tier).toBe('moderate');
  });

  it('a short question to explain stays moderate whatever its second part adds; a measured one or a hard verb may not', () => {
    for (const q of ['Monty Hall: should you switch, and why?', 'Why do distributed systems need consensus?', 'What is the probability of rolling at least one six in four throws of a die?']) {
      expect(classifyText(q).tier, q).toBe('moderate');
    }
    expect(classifyText('How would you detect fraud in card transactions in real time with 50 ms latency budget?').tier).toBe('complex');
  });

  it('a short ask to compare or explain pasted notes is moderate however long the notes', () => {
    const notes = Array.from({ length: 120 }, (_, i) => `Item ${i}: the warehouse team reported that the shipment for region ${i % 7} was delayed by weather and rescheduled.`).join(' ');
    const c = classifyText(`Compare the first half and the second half of these notes: what changed? ${notes}`);
    expect(c.signals.some((s) => s.includes('pasted material'))).toBe(true);
    expect(c.tier).toBe('moderate');
  });

  it('prose with a few constraints stays moderate; code to write with requirements does not', () => {
    for (const q of ['Write a cover letter for a junior data analyst job; I have a physics degree and did a Python bootcamp.', "Rewrite for a VP audience, 3 bullets max: 'We had an outage because the cache expired and the DB fell over.'"]) {
      expect(classifyText(q).tier, q).toBe('moderate');
    }
    expect(classifyText('Write a Go program that crawls a website concurrently with a limit of 10 workers, respects robots.txt, and stops after 1000 pages').tier).toBe('complex');
  });

  it('"show that" in French, German, Spanish and Russian asks for a proof', () => {
    for (const q of ['Montrez que racine de 3 est irrationnel.', 'Zeigen Sie, dass die Wurzel aus 2 irrational ist.', 'Muestra que hay infinitos números primos.', 'Покажите, что n^3 - n делится на 6.']) {
      expect(classifyText(q).tier, q).toBe('deep');
    }
  });

  it('"what\'s going on" beside a measured symptom in a system asks for a diagnosis; about Paris it is a lookup', () => {
    const c = classifyText("Our recommendation model's click-through is flat but revenue per session fell 5%. What's going on?");
    expect(c.tier).toBe('complex');
    expect(c.signals).toContain('a failure or slowdown to diagnose');
    expect(classifyText("What's going on this weekend in Paris?").tier).toBe('simple');
    expect(classifyText('The mail arrives intermittently at our house in winter').tier).not.toBe('complex');
  });

  it('a counting puzzle whose words a failure report also uses ("climb", "steps") is a word problem, not a failure to diagnose', () => {
    const puzzle = classifyText('In how many ways can a frog climb 12 steps taking 1 or 3 steps at a time?');
    expect(puzzle.tier).toBe('moderate');
    expect(puzzle.signals).toContain('a calculation or word problem');
    for (const q of ['Memory climbs every hour after the deploy. Steps?', 'Heap usage climbs until the pod is OOMKilled. What steps should I take?']) {
      expect(classifyText(q).signals, q).toContain('a failure or slowdown to diagnose');
    }
  });

  it('social turns opened or closed by thanks or a greeting, and one-step arithmetic in words, are trivial; a request after thanks is not', () => {
    for (const t of ['Appreciate it!', 'Much obliged', 'Спасибо большое!', 'Gracias, eso es todo', 'Obrigado pela ajuda', '谢谢你的帮助', 'お疲れ様です', 'Wie viel ist 8 plus 9?', 'Combien font 6 fois 7 ?', 'Сколько будет 2 плюс 2?']) {
      expect(classifyText(t).tier, t).toBe('trivial');
    }
    for (const t of ['Thanks, now explain recursion', 'Hi, translate this to French', '好的，写一个函数', 'No, use Python instead', 'Thanks! Why does this happen?', 'What is 15% of 80?']) {
      expect(idx(classifyText(t).tier), t).toBeGreaterThanOrEqual(idx('simple'));
    }
  });

  it('reads 1,200 characters of a long ask, its first 900 and last 300: the middle of a long instruction changes nothing (property)', () => {
    const vocabulary = ['prove', 'design', 'optimize', 'compare', 'step by step', 'constraints', 'latency', 'the', 'service', 'and', 'must', 'migrate', 'what', 'why', 'how', 'billing', '40 ms', 'x^2', '?', ',', ';', '1.', 'explain', 'derive'];
    const words = fc.array(fc.constantFrom(...vocabulary), { minLength: 1, maxLength: 200 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(words, words, words, words, (head, tail, middleA, middleB) => {
        // One line of prose (no fence, no code line, no blank line) of at most 1,400 characters,
        // kept whole as the ask. The first 900 and the last 300 are the same in both.
        // (Its ends are no greeting, discourse opening, thanks or courtesy set apart before the window is read.)
        const start = `Then ${head} `.padEnd(900, 'x').slice(0, 900);
        const end = ` ${tail} today.`.padStart(300, 'y').slice(-300);
        const one = classifyText(start + middleA.slice(0, 200) + end);
        const other = classifyText(start + middleB.slice(0, 200) + end);
        expect(other.tier).toBe(one.tier);
        expect(other.score).toBe(one.score);
      }),
      { numRuns: 300 },
    );
  });

  it('a hard verb in the middle of an instruction under 1,200 characters counts', () => {
    const head = 'I am working on the billing service and the team asked me to look into how invoices are produced each month. The service reads usage records, groups them by customer, applies the price list and writes invoices, then a separate job sends emails. ';
    const middle = 'Please prove that the rounding step can never make a total differ from the sum of its line items by more than one cent, and derive the worst case. ';
    const tail = 'Some background: we use PostgreSQL, the job runs nightly, and most customers have fewer than a hundred line items. Thanks a lot for looking at this.';
    const text = head + head + middle + tail;
    expect(text.length).toBeGreaterThan(600);
    expect(text.length).toBeLessThanOrEqual(1200);
    expect(classifyText(text).tier).toBe('deep');
    expect(classifyText(head + head + tail).tier).not.toBe('deep');
  });

  it('takes bounded time on a 1 MB paste (it reads a bounded window)', () => {
    const big = 'lorem ipsum dolor sit amet '.repeat(40_000) + '\n\nWhat is this about?';
    const c = classifyText(big);
    expect(['simple', 'moderate']).toContain(c.tier);
  });
});

describe('robustness: padding and keyword stuffing raise a query at most one tier', () => {
  const trivial = ['Hello', 'thanks!', 'What is 7 times 8?', 'ok got it'];
  const simple = ['What is the capital of France?', 'Translate "good night" into Spanish', 'How many ounces are in a pound?', 'Define entropy.'];
  for (const q of [...trivial, ...simple]) {
    const base = idx(classifyText(q).tier);
    it(`"${q}" padded with filler`, () => {
      const padded = `${FILLER} ${FILLER} ${q} ${FILLER} ${FILLER} ${FILLER}`;
      expect(idx(classifyText(padded).tier)).toBeLessThanOrEqual(base + 1);
    });
    it(`"${q}" stuffed with prove / design / step by step`, () => {
      const stuffed = `${q} Prove it rigorously, design the architecture, derive it from first principles and think step by step.`;
      expect(idx(classifyText(stuffed).tier)).toBeLessThanOrEqual(base + 1);
    });
  }
  // A hard topic beside the stuffing may lift the ask one tier (a question about a mutex is not
  // "what colour is a banana"), never to complex or deep.
  for (const q of ['What is a mutex?', 'What is Raft consensus?', 'Define latency.']) {
    it(`"${q}" (a hard topic) stuffed with prove / design / step by step`, () => {
      const base = idx(classifyText(q).tier);
      const stuffed = `${q} Prove it rigorously, design the architecture, derive it from first principles and think step by step.`;
      expect(idx(classifyText(stuffed).tier)).toBeLessThanOrEqual(base + 1);
    });
  }
  it('a one-word imperative after a failure report is the ask, not stuffing', () => {
    // A report that does not say when it happens (one that does is a failure report: below).
    const report = 'Redis latency spikes to 2s.';
    expect(idx(classifyText(report).tier)).toBeLessThan(idx('complex'));
    expect(classifyText(`${report} Diagnose.`).tier).toBe('complex');
    // and the same verb beside an easy ask still lifts it one tier at most
    expect(idx(classifyText('What is the capital of France? Diagnose.').tier)).toBeLessThanOrEqual(idx('moderate'));
  });
  it('bare names and measurements beside a greeting or a lookup lift it one tier at most; thanks set apart from them leave them as they read alone', () => {
    for (const pad of ['GC pauses 400 ms on G1.', 'OutOfMemory after 5 minutes', 'Redis-кластер 30 секунд', 'it drops 3 of 5 packets and runs for hours', 'PR 12, MR !7', '2^100 and 100!']) {
      const alone = classifyText(pad).tier;
      for (const q of [...trivial, ...simple]) {
        const base = idx(classifyText(q).tier);
        for (const t of [`${q} ${pad}`, `${pad} ${q}`]) {
          // "thanks! GC pauses 400 ms on G1.": the thanks are not read (withoutSocialEdges), and the
          // turn reads as the report alone, which is what sending it alone would get.
          if (withoutSocialEdges(t).trim() === pad) expect(classifyText(t).tier, t).toBe(alone);
          else expect(idx(classifyText(t).tier), t).toBeLessThanOrEqual(base + 1);
        }
      }
    }
    // Both kinds occur: thanks set apart ("thanks! <pad>") and thanks read with the pad.
    expect(withoutSocialEdges('thanks! GC pauses 400 ms on G1.')).toBe('GC pauses 400 ms on G1.');
    expect(withoutSocialEdges('OutOfMemory after 5 minutes thanks!')).toBe('OutOfMemory after 5 minutes thanks!');
  });
  it('a long paste with a one-line easy ask stays SIMPLE or MODERATE', () => {
    const paste = Array.from({ length: 400 }, (_, i) => `Line ${i}: we must design, optimise and prove the distributed consensus protocol handles every failure mode.`).join('\n');
    for (const ask of ['Summarize this:', 'What is the main point of this?', 'Fix the typos in this text:']) {
      expect(['simple', 'moderate']).toContain(classifyText(`${ask}\n\n${paste}`).tier);
      expect(['simple', 'moderate']).toContain(classifyText(`${paste}\n\n${ask}`).tier);
    }
  });
});

describe('thinking budget resolution', () => {
  const config = validateConfig({
    overrides: {
      tenants: { free: { scale: 0.5, ceiling: 1000 } },
      users: { alice: { budgets: { deep: 4000 } } },
      sessions: { s1: { floor: 256 } },
    },
  });
  it('applies tier budgets, overrides, floors and ceilings', () => {
    expect(resolveThinkingBudget(config, 'moderate', {}).budget).toBe(512);
    expect(resolveThinkingBudget(config, 'moderate', { tenant: 'free' }).budget).toBe(256);
    expect(resolveThinkingBudget(config, 'deep', { tenant: 'free' }).budget).toBe(1000);
    expect(resolveThinkingBudget(config, 'deep', { user: 'alice' }).budget).toBe(4000);
    expect(resolveThinkingBudget(config, 'trivial', { session: 's1' }).budget).toBe(256);
  });
  it('honours client hints within the limits', () => {
    expect(resolveThinkingBudget(config, 'deep', {}, { reasoningEffort: 'low' }).budget).toBe(128);
    // The efforts above high (OpenAI's xhigh; vLLM's and SGLang's max) ask for the deep tier, within the ceiling.
    expect(resolveThinkingBudget(config, 'simple', {}, { reasoningEffort: 'xhigh' }).budget).toBe(8192);
    expect(resolveThinkingBudget(config, 'simple', { tenant: 'free' }, { reasoningEffort: 'max' }).budget).toBe(1000);
    expect(resolveThinkingBudget(config, 'simple', {}, { reasoningEffort: 'maximum' }).budget).toBe(128);
    // Names every object inherits are no effort and no identity: the tier's budget, no throw.
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(resolveThinkingBudget(config, 'simple', {}, { reasoningEffort: name })).toEqual({ budget: 128, adjustments: [] });
      expect(resolveThinkingBudget(config, 'moderate', { tenant: name, user: name, session: name })).toEqual({ budget: 512, adjustments: [] });
    }
    expect(resolveThinkingBudget(config, 'trivial', {}, { thinkingBudget: 100_000 }).budget).toBe(8192);
    expect(resolveThinkingBudget(config, 'trivial', { tenant: 'free' }, { thinkingBudget: 5000 }).budget).toBe(1000);
    expect(resolveThinkingBudget(config, 'deep', { session: 's1' }, { thinkingBudget: 10 }).budget).toBe(10);
  });
});

describe('classifier: probe sets 47, 49, 51 and 53', () => {
  it('an expectation asked as "how many flips do you expect" is a multi-step problem; a count of what happened is not', () => {
    const ask = 'If you flip a fair coin until you get two heads in a row, how many flips do you expect?';
    expect(rules(ask).tier).toBe('complex');
    expect(classifyText(ask).signals).toContain('a multi-step problem');
    for (const q of ['How many flips did you make?', 'How many guests do you expect at the wedding?']) expect(classifyText(q).signals, q).not.toContain('a multi-step problem');
  });

  it('probe set 51: a recurring duplicate with "where would you start", a Russian "how to organise" a measured system, a Japanese cost surge to review are complex; their everyday look-alikes are not', () => {
    for (const q of [
      "We're getting duplicate emails sent to customers about once a week. Where would you start?",
      'Как организовать хранение логов по 2 ТБ в день, чтобы поиск занимал секунды?',
      '大量の画像をS3に保存していて月のコストが急増した。どう見直すべき？',
    ]) expect(rules(q).tier, q).toBe('complex');
    for (const q of ['Remove the duplicate emails from this list, keeping the first one.', 'Как организовать день рождения для ребёнка?', 'Where would you start reading Tolkien?']) {
      expect(idx(rules(q).tier), q).toBeLessThan(idx('complex'));
    }
    // Something to write that runs on a schedule is no failure that recurs (found by this test's
    // first form: "Write a cron job that restarts the worker every night" read as a failure report).
    for (const q of ['Write a script that removes duplicate emails from our mailing list once a week.', 'Write a cron job that restarts the worker every night.', 'Напиши скрипт, который перезапускает сервис каждую ночь.']) {
      expect(classifyText(q).signals, q).not.toContain('a failure report');
      expect(idx(rules(q).tier), q).toBeLessThan(idx('complex'));
    }
    expect(classifyText('Our nightly ETL job crashes every night around 3am.').signals).toContain('a failure report');
  });

  it('probe set 53: "second" is no step ("the second", "per second"), "secondly" is; a Japanese "how many" over a range of numbers is a word problem, of one thing a lookup', () => {
    const train = 'A train leaves at 3pm going 60 km/h, another leaves at 4pm going 90 km/h on the same track. When does the second catch up?';
    expect(rules(train).tier).toBe('moderate');
    const steps = (q: string) => Number(classifyText(q).signals.find((s) => s.endsWith('requirements, constraints or hard topics'))?.split(' ')[0] ?? 0);
    expect(steps('Migrate the orders table: first, add the new column; secondly, backfill it in batches; thirdly, switch the reads; finally drop the old one.')).toBeGreaterThanOrEqual(4);
    // (A hard lexicon's terms are words: "second," would turn off withoutHardWords' places shortcut.)
    expect(steps('Migrate the orders table: first, add the new column; second, backfill it in batches; third, switch the reads; finally drop the old one.')).toBeLessThan(4);
    expect(rules('1から100までの整数のうち、3でも5でも割り切れない数はいくつ？').tier).toBe('moderate');
    expect(rules('りんごはいくつありますか？').tier).toBe('simple');
  });

  it('a yes/no question whether something is bad, ok or normal to do is a judgement, not a one-word answer', () => {
    for (const q of ['Is it bad to charge my phone overnight?', 'Is it ok to drink coffee at night?', 'Is it normal to feel tired after a flight?']) {
      expect(classifyText(q).signals, q).not.toContain('one-word answer');
      expect(idx(classifyText(q).tier), q).toBeGreaterThanOrEqual(idx('simple'));
    }
    expect(classifyText('Is the sun a star?').signals).toContain('one-word answer');
  });

  it('the difference between two things is not lifted by the second opinion; a plain moderate ask still is', () => {
    // A stand-in model that reads every ask two tiers up: only the rules decide whether it is asked.
    const high = () => 4.5;
    for (const q of ['nginx: difference between proxy_pass with and without a trailing slash', 'Was ist der Unterschied zwischen einem Mutex und einem Semaphor?', 'В чём разница между процессом и потоком?']) {
      const m = [{ role: 'user', content: q }];
      expect(classifyMessages(m, 3, false).tier, q).toBe('moderate');
      expect(classifyMessages(m, 3, high).tier, q).toBe('moderate');
    }
    const plain = [{ role: 'user', content: 'Explain how nginx picks a location block for a request' }];
    expect(classifyMessages(plain, 3, false).tier).toBe('moderate');
    expect(classifyMessages(plain, 3, high).tier).toBe('complex');
  });
});

describe('classifier: the used probe sets of sessions 58 (55-71), 59 (73-95), 60 (97-109), 61 (111-113) and 62 (117-123), and the retrains on them', () => {
  it('the commas of a signature or schema in brackets are no list of asks; a list outside brackets still counts', () => {
    const sql = "Write a SQL query that returns each customer's most recent order, given customers(id, name) and orders(id, customer_id, created_at, total).";
    expect(rules(sql).tier).toBe('moderate');
    // Nine commas add ~1 to the score outside brackets, nothing inside them.
    const score = (q: string) => rules(q).score;
    const items = 'apples, pears, plums, cherries, grapes, figs, dates, limes, kiwis';
    expect(score(`Compare these: ${items}`) - score(`Compare these: (${items})`)).toBeGreaterThan(0.9);
    // A bracket left open (":(") hides nothing.
    expect(score(`Compare these :( ${items}`)).toBe(score(`Compare these: ${items}`));
  });

  it('a definition explained in one sentence is a definition; a reason explained briefly is still an explanation', () => {
    for (const q of ['用一句话解释什么是递归。', 'Explain in one sentence what recursion is.', 'In one line, explain what a mutex is.']) {
      expect(rules(q).tier, q).toBe('simple');
    }
    for (const q of ['Explain briefly why the sky is blue.', 'Is 0.999... equal to 1? Explain briefly.', 'Explain what recursion is.', '解释什么是递归。']) {
      expect(rules(q).tier, q).toBe('moderate');
    }
  });

  it('probe set 59: a given text rewritten for its tone is a short edit; a rewrite with more to it, or with no text given, is not', () => {
    for (const q of [
      "Rewrite this sentence to sound more professional: 'we messed up the order, sorry, will fix asap'",
      "Reescribe este correo para que suene más profesional: 'oye, mándame el informe ya'",
      'Перепиши, чтобы звучало вежливее: «пришли отчёт немедленно»',
      "Réécris ce message pour qu'il sonne plus poli : « envoie-moi le fichier »",
    ]) expect(rules(q).tier, q).toBe('simple');
    for (const q of [
      "Rewrite for a VP audience, 3 bullets max: 'we shipped late because the vendor API changed twice'",
      'Rewrite this to sound more professional and turn it into a one-page proposal with a budget.',
      'How does a violin make its sound?',
    ]) expect(rules(q).tier, q).toBe('moderate');
  });

  it('probe set 61: a disk that fills up every night, a Chinese "how to pinpoint" and a Japanese deadlock whose cause is asked are failures to diagnose; their look-alikes are not', () => {
    for (const q of [
      "Disk on node worker-3 fills up every night around 2am. Find what's writing and stop it from happening.",
      'Go 服务的 goroutine 数量持续增长，内存不释放，怎么定位？',
      'MySQL のデッドロックが夜間バッチでだけ発生します。原因の調べ方は？',
    ]) expect(rules(q).tier, q).toBe('complex');
    for (const q of ['The bathtub fills up in ten minutes. How long to drain it?', 'My glass fills up with dust every night. Why?', '我们的产品定位是什么？', '如何定位一个 div 元素到页面中间？', 'MySQL のデッドロックとは何ですか？', "Find what's the capital of France."]) {
      expect(idx(rules(q).tier), q).toBeLessThan(idx('complex'));
    }
  });

  it('the second opinion does not lift a lookup that holds one-step arithmetic, however it is padded; other lookups it does', () => {
    // A stand-in model that reads every ask two tiers up: only the rules decide whether it is asked.
    // (The retrain on set 61 read "it drops 3 of 5 packets and runs for hours" high enough to lift
    // "What is 7 times 8?" padded with it from simple to moderate, two tiers above the ask alone.)
    const high = () => 4.5;
    const pad = 'it drops 3 of 5 packets and runs for hours';
    for (const q of [`What is 7 times 8? ${pad}`, `${pad} What is 7 times 8?`, 'What is 12 * 12 in our billing units, roughly?']) {
      expect(rules(q).tier, q).toBe('simple');
      expect(classifyMessages([{ role: 'user', content: q }], 3, high).tier, q).toBe('simple');
    }
    const other = [{ role: 'user', content: `What is the capital of France? ${pad}` }];
    expect(classifyMessages(other, 3, false).tier).toBe('simple');
    expect(classifyMessages(other, 3, high).tier).toBe('moderate');
  });

  it('the word model (second opinion or fallback) does not lift a turn that follows an earlier user turn; the same words alone it does', () => {
    const high = () => 4.5;
    const alone = [{ role: 'user', content: 'Why not use a hash index for range queries?' }];
    expect(classifyMessages(alone, 3, false).tier).toBe('moderate');
    expect(classifyMessages(alone, 3, high).tier).toBe('complex');
    const followUp = [
      { role: 'user', content: 'Explain how a B-tree index speeds up range queries.' },
      { role: 'assistant', content: 'It keeps keys sorted in pages, so a range scan walks the leaves in order.' },
      ...alone,
    ];
    expect(classifyMessages(followUp, 3, high).tier).toBe('moderate');
    expect(classifyMessages(followUp, 3, high).signals.some((x) => x.startsWith('read as '))).toBe(false);
    // Earlier messages that are not the user's (a system prompt, the assistant's greeting) make no follow-up.
    const greeted = [{ role: 'system', content: 'You answer database questions.' }, { role: 'assistant', content: 'Hello! Ask me anything.' }, ...alone];
    expect(classifyMessages(greeted, 3, high).tier).toBe('complex');
    // Nor does the fallback lift a follow-up the rules found nothing in (set 65: "more like that,
    // but in French" after a name for a coffee shop); the same turn alone it does.
    const bare = [{ role: 'user', content: 'Give me a name for a coffee shop.' }, { role: 'assistant', content: 'The Daily Grind.' }, { role: 'user', content: 'more like that, but in French' }];
    expect(classifyMessages(bare, 3, false).signals).toEqual(['short general question']);
    expect(classifyMessages(bare, 3, high).tier).toBe('simple');
    const single = [{ role: 'user', content: 'monads in category theory' }];
    expect(classifyMessages(single, 3, false).signals).toEqual(['short general question']);
    expect(classifyMessages(single, 3, high).signals.some((x) => x.startsWith(FALLBACK_SIGNAL_PREFIX))).toBe(true);
  });

  it('probe set 63: sorting a given list alphabetically or in an order is a short edit; sorting at a scale is not', () => {
    for (const q of ['Sort these alphabetically:\nOlivia\nLiam\nEmma', 'Sort the list in descending order: 5, 2, 9, 1', 'Alphabetize these cities: Lyon, Oslo, Bern']) {
      expect(classifyText(q).signals[0], q).toBe('asks a lookup, definition, conversion or short edit');
    }
    expect(rules('Sort these 1 billion records by date on a machine with 16 GB of RAM.').tier).toBe('complex');
  });

  it('probe set 65: "what\'s causing" over pasted logs asks for a diagnosis; "3 cubed" is one-step arithmetic; three books to recommend are a lookup', () => {
    const log = Array.from({ length: 12 }, (_, i) => `2024-05-0${1 + (i % 9)}T03:${10 + i}:00Z ERROR worker-${i % 4} timeout after 30000 ms calling payments-api`).join('\n');
    const diagnose = classifyMessages([{ role: 'user', content: `${log}\n\nWhat's causing these timeouts?` }], 3, false);
    expect(diagnose.tier).toBe('complex');
    expect(diagnose.signals).toContain('a failure or slowdown to diagnose');
    // Without a symptom in a system or pasted logs it is a question to explain.
    expect(classifyText("What's causing the decline of bees?").signals).not.toContain('a failure or slowdown to diagnose');
    expect(rules("What's 3 cubed?").tier).toBe('trivial');
    for (const q of ['Recommend three books about habits.', 'Recommend 5 podcasts about history.']) expect(classifyText(q).signals[0], q).toBe('asks a lookup, definition, conversion or short edit');
    expect(classifyText('Recommend three architectures for a 10M-user chat backend and compare their failure modes.').signals[0]).not.toBe('asks a lookup, definition, conversion or short edit');
  });

  it('probe set 67: "what does X mean" in five more languages is a lookup; French "conçois" asks for a design', () => {
    for (const q of ['Qué significa CORS?', 'Was bedeutet OOMKilled?', 'Что означает ошибка 502?', 'SLA 是什么意思？', 'SLA とはどういう意味ですか？', 'Que veut dire ce mot ?']) {
      expect(classifyText(q).signals[0], q).toBe('asks a lookup, definition, conversion or short edit');
    }
    expect(rules('Conçois un système de réservation de billets qui évite la survente lors des pics de trafic.').tier).toBe('complex');
  });

  it('probe set 69: sessions that log users out after a deploy and a Japanese app that returns errors only in production, with what to check asked, are failures to diagnose; NPV is no system', () => {
    for (const q of [
      "I'm building a Flask app and sessions randomly log users out after a deploy. We run 3 gunicorn workers behind nginx. What's going on?",
      '私の Node.js アプリが本番でだけ 502 エラーを返します。ローカルでは問題ありません。何を確認すべき？',
    ]) expect(rules(q).tier, q).toBe('complex');
    for (const q of ['How do I log users out after 30 minutes of inactivity in Django?', 'エラーを返すときの HTTP ステータスコードの選び方は？']) {
      expect(idx(rules(q).tier), q).toBeLessThan(idx('complex'));
    }
    expect(technicalMarks('What is the NPV at 8%?').names).toBe(0);
    expect(technicalMarks('What is the TCP window at 8%?').names).toBe(1);
  });

  it('probe set 71: "can you check my essay for grammar mistakes: \'…\'" gives a passage to edit; Japanese おすすめ asks for a recommendation', () => {
    const essay = "can you check my essay for grammar mistakes: 'Their going to the park tomorow, and they was happy.'";
    expect(givenPassage(essay)).toEqual({ instruction: 'can you check my essay for grammar mistakes', passage: 'Their going to the park tomorow, and they was happy.' });
    expect(givenPassage("Could you please summarize this: 'We will redesign the billing system.'")?.passage).toBe('We will redesign the billing system.');
    // "Can you" opens no other instruction as a transform.
    expect(givenPassage("can you design this: 'a billing system'")).toBeNull();
    expect(classifyText('おすすめの本を教えて').signals[0]).toBe('asks a lookup, definition, conversion or short edit');
  });

  it('probe set 73: proofs, designs, diagnoses, lookups and greetings in Portuguese, Italian, Korean, Polish, Turkish and Dutch read as their English twins do', () => {
    for (const [q, tier] of [
      ['소수가 무한히 많다는 것을 증명하세요.', 'deep'],
      ['Udowodnij, że pierwiastek z 2 jest niewymierny.', 'deep'],
      ['Bewijs dat er oneindig veel priemgetallen zijn.', 'deep'],
      ['대규모 채팅 서비스의 아키텍처를 설계해 주세요. 메시지 순서 보장과 오프라인 동기화를 포함해서요.', 'complex'],
      ['Mikroservislerimiz arasında gecikme aniden 10 kat arttı. Nasıl teşhis ederim?', 'complex'],
      ['쿠버네티스 파드가 5분마다 재시작됩니다. 메모리 사용량은 정상입니다. 원인이 뭘까요?', 'complex'],
      ['도커 컨테이너와 가상 머신의 차이는 무엇인가요?', 'moderate'],
      ['Wyjaśnij, jak działa szyfrowanie asymetryczne.', 'moderate'],
      ['Oi, tudo bem?', 'trivial'],
    ] as const) expect(rules(q).tier, q).toBe(tier);
    for (const q of ['Quanti metri ci sono in un miglio?', "Python'da sözlük nedir?", 'Wat is een API?', 'Co to jest rekurencja?', 'HTTP 상태 코드 404는 무슨 뜻인가요?']) {
      expect(rules(q).signals[0], q).toBe('asks a lookup, definition, conversion or short edit');
    }
    // A lookup whose question word comes last (Turkish, Korean) or first (Dutch, Italian) is not
    // lifted by the word model; the same words as a longer ask may be.
    for (const q of ["Türkiye'nin başkenti neresi?", '재귀 함수란 무엇인가요?', 'Wat is de hoofdstad van Canada?', 'Quali sono i colori della bandiera italiana?']) {
      expect(idx(classifyText(q).tier), q).toBeLessThanOrEqual(idx('simple'));
    }
    // "Quantos" counts as "how many" does: with two quantities, a word problem.
    expect(rules('Quantos triângulos existem numa grade de 4x4 pontos?').signals[0]).toBe('a calculation or word problem');
    // German "wie ist" (how is) is no Dutch "who is"; "jake" opens no Polish question.
    expect(rules('Wie ist das Wetter in Berlin?').signals[0]).not.toBe('asks a lookup, definition, conversion or short edit');
    expect(classifyText('Jake asked me to review his PR #12, any issues?').tier).toBe('complex');
  });

  it('probe set 75: failures reported in Italian, Polish and Turkish with where to start or what it could be are failures to diagnose; greetings, Polish arithmetic and a Portuguese cancellation are what they are in English', () => {
    for (const q of [
      'Il servizio di pagamento va in timeout solo sotto carico, con 500 richieste al secondo. Da dove comincio?',
      'Nasza aplikacja zużywa coraz więcej pamięci i co kilka dni się wywala. Jak znaleźć wyciek?',
      "Sunucumuz her gece saat 3'te yeniden başlıyor. Loglarda hata yok. Ne olabilir?",
    ]) expect(rules(q).tier, q).toBe('complex');
    // Their look-alikes with no system or no symptom are not.
    for (const q of ['Da dove comincio a imparare il pianoforte?', 'Jak znaleźć dobrego dentystę w Krakowie?']) expect(idx(rules(q).tier), q).toBeLessThan(idx('complex'));
    for (const q of ['Dobranoc!', 'Günaydın!', 'Goedemorgen!', '좋은 아침이에요!', 'Ile to jest 7 razy 8?']) expect(rules(q).tier, q).toBe('trivial');
    expect(rules('데이터베이스 인덱스는 어떻게 작동하나요?').tier).toBe('moderate');
    for (const q of ['Quero cancelar meu pedido 4521.', '서울에서 부산까지 거리는 얼마나 되나요?']) expect(rules(q).signals[0], q).toBe('asks a lookup, definition, conversion or short edit');
  });

  it('probe set 77: "sql to …" opening a turn asks for a query, not a diagnosis of the symptom it names; "gm" is a greeting; "pls" and "can u" open a transform instruction', () => {
    expect(rules('sql to get duplicate emails from users table').tier).toBe('moderate');
    // A report that names the same symptom and asks nothing is still a failure report.
    expect(rules('our signup job sends duplicate emails to users since the last deploy').tier).toBe('complex');
    expect(rules('gm').tier).toBe('trivial');
    expect(givenPassage("pls summarize this: 'We will redesign the billing system.'")?.passage).toBe('We will redesign the billing system.');
    expect(givenPassage("can u translate this: 'Where is the station?'")?.instruction).toBe('can u translate this');
  });

  it('probe set 79: how many samples are needed to detect an effect, or a test at a given power, is a sample-size problem; samples for a blood test are not', () => {
    expect(rules('How many samples do I need to detect a 2% lift in conversion from a 10% baseline with 80% power?').signals[0]).toBe('a multi-step problem');
    expect(rules('Is the difference between the two groups significant at 90% power?').signals[0]).toBe('a multi-step problem');
    expect(idx(rules('How many samples do I need for my blood test?').tier)).toBeLessThan(idx('complex'));
  });

  it('probe set 81: Polish and Turkish measured reports with when they happen are failures to diagnose; Polish, Turkish and Korean thanks are small talk; Portuguese and Italian verbs are commands to an agent', () => {
    for (const q of ['Po aktualizacji Kubernetesa pody restartują się co godzinę. Co sprawdzić?', 'Redis kümemizde gecikme her gece artıyor. Neden?']) expect(rules(q).tier, q).toBe('complex');
    // The same words about no system are not.
    expect(idx(rules('Mój pies szczeka co godzinę w nocy. Co sprawdzić?').tier)).toBeLessThan(idx('complex'));
    for (const q of ['Dziękuję bardzo!', 'Sağ ol!', '고마워요, 덕분에 해결했어요!']) expect(rules(q).tier, q).toBe('trivial');
    const agent = (q: string) => classifyMessages([{ role: 'system', content: 'Tools: create_event(title, start), cancel_event(id)' }, { role: 'user', content: q }]);
    for (const q of ['Cancele o evento 42.', 'Annulla la riunione di domani.']) expect(idx(agent(q).tier), q).toBeLessThanOrEqual(idx('simple'));
  });

  it("probe set 83: a yes/no question about one's own order or booking is a lookup, not a one-word answer; a plan for a person in Spanish is a plan, not engineering; \"at what time\" opens a lookup", () => {
    for (const q of ['Can I cancel my order 5521?', 'Is my parcel 88213 on its way?', 'Puis-je modifier ma commande ?']) expect(rules(q).tier, q).toBe('simple');
    // Other yes/no questions stay one-word answers.
    expect(rules('Can I bring my dog to the office?').tier).toBe('trivial');
    expect(rules('Diseña un plan de entrenamiento de 8 semanas para correr 10 km, para alguien que nunca ha corrido.').tier).toBe('moderate');
    expect(rules('Diseña un sistema de colas para 50.000 pedidos por minuto.').tier).toBe('complex');
    expect(idx(classifyText('¿A qué hora abre la tienda el sábado?').tier)).toBeLessThanOrEqual(idx('simple'));
    expect(rules('Night night, talk tomorrow!').tier).toBe('trivial');
  });

  it('probe set 85: an app that goes blank in one browser is a failure to diagnose; "in a few words" asks for brevity; Japanese "what year" is a lookup', () => {
    for (const q of ['Mi app de React se queda en blanco en Safari pero en Chrome va bien. ¿Qué puede ser?', 'Our React app shows a blank page in Safari but works fine in Chrome. What could it be?']) {
      expect(rules(q).tier, q).toBe('complex');
    }
    expect(idx(rules('Why does my screen go blank when I close the lid of my notebook?').tier)).toBeLessThan(idx('complex'));
    expect(rules('oye, ¿me explicas qué es Kubernetes en pocas palabras?').signals).toContain('asks for a brief answer');
    expect(rules('スカイツリーは何年に完成しましたか？').signals[0]).toBe('asks a lookup, definition, conversion or short edit');
  });

  it('probe set 87: the units of the next larger unit, a bicycle\'s wheels, what comes before, the colour of the sky and a word spelled backwards are one-word answers; a computation over units is not', () => {
    for (const q of ['How many hours are in a day?', 'How many wheels does a bicycle have?', 'What comes before Tuesday?', 'What color is the sky on a clear day?', "Spell 'dog' backwards", 'Wie viele Tage hat eine Woche?', '一周有几天？', 'hello? anyone there?']) {
      expect(rules(q).tier, q).toBe('trivial');
    }
    // Units two steps apart take a multiplication; a leap year is a fact to know.
    for (const q of ['How many minutes are in a week?', 'Wie viele Minuten hat eine Woche?', 'Wie viele Tage hat ein Schaltjahr?']) expect(rules(q).tier, q).not.toBe('trivial');
    expect(rules('日本で一番高い山は？').tier).toBe('simple');
  });

  it('probe set 89: implementing a known thing with no analysis asked is one piece of code; with its analysis, tests or another hard verb it is not', () => {
    for (const q of ['Implement a stack in Python with push and pop.', 'Implement FizzBuzz in JavaScript.', 'Implement binary search in Java.']) {
      expect(rules(q).tier, q).toBe('moderate');
      expect(rules(q).signals[0], q).toBe('an implementation of a known thing, no analysis asked');
    }
    for (const q of [
      'Implement an LRU cache in Java with O(1) get and put and explain the data structures.',
      'Implement retry with exponential backoff for the HTTP client and add tests.',
      'Implement and optimize a stack in Python.',
      'Implement a min-heap in Go with push, pop and decrease-key, and state each operation\'s complexity.',
    ]) expect(rules(q).tier, q).toBe('complex');
    // A mechanism whose explanation is complex work.
    expect(rules('Explain how LSM trees trade read amplification for write throughput, with compaction strategies.').tier).toBe('complex');
  });

  it('probe set 91: a given text rewritten to be more concise is a short edit; a haiku and a few title ideas are lookups, startup ideas are not; more goodbyes are small talk', () => {
    expect(rules("Rewrite this to be more concise: 'In order to be able to complete the project on time, it is necessary that we start working on it as soon as possible.'").tier).toBe('simple');
    // Rewritten with more to it, it is still writing.
    expect(rules("Rewrite this as a two-paragraph cover letter: 'I have five years of experience in logistics and I am applying for the manager role.'").tier).toBe('moderate');
    for (const q of ['Write a haiku about the ocean.', 'Give me 5 title ideas for a blog post about remote work.']) expect(rules(q).signals[0], q).toBe('asks a lookup, definition, conversion or short edit');
    expect(rules('give me 5 startup ideas in fintech').signals[0]).not.toBe('asks a lookup, definition, conversion or short edit');
    for (const q of ['mornin all!', "nah, I'm good", 'Bis später!', 'À plus !', 'haha nice one']) expect(rules(q).tier, q).toBe('trivial');
  });

  it('probe set 95: refactoring a short pasted function with no analysis asked is one rewrite; a security review asked in Spanish is a review; what code does, its docstring and whether it compiles are lookups', () => {
    const dedupe = '```python\ndef dedupe(users):\n    out = []\n    for u in users:\n        if u not in out:\n            out.append(u)\n    return out\n```';
    expect(rules(`Refactor this to use a set so it's faster:\n${dedupe}`).signals[0]).toBe('a refactoring of pasted code, no analysis asked');
    // With its analysis asked, or another hard verb, it is not.
    for (const q of [`Refactor this and analyze its complexity:\n${dedupe}`, `Refactor this and optimize its memory use:\n${dedupe}`]) expect(rules(q).tier, q).toBe('complex');
    const diff = "```diff\n- if (user.role == 'admin') {\n+ if (user.role == 'admin' || req.query.debug) {\n    return next();\n  }\n```";
    expect(rules(`Revisa este cambio de seguridad:\n${diff}`).tier).toBe('complex');
    for (const q of ['¿Qué hace este código?\n```js\nconst x = 1;\n```', 'Write a docstring for this:\n```python\ndef f(a):\n    return a * 2\n```', 'Does this compile?\n```rust\nfn main() {}\n```']) {
      expect(rules(q).tier, q).toBe('simple');
    }
  });

  it('probe set 101: a role to play asks one turn in character, what else is asked decides; a transcription is a lookup; longer thanks and weekend wishes are small talk', () => {
    for (const q of ['Roleplay as a medieval innkeeper greeting a traveller.', "Pretend you're a hiring manager and interview me for a senior frontend role. Ask one question at a time."]) {
      expect(rules(q).signals[0], q).toBe('asks a lookup, definition, conversion or short edit');
    }
    // The role adds nothing to what is asked with it.
    expect(rules('Act as a principal engineer reviewing my design: we shard users by hash of email across 8 Postgres instances. Tear it apart and propose something better.').tier).toBe('complex');
    expect(rules('Pretend you are a travel agent and plan a 10-day Japan itinerary for a family with two kids.').tier).toBe('moderate');
    expect(rules('Transcribe the text in this screenshot.').signals[0]).toBe('asks a lookup, definition, conversion or short edit');
    for (const q of ['Thanks a lot, this was super helpful!! Have a great weekend :)', 'really useful, thanks!']) expect(rules(q).tier, q).toBe('trivial');
    // A report is not small talk for its "was".
    expect(rules('the deploy was slow again').tier).not.toBe('trivial');
  });

  it('probe set 107: a turn that changes the subject does not inherit the conversation; "okie, got it" is small talk', () => {
    const design = [
      { role: 'user', content: 'Design a rate limiter for our public API: 50k rps, per-key and per-IP limits, 3 regions, consistent within a second.' },
      { role: 'assistant', content: 'Use a sliding-window counter per key in a regional Redis ...' },
    ];
    const next = (content: string) => classifyMessages([...design, { role: 'user', content }], 3, false);
    for (const q of ["thanks! unrelated: what's the capital of Peru?", 'off topic, but how many ounces in a pound?', 'cambiando de tema: ¿cuál es la capital de Perú?']) {
      expect(next(q).signals, q).not.toContain('follow-up in a harder conversation');
      expect(idx(next(q).tier), q).toBeLessThanOrEqual(idx('simple'));
    }
    // Without the switch, a short follow-up still inherits.
    for (const q of ['what if Redis is down?', 'btw, what if Redis is down?']) expect(next(q).signals, q).toContain('follow-up in a harder conversation');
    expect(next('okie, got it').tier).toBe('trivial');
  });

  it('probe set 113: a threat model asked for is an analysis, hyphenated or not, and "threat modeling" too', () => {
    const flow = 'our password reset flow: the user enters an email, we send a 6-digit code valid for 30 minutes, and they set a new password. List the attacks and mitigations.';
    for (const q of [`Threat-model ${flow}`, `Threat model ${flow}`, 'Do threat modeling for the file upload service.', 'Threat-modelling the admin API is next on our list; where do we start?']) {
      expect(rules(q).signals, q).toContain('asks to design, debug, optimise or analyse');
    }
    // A threat named is no analysis asked.
    expect(rules('What is a threat actor?').tier).toBe('simple');
  });

  it('probe set 117: a team asking in Chinese or Japanese how to carry a system through a migration asks for a plan; "Demonstra que" asks a proof', () => {
    for (const q of ['社内の勤怠システムを、月末の締め処理が止まらないようにクラウドへ移行したい。どんな手順で進めるべきですか？', '我们想把考勤系统迁移到云上，保证月底结算不中断。应该按什么步骤进行？']) {
      expect(rules(q).signals, q).toContain('asks how a team should do something to a system');
    }
    expect(rules('Demonstra que a soma de dois números ímpares é sempre par.').tier).toBe('deep');
    // A system named is no plan asked: "what is a system" stays a definition.
    for (const q of ['システムとは何ですか？', '什么是操作系统？']) expect(rules(q).tier, q).toBe('simple');
  });

  it('probe set 119: a system that falls over, takes tens of seconds or loses sync, asked what to do, is a failure to diagnose or a situation to act on', () => {
    for (const q of ['毎朝9時になるとログインが集中してサーバーが落ちます。どう対策すればいいですか？', '我们的App在部分安卓机型上启动要十几秒，其他机型正常。应该怎么定位原因？', 'The warehouse scanners lose sync with inventory a few times a day and we end up overselling. We have one developer. What would you fix first?']) {
      expect(rules(q).tier, q).toBe('complex');
    }
    // Tens of seconds of anything else is no symptom: a lookup stays one.
    expect(rules('一分钟有几十秒？').tier).not.toBe('complex');
    // A scene told by "we" or "our" in Spanish or German (French, Russian, Portuguese and Italian alike) is a situation, not a puzzle set up before its question, as in English.
    for (const q of ['Nuestro equipo tarda 3 días en responder. Tenemos 4 agentes y 600 tickets por semana. ¿Qué hacemos?', 'Unser Team braucht 3 Tage für eine Antwort und hat 4 Leute für 600 Tickets pro Woche. Was tun wir?']) {
      expect(rules(q).signals, q).not.toContain('a puzzle set up before its question');
    }
    expect(rules('Ein Team braucht 3 Tage für eine Antwort und hat 4 Leute für 600 Tickets pro Woche. Wie viele Tickets sind das pro Person?').signals).toContain('a puzzle set up before its question');
  });

  it('probe set 121: a failure told in Spanish, German, Russian, Chinese, Japanese, Portuguese or Italian, and asked what to check, is a failure to diagnose, as in English', () => {
    for (const q of [
      'Desde que activamos el autoescalado, la factura de la nube se triplicó aunque el tráfico es el mismo. ¿Qué revisarías primero?',
      'Bei uns werden Nutzer nach dem Passwort-Reset manchmal sofort wieder abgemeldet. Wie finde ich den Fehler?',
      'Наш интернет-магазин перестаёт принимать заказы, когда идёт распродажа. Как подготовиться к следующей?',
      '用户反馈支付成功后订单状态一直不更新，大概每天几十单。怎么排查和修复？',
      'ECサイトのセール時にだけ在庫がマイナスになることがあります。原因と対策を教えてください。',
      'Nosso aplicativo ficou lento depois que passamos de 10 mil para 100 mil usuários. Por onde começamos a investigar?',
      'Il nostro gestionale si blocca ogni fine mese durante la fatturazione. Come lo analizzeresti?',
    ]) {
      expect(rules(q).signals, q).toContain('a failure or slowdown to diagnose');
    }
    // The words alone, with no failure told, ask nothing harder.
    for (const q of ['¿Qué es el tráfico de red?', 'Was ist ein Passwort-Manager?', '在庫とは何ですか？']) expect(rules(q).tier, q).toBe('simple');
  });

  it('probe set 123: failures of shops and offices told in Russian, Chinese, Japanese, Portuguese, Turkish and Dutch, asked what to do, are failures to diagnose', () => {
    for (const q of [
      'После перехода на новый платёжный шлюз часть платежей зависает в статусе «в обработке». Как разобраться?',
      '新版本上线后，部分用户登录后马上被踢出。怎么查原因？',
      '夜間バッチが終わらず、朝の業務開始に間に合わない日が週に2回あります。どう改善すべきでしょうか？',
      'Desde a atualização do servidor, os relatórios do financeiro demoram uma hora para abrir. O que você faria?',
      'Web sitemiz her kampanyada çöküyor ve müşteri kaybediyoruz. Nasıl hazırlanmalıyız?',
      'Onze webshop wordt elke maandagochtend traag als de nieuwsbrief verstuurd is. Waar moeten we beginnen?',
    ]) {
      expect(rules(q).signals, q).toContain('a failure or slowdown to diagnose');
    }
    // "Complete" and "each decision" widen a design in Spanish as in English.
    expect(rules('Diseña la arquitectura completa de una plataforma de pagos para tres países, justificando cada decisión.').signals).toContain('whole-system scope');
    // A Spanish or Italian verb in the first person plural tells a situation, not a puzzle set up before its question.
    expect(rules('Tenemos 3 personas en soporte y 600 tickets por semana. ¿Qué hacemos?').signals).not.toContain('a puzzle set up before its question');
    expect(rules('Un equipo tiene 3 personas en soporte y 600 tickets por semana. ¿Cuántos tickets son por persona?').signals).toContain('a puzzle set up before its question');
    // Only verbs: nouns that end as they do ("préstamos", "gramos", "primos") tell no one's scene.
    expect(rules('Un banco da préstamos de 10000 euros al 5 por ciento anual durante tres años. ¿Cuánto se paga en total?').signals).toContain('a puzzle set up before its question');
  });

  it('reads a team situation told in another language than English, then one question for what to do, as a plan or a diagnosis (teamSituationThenCourse)', () => {
    const signal = 'a situation told, then what to do';
    for (const q of [
      'Tenemos 3 personas en soporte técnico y los tickets se acumulan cada lunes. ¿Cómo organizarías las guardias y la automatización?',
      'Мы получили письмо, что наши данные клиентов выложены в открытый доступ. Что делать в первые сутки?',
      'Da quando abbiamo cambiato provider email, metà delle fatture finisce nello spam dei clienti. Cosa controlleresti?',
      'Unser Vertrieb pflegt Kundendaten in drei verschiedenen Tabellen und niemand weiß, welche stimmt. Wie gehen wir das an?',
      '弊社では月末になると経理の締め作業が毎回三日も遅れます。どうすればいいでしょうか？',
    ]) {
      const r = rules(q);
      expect(r.signals, q).toContain(signal);
      expect(r.tier, q).toBe('complex');
    }
    for (const q of [
      // English is left to its own rules: a situation, then "How do I …?", is often one fix.
      "Our Python API's Docker image weighs 2.1 GB. How do I make it smaller?",
      // A value asked, not a course.
      'Tenemos 3 cajas con 12 manzanas cada una y regalamos 5. ¿Cuántas manzanas nos quedan?',
      'Nasz zespół ma 5 osób i 300 zgłoszeń tygodniowo. Jak długo zajmie obsłużenie wszystkich?',
      '我们每天要处理两百个订单，每单需要三分钟。全部处理完要多久？',
      // How something works is an explanation.
      'Nuestro servidor usa Linux desde hace años sin problemas. ¿Cómo funciona el planificador del kernel?',
      // Someone else's situation, not the team's own.
      'La tienda de mi vecino vende pan y café desde hace diez años. ¿Cómo organizaría el trabajo?',
      // Two questions, not a situation and one.
      '¿Tenemos que migrar todo el sistema de pagos este año? ¿Cómo lo harías?',
    ]) {
      expect(rules(q).signals, q).not.toContain(signal);
    }
  });

  it("reads a Spanish closing question after its opening '¿' as the English one: a short ask for what to do after a technical situation", () => {
    expect(rules('Migramos 300 tablas de Oracle a Postgres el mes que viene con dos personas. ¿Cómo lo planificarías?').signals).toContain('a technical situation and a short ask for what to do');
    // A value asked of a scene is still a word problem.
    expect(rules('Un tren sale de Madrid a las 8 y llega a Sevilla a las 10:30 con paradas. ¿Qué velocidad media lleva?').tier).toBe('moderate');
  });
});

describe('givenPassage: a text given to transform is material, not the ask', () => {
  it('splits a quoted text or the lines after an instruction from a transform instruction, and nothing else', () => {
    expect(givenPassage("Summarize in one sentence: 'The team will review the design.'")).toEqual({ instruction: 'Summarize in one sentence', passage: 'The team will review the design.' });
    expect(givenPassage('Fix the grammar:\nwe has to debug the crash')).toEqual({ instruction: 'Fix the grammar', passage: 'we has to debug the crash' });
    // Typography that turns every ' into ’ quotes with ’ at both ends.
    expect(givenPassage('Summarize: ’The team will review the design.’')).toEqual({ instruction: 'Summarize', passage: 'The team will review the design.' });
    expect(givenPassage('翻译成英文：「我们需要重新设计架构」')).toEqual({ instruction: '翻译成英文', passage: '我们需要重新设计架构' });
    expect(givenPassage('Übersetze ins Englische: „Wir müssen das System neu entwerfen“.')).toEqual({ instruction: 'Übersetze ins Englische', passage: 'Wir müssen das System neu entwerfen' });
    for (const ask of [
      "Explain: 'why does the design need a queue'", // no transform
      "Translate 'prove' into German: is that right?", // a question after the colon is not quoted to its end
      'Is this translation right: "Ich bin ein Berliner"', // a question
      "Summarize: 'part one' and then design a schema for it", // the quote does not end the turn
      'Translate to German: the meeting is at 5pm.', // not quoted, on the same line
      "Summarize: ''", // nothing given
      'Summarize:', // nothing after the colon
      'Translator notes: see below', // a word that only starts like a verb
    ]) expect(givenPassage(ask), ask).toBeNull();
    // The colon is looked for in the first 160 characters only.
    expect(givenPassage('Summarize ' + 'x'.repeat(200) + ": 'text'")).toBeNull();
  });

  it('reads the instruction alone: hard words in the given text do not raise it, and the second opinion does not read it', () => {
    for (const q of [
      "Summarize: 'The team will review the design and compare both options next week.'",
      "Fix the grammar: 'we has to debug the server crash since it dont work'",
      "Proofread this: 'Our architecture review found three issues.'",
      'Translate into French:\n\nWe need to design a new architecture and prove it is safe.',
    ]) {
      expect(classifyText(q).tier, q).toBe('simple');
      expect(classifyMessages([{ role: 'user', content: q }], 3, () => 4.5).tier, q).toBe('simple');
    }
    // The same words asked, not given, are still read.
    expect(classifyText('Review the design and compare both options for our event pipeline').tier).not.toBe('simple');
  });

  it('takes a text, a blank line and a transform instruction as its last line the same way (probe set 63), and nothing else', () => {
    const notes = 'Priya: revenue is up 8% but churn rose to 4.1%.\nTom: we must redesign the invoice and analyse the churn by plan.';
    expect(givenPassage(`${notes}\n\nSummarize this in 3 bullet points.`)).toEqual({ instruction: 'Summarize this in 3 bullet points.', passage: notes });
    expect(givenPassage('We open an office in Lisbon next month.\n \t\nTranslate to Spanish.\n')).toEqual({ instruction: 'Translate to Spanish.', passage: 'We open an office in Lisbon next month.' });
    for (const ask of [
      `${notes}\n\nSummarize this and tell me why churn rose?`, // a question
      `${notes}\n\nExplain the churn.`, // no transform
      `${notes}\nSummarize this.`, // no blank line before it
      `${notes}\n\nSummarize this ${'x'.repeat(200)}`, // longer than an instruction's line
      '\n\nSummarize this.', // nothing given
    ]) expect(givenPassage(ask), ask).toBeNull();
    // The given text's words are not read; the same text asked about is.
    for (const q of [`${notes}\n\nSummarize this in 3 bullet points.`, `${notes}\n\nTranslate to Spanish.`]) {
      expect(rules(q).tier, q).toBe('simple');
    }
    expect(idx(classifyMessages([{ role: 'user', content: `${notes}\n\nWhy did churn rise, and what should we redesign first?` }], 3, false).tier)).toBeGreaterThan(idx('simple'));
  });

  it('is bounded on megabytes of colons, quotes and instructions', () => {
    for (const text of ['Summarize: ' + "'".repeat(1 << 20), 'Summarize:\n' + 'a '.repeat(1 << 19), ':'.repeat(1 << 20), 'Translate '.repeat(1 << 17), 'a'.repeat(1 << 20) + '\n\nSummarize.', '\n'.repeat(1 << 20) + 'Summarize.', ' '.repeat(1 << 20) + '\nSummarize.']) expect(() => within(300, () => classifyText(text)), text.slice(0, 40)).not.toThrow();
  });
});

describe('groundedAsk: a context a question is asked of is material, not the ask (probe set 97)', () => {
  const facts = 'The Millbrook Bridge opened in 1932. A 2019 inspection found corrosion on pier 3; p99 traffic delay rose to 40 minutes and the deck design was rated unsafe under load.';

  it('splits a labelled question, an ask that points at the text below it, and a text introduced by a line of its own', () => {
    // A labelled context is a template's input field (templatedAsk); an unlabelled one is all the text before the question.
    expect(groundedAsk(`Context:\n${facts}\nQuestion: When did the bridge open?`)).toEqual({ instruction: 'When did the bridge open?', passage: facts });
    expect(groundedAsk(`${facts}\nQuestion: When did the bridge open?`)).toEqual({ instruction: 'When did the bridge open?', passage: facts });
    expect(groundedAsk('Contexte : Le musée ouvre à 10 h.\nQuestion : ouvre-t-il le lundi ?')?.instruction).toBe('ouvre-t-il le lundi ?');
    expect(groundedAsk('上下文：本店每天营业。\n问题：周日开门吗？')?.instruction).toBe('周日开门吗？');
    expect(groundedAsk(`From the abstract below, what was the sample size?\n\nAbstract: ${facts}`)).toEqual({ instruction: 'From the abstract below, what was the sample size?', passage: `Abstract: ${facts}` });
    expect(groundedAsk('Using the following policy, decide whether we may ship.\n\nPolicy: only fixes ship after the 20th.')?.instruction).toBe('Using the following policy, decide whether we may ship.');
    expect(groundedAsk(`Meeting notes, 14 March:\n- ${facts}\n- Tom: ship on 2 April.\n\nWhat was decided?`)).toEqual({ instruction: 'What was decided?', passage: `- ${facts}\n- Tom: ship on 2 April.` });
  });

  it('takes nothing else: a report, a long question, no context, hard work asked of the context', () => {
    for (const ask of [
      `${facts}\nWhen did the bridge open?`, // no label, no pointer, no introducing line
      "I'm getting these errors when I deploy:\n\nError: connect ECONNREFUSED 10.0.0.5:5432", // a report: its text is the problem
      `Context:\n${facts}\nQuestion: ${'why '.repeat(80)}`, // a question longer than an ask's 300 characters
      'Question: When did the bridge open?', // no context before the label
      '\nQuestion: When did it open?', // nothing but white space before it
      `Context:\n${facts}\nQuestion: Diagnose the root cause and propose a fix.`, // a diagnosis of the context
      `Requirements:\n- ${facts}\n\nDesign the replacement bridge's monitoring system.`, // a design from the list
      `Here are the notes:\n${facts}`, // an introducing line and no ask after a blank line
    ]) expect(groundedAsk(ask), ask).toBeNull();
  });

  it('takes a text with no line introducing it, a blank line and a lookup in it or a transform of it (probe set 105); any other ask of it, or log lines, are read whole', () => {
    const article = 'Remote work has reshaped city centres: office occupancy is below 60% of 2019 levels, latency of commutes fell, and cities must redesign the architecture of their downtowns.';
    expect(groundedAsk(`${article}\n\nWhat is the main point of this text?`)).toEqual({ instruction: 'What is the main point of this text?', passage: article });
    expect(groundedAsk(`${article}\n\nTranslate the first sentence into Spanish.`)?.instruction).toBe('Translate the first sentence into Spanish.');
    expect(rules(`${article}\n\nWhat is the main point of this text?`).tier).toBe('simple');
    // A short question for one value is a lookup in the text too (set 105: read two or three tiers
    // high), in the languages that put the question word last as well.
    for (const ask of ['What was occupancy in 2019?', 'Who is converting offices into housing?', 'How many cities are named?', '¿Dónde bajó la ocupación?', '2019年的入住率是多少？']) {
      expect(groundedAsk(`${article}\n\n${ask}`)?.instruction, ask).toBe(ask);
      expect(idx(rules(`${article}\n\n${ask}`).tier), ask).toBeLessThan(idx('complex'));
    }
    for (const ask of [
      `${article}\n\nDo you agree with it? Argue both sides.`, // an argument: as hard as the text makes it
      `${article}\n\nWhat should we do?`, // no lookup or transform named
      `${article}\n\nWho should pay for it?`, // advice, not a value
      `${article}\n\nWhat was occupancy in 2019? And why did it fall?`, // two questions
      `${article}\n\nWhere will downtown office occupancy stand in ten years if these trends continue?`, // longer than a lookup
      `Offices are empty.\n\nWhat is the main point?`, // under 100 characters given
      `${article}\n\nWhat is the main point? ${'x '.repeat(200)}`, // longer than an ask
      '2026-11-30 10:14:09 ERROR http: timeout path=/orders\n2026-11-30 10:14:09 ERROR http: timeout path=/orders\n2026-11-30 10:14:11 ERROR pool: exhausted after 30000 ms\n\nWhat is going on?', // log lines
    ]) expect(groundedAsk(ask), ask).toBeNull();
  });

  it("reads the question alone: the context's hard words and length do not raise it, the question's own words still do", () => {
    const before = rules(`${facts} When did the bridge open?`);
    const grounded = rules(`Context:\n${facts}\nQuestion: When did the bridge open?`);
    expect(idx(before.tier)).toBeGreaterThan(idx('simple'));
    expect(grounded.tier).toBe('simple');
    expect(grounded.signals).toContain('about 30 words of pasted material');
    // The second opinion does not read it either (a paste is not a plain ask).
    expect(classifyMessages([{ role: 'user', content: `Context:\n${facts}\nQuestion: When did the bridge open?` }], 3, () => 4.5).tier).toBe('simple');
    expect(rules(`Contexto: ${facts}\nPregunta: ¿cuándo abrió el puente?`).tier).toBe('simple');
    // Asked to diagnose it, the context is read with the ask, as before.
    expect(rules(`Context:\n${facts}\nQuestion: Diagnose the root cause and propose a fix.`).tier).toBe('complex');
    // A comparison asked of a given text is still a comparison.
    expect(rules(`Read these two reviews and compare the pros and cons of each product.\n\nReview A: ${facts}\nReview B: it lasts two days.`).tier).toBe('moderate');
  });

  it("counts the context's figures for a quantity asked of them: a word problem stays one", () => {
    const plans = 'Context: the Pro plan costs 12 € a month or 120 € a year.\n';
    for (const q of [`${plans}Question: how much do I save a year by paying yearly?`, "Contexte : l'abonnement coûte 12 € par mois ou 120 € par an.\nQuestion : combien j'économise par an ?"]) {
      expect(rules(q).signals[0], q).toBe('a calculation or word problem');
    }
    expect(rules(`${plans}Question: Is there a yearly plan?`).signals).not.toContain('a calculation or word problem');
  });

  it('is bounded on megabytes of labels, line breaks and pointers', () => {
    for (const text of ['\nQuestion: '.repeat(1 << 16), 'Context: x\nQ: ' + 'y'.repeat(1 << 20), 'the following\n'.repeat(1 << 16), 'Notes:\n' + '\n\n'.repeat(1 << 19) + 'Why?', 'a:\n' + 'b\n\n'.repeat(1 << 18)]) expect(() => within(300, () => classifyText(text)), text.slice(0, 40)).not.toThrow();
  });
});

describe('fewShotAsk and templatedAsk: examples and input fields are given, not asked (probe set 99)', () => {
  const sentiment = 'Classify the sentiment.\n\nText: I love this phone, the design is great.\nSentiment: positive\n\nText: The delivery crashed my plans, the box was crushed.\nSentiment: negative\n\nText: Battery life is bad.\nSentiment:';

  it('splits examples from the instruction and the last item, for a label left empty or an arrow', () => {
    expect(fewShotAsk(sentiment)).toEqual({
      instruction: 'Classify the sentiment.\nText: Battery life is bad.\nSentiment:',
      passage: 'Text: I love this phone, the design is great.\nSentiment: positive\n\nText: The delivery crashed my plans, the box was crushed.\nSentiment: negative',
    });
    // No instruction line: the examples open the prompt.
    expect(fewShotAsk('English: cat\nFrench: chat\nEnglish: horse\nFrench:')).toEqual({ instruction: 'English: horse\nFrench:', passage: 'English: cat\nFrench: chat' });
    expect(fewShotAsk('Convert to a slug.\n"Oak Table" -> oak-table\n"USB-C Cable" ->')).toEqual({ instruction: 'Convert to a slug.\n"USB-C Cable" ->', passage: '"Oak Table" -> oak-table' });
  });

  it('takes no prompt without an example of its empty label, nor one with nothing between the instruction and the item', () => {
    for (const ask of [
      'TASK: Generate a SQL query.\nSCHEMA: t(a, b)\nSQL:', // "SQL:" is given no value anywhere
      'Translate to French.\nEnglish: horse\nFrench:', // no example: the item follows the instruction
      'Sentiment: positive\nSentiment:', // nothing but the label
      'Map each error to a cause ->', // one line
      'Plan A: move fast.\nA:', // "A:" valued nowhere at a line's start
      'Design the cache ->\nthen prove it correct ->', // no arrow with a value
    ]) expect(fewShotAsk(ask), ask).toBeNull();
  });

  it("splits a template's input fields from what it asks, by label, heading or field, in several languages", () => {
    expect(templatedAsk('TASK: Generate a SQL query.\nSCHEMA:\nusers(id, email)\nQUESTION: Users per day.\nSQL:')).toEqual({ instruction: 'Generate a SQL query.\nUsers per day.', passage: 'users(id, email)' });
    expect(templatedAsk('### Task\nSummarize the message in one sentence.\n\n### Input\nHi, my lamp never arrived.\n\n### Output format\nOne sentence.')).toEqual({
      instruction: 'Summarize the message in one sentence.\n\n\nOne sentence.',
      passage: 'Hi, my lamp never arrived.',
    });
    expect(templatedAsk('Задача: переведи на английский.\nТекст: Мы перенесли встречу.')?.passage).toBe('Мы перенесли встречу.');
    for (const ask of [
      'Role: engineer\nGoal: design the rate limiter\nConstraints: 50k rps', // no field gives input
      'Text: the whole prompt is one field', // one field
      'Input: a\nText: b', // nothing asked
      'Context: ok\nQuestion: Diagnose the root cause and propose a fix.', // a diagnosis of the input
      'a: b\n'.repeat(30) + 'Input: x', // more fields than a template has
    ]) expect(templatedAsk(ask), ask).toBeNull();
  });

  it("reads what is asked: the examples' and inputs' words do not raise it, the item's own do", () => {
    expect(rules(sentiment).tier).toBe('simple');
    expect(rules('Problem: 3 pens cost $2. How much do 12 pens cost?\nSolution: $8.\n\nProblem: A train goes 180 km in 2 hours, then 60 km in 1 hour. What is its average speed?\nSolution:').signals[0]).toBe('a calculation or word problem');
    expect(rules('### Task\nSummarize the message in one sentence.\n\n### Input\nOur p99 latency regressed after the deploy, the cache is thrashing and we must redesign the whole architecture.').tier).toBe('simple');
    expect(rules('TASK: Generate a SQL query.\nSCHEMA:\ncustomers(id, country)\norders(id, customer_id, amount)\nQUESTION: Total amount per country.\nSQL:').tier).toBe('moderate');
  });

  it('on any text of labels, arrows, headings, quotes and breaks (property): never throws, splits only into lines of the text, an instruction of at most 300 characters, a passage with a word', () => {
    const piece = fc.oneof(
      fc.constantFrom('Text:', '\nText: ', 'Sentiment:', '\nSentiment: positive', 'Input:', '\n### Input\n', '### Task', '\nQuestion: ', 'Q:', '\nA:', 'Context:', '\n问题：', 'TASK:', 'Frage :', ' -> ', '->', '→', '\n x -> y', '\n', '\n\n', '\n \n', '\r\n', ':', '：', '#', '  ', '\t', 'Summarize this.', '\n\nWhat is the main point?', 'Diagnose the root cause', 'below', 'these', 'Using the following', 'the', '\ud800', '😀', 'ERROR timeout'),
      fc.string({ maxLength: 4 }),
      // Long runs of prose, so that instructions and passages past every bound are drawn too.
      fc.constant('lorem ipsum '.repeat(10)),
      fc.constant('lorem ipsum '.repeat(10)),
    );
    const linesOf = (ask: string, part: string) => part.split('\n').every((line) => ask.includes(line.trim()));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (parts) => {
        const ask = parts.join('');
        for (const split of [groundedAsk, fewShotAsk, templatedAsk]) {
          const r = split(ask);
          if (r === null) continue;
          expect(r.instruction.length, JSON.stringify(ask)).toBeLessThanOrEqual(300);
          expect(r.instruction.trim().length, JSON.stringify(ask)).toBeGreaterThan(0);
          expect(/[\p{L}\p{N}]/u.test(r.passage), JSON.stringify(ask)).toBe(true);
          expect(linesOf(ask, r.instruction) && linesOf(ask, r.passage), JSON.stringify(ask)).toBe(true);
        }
        expect(() => classifyText(ask)).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });

  it('is bounded on megabytes of labels, arrows and headings', () => {
    for (const text of ['a: b\n'.repeat(1 << 18) + 'a:', 'x -> y\n'.repeat(1 << 17) + 'z ->', '### Input\n'.repeat(1 << 17), 'Input: ' + 'w '.repeat(1 << 19) + '\nTask: ok', 'Text:'.repeat(1 << 18) + '\nSentiment:']) expect(() => within(300, () => classifyText(text)), text.slice(0, 40)).not.toThrow();
  });
});

/** Asks each read at a tier by the rules alone, or by `read` where given (sessions 63-65's sets, in their languages). */
function expectTiers(byTier: Partial<Record<(typeof TIER_NAMES)[number], readonly string[]>>, read: (q: string) => { tier: string } = rules): void {
  for (const [tier, asks] of Object.entries(byTier)) for (const q of asks) expect(read(q).tier, q).toBe(tier);
}

describe('session 63: asks in Hindi, Arabic, Indonesian and Vietnamese (probe set 125)', () => {
  it('reads their marks as the rules spell them: the Arabic question mark and comma, the Devanagari full stop, no nukta (withCommonMarks)', () => {
    expect(withCommonMarks('كيف نشخّص المشكلة؟')).toBe('كيف نشخّص المشكلة?');
    expect(withCommonMarks('أولاً، ثانياً؛ ثالثاً')).toBe('أولاً, ثانياً; ثالثاً');
    expect(withCommonMarks('CPU 90% पर है। पहले क्या जाँचें?')).toBe('CPU 90% पर है. पहले क्या जाँचें?');
    // The nukta, as the letters without it.
    expect(withCommonMarks('डिज़ाइन')).toBe('डिजाइन');
    const plain = 'Nothing to change here? No.';
    expect(withCommonMarks(plain)).toBe(plain);
  });

  it('reads greetings, thanks and one-step arithmetic as trivial', () => {
    expectTiers({ trivial: ['नमस्ते! कैसे हो?', 'धन्यवाद, बहुत मदद मिली।', 'مرحبا!', 'كم يساوي 7 ضرب 8؟', 'Halo, apa kabar?', 'Makasih banyak ya!', 'Chào bạn!', 'Cảm ơn nhé!', '7 nhân 8 bằng mấy?', '7 गुणा 8 कितना होता है?', 'Berapa 12 kali 9?'] });
    // A number beside the greeting's words is an ask; a sum of three numbers is not one step.
    expect(rules('7 nhân 8 cộng 9 bằng mấy?').tier).not.toBe('trivial');
  });

  it('reads lookups and definitions as simple, explanations, comparisons and letters as moderate', () => {
    expectTiers({ simple: ['पायथन में डिक्शनरी क्या होती है?', 'ما معنى الخطأ 404 في المتصفح؟', 'Apa itu kunci asing dalam database?', 'Đệ quy là gì?', 'Thủ đô của Canada là gì?'] });
    expectTiers({ moderate: ['प्रोसेस और थ्रेड में क्या अंतर है? समझाइए।', 'اشرح الفرق بين TCP و UDP.', 'Jelaskan cara kerja enkripsi asimetris dengan bahasa sederhana.', 'Giải thích sự khác nhau giữa SQL và NoSQL.'] });
  });

  it('reads designs and a team failure with a question for what to do as complex, proofs as deep', () => {
    expectTiers({
      complex: [
        'एक ऑनलाइन फ़ूड डिलीवरी ऐप के लिए ऑर्डर ट्रैकिंग सिस्टम डिज़ाइन कीजिए, जिसमें रियल-टाइम लोकेशन और लाखों यूज़र हों।',
        'صمّم بنية نظام دفع إلكتروني يتحمل مليون معاملة يوميًا مع ضمان عدم تكرار الخصم.',
        'Rancang arsitektur microservice untuk marketplace dengan 5 juta pengguna, termasuk pembayaran, stok, dan notifikasi.',
        'خادم PostgreSQL لدينا يستهلك الذاكرة بالكامل كل ليلة ثم يتوقف. كيف نشخّص المشكلة؟',
        'Hệ thống của chúng tôi bị mất đơn hàng khi Kafka khởi động lại. Làm sao để tìm nguyên nhân và khắc phục?',
      ],
    });
    expectTiers({ deep: ['सिद्ध कीजिए कि √2 एक अपरिमेय संख्या है।', 'أثبت أن مجموع أول n من الأعداد الفردية يساوي n².', 'Buktikan bahwa tidak ada bilangan rasional yang kuadratnya sama dengan 3.', 'Chứng minh rằng có vô số số nguyên tố.'] });
    // With or without the nukta, the same design.
    expect(rules('एक ऑनलाइन बुकिंग ऐप डिजाइन कीजिए जिसमें लाखों यूजर हों।')).toEqual(rules('एक ऑनलाइन बुकिंग ऐप डिज़ाइन कीजिए जिसमें लाखों यूज़र हों।'));
  });

  it('reads Arabic "ما" (what) and "من" (from) as no one\'s scene and "كم" after a number as km: a word problem stays one', () => {
    for (const q of ['قطار يغادر المحطة بسرعة 60 كم في الساعة ويسير لمدة 3 ساعات. ما المسافة التي قطعها؟', 'في صندوق 5 كرات حمراء و3 كرات زرقاء. ما احتمال سحب كرة حمراء؟']) {
      expect(rules(q).signals, q).toContain('a puzzle set up before its question');
    }
    // "كم" opening the ask is "how many".
    expect(rules('كم كيلومترًا في الميل؟').tier).toBe('simple');
  });

  it('leaves what only looks like them: how something works, a value asked, "digital" beside "design"', () => {
    const signal = 'a situation told, then what to do';
    for (const q of [
      'हमारी कंपनी में नया VPN लगाया गया है और सब लोग उसे इस्तेमाल करते हैं। यह कैसे काम करता है?',
      'لدينا فريق من عشرة مهندسين ونستخدم خادم VPN جديد منذ شهر. كيف يعمل هذا النوع من الشبكات؟',
      'Tim kami punya 12 orang dan tiap orang menulis 3 laporan per minggu. Berapa laporan per bulan?',
    ]) {
      const r = rules(q);
      expect(r.signals, q).not.toContain(signal);
      expect(['simple', 'moderate'], q).toContain(r.tier);
    }
    expect(rules('डिजिटल मार्केटिंग क्या है?').tier).toBe('simple');
  });
});

describe('session 63: asks in Ukrainian, Hebrew, Persian and Swedish (probe set 127)', () => {
  it('reads greetings and thanks as trivial, lookups as simple', () => {
    expectTiers({ trivial: ['Привіт! Як справи?', 'Дякую, все працює!', 'שלום, מה שלומך?', 'תודה רבה!', 'سلام، خوبی؟', 'ممنون، خیلی کمک کرد.', 'Hej! Hur mår du?', 'Tack så mycket!'] });
    expectTiers({ simple: ['Що таке рекурсія?', 'Скільки метрів у милі?', 'کلید خارجی در پایگاه داده چیست؟', 'Vad är huvudstaden i Norge?'] });
  });

  it('reads designs and a team failure with a question for what to do as complex, proofs as deep', () => {
    expectTiers({
      complex: [
        'Спроєктуйте систему бронювання квитків для залізниці з мільйонами користувачів, щоб одне місце не продали двічі.',
        'תכנן ארכיטקטורה למערכת הזמנות של רשת מסעדות עם אלפי הזמנות בדקה.',
        'یک سیستم پرداخت آنلاین طراحی کن که روزانه یک میلیون تراکنش را بدون پرداخت تکراری پردازش کند.',
        'وب‌سایت فروشگاه ما از دیروز خیلی کند شده و دیتابیس ۱۰۰٪ CPU مصرف می‌کند. از کجا شروع کنیم؟',
        'Designa en arkitektur för en betaltjänst som hanterar 10 000 transaktioner per sekund utan dubbla debiteringar.',
        'Vår webbshop tappar ordrar när betalningen tar mer än 30 sekunder. Hur ska vi gå vidare?',
      ],
    });
    expectTiers({ deep: ['Доведіть, що корінь з 2 є ірраціональним числом.', 'הוכח שיש אינסוף מספרים ראשוניים.', 'ثابت کن که مجموع زوایای داخلی مثلث ۱۸۰ درجه است.', 'Bevisa att det finns oändligt många primtal.'] });
  });

  it('leaves what only looks like them: a value asked, how something works, Persian "کند" (does) beside "کند شده" (slowed)', () => {
    const signal = 'a situation told, then what to do';
    for (const q of [
      'Vi har 4 lag med 6 spelare var. Hur många spelare är det totalt?',
      'Vår butik säljer 120 tröjor i veckan och varje tröja kostar 200 kronor. Hur mycket tjänar vi per vecka?',
      'Наша команда використовує новий сервер уже місяць. Як працює цей протокол?',
      'این برنامه روی سرور ما اجرا می‌شود و داده‌ها را پردازش می‌کند. چطور کار می‌کند؟',
    ]) {
      const r = rules(q);
      expect(r.signals, q).not.toContain(signal);
      expect(['simple', 'moderate'], q).toContain(r.tier);
    }
    expect(rules('این تابع پایتون چه کار می‌کند؟').signals).not.toContain('a failure or slowdown to diagnose');
  });
});

describe('session 63: asks in Bengali, Urdu, Greek and Czech (probe set 129)', () => {
  it('reads the Urdu full stop and the Greek question mark, ";" after a Greek letter too (withCommonMarks)', () => {
    expect(withCommonMarks('بند ہو جاتا ہے۔ ہم وجہ کیسے تلاش کریں؟')).toBe('بند ہو جاتا ہے. ہم وجہ کیسے تلاش کریں?');
    expect(withCommonMarks('Τι κάνεις;')).toBe('Τι κάνεις?');
    expect(withCommonMarks('Τι κάνεις ;')).toBe('Τι κάνεις ?');
    expect(withCommonMarks('Τι κάνεις\u037e')).toBe('Τι κάνεις?');
    // A semicolon after anything else stays one (code, a list).
    const code = 'let x = 1; for (;;) { y(); }';
    expect(withCommonMarks(code)).toBe(code);
  });

  it('reads the marks of a long turn at its ends only (withCommonMarksAtEnds)', () => {
    const short = 'كيف نشخّص المشكلة؟';
    expect(withCommonMarksAtEnds(short)).toBe(withCommonMarks(short));
    const middle = 'x'.repeat(3000) + '؟' + 'x'.repeat(3000);
    const long = `ما هذا؟ ${middle} لماذا؟`;
    const read = withCommonMarksAtEnds(long);
    expect(read.length).toBe(long.length);
    expect(read.startsWith('ما هذا? ')).toBe(true);
    expect(read.endsWith(' لماذا?')).toBe(true);
    expect(read.includes('؟')).toBe(true);
    const plain = 'y'.repeat(10000);
    expect(withCommonMarksAtEnds(plain)).toBe(plain);
  });

  it('finds Greek question marks as a regex over the whole text does (property)', () => {
    const reference = (t: string) => t.replace(/[؟،؛।۔\u037e\u093c]/g, (m) => ({ '؟': '?', '،': ',', '؛': ';', '।': '.', '۔': '.', '\u037e': '?', '\u093c': '' })[m]!).replace(/([\u0370-\u03ff\u1f00-\u1fff] ?);/g, '$1?');
    const piece = fc.constantFrom(';', ' ', 'α', 'Ω', 'ά', '\u1f00', 'a', '1', '\n', '؟', '؛', '।', '\u037e', '\u093c', 'कि', 'λ;', ' ;');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const t = parts.join('');
        expect(withCommonMarks(t), JSON.stringify(t)).toBe(reference(t));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads greetings and thanks as trivial, lookups as simple, designs and failures to diagnose as complex, proofs as deep', () => {
    expectTiers({ trivial: ['নমস্কার! কেমন আছেন?', 'ধন্যবাদ, অনেক উপকার হলো।', 'السلام علیکم! کیا حال ہے؟', 'بہت شکریہ!', 'Γεια σου! Τι κάνεις;', 'Ευχαριστώ πολύ!', 'Ahoj, jak se máš?', 'Díky moc!'] });
    expectTiers({ simple: ['বাংলাদেশের রাজধানী কী?', 'Ποια είναι η πρωτεύουσα της Αυστραλίας;', 'Τι είναι ένα API;', 'Co je to rekurze?', 'Kolik kilometrů má jedna míle?'] });
    expectTiers({
      complex: [
        'আমাদের ওয়েবসাইট গতকালের আপডেটের পর থেকে খুব ধীর হয়ে গেছে, সার্ভারের মেমরি প্রায় পূর্ণ। কোথা থেকে শুরু করব?',
        'ہمارا سرور ہر رات دو بجے بند ہو جاتا ہے اور لاگز میں کوئی خرابی نہیں ملتی۔ ہم وجہ کیسے تلاش کریں؟',
        'Η βάση δεδομένων μας γίνεται πολύ αργή κάθε Δευτέρα πρωί μετά το backup. Πώς να το διαγνώσουμε;',
        'Navrhni architekturu chatovací aplikace pro milion uživatelů se zárukou pořadí zpráv.',
      ],
    });
    expectTiers({ deep: ['প্রমাণ করুন যে মৌলিক সংখ্যা অসীম সংখ্যক।', 'ثابت کریں کہ 2 کا جذر غیر ناطق عدد ہے۔', 'Απόδειξε ότι υπάρχουν άπειροι πρώτοι αριθμοί.', 'Dokaž, že odmocnina ze 2 je iracionální číslo.'] });
  });

  it('leaves how something works in Czech and Greek a question to explain, not a course', () => {
    for (const q of ['Naše firma používá nový server už měsíc. Jak funguje tento protokol?', 'Ο server μας είναι αργός κάθε βράδυ μετά τις 10. Πώς λειτουργεί το caching;']) {
      const r = rules(q);
      expect(r.signals, q).not.toContain('a situation told, then what to do');
      expect(r.tier, q).toBe('moderate');
    }
  });
});

describe('session 63: other kinds of ask in the same twelve languages (probe set 131)', () => {
  it('reads chat thanks, with slang or without diacritics, as trivial', () => {
    expectTiers({ trivial: ['oke makasih, udah jalan sekarang', 'ok cam on ban nhieu', 'ٹھیک ہے، شکریہ', 'tack, nu funkar det!'] });
  });

  it('reads a translation asked or what code prints as simple', () => {
    expectTiers({ simple: ['ইংরেজিতে অনুবাদ করুন: আমি ভাত খেতে ভালোবাসি।', "این کد پایتون چه خروجی می‌دهد؟\n\nprint(len('سلام'))", 'Přelož do angličtiny: Kde je nádraží?'] });
  });

  it('reads "why" with a symptom and a system as a failure to diagnose, as in English', () => {
    const q = "Kenapa query ini lambat banget di tabel 20 juta baris?\n\nSELECT * FROM transaksi WHERE DATE(created_at) = '2024-05-01';";
    expect(rules(q).signals).toContain('a failure or slowdown to diagnose');
    expect(rules(q).tier).toBe('complex');
    // "Why" with no symptom of a system asks to explain.
    expect(rules('Kenapa langit berwarna biru?').tier).toBe('moderate');
  });
});

describe('session 63: asks in Tagalog, Swahili, Romanian and Tamil (probe set 133)', () => {
  it('reads greetings and thanks as trivial, lookups as simple, designs and failures to diagnose as complex, proofs as deep', () => {
    expectTiers({ trivial: ['Kumusta ka?', 'Salamat po!', 'Habari yako?', 'Asante sana!', 'Salut, ce faci?', 'Mersi mult!', 'வணக்கம்! எப்படி இருக்கீங்க?', 'நன்றி, ரொம்ப உதவியா இருந்தது!'] });
    expectTiers({ simple: ['Ano ang kabisera ng Japan?', 'API ni nini?', 'Care este capitala Australiei?', 'இந்தியாவின் தலைநகரம் எது?'] });
    expectTiers({
      complex: [
        'Ang website namin ay bumabagal tuwing gabi at umaabot sa 100% ang CPU ng database. Saan kami dapat magsimula?',
        'Programu yetu ya simu inaanguka kila mara baada ya sasisho la mwisho, lakini kwenye simu za zamani tu. Tunawezaje kupata chanzo?',
        'Serverul nostru Kafka pierde mesaje când un broker repornește. Cum diagnosticăm problema?',
        'லட்சக்கணக்கான பயனர்களுக்கான ஆன்லைன் டிக்கெட் முன்பதிவு அமைப்பை வடிவமைக்கவும்.',
      ],
    });
    expectTiers({ deep: ['Patunayan na walang katapusan ang bilang ng mga prime number.', 'Thibitisha kwamba kuna namba tasa zisizo na mwisho.', 'Demonstrează că radical din 2 este irațional.', 'பகா எண்கள் முடிவற்றவை என்பதை நிரூபிக்கவும்.'] });
  });

  it('leaves a value asked and "where is it" a lookup, not a course', () => {
    for (const q of ['Ang tindahan namin ay may 3 empleyado at 120 order bawat araw. Ilang order ang bawat empleyado?', 'Ang opisina namin ay lumipat sa bagong gusali noong Lunes. Saan ito nakalagay?']) {
      expect(rules(q).signals, q).not.toContain('a situation told, then what to do');
    }
  });
});

describe('session 63: asks in Malay, Danish, Finnish and Hungarian (probe set 135)', () => {
  it('reads greetings and thanks as trivial, lookups as simple, designs and failures to diagnose as complex, proofs as deep', () => {
    expectTiers({ trivial: ['Hai, apa khabar?', 'Terima kasih banyak!', 'Hej, hvordan går det?', 'Mange tak!', 'Moi, mitä kuuluu?', 'Kiitos paljon!', 'Szia, hogy vagy?', 'Köszönöm szépen!'] });
    expectTiers({ simple: ['Apakah ibu negara Malaysia?', 'Hvad er hovedstaden i Island?', 'Mikä on Norjan pääkaupunki?', 'Mi az a rekurzió?'] });
    expectTiers({
      complex: [
        'Reka bentuk sistem tempahan tiket untuk jutaan pengguna tanpa tempat duduk ditempah dua kali.',
        'Vores Kafka-consumer kommer bagud hver nat, og forsinkelsen vokser til flere timer. Hvordan fejlfinder vi det?',
        'Suunnittele arkkitehtuuri chat-sovellukselle, jolla on miljoona käyttäjää ja taattu viestien järjestys.',
        'A webáruházunk minden este nagyon lelassul, és az adatbázis CPU-ja 100%-on van. Hol kezdjük a hibakeresést?',
      ],
    });
    expectTiers({ deep: ['Bevis, at der findes uendeligt mange primtal.', 'Todista, että alkulukuja on äärettömän monta.', 'Bizonyítsd be, hogy végtelen sok prímszám létezik.'] });
  });
});

describe("session 63: the new languages' words leave the others' alone", () => {
  it('reads words the new lists share with older languages as those languages mean them', () => {
    // Romanian "buni" (good) is not Swahili "buni" (design); French "de ce" (of this) is not Romanian "de ce" (why).
    expect(rules('Care sunt cei mai buni pantofi de alergare?').tier).toBe('simple');
    expect(rules('Quelle est la capitale de ce pays ?').tier).toBe('simple');
    // Italian "vi sono" (there are), Portuguese "os" (the), German "mit" (with), Arabic "ما" (what) tell no one's scene:
    // a word problem stays one, not a situation told in the first person.
    for (const q of ['Vi sono 3 scatole con 12 mele ciascuna. Quante mele ci sono in tutto?', 'Os clientes compraram 3 caixas com 12 maçãs. Quantas maçãs compraram?', 'Ein Zug fährt mit 80 km/h drei Stunden lang. Wie weit kommt er?']) {
      const r = rules(q);
      expect(r.tier, q).toBe('moderate');
      expect(r.signals, q).not.toContain('a situation told, then what to do');
    }
    expect(rules('Ein Zug fährt mit 80 km/h drei Stunden lang. Wie weit kommt er?').signals).toContain('a puzzle set up before its question');
    // Finnish "ero" (difference) is not Italian "ero" (I was).
    expect(rules('Ero convinto che il treno partisse alle 8. A che ora parte?').signals).not.toContain('asks to explain, compare, write or solve');
  });
});

describe('session 64: asks in Thai, Lao, Khmer and Burmese (probe set 137), scripts with no space between words', () => {
  it('reads greetings and thanks as trivial, lookups as simple, explanations and letters as moderate, designs and failures to diagnose as complex, proofs as deep', () => {
    expectTiers({ trivial: ['สวัสดีครับ สบายดีไหม', 'ขอบคุณมากค่ะ', 'ສະບາຍດີ, ເຈົ້າສະບາຍດີບໍ່', 'ຂອບໃຈຫຼາຍໆ', 'សួស្តី សុខសប្បាយទេ?', 'អរគុណច្រើន!', 'မင်္ဂလာပါ၊ နေကောင်းလား', 'ကျေးဇူးအများကြီးတင်ပါတယ်'] });
    expectTiers({ simple: ['เมืองหลวงของประเทศญี่ปุ่นคืออะไร', 'API หมายถึงอะไร', 'ນະຄອນຫຼວງຂອງປະເທດໄທແມ່ນຫຍັງ', 'តើរាជធានីនៃប្រទេសបារាំងគឺជាអ្វី?', 'ဂျပန်နိုင်ငံရဲ့ မြို့တော်က ဘာလဲ'] });
    expectTiers({ moderate: ['อธิบายความแตกต่างระหว่าง TCP กับ UDP', 'เขียนอีเมลสั้นๆ ถึงหัวหน้าเพื่อขอลาหยุดวันศุกร์', 'សរសេរអ៊ីមែលខ្លីមួយទៅកាន់ប្រធាន ដើម្បីសុំច្បាប់ឈប់សម្រាកនៅថ្ងៃសុក្រ។', 'TCP နဲ့ UDP ကွာခြားချက်ကို ရှင်းပြပါ'] });
    expectTiers({
      complex: [
        'เว็บไซต์ร้านค้าของเราช้ามากทุกคืน และ CPU ของฐานข้อมูลขึ้นไปถึง 100% เราควรเริ่มตรวจสอบจากตรงไหน',
        'ออกแบบระบบจองตั๋วคอนเสิร์ตสำหรับผู้ใช้หลายล้านคน โดยไม่ให้ที่นั่งถูกจองซ้ำ',
        'ແອັບມືຖືຂອງພວກເຮົາຄ້າງເລື້ອຍໆຫຼັງຈາກອັບເດດລ່າສຸດ ພວກເຮົາຄວນເລີ່ມຊອກຫາສາເຫດຈາກໃສ',
        'រចនាប្រព័ន្ធកក់សំបុត្រយន្តហោះសម្រាប់អ្នកប្រើរាប់លាននាក់ ដោយមិនឲ្យកៅអីត្រូវបានកក់ពីរដង។',
        'သန်းနဲ့ချီတဲ့ အသုံးပြုသူတွေအတွက် ထိုင်ခုံနှစ်ခါ မကြိုတင်မှာယူမိအောင် လက်မှတ်ကြိုတင်မှာယူမှုစနစ်ကို ဒီဇိုင်းဆွဲပေးပါ',
      ],
    });
    expectTiers({ deep: ['พิสูจน์ว่ารากที่สองของ 2 เป็นจำนวนอตรรกยะ', 'ພິສູດວ່າມີຈຳນວນສະເພາະຫຼາຍຢ່າງບໍ່ມີທີ່ສິ້ນສຸດ', 'ស្រាយបញ្ជាក់ថា ឫសការេនៃ 2 ជាចំនួនអសនិទាន។', '၂ ရဲ့ နှစ်ထပ်ကိန်းရင်းဟာ ကိန်းအချိုးမဟုတ်ကြောင်း သက်သေပြပါ'] });
  });

  it('finds their terms inside a run of letters, as Chinese terms are found, and only where the text holds their first letter', () => {
    const has = (lex: WordLexicon, t: string) => lex.test(readLexicons(t));
    expect(has(COMPLEX_ASK, 'ช่วยออกแบบระบบหน่อย')).toBe(true);
    expect(has(DEEP_ASK, 'จงพิสูจน์ทฤษฎีบท')).toBe(true);
    expect(has(COMPLEX_ASK, 'ช่วยอธิบายระบบหน่อย')).toBe(false);
    // Their regex form (read on short texts) says the same.
    expect(COMPLEX_ASK.regex.test('ช่วยออกแบบระบบหน่อย')).toBe(true);
    // A greeting, then an ask: not small talk.
    expect(isSmallTalk('สวัสดีครับ ช่วยอธิบายความแตกต่างระหว่าง TCP กับ UDP')).toBe(false);
    expect(rules('สวัสดีครับ ช่วยอธิบายความแตกต่างระหว่าง TCP กับ UDP').tier).toBe('moderate');
    expect(isSmallTalk('สวัสดีครับ ขอบคุณมากค่ะ!')).toBe(true);
    // "ช้า" (slow) is inside "ช้าง" (elephant): without a system and a diagnosis ask it makes no failure to diagnose.
    const elephants = rules('ทำไมช้างแอฟริกาถึงมีหูใหญ่');
    expect(elephants.tier).toBe('moderate');
    expect(elephants.signals).not.toContain('a failure or slowdown to diagnose');
  });

  it('counts their letters and marks as words, four characters to a word (textShape)', () => {
    // ออกแบบ ระบบ จอง ตั๋ว: four words, 17 characters (two of them marks).
    expect(textShape('ออกแบบระบบจองตั๋ว').words).toBe(4);
    expect(textShape('ออกแบบระบบจองตั๋ว').distinct).toBeGreaterThan(0);
    expect(textShape('design ออกแบบระบบจองตั๋ว').words).toBe(5);
  });

  it('the word model does not read a turn written in them (no word it was trained on is there), and still reads one in a spaced script', () => {
    const model = () => 4; // a model that reads every turn as complex
    const ask = (q: string) => classifyMessages([{ role: 'user', content: q }], 3, model);
    // "Tell me about the tides": no rule's words in either language.
    expect(ask('เล่าเรื่องน้ำขึ้นน้ำลงให้ฟังหน่อย').signals.some((s) => s.startsWith(FALLBACK_SIGNAL_PREFIX))).toBe(false);
    expect(ask('Tell me something about the tides').signals.some((s) => s.startsWith(FALLBACK_SIGNAL_PREFIX))).toBe(true);
  });

  it('is bounded on a megabyte of each script, with and without spaces', () => {
    for (const unit of ['ออกแบบระบบ', 'ພິສູດ ', 'ស្រាយបញ្ជាក់។', 'ဒီဇိုင်းဆွဲ၊ ', 'ช้']) expect(() => within(300, () => classifyText(unit.repeat(Math.ceil((1 << 20) / unit.length)))), unit).not.toThrow();
  });
});

describe('session 64: other kinds of ask in Thai, Lao, Khmer and Burmese (probe set 139)', () => {
  it('reads advice and stories as moderate, translations and code to run as simple, a situation then what to do as complex, "ok, it works now" as trivial', () => {
    expectTiers({ trivial: ['โอเค ขอบคุณนะ ใช้ได้แล้ว', 'ໂອເຄ ຂອບໃຈ, ໃຊ້ໄດ້ແລ້ວ', 'អូខេ អរគុណ ដំណើរការហើយ', 'ok ကျေးဇူးပါ၊ အလုပ်လုပ်သွားပြီ'] });
    expectTiers({ simple: ['แปลประโยคนี้เป็นภาษาอังกฤษ: ฉันชอบดื่มกาแฟตอนเช้า', "โค้ด Python นี้พิมพ์อะไรออกมา\n\nprint(len('สวัสดี'))", 'ရက်ထပ်နှစ်မှာ ရက် ဘယ်နှစ်ရက် ရှိလဲ'] });
    expectTiers({
      complex: [
        'บริษัทเล็กๆ ของเรามีพนักงาน 35 คน และทุกเดือนใช้เวลาสามวันในการจ่ายเงินเดือน เราจะทำให้กระบวนการนี้เป็นอัตโนมัติได้อย่างไร',
        'ທີມຂອງພວກເຮົາມີນັກພັດທະນາ 6 ຄົນ ແລະ ການອອກເວີຊັນໃໝ່ຊ້າກວ່າກຳນົດສອງອາທິດທຸກຄັ້ງ. ພວກເຮົາຄວນປ່ຽນຫຍັງ',
        'ក្រុមហ៊ុនរបស់យើងមានបុគ្គលិក 50 នាក់ ហើយយើងនៅតែកត់ត្រាគណនេយ្យក្នុង Excel ដែលលែងគ្រប់គ្រាន់ហើយ។ តើយើងគួរផ្លាស់ទៅប្រព័ន្ធថ្មីដោយរបៀបណា?',
        'ကျွန်တော်တို့ ကုမ္ပဏီမှာ ဝန်ထမ်း ၄၀ ရှိပြီး လစာပေးဖို့ လတိုင်း ၃ ရက် ကြာတယ်။ ဒီလုပ်ငန်းစဉ်ကို ဘယ်လို automate လုပ်ရမလဲ',
        "ทำไม query นี้ช้ามากบนตาราง 20 ล้านแถว\n\nSELECT * FROM orders WHERE YEAR(created_at) = 2024;",
      ],
    });
    // Not a team's situation: one's own child ("my daughter"), a question for a value (Thai, Lao), and Thai "เรา" inside "เราเตอร์" (router).
    for (const q of ['ลูกสาวผมอายุ 9 ขวบ กลัววิชาคณิตศาสตร์มาก จะช่วยเขาได้อย่างไร', 'ร้านของเรามีลูกค้าวันละ 200 คน แต่ละคนซื้อของเฉลี่ย 150 บาท เราจะมีรายได้วันละเท่าไร', 'เราเตอร์ที่บ้านผมเปิดมาได้สามปีแล้ว ไฟสีส้มกะพริบตลอดเวลา ควรทำอย่างไรดี', 'ຮ້ານຂອງພວກເຮົາຂາຍເຂົ້າໄດ້ວັນລະ 40 ຖົງ ແລະ ແຕ່ລະຖົງລາຄາ 20.000 ກີບ. ພວກເຮົາຈະໄດ້ເງິນຈັກກີບ']) {
      expect(rules(q).signals, q).not.toContain('a situation told, then what to do');
    }
  });

  it('a machine ("ເຄື່ອງຈັກ") in a Lao closing question is not "how many" ("ຈັກ")', () => {
    const q = 'ໂຮງງານຂອງພວກເຮົາມີພະນັກງານ 80 ຄົນ ແລະ ຜະລິດໄດ້ຊ້າລົງທຸກເດືອນ. ພວກເຮົາຄວນປ່ຽນເຄື່ອງຈັກແນວໃດ';
    expect(rules(q).signals).toContain('a situation told, then what to do');
  });

  it('an ask the rules know nothing of, in a script the word model cannot read, is read as the asks the fallback reads are labelled (UNREAD_PRIOR), one tier up at most', () => {
    const ask = (q: string, cost = 3) => classifyMessages([{ role: 'user', content: q }], cost);
    const tides = ask('เล่าเรื่องน้ำขึ้นน้ำลงให้ฟังหน่อย');
    expect(tides.signals).toContain(UNREAD_SIGNAL);
    expect(tides.tier).toBe(TIER_NAMES[Math.min(unreadTier(3), 2)]);
    expect(tides.confidence).toBeCloseTo(unreadAbove(1), 2);
    // Rules only (no fallback): read by its shape, as before.
    expect(rules('เล่าเรื่องน้ำขึ้นน้ำลงให้ฟังหน่อย').signals).not.toContain(UNREAD_SIGNAL);
    // The quantile: the smallest tier whose share of the prior's labels at or below it reaches R / (R + 1).
    const total = UNREAD_PRIOR.reduce((a, b) => a + b, 0);
    for (const r of [0.5, 1, 3, 5, 50]) {
      const k = unreadTier(r);
      const atOrBelow = (t: number) => UNREAD_PRIOR.slice(0, t + 1).reduce((a, b) => a + b, 0) / total;
      expect(atOrBelow(k), String(r)).toBeGreaterThanOrEqual(r / (r + 1) - 1e-12);
      if (k > 0) expect(atOrBelow(k - 1), String(r)).toBeLessThan(r / (r + 1));
    }
    expect(unreadTier(50)).toBeGreaterThanOrEqual(unreadTier(1));
  });
});

describe('session 64: a situation told, then how something works (probe set 141)', () => {
  const withModel = (q: string) => classifyMessages([{ role: 'user', content: q }], 3);
  it('reads the explanation asked for, not a course of action, and the second opinion does not lift it', () => {
    for (const q of [
      'Our team of five developers started using a new server last month. How does HTTPS work?',
      'We just moved our app to Kubernetes last week. How do readiness probes work?',
      'Our data team uses Spark on a 10-node cluster. How does a shuffle work?',
      'Nuestro equipo empezó a usar Kafka el mes pasado. ¿Cómo funciona el particionado?',
      'Wir betreiben seit Kurzem einen Redis-Cluster. Wie funktioniert die Replikation?',
      'Мы недавно перешли на GitLab CI. Как работает кэширование артефактов?',
    ]) {
      expect(rules(q).tier, q).toBe('moderate');
      expect(withModel(q).tier, q).toBe('moderate');
    }
  });

  it('still reads the same openings with a question for what to do as complex, and with one for a definition as simple', () => {
    expectTiers({
      complex: [
        'Our Kafka consumers lag by hours every night. Where do we start?',
        'We just moved our app to Kubernetes and pods restart every few hours with OOMKilled. How do we fix it?',
        'Unser Redis-Cluster verliert nach jedem Failover Schlüssel. Was sollen wir tun?',
      ],
      simple: ['Our company uses Slack for everything. What is a webhook?', 'Nuestro equipo usa AWS. ¿Qué es una VPC?'],
    });
    // "work" that is not how something works: a course question stays one.
    expect(rules('We moved our API to Kubernetes last week and it is slow. How do we make it work faster?').tier).toBe('complex');
  });
});

describe('session 65: combining marks are part of a word (Devanagari, Bengali, Tamil, Gujarati, Gurmukhi: probe set 143)', () => {
  it('reads greetings and thanks as trivial, lookups as simple, explanations and letters as moderate, designs and failures as complex, proofs as deep', () => {
    expectTiers({
      trivial: [
        'नमस्ते! आप कैसे हैं?',
        'धन्यवाद, आता काम करतंय!',
        'শুভ সন্ধ্যা, কেমন আছো?',
        'நன்றி, மிகவும் உதவியாக இருந்தது!',
        'કેમ છો?',
        'ਸਤ ਸ੍ਰੀ ਅਕਾਲ ਜੀ!',
      ],
      simple: [
        'अंतरिक्ष में सबसे बड़ा ग्रह कौन सा है?',
        'अंतरराष्ट्रीय अंतरिक्ष स्टेशन पृथ्वी से कितनी ऊंचाई पर है?',
        'महाराष्ट्राची राजधानी कोणती आहे?',
        'আন্তর্জাতিক মাতৃভাষা দিবস কবে পালিত হয়?',
        'இந்தியாவின் மிக நீளமான நதி எது?',
        'ગુજરાતની રાજધાની કઈ છે?',
        'ਪੰਜਾਬ ਵਿੱਚ ਕਿੰਨੇ ਜ਼ਿਲ੍ਹੇ ਹਨ?',
        'अंतर्राष्ट्रीय फ़ोन कॉल के लिए भारत का कोड क्या है?',
      ],
      moderate: [
        'कृपया समझाइए कि इंटरनेट पर डीएनएस कैसे काम करता है।',
        'मुझे अपने मकान मालिक के लिए किराया देर से देने पर एक छोटा सा माफ़ीनामा लिखकर दीजिए।',
        'प्रकाशसंश्लेषण कसे होते ते सोप्या भाषेत समजावून सांगा.',
        'পাইথনে লিস্ট আর টাপলের মধ্যে পার্থক্য কী, উদাহরণ দিয়ে বুঝিয়ে দিন।',
        'கிளவுட் கம்ப்யூட்டிங் என்றால் என்ன, அது எப்படி வேலை செய்கிறது என்று விளக்குங்கள்.',
        'વીજળી ઘરમાં કેવી રીતે પહોંચે છે તે સમજાવો.',
        'पायथन में एक फ़ंक्शन लिखिए जो किसी सूची से दोहराए गए नाम हटा दे।',
        'अंतरिम बजट और पूर्ण बजट में क्या फर्क है?',
      ],
      complex: [
        'हमारी कंपनी का सर्वर हर रात दो बजे धीमा हो जाता है और ग्राहकों के ऑर्डर अटक जाते हैं। कारण कैसे पता करें?',
        'आमच्या दुकानासाठी ऑनलाइन ऑर्डर आणि साठा सांभाळणारी प्रणाली कशी डिझाइन करावी?',
        'আমাদের অ্যাপটি প্রতিটি আপডেটের পর অ্যান্ড্রয়েডে ক্র্যাশ করছে, কিন্তু আইফোনে ঠিক আছে। কোথা থেকে খোঁজা শুরু করব?',
        'எங்கள் பள்ளிக்கு மாணவர் வருகையும் மதிப்பெண்களும் பதிவு செய்யும் ஒரு அமைப்பை எப்படி வடிவமைப்பது?',
        'ਸਾਡੀ ਵੈੱਬਸਾਈਟ ਸੇਲ ਵਾਲੇ ਦਿਨ ਬਹੁਤ ਹੌਲੀ ਹੋ ਜਾਂਦੀ ਹੈ ਅਤੇ ਭੁਗਤਾਨ ਫੇਲ ਹੋ ਜਾਂਦੇ ਹਨ। ਅਸੀਂ ਇਸਨੂੰ ਕਿਵੇਂ ਠੀਕ ਕਰੀਏ?',
      ],
      deep: [
        'सिद्ध कीजिए कि किन्हीं तीन क्रमागत पूर्णांकों का गुणनफल 6 से विभाज्य होता है।',
        'প্রমাণ করুন যে অসীম সংখ্যক মৌলিক সংখ্যা আছে।',
        'n ஒற்றைப்படை எண் என்றால் n² − 1 எப்போதும் 8 ஆல் வகுபடும் என்று நிரூபிக்கவும்.',
      ],
    });
  });

  it('a term is a whole word, vowel signs included: "अंतर" (difference) is not the start of "अंतरिक्ष" (space), nor "কেন" (why) of "কেনার" (buying)', () => {
    const has = (lex: WordLexicon, t: string) => lex.test(readLexicons(t));
    expect(has(MODERATE_ASK, 'अंतरिक्ष में सबसे बड़ा ग्रह कौन सा है?')).toBe(false);
    expect(has(MODERATE_ASK, 'अंतर्राष्ट्रीय कोड')).toBe(false);
    expect(has(MODERATE_ASK, 'प्रोसेस और थ्रेड में क्या अंतर है?')).toBe(true);
    expect(has(DIAGNOSE_ASK, 'বাড়ি ভাড়া নেওয়া আর কেনার সুবিধা কী?')).toBe(false);
    expect(has(DIAGNOSE_ASK, 'সার্ভার কেন ধীর?')).toBe(true);
    // The regex form (short texts) says the same.
    expect(MODERATE_ASK.regex.test('अंतरिक्ष')).toBe(false);
    expect(MODERATE_ASK.regex.test('क्या अंतर है')).toBe(true);
    // "What is a black hole in space?": a lookup, as in English.
    expect(rules('अंतरिक्ष में ब्लैक होल क्या होता है?').tier).toBe('simple');
    expect(rules('What is a black hole in space?').tier).toBe('simple');
  });

  it('the verb after a noun in its inflected forms: "सिद्ध कीजिए", "सिद्ध करें", "প্রমাণ করুন", "ডিজাইন করব", "வடிவமைக்கவும்"', () => {
    const has = (lex: WordLexicon, t: string) => lex.test(readLexicons(t));
    for (const t of ['सिद्ध कीजिए कि', 'सिद्ध करें कि', 'साबित करो', 'প্রমাণ করুন যে', 'প্রমাণ করো']) expect(has(DEEP_ASK, t), t).toBe(true);
    for (const t of ['डिजाइन कीजिए', 'डि\u095bाइन करें', 'डिझाइन करावी', 'ডিজাইন করব', 'வடிவமைக்கவும்', 'எப்படி வடிவமைப்பது']) expect(has(COMPLEX_ASK, t), t).toBe(true);
    // A noun with a Bengali case ending ("in the app") names a system as the bare noun does.
    expect(has(TECH_CONTEXT, 'আমাদের অ্যাপে লগইন')).toBe(true);
    expect(has(TECH_CONTEXT, 'আমাদের অ্যাপ')).toBe(true);
  });

  it('counts a word with its vowel signs as one word (textShape)', () => {
    // Seven words, as the English question has; fifteen when words were cut at marks.
    expect(textShape('अंतरिक्ष में ब्लैक होल क्या होता है?').words).toBe(7);
    expect(textShape('ধন্যবাদ, অনেক উপকার হলো।').words).toBe(4);
    expect(textShape('நன்றி, மிகவும் உதவியாக இருந்தது!').words).toBe(4);
  });

  it('small talk reads its words whole: "नमस्ते! आप कैसे हैं?", "કેમ છો?", "ਸਤ ਸ੍ਰੀ ਅਕਾਲ ਜੀ!"', () => {
    for (const t of ['नमस्ते! आप कैसे हैं?', 'કેમ છો?', 'ਸਤ ਸ੍ਰੀ ਅਕਾਲ ਜੀ!', 'ধন্যবাদ, অনেক উপকার হলো।']) expect(isSmallTalk(t), t).toBe(true);
    // A greeting, then an ask.
    expect(isSmallTalk('नमस्ते! कृपया समझाइए कि डीएनएस कैसे काम करता है')).toBe(false);
  });

  it('is bounded on a megabyte of marks: one "word" of a million vowel signs, letters and marks in turn, decomposed Latin', () => {
    for (const unit of ['ि', 'अि', 'क्ष', 'अंतरिक्ष ', 'a\u0301', 'सिद्ध कीजिए prove ि']) expect(() => within(300, () => classifyText(unit.repeat(Math.ceil((1 << 20) / unit.length)))), unit).not.toThrow();
  });
});

describe('session 65: Telugu, Kannada, Malayalam, Hindi typed in Latin letters, and other kinds in the Indic scripts (probe set 145)', () => {
  it('reads each kind at its tier (with the prior that reads an ask the rules know nothing of in these scripts)', () => {
    expectTiers({
      trivial: [
        'thik hai bhai, ab chal gaya. thanks!',
        'hello bhai kaise ho',
        'నమస్కారం, ఎలా ఉన్నారు?',
        'ధన్యవాదాలు!',
        'ನಮಸ್ಕಾರ, ಹೇಗಿದ್ದೀರಾ?',
        'ಧನ್ಯವಾದಗಳು, ಈಗ ಕೆಲಸ ಮಾಡುತ್ತಿದೆ.',
        'നമസ്കാരം, സുഖമാണോ?',
        'നന്ദി!',
        'ठीक आहे, धन्यवाद!',
      ],
      simple: [
        'Python mein list aur tuple kya hota hai?',
        '\'I miss you\' ko Hindi mein kaise bolte hain?',
        'భారతదేశ రాజధాని ఏది?',
        'ಕರ್ನಾಟಕದ ರಾಜಧಾನಿ ಯಾವುದು?',
        'കേരളത്തിന്റെ തലസ്ഥാനം ഏതാണ്?',
        'इसका अंग्रेज़ी में अनुवाद करो: कल बारिश होगी।',
        'यह पायथन कोड क्या प्रिंट करेगा?\n\nprint(3 * \'ab\')',
        'এক কিলোমিটারে কত মিটার?',
      ],
      moderate: [
        'REST aur GraphQL mein kya difference hai? samjhao na',
        'ek python function likho jo string ko reverse kare',
        'mujhe interview ke liye kuch tips do, fresher hoon',
        'TCP మరియు UDP మధ్య తేడా ఏమిటి? వివరించండి.',
        'పిల్లల కోసం ఒక చిన్న కథ రాయండి.',
        'ಮಳೆ ಹೇಗೆ ಬರುತ್ತದೆ ಎಂದು ವಿವರಿಸಿ.',
        'ഡാറ്റാബേസ് ഇൻഡക്സ് എങ്ങനെ പ്രവർത്തിക്കുന്നു എന്ന് വിശദീകരിക്കുക.',
        'ഓണത്തെക്കുറിച്ച് ഒരു ചെറിയ കവിത എഴുതുക.',
        'रोज़ सुबह जल्दी उठने की आदत कैसे डालूँ?',
        'বাচ্চাদের জন্য একটি ছোট গল্প লিখুন একটি বিড়াল নিয়ে।',
        'ஆங்கிலம் வேகமாக கற்றுக்கொள்ள சில வழிகள் சொல்லுங்கள்.',
      ],
      complex: [
        'humari website har Friday raat ko down ho jaati hai, server ka CPU 100% chala jata hai. kya check karein?',
        'hamare startup ka AWS bill teen mahine mein double ho gaya hai. kaise kam karein?',
        'మా ఆన్‌లైన్ షాప్ వెబ్‌సైట్ ప్రతి రాత్రి చాలా నెమ్మదిగా అవుతోంది. కారణం ఎలా కనుగొనాలి?',
        'ನಮ್ಮ ಆಸ್ಪತ್ರೆಗೆ ರೋಗಿಗಳ ಅಪಾಯಿಂಟ್‌ಮೆಂಟ್ ಬುಕ್ಕಿಂಗ್ ವ್ಯವಸ್ಥೆಯನ್ನು ಹೇಗೆ ವಿನ್ಯಾಸಗೊಳಿಸುವುದು?',
        'ഞങ്ങളുടെ ആപ്പ് ഓരോ അപ്ഡേറ്റിനു ശേഷവും ക്രാഷ് ആകുന്നു. എവിടെ നിന്ന് തുടങ്ങണം?',
        'हमारी किराना दुकान में हर महीने स्टॉक का हिसाब नहीं मिलता, 10% सामान गायब रहता है। क्या करें?',
        'আমাদের দলের ৮ জন ডেভেলপার, কিন্তু প্রতিটি রিলিজ দুই সপ্তাহ দেরি হয়। কী বদলানো উচিত?',
        'எங்கள் பள்ளியில் 600 மாணவர்களுக்கு இரண்டு வாரத்தில் ஆன்லைன் வகுப்புகள் தொடங்க வேண்டும். எப்படி திட்டமிடுவது?',
      ],
      deep: [
        'prove karo ki root 2 irrational hai',
        '√2 అకరణీయ సంఖ్య అని నిరూపించండి.',
        'ಅನಂತವಾಗಿ ಅನೇಕ ಅವಿಭಾಜ್ಯ ಸಂಖ್ಯೆಗಳಿವೆ ಎಂದು ಸಾಬೀತುಪಡಿಸಿ.',
        'गणितीय विगमनाने सिद्ध करा की 1 + 3 + 5 + ... + (2n−1) = n².',
      ],
    }, (q) => classifyMessages([{ role: 'user', content: q }]));
  });

  it('the word model does not read a turn written mostly in a script it has no training row in (Hebrew, Arabic, the Indic scripts), and still reads one mostly in Latin letters', () => {
    const model = () => 4; // a model that reads every turn as complex
    const ask = (q: string) => classifyMessages([{ role: 'user', content: q }], 3, model);
    const lifted = (q: string) => ask(q).signals.some((s) => s.startsWith(FALLBACK_SIGNAL_PREFIX) || s === SECOND_OPINION_SIGNALS.simple);
    // "What is an API?" in Hebrew, "What is a foreign key in a database?" in Persian, and Telugu's capital lookup: simple, and the model does not lift them.
    for (const q of ['מה זה API?', 'کلید خارجی در پایگاه داده چیست؟', 'భారతదేశ రాజధాని ఏది?']) {
      expect(ask(q).tier, q).toBe('simple');
      expect(lifted(q), q).toBe(false);
    }
    // "Tell me about the tides" in Hindi: no rule's words; read by the prior of such asks, not by the model.
    expect(ask('ज्वार भाटा के बारे में कुछ बताओ').signals).toContain(UNREAD_SIGNAL);
    // Hindi in Latin letters is read by the model as any Latin text is.
    expect(ask('mujhe samundar ke baare mein kuch batao').signals.some((s) => s.startsWith(FALLBACK_SIGNAL_PREFIX))).toBe(true);
  });
});

describe('session 65: Hindi with English words, more romanized Hindi, nouns with case endings (probe set 147)', () => {
  it('reads each kind at its tier (one ask left out: "1 GB mein kitne MB hote hain?" reads moderate, the model lifting a romanized conversion)', () => {
    expectTiers({
      trivial: [
        'ok done, धन्यवाद!',
        'good morning bhai',
        'సరే, చాలా ధన్యవాదాలు!',
        'ಸರಿ, ಧನ್ಯವಾದ!',
      ],
      simple: [
        'API का full form क्या है?',
        'India ka sabse lamba river kaun sa hai?',
        'ஜாவாவில் interface என்றால் என்ன?',
        'ಭಾರತದ ರಾಷ್ಟ್ರೀಯ ಪ್ರಾಣಿ ಯಾವುದು?',
        'জাভাস্ক্রিপ্টে closure কী?',
        'मराठी भाषेत \'computer\' ला काय म्हणतात?',
      ],
      moderate: [
        'Docker और Kubernetes में क्या difference है? simple भाषा में समझाइए।',
        'Python में एक function लिखो जो list में से duplicate हटा दे।',
        'mujhe ek leave application likh do, 2 din ki chutti chahiye',
        'recursion kya hota hai? example ke saath samjhao',
        'பைதானில் ஒரு பட்டியலை வரிசைப்படுத்தும் function எழுதுங்கள்.',
        'క్లౌడ్ కంప్యూటింగ్ అంటే ఏమిటో సరళంగా వివరించండి.',
        'SQL-ഉം NoSQL-ഉം തമ്മിലുള്ള വ്യത്യാസം ഉദാഹരണ സഹിതം വിശദീകരിക്കുക.',
        'ગ્રાહકને માફી માંગતો એક ટૂંકો ઇમેઇલ લખો.',
      ],
      complex: [
        'मेरा React app हर deploy के बाद crash हो रहा है, logs में कुछ नहीं दिखता। कहाँ से debug शुरू करूँ?',
        'हमारी company का MySQL database हर रात backup के समय slow हो जाता है। इसे कैसे ठीक करें?',
        'hamari dukaan ka online order system Diwali sale mein crash ho gaya, 500 orders fail hue. aage se kaise bachein?',
        'எங்கள் சர்வரில் ஒவ்வொரு இரவும் CPU 100% ஆகிறது. காரணம் என்ன, எப்படி சரிசெய்வது?',
        'మా యాప్‌లో లాగిన్ అయిన తర్వాత కొంతమంది వినియోగదారులు ఆటోమేటిక్‌గా లాగ్అవుట్ అవుతున్నారు. ఎక్కడ నుండి చూడాలి?',
        'ನಮ್ಮ ವೆಬ್‌ಸೈಟ್ ಪ್ರತಿ ಸೋಮವಾರ ಬೆಳಿಗ್ಗೆ ತುಂಬಾ ನಿಧಾನವಾಗುತ್ತದೆ. ಕಾರಣ ಹೇಗೆ ಕಂಡುಹಿಡಿಯುವುದು?',
        'ഞങ്ങളുടെ സെർവർ എല്ലാ രാത്രിയും ക്രാഷ് ആകുന്നു. എന്താണ് പരിശോധിക്കേണ്ടത്?',
        'আমাদের সার্ভারে প্রতি রাতে মেমরি শেষ হয়ে যাচ্ছে। কীভাবে খুঁজে বের করব কারণটা?',
        'ਸਾਡੇ ਸਰਵਰ ਦੀ ਮੈਮੋਰੀ ਹਰ ਰੋਜ਼ ਭਰ ਜਾਂਦੀ ਹੈ ਅਤੇ ਐਪ ਬੰਦ ਹੋ ਜਾਂਦੀ ਹੈ। ਕਾਰਨ ਕਿਵੇਂ ਲੱਭੀਏ?',
      ],
      deep: [
        'induction se prove karo ki 2^n > n har natural number n ke liye',
        'सिद्ध करा की √3 ही अपरिमेय संख्या आहे.',
      ],
    }, (q) => classifyMessages([{ role: 'user', content: q }]));
  });

  it('a short question whose question word comes last, in Hindi, Telugu, Kannada, Malayalam and Tamil, is a lookup the word model does not lift', () => {
    const model = () => 4; // a model that reads every turn as complex
    for (const q of ['API का full form क्या है?', 'రాజధాని ఏది?', 'ಇದರ ಬೆಲೆ ಎಷ್ಟು?', 'പൈത്തണിൽ ലിസ്റ്റ് എന്താണ്?']) expect(classifyMessages([{ role: 'user', content: q }], 3, model).tier, q).toBe('simple');
    // Not a comparison ending in "है": "what is the difference" stays an explanation.
    expect(classifyMessages([{ role: 'user', content: 'प्रोसेस और थ्रेड में क्या अंतर है?' }], 3, model).tier).not.toBe('simple');
  });
});

describe('session 65: Arabic, Persian, Urdu and Hebrew, which the word model no longer reads (probe set 149)', () => {
  it('reads each kind at its tier', () => {
    expectTiers({
      trivial: [
        'أهلاً، كيف حالك اليوم؟',
        'مرسی، مشکل حل شد!',
        'السلام علیکم، کیسے ہیں آپ؟',
        'תודה רבה, עכשיו זה עובד!',
        'סבבה, תודה!',
      ],
      simple: [
        'ما هي عاصمة المغرب؟',
        'ما معنى كلمة خوارزمية؟',
        'پایتخت ترکیه کجاست؟',
        'پاکستان کا قومی پھول کون سا ہے؟',
        'מה הבירה של קנדה?',
        'ما هو Docker؟',
        'API یعنی چی؟',
      ],
      moderate: [
        'اشرح الفرق بين الذكاء الاصطناعي والتعلم الآلي بأمثلة بسيطة.',
        'اكتب دالة بايثون تحسب عدد الكلمات في نص.',
        'أعطني نصائح لتحسين النوم.',
        'تفاوت بین HTTP و HTTPS را توضیح بده.',
        'یک شعر کوتاه درباره پاییز بنویس.',
        'کلاؤڈ کمپیوٹنگ کیا ہے؟ آسان الفاظ میں سمجھائیں۔',
        'הסבר את ההבדל בין תהליך לתהליכון.',
        'כתוב מכתב קצר למנהל שלי כדי לבקש יום חופש.',
        'React اور Vue میں کیا فرق ہے؟',
      ],
      complex: [
        'موقعنا الإلكتروني يتوقف كل يوم جمعة مساءً بسبب ضغط الزوار. كيف نحل المشكلة؟',
        'سرور ما هر شب ساعت ۳ کند می‌شود و سفارش‌ها گیر می‌کنند. از کجا شروع کنیم؟',
        'ہماری ایپ اپڈیٹ کے بعد پرانے فونز پر بار بار کریش ہو رہی ہے۔ کہاں سے شروع کریں؟',
        'האתר שלנו נופל כל פעם שיש מבצע, והשרת מגיע ל-100% CPU. מה לבדוק קודם?',
        'عندنا Kubernetes cluster والـ pods تعيد التشغيل كل ساعة بسبب OOMKilled. ماذا نفعل؟',
      ],
      deep: [
        'أثبت أن مجموع زوايا المثلث يساوي 180 درجة.',
        'ثابت کنید که بی‌نهایت عدد اول وجود دارد.',
        'ثابت کریں کہ دو جفت اعداد کا مجموعہ ہمیشہ جفت ہوتا ہے۔',
        'הוכח ש-√3 הוא מספר אי-רציונלי.',
      ],
    }, (q) => classifyMessages([{ role: 'user', content: q }]));
  });
});
describe('session 66: asks in fourteen languages written with English technical words (probe sets 153 and 155)', () => {
  const full = (q: string) => classifyMessages([{ role: 'user', content: q }]);
  const lexHit = (lexicon: WordLexicon, text: string) => lexicon.test(readLexicons(astralToBmp(text.toLowerCase())));

  it('reads an English word that a Korean or Japanese particle or a Chinese character is joined to as a word', () => {
    expect(lexHit(TECH_CONTEXT, 'react에서 useeffect는')).toBe(true);
    expect(lexHit(MODERATE_ASK, 'migration plan을 짜 주세요')).toBe(true);
    expect(lexHit(COMPLEX_ASK, '우리 서비스 architecture를 봐 주세요')).toBe(true);
    expect(lexHit(TECH_CONTEXT, '用python写一个函数')).toBe(true);
    // A Latin letter, a digit or a full-width letter against it still continues the word.
    for (const text of ['planning을', 'plan2을', 'ｐlan을']) expect(lexHit(MODERATE_ASK, text), text).toBe(false);
    // Before session 66 these read a tier low or high: the joined words were not read.
    expectTiers({ simple: ['Pythonでlistをsortする方法は？'], complex: ['나중에 MAU가 10배로 늘어날 때를 대비해서 우리 monolith를 어떻게 쪼개야 할지 migration plan을 짜 주세요'] }, full);
  });

  it('reads "it works now" after thanks as small talk in English, Spanish, French and Indonesian, and not an ask beside it', () => {
    for (const text of ['ok ya funcionó el deploy, gracias!', 'merci, le build passe maintenant', 'thanks ya, udah jalan lagi servernya', 'ok the deploy works now, thanks!']) expect(isSmallTalk(text), text).toBe(true);
    for (const text of ['ok now explain the difference between TCP and UDP', 'gracias, ahora explica el garbage collector de Java', 'merci, maintenant écris le script bash']) expect(isSmallTalk(text), text).toBe(false);
  });

  it('reads a Russian how-to of one action as a lookup, with or without "мне" and a place before the verb, and leaves other "как" questions alone', () => {
    expectTiers({ simple: ['как мне удалить ветку в git?', 'как мне в git удалить ветку?', 'как в bash проверить, существует ли file?', 'как проверить версию python?'] });
    expect(rules('как мне настроить nginx?').signals).toContain('how to do something that takes several steps');
    // Not one action: no reading of the how-to; the rules read an explanation, as before session 66.
    expect(rules('как работает сборщик мусора в Java?')).toMatchObject({ tier: 'moderate', signals: ['asks to explain, compare, write or solve'] });
  });

  it('reads the main clause of a German how-to ("rückgängig machen", before the comma)', () => {
    expect(rules('wie kann ich in git den letzten commit rückgängig machen, ohne die changes zu verlieren?').signals).not.toContain('how to do something that takes several steps');
    expect(rules('wie kann ich meine produktivität verbessern, ohne mehr zu arbeiten?').signals).toContain('how to do something that takes several steps');
  });

  it('reads a Chinese situation joined to its question by a comma as a situation, then what to do; not one that asks for a value', () => {
    expectTiers({ complex: ['我们的 CI pipeline 从 10 分钟变成了 40 分钟，但代码量没怎么变，应该从哪里开始排查？'] }, full);
    expect(full('我们公司的 wifi 密码是多少，怎么改？').tier).not.toBe('complex');
    expect(full('我们的新同事下周入职，应该准备多少台电脑？').tier).not.toBe('complex');
  });

  it('reads a Korean "when" before one closing verb as a lookup', () => {
    expectTiers({ simple: ['React에서 useEffect는 언제 실행돼요?', 'useEffect는 언제 실행돼요?'] }, full);
  });

  it('reads "it works now" in set 155\'s words as small talk too, and set 159\'s chat slang', () => {
    for (const text of ['perfecto, ya pasó el CI 🙌', 'top, deu certo o deploy', 'ok thx, udah beres bug-nya', 'k thx bro, appreciate it', 'ayy it works now, ur the goat']) expect(isSmallTalk(text), text).toBe(true);
    expect(isSmallTalk('bro explain the difference between tcp and udp')).toBe(false);
    expect(isSmallTalk('top 10 perguntas de entrevista de Python')).toBe(false);
  });

  it('reads a system\'s limit as no calculus, and a limit of a function as one (set 155)', () => {
    // (A system's limit before "of", "the memory limit of a lambda", is a name since session 67: names.test.ts.)
    for (const text of ['what is an api rate limit?', 'ano ang ibig sabihin ng api rate limit?', 'raise the memory limit to 2 gb']) expect(lexHit(MATH_WORDS, text), text).toBe(false);
    for (const text of ['find the limit of sin(x)/x', 'the limit as n goes to infinity', 'limits of integration']) expect(lexHit(MATH_WORDS, text), text).toBe(true);
    expectTiers({ simple: ['What is an API rate limit?', 'ano ang ibig sabihin ng API rate limit?'] }, full);
  });

  it('reads a short Tagalog or Indonesian wh-question as a lookup the word model does not lift; not "ano ang dapat" (what should)', () => {
    for (const text of ['ano ang ibig sabihin ng api?', 'sino ang gumawa ng linux?', 'apa itu kubernetes?', 'siapa pembuat python?', 'di mana file konfigurasi nginx?']) expect(WH_LOOKUP.test(text), text).toBe(true);
    for (const text of ['ano ang dapat naming i-check?', 'anong oras na?', 'apakah ini aman?', 'saanman']) expect(WH_LOOKUP.test(text), text).toBe(false);
    expectTiers({ simple: ['Ano ang ibig sabihin ng API?', 'Apa itu Docker?'] }, full);
  });

  it('reads a closing "how much" after a measured scene as no course asked, with "%" or "por ciento"', () => {
    for (const q of ['Un banco da préstamos de 10000 euros al 5% anual durante tres años. ¿Cuánto se paga en total?', 'Un banco da préstamos de 10000 euros al 5 por ciento anual durante tres años. ¿Cuánto se paga en total?']) {
      expect(rules(q).signals, q).not.toContain('a technical situation and a short ask for what to do');
    }
    // A short course question after one still is one.
    expect(rules('Nuestro clúster de Postgres tiene 2 TB y las consultas tardan 30 segundos desde ayer. ¿Opciones?').tier).toBe('complex');
  });

  it('reads the rest of set 153 as before', () => {
    expectTiers({
      trivial: ['valeu, o fix funcionou 👍'],
      simple: ['o que é um middleware no Express?', 'qual comando mostra os logs de um pod no kubernetes?', 'ano ang default port ng PostgreSQL?'],
      moderate: ['escreve uma função em TypeScript que faz debounce de uma chamada de API', 'jelasin dong bedanya Promise.all sama Promise.allSettled', 'napisz mi funkcję w Pythonie, która liczy słowa w pliku i zwraca top 10'],
      complex: ['unser Kubernetes Cluster hat random DNS timeouts, ungefähr 1 % der requests, nur in einem node pool. wie gehen wir das an?', '本番のNext.jsアプリで、デプロイ後だけ一部のユーザーに500エラーが出ます。原因の切り分け方を教えてください'],
      deep: ['prove que o algoritmo de Dijkstra encontra o caminho mínimo quando todos os pesos são não-negativos', 'докажи, что задача SAT принадлежит классу NP, и объясни reduction от 3-SAT'],
    }, full);
  });

  it('reads set 171: a recipe asked for is writing, a format made plain is an edit, freezing a row is one action', () => {
    // Before session 68 (rules alone): simple, moderate, moderate, moderate, moderate.
    expect(rules('give me a vegetarian lasagne recipe for 6').tier).toBe('moderate');
    expect(rules('pretty-print this JSON: {"a":1,"b":[1,2]}').tier).toBe('simple');
    expect(rules('minify this CSS: body { margin: 0; }').tier).toBe('simple');
    expect(rules('how do I freeze the top row in Google Sheets?').tier).toBe('simple');
    // What stays: set 101's dinner "nothing fancy", a recipe to scale, a how-to of a process.
    expect(rules('ok so basically what i want is a recipe for dinner tonight i have chicken rice and some spinach nothing fancy').tier).toBe('simple');
    expect(rules('how do I set up a recurring budget review in Google Sheets for a team of five?').tier).not.toBe('simple');
  });

  it('reads sets 177, 179 and 181: options and items given with an ask are not what it asks, unless it asks work on them', () => {
    // Before session 69 (rules alone): moderate, simple, complex.
    expect(rules('Label each of these tweets as spam or not spam.\n1. WIN a FREE iPhone!!! click bit.ly/xx\n2. anyone else\'s train late again this morning\n3. Earn $5000/week from home, DM me\n4. my cat learned to open the fridge').tier).toBe('simple');
    expect(rules('Which of the following is NOT a valid HTTP method?\nA) GET\nB) FETCH\nC) PATCH\nD) OPTIONS\nAnswer with the letter only.').tier).toBe('simple');
    expect(rules('Classify each log line by severity (info, warning, error) and component:\n2024-05-01T10:00:01Z api INFO request served in 32ms\n2024-05-01T10:00:02Z db WARN slow query 1.2s\n2024-05-01T10:00:03Z worker ERROR job 7781 failed: timeout').tier).toBe('simple');
    // Options are no finding of a rule: the word model reads a question the rules know nothing of
    // (before: simple, as the options' pasted material; the question alone reads moderate).
    const shirt = 'A shirt costs $40 after a 20% discount. What was the original price?\nA) $48\nB) $50\nC) $52\nD) $60';
    expect(classifyMessages([{ role: 'user', content: shirt }]).tier).toBe('moderate');
    expect(classifyMessages([{ role: 'user', content: shirt }]).signals.join(' ')).not.toContain('pasted material');
    // Items whose ask asks work on each of them beyond a label stay the ask (set 181): a root cause,
    // a priority, a justification; so do items a lead ranks, sorts or groups.
    expect(rules("Classify each of these bugs by its most likely root cause and say how you'd confirm it:\n1. p99 latency doubles every day at 02:00 UTC\n2. memory grows 50 MB an hour until OOM, only on ARM nodes\n3. duplicate orders appear when the payment provider times out\n4. a cron job runs twice after the DST change").tier).toBe('complex');
    expect(rules('Pick the right data structure for each of these needs and justify briefly:\n- a leaderboard with rank queries\n- autocomplete over 1M words\n- a job queue with priorities and delays\n- deduplicating a stream of 1B events with little memory').tier).toBe('moderate');
    expect(rules('Sort these 8 tasks by priority for the on-call engineer during an outage, and say what to delegate:\n- customers report checkout failing\n- error rate 35% on the payments API\n- disk 85% full on a log server\n- a flaky test on main\n- the CEO asks for an update').tier).not.toBe('simple');
    // A list of requirements stays the ask.
    expect(rules('Design a rate limiter for our public API:\n- 10k requests a second per tenant\n- quotas per plan, changed without a deploy\n- multi-region, one region may fail').tier).toBe('complex');
  });

  it('reads set 185: one-line questions whose answer is an estimate or an argument, not a lookup', () => {
    // Before session 70 (rules alone): simple, simple, trivial, simple, simple, simple.
    expect(rules('How many golf balls would fill a swimming pool?').tier).toBe('moderate');
    expect(rules('Сколько примерно учителей работает в Москве?').tier).toBe('moderate');
    expect(rules('Is free will compatible with determinism?').tier).toBe('moderate');
    expect(rules('Is it ever okay to lie to protect someone\'s feelings?').tier).toBe('moderate');
    expect(rules('What if the internet went down worldwide for a week?').tier).toBe('moderate');
    expect(rules('Will AI replace software engineers within ten years?').tier).toBe('moderate');
    // With its assumptions and arithmetic asked, an estimate is multi-step work (before: moderate).
    expect(rules('Roughly how many litres of water does a city of one million people use per day? Walk me through your assumptions.').tier).toBe('complex');
    // A statistic to look up, a figure asked for in brief and a light opinion stay what they were.
    expect(rules('How many people live in Canada?').tier).toBe('simple');
    expect(rules('Roughly how many people live in Tokyo?').tier).toBe('simple');
    expect(rules("I don't want a rigorous answer, roughly how many bytes is a UUID?").tier).toBe('simple');
    expect(rules('How many legs does a spider have?').tier).toBe('trivial');
    expect(rules('Will it rain tomorrow in Paris?').tier).not.toBe('moderate');
    // Words that are often no judgement are read only in a judgement's frame.
    const open = 'an open question: an argument, a what-if or a forecast';
    for (const q of ['Is Arabic written right to left?', '¿Qué hora es justo ahora?', 'When is the job fair in Austin?', 'Juste une question : quelle heure est-il ?']) expect(rules(q).signals, q).not.toContain(open);
    for (const q of ['¿Es justo que los ricos paguen más impuestos?', 'Is it fair that CEOs earn 300 times more than workers?']) expect(rules(q).signals, q).toContain(open);
  });

  it('reads set 187: an attachment sent with no text asks about itself, and the text beside one is read as any ask', () => {
    const image = { type: 'image_url', image_url: { url: 'https://example.com/1.jpg' } };
    const turn = (...content: unknown[]) => classifyMessages([{ role: 'user', content } as never], 3, false);
    // Before session 70: trivial (an empty message).
    expect(turn(image).tier).toBe('simple');
    expect(turn(image).signals).toEqual(['an attachment with no text: read as a question about it']);
    expect(turn({ type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } }, { type: 'text', text: '  ' }).tier).toBe('simple');
    // No attachment: still an empty message; a part with no type or an odd one is no attachment.
    expect(turn({ type: 'text', text: '' }).tier).toBe('trivial');
    expect(turn({ text: '' }, 42, null).tier).toBe('trivial');
    // Before: simple (two questions), moderate (the word model).
    expect(turn({ type: 'text', text: 'Is this a good move for white here? What would you play instead?' }, image).tier).toBe('complex');
    expect(turn({ type: 'text', text: 'この画像の文字を書き起こしてください。' }, image).tier).toBe('simple');
    // A flood of parts is read from its two ends, as text parts are.
    const flood = Array.from({ length: 100_000 }, () => image);
    expect(turn(...flood).tier).toBe('simple');
  });

  it('reads a lookup asked in a harder conversation at most moderate; other follow-ups inherit as before (probe set 107)', () => {
    const after = (first: string, last: string) =>
      classifyMessages([{ role: 'user', content: first }, { role: 'assistant', content: 'Here is how …' }, { role: 'user', content: last }], 3, false);
    const incident = 'Our Postgres primary hits 100% CPU every night at 2am and queries time out for ten minutes. What is going on?';
    // Before session 70: complex, complex, deep.
    expect(after(incident, "what's autovacuum?").tier).toBe('moderate');
    expect(after(incident, 'how do I check pg_stat_activity?').tier).toBe('moderate');
    expect(after('Prove that there are infinitely many primes.', "what's the largest known prime?").tier).toBe('moderate');
    // A follow-up that asks more of the conversation's work keeps its lift.
    expect(after('Design a rate limiter for our public API: 10k tenants, per-tenant quotas, three regions.', 'what if Redis is down?').tier).toBe('complex');
    expect(after(incident, 'why?').tier).toBe('complex');
  });

  it('keeps as the ask the items a lead asks to diagnose (identify a bottleneck, a bug, a vulnerability in each)', () => {
    // Before session 70: simple, the systems read as data under "Identify … in each of these".
    expect(rules('Identify the bottleneck in each of these systems:\n- a web app where p99 doubles when the cache is cold\n- a batch job that takes 6 hours on 200 GB of logs\n- a Kafka consumer group that lags every Monday morning').tier).toBe('complex');
    // A label of each stays a lookup over data; a multiple-choice question on complexity keeps its options as data.
    const sentiment = rules('Identify the sentiment of each review:\n- loved it\n- terrible service\n- ok I guess');
    expect(sentiment.signals).toEqual(['asks a lookup, definition, conversion or short edit']);
    expect(rules('What is the worst-case time complexity of binary search? a) O(1) b) O(log n) c) O(n) d) O(n log n)').tier).toBe('simple');
  });
});
describe('thinkcap classify --jsonl', () => {
  it('prints one JSON object per line, in order', () => {
    const dir = scratchDir('tc-jsonl-');
    const file = join(dir, 'in.jsonl');
    const lines = [];
    for (let i = 0; i < 2000; i++) lines.push(JSON.stringify(i % 2 ? { query: 'Hello' } : { messages: [{ role: 'user', content: 'Prove that sqrt(2) is irrational' }] }));
    lines.push('not json');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = spawnSync(process.execPath, [join(packageRoot(), 'dist/src/cli.js'), 'classify', '--jsonl', file], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(2001);
    expect(out[0]).toMatchObject({ tier: 'deep', budget: 8192 });
    expect(out[1]).toMatchObject({ tier: 'trivial', budget: 32 });
    expect(out[2000]).toMatchObject({ line: 2001, error: 'not valid JSON' });
  });
});
