import { BMP_LETTER, LOWER_CASE_NAMES } from './text.js';
import { WordLexicon, expandTerm, words } from './wordlex.js';

/**
 * Word lists for the classifier, by what they say about the ask. Spaced scripts match on whole
 * words (script-aware lookarounds, never substrings: "recover" is not "cover", "designer" is not
 * "design"); Chinese and Japanese terms match anywhere, since those scripts have no spaces.
 * Every lexicon reads lexicalForm(text): lower case, astral characters mapped into the BMP (see
 * wordlex.ts for how a lexicon matches, and for its regex form).
 */
export const lexicon = (spaced: string[], cjk: string[] = []) => new WordLexicon(spaced, cjk);

// A word's combining marks are part of it (text.ts, isBmpWordChar): the Indic scripts' vowel signs
// are marks, so a term matches a whole inflected word, not its start. These are the forms of "do"
// after a noun ("सिद्ध कीजिए", prove; "ডিজাইন করুন", design), and the case endings that a
// Bengali noun takes ("অ্যাপে", in the app). Before session 65 a term's last letter before a mark
// ended a word, so "कर" matched करें and "अंतर" (difference) matched अंतरिक्ष (space).
/** Hindi and Marathi: do, please do, to do, having done, should do. */
const DEVANAGARI_DO = '(?:कीजिए|कीजिये|कीजे|करें|करो|करिए|करिये|करना|करके|करने|कर|करा|करावी|करावे|करावा)';
/** Bengali: do, please do, to do, will do. */
const BENGALI_DO = '(?:করুন|করো|কর|করে|করতে|করব|করবো|করবেন|করি)';
/** Bengali case endings and classifiers after a noun ("অ্যাপে", "সার্ভারের", "অ্যাপটি"). */
const BENGALI_CASE = '(?:ে|ের|টি|টা|টির|টার|টিতে|টাতে|গুলো|গুলি|তে)?';

/** Proofs, derivations, formal work: the deepest asks. */
export const DEEP_ASK = lexicon(
  [
    'prove', '(?:give|write|provide|construct|find|sketch) (?:a |the )?(?:rigorous |formal |short |combinatorial )?proofs?', 'proofs? (?:by|of)', 'with proofs?', 'derive', 'derivation', 'rigorous(?:ly)?', 'formally (?:verify|specify|prove)', 'from first principles',
    'demonstrate that', 'show that', 'formally verified', 'tla\\+', 'research (?:plan|design|proposal)', 'lower bound', 'competitive ratio', 'loop invariant',
    'demuestra', 'demuestre', 'demostrar?', 'demostración', 'beweise', 'beweisen', 'beweis', 'herleiten', 'leite', 'démontrer', 'démontrez', 'démontre',
    'démonstration', 'prouver', 'prouvez', 'prouve', 'dimostra', 'dimostrare', 'demonstre', 'demonstrar', 'demonstra que', 'mostre que', 'montre[rz]? que', 'zeige(?:n sie)?,? dass', 'muestr[ae] que', 'mostrar que', 'покажите,? что', 'покажи,? что', 'докажите', 'докажи', 'доказательство', 'доказать', 'выведите', 'выведи',
    // Session 59 (fresh probes in six more languages): Polish, Turkish and Dutch proofs (Korean below).
    'udowodnij', 'udowodnić', 'wykaż,? że', 'kanıtla(?:yın|yınız)?', 'ispatla(?:yın|yınız)?', 'bewijs', 'bewijzen', 'toon aan dat',
    // Session 63 (probe set 125): Hindi, Arabic, Indonesian and Vietnamese, as the English entries.
    `सिद्ध ${DEVANAGARI_DO}`, `साबित ${DEVANAGARI_DO}`, 'أثبت', 'اثبت', 'برهن', 'buktikan', 'pembuktian', 'chứng minh',
    // Session 65 (probe set 145): Telugu, Kannada and Malayalam, as the English entries.
    'నిరూపించండి', 'ಸಾಬೀತುಪಡಿಸಿ', 'തെളിയിക്കുക',
    // Session 63 (probe set 127): Ukrainian, Hebrew, Persian and Swedish, as the English entries.
    'доведіть', 'доведи', 'доведення', 'הוכח', 'הוכיחו', 'הוכיחי', 'הוכחה', 'ثابت کنید', 'ثابت کن', 'اثبات', 'bevisa', 'härled',
    // Session 63 (probe set 129): Bengali, Urdu, Greek and Czech, as the English entries.
    `প্রমাণ ${BENGALI_DO}`, 'ثابت کریں', 'ثابت کیجیے', 'απόδειξε', 'αποδείξτε', 'απόδειξη', 'dokaž', 'dokažte', 'důkaz', 'odvoďte',
    // Session 63 (probe set 133): Tagalog, Swahili, Romanian and Tamil, as the English entries.
    'patunayan', 'patunayang', 'thibitisha', 'demonstrează', 'demonstrați', 'dovedește', 'நிரூபிக்கவும்', 'நிரூபிக்க',
    // Session 63 (probe set 135): Malay, Danish, Finnish and Hungarian, as the English entries.
    'bevis', 'todista', 'todistus', 'bizonyítsd(?: be)?', 'bizonyítsa(?: be)?', 'bizonyítás', 'vezesd le',
  ],
  // Session 64 (probe set 137): Thai, Lao, Khmer and Burmese, as the English entries, at the end (matched anywhere, as Chinese is).
  ['证明', '推导', '証明', '導出', '증명', 'พิสูจน์', 'ພິສູດ', 'ស្រាយបញ្ជាក់', 'သက်သေပြ'],
);
/** Scope that turns a design into a whole-system design. */
export const WHOLE_SYSTEM = lexicon(
  ['from scratch', 'complete', 'end-to-end', 'entire', 'full', 'planetary-scale', 'globally distributed', 'every (?:trade-?off|choice|decision)', '(?:every|each|all) failure modes?', 'formal guarantees?', 'cada modo de fallo', 'jeden fehlerfall', 'chaque mode de défaillance', 'каждый (?:режим|сценарий) отказа', 'justify (?:each|every)', 'desde cero', 'von grund auf', 'de zéro', 'с нуля', 'complet[oa]s?', 'complète', 'vollständig\\p{L}*', 'komplett\\p{L}*', 'justificando cada', 'cada (?:decisión|decisão)', 'chaque (?:choix|décision)', 'jede entscheidung', 'ogni scelta', 'каждое решение',
    // Session 63: "from scratch" in Hindi, Arabic, Indonesian and Vietnamese.
    'शुरू से', 'من الصفر', 'dari nol', 'từ đầu'],
  ['从零', '全球', 'ゼロから', '每种故障', 'すべての障害'],
);
/** Design, debugging, optimisation, analysis. */
export const COMPLEX_ASK = lexicon(
  [
    'design', 'architect', 'architecture', 'debug', 'diagnose', 'optimi[sz]e', 'refactor', 'implement', 'analy[sz]e', 'evaluate',
    'critique', 'redesign', 'model the', 'simulate', 'investigate', 'root causes?', 'threat[ -]model(?:l?ing)?', 'migration (?:plan|strategy)',
    'plan (?:a|the|our) (?:migration|rollout|cutover)', 'dependency order', 'find the flaw', 'postmortem', 'model choice', 'validation (?:scheme|strategy)', 'which model', 'how (?:do i|to|should i) validate', 'speed (?:it |this )?up', 'make (?:it|this|them) (?:run )?faster',
    'multiple comparisons', 'sizing', 'size the', 'survival analysis', 'qué modelo uso', 'welches verfahren', 'welches modell', 'quel modèle utiliser', 'какую модель выбрать',
    'triage', 'build or buy', 'build vs buy', 'build versus buy', 'decide what to do about',
    'run in under', 'where they disagree', 'what (?:recent )?studies (?:found|show|say)', 'current evidence', 'evidence for and against', 'the evidence (?:on|for)', 'literature review', 'meta-analys[ie]s', 'estimators?', 'causal effect',
    'diseña', 'diseñar', 'depura', 'optimiza', 'implementa', 'analiza', 'entwirf', 'entwerfen', 'optimiere', 'implementiere',
    'analysiere', 'concevoir', 'concevez', 'conçois', 'optimiser', 'optimisez', 'implémenter', 'implémentez', 'analyser', 'analysez',
    'спроектируй', 'спроектируйте', 'оптимизируй', 'реализуй', 'реализуйте', 'проанализируй', 'проанализируйте', 'отладь', 'спроектировать',
    'projete', 'projetar', 'otimize', 'otimizar', 'progetta', 'progettare', 'ottimizza', 'ottimizzare', 'refactoriza', 'refactorizar', 'refaktoriere', 'refactorise', 'refactorisez',
    // Session 59: Portuguese, Italian, Polish, Turkish and Dutch (Korean below).
    'analise', 'diagnostique', 'analizza', 'diagnostica', 'zaprojektuj', 'zoptymalizuj', 'przeanalizuj', 'zdiagnozuj', 'tasarla(?:yın|yınız)?', 'optimize et', 'analiz et', 'teşhis', 'ontwerp', 'optimaliseer', 'analyseer',
    // Session 63 (probe set 125): Hindi, Arabic, Indonesian and Vietnamese, as the English entries.
    // The nukta is taken out before the lexicons read a turn (withCommonMarks); a precomposed ज़ (U+095B) is not. Marathi spells it with झ.
    `(?:डिजाइन|डिज़ाइन|डिझाइन) ${DEVANAGARI_DO}`, `ऑप्टिमाइज ${DEVANAGARI_DO}`, `विश्लेषण ${DEVANAGARI_DO}`, 'आर्किटेक्चर', 'صمّ?م', 'تصميم', 'معمارية', 'حلّ?ل', 'تشخيص', 'rancang(?:lah)?', 'rancangan', 'desain(?:lah)?', 'optimalkan', 'analisis(?:lah)?', 'analisa(?:lah)?', 'arsitektur', 'thiết kế', 'tối ưu(?: hóa| hoá)?', 'phân tích', 'chẩn đoán', 'gỡ lỗi', 'kiến trúc',
    // Session 65 (probe set 145): Telugu, Kannada and Malayalam, as the English entries.
    'డిజైన్ చేయండి', 'రూపొందించండి', 'ವಿನ್ಯಾಸಗೊಳಿಸಿ', 'ವಿನ್ಯಾಸಗೊಳಿಸುವುದು', 'രൂപകൽപ്പന ചെയ്യുക',
    // Session 63 (probe set 127): Ukrainian, Hebrew, Persian and Swedish, as the English entries.
    'спроєктуйте', 'спроєктуй', 'спроектуйте', 'спроектуй', 'оптимізуйте', 'оптимізуй', 'проаналізуйте', 'проаналізуй', 'архітектур(?:а|у|и)', 'תכנן', 'תכננו', 'תכנני', 'ארכיטקטורה', 'נתח', 'נתחו', 'אבחן', 'לאבחן', 'מאבחנים', 'طراحی', 'معماری', 'تحلیل کنید', 'تحلیل کن', 'بهینه کنید', 'بهینه کن', 'عیب‌یابی', 'designa', 'utforma', 'optimera', 'analysera', 'felsök(?:a|er)?', 'arkitektur(?:en)?',
    // Session 63 (probe set 129): Bengali, Urdu, Greek and Czech, as the English entries.
    `ডিজাইন ${BENGALI_DO}`, `অপ্টিমাইজ ${BENGALI_DO}`, `বিশ্লেষণ ${BENGALI_DO}`, 'আর্কিটেকচার', 'ڈیزائن', 'آرکیٹیکچر', 'تجزیہ کریں', 'σχεδίασε', 'σχεδιάστε', 'σχεδιασμός', 'αρχιτεκτονική', 'βελτιστοποίησε', 'βελτιστοποιήστε', 'ανάλυσε', 'αναλύστε', 'διάγνωση', 'διαγνώσουμε', 'navrhni', 'navrhněte', 'architektur(?:a|u|y)', 'optimalizuj(?:te)?', 'analyzuj(?:te)?', 'diagnostikuj(?:te)?',
    // Session 63 (probe set 133): Tagalog, Swahili, Romanian and Tamil, as the English entries.
    'magdisenyo', 'idisenyo', 'i-optimize', 'arkitektura', 'buni (?:mfumo|usanifu|muundo|programu)', 'usanifu', 'boresha', 'chambua', 'proiectează', 'proiectați', 'arhitectur(?:a|ă)', 'optimizează', 'optimizați', 'analizează', 'analizați', 'diagnosticăm', 'diagnostichează', 'வடிவமைக்க(?:வும்|வேண்டும்)?', 'வடிவமைப்(?:பது|பை)',
    // Session 63 (probe set 135): Malay, Danish, Finnish and Hungarian, as the English entries.
    'reka bentuk', 'rekabentuk', 'optimumkan', 'fejlfind(?:er)?', 'optimer', 'suunnittele', 'arkkitehtuuri', 'optimoi', 'analysoi', 'vianetsintä', 'tervezz', 'tervezd(?: meg)?', 'tervezze(?: meg)?', 'architektúr(?:a|áját|át)', 'optimalizáld', 'elemezd', 'hibakeresés(?:t)?',
  ],
  // Session 64 (probe set 137): Thai, Lao, Khmer and Burmese, as the English entries, at the end (matched anywhere, as Chinese is).
  ['设计', '优化', '调试', '实现', '分析', '設計', '最適化', 'デバッグ', '実装', '설계', '최적화', '디버깅', '분석해', 'ออกแบบ', 'สถาปัตยกรรม', 'วิเคราะห์', 'เพิ่มประสิทธิภาพ', 'ดีบัก', 'ອອກແບບ', 'ສະຖາປັດຕະຍະກຳ', 'ວິເຄາະ', 'រចនា', 'ស្ថាបត្យកម្ម', 'វិភាគ', 'ဒီဇိုင်းဆွဲ', 'ဗိသုကာ', 'ခွဲခြမ်းစိတ်ဖြာ'],
);
/** Explain, compare, write something of substance, solve. */
export const MODERATE_ASK = lexicon(
  [
    // Session 67 (probe set 165): a work's or a subject's main ideas summed up from knowledge, not a given text ("summarize the key lessons of 'Clean Code'").
    'summari[sz]e (?:the )?(?:main|key) (?:ideas|points|lessons|arguments|causes|takeaways|themes|findings)',
    // Session 68 (probe set 171): a recipe asked for is a piece of writing with its steps ("give me a
    // vegetarian lasagne recipe for 6"). Not every "recipe for": set 101 calls "what i want is a
    // recipe for dinner … nothing fancy" simple.
    'give me (?:a|an|some) (?:[\\p{L}-]+ ){0,3}recipes?',
    // Session 68 (probe set 173): a trend read from figures, and what to do or what stands out asked of them.
    "what(?:'s|s| is) the trend", 'what would you (?:do|change|run|try|recommend|suggest|prioriti[sz]e|investigate|look at)', 'what (?:patterns?|trends?) do you see',
    'explain', 'compare', 'comparison', 'contrast', 'compared (?:with|to)', 'versus', 'vs\\.?', 'comparée?s? (?:à|avec)', 'why', 'how does', 'how do(?:es)? .{0,40} work', 'describe (?:how|why)', 'cómo funciona', 'wie funktioniert', 'comment fonctionne', 'как работает', 'come funziona', 'como funciona', 'causes and effects', 'cause and effect', 'how would', 'how should',
    'in plain (?:terms|english|words|language)', 'in simple (?:terms|words)', "in layman'?s terms", "like i'?m (?:5|five)", 'eli5', 'en términos (?:simples|sencillos)', 'en termes simples', 'in einfachen worten', 'einfach erklärt', 'простыми словами',
    'config to', 'config that', 'configuration to', 'configuration that',
    'difference between', 'differences between', 'diff between', 'pros and cons', 'trade-?offs?', 'advantages', 'disadvantages', 'solve', 'calculate', 'compute',
    'estimate', 'plan', 'outline', 'review', 'how (?:do|can) i fix', 'fix (?:it|this|the bug)', 'troubleshoot', 'choose between', 'decide between', 'what could cause', 'walk me through', 'step[- ]by[- ]step', 'in detail', 'should i',
    '(?:good|best|effective) (?:strategies|ways|tips|approaches)', 'strateg(?:y|ies) (?:to|for)', 'recommend one', 'which would you (?:pick|choose|recommend)', 'when would you (?:pick|choose|use)', 'when (?:should (?:i|we)|to) (?:use|pick|choose)', 'negotiate', 'verhandeln', 'négocier', 'negociar', 'suggest (?:a|an|the)? ?(?:approach|plan|way|strategy)', '(?:best|healthiest|safest) way', 'best practices', 'good practices', 'convince', 'persuade',
    // Session 60: "generate" a query or code asks for it as "write" does ("TASK: Generate a SQL query.", set 99).
    'generate (?:a |an |the )?(?:[\\p{L}\\p{N},-]+ ){0,2}(?:function|script|program|class|query|tests?|regex)',
    'write (?:a |an |the |some )?(?:[\\p{L}\\p{N},-]+ ){0,4}(?:function|script|program|class|query|tests?|regex|module|component|email|letter|reply|story|essay|description|post|paragraph|cover letter|speech|proposal|itinerary|plan|rhyme|poem|limerick|toast|song|lyrics|slogan|tagline|bio|caption|tweet|invitation|apology|announcement|eulogy|card|note|report|article|guide|tutorial|memo|newsletter|review)',
    'with (?:unit )?tests', 'add (?:[\\p{L}-]+ ){1,2}(?:to|for) (?:the|our|this|my) ',
    'draft', 'compose', 'create a (?:[\\p{L}-]+ ){0,3}(?:plan|schedule|itinerary|rubric|template|budget)', 'give me a (?:[\\p{L}-]+ ){0,2}(?:plan|schedule)',
    'add (?:a|an) (?:[\\p{L}\\p{N}-]+ ){0,2}(?:flag|option|endpoint|column|field|parameter|button|test|check)', 'roteiro', 'itinerario', 'convert this', 'rewrite', 'turn these', 'group the', 'find the bug', 'what causes', '(?:the |main |key )?causes (?:of|de)', 'reasons (?:for|behind)', 'what led to', 'causas de', 'ursachen', 'причины', 'what should i check', 'probability',
    // Session 60: a critique asked of a given text ("Point out anything a careful reviewer would question", set 97).
    "what(?:'s|s| is) wrong", 'spot the bug', 'point out (?:anything|any|the|what|weakness(?:es)?|flaws?|problems?|issues?|gaps?|holes?)', 'any (?:issues?|problems?|bugs?)', 'regex for', '^sql ?[:：]', '^sql (?:query )?(?:to|for|that)', 'спланируй', 'planifica', 'planifie[zr]?', 'ajoute[zr]?', 'añade',
    'explica', 'explique', 'explico', 'explicar', 'compara', 'diferencia', 'ventajas', 'resuelve', 'calcula', 'escribe', 'redacta', 'por qué',
    'erkläre', 'erklären', 'vergleiche', 'unterschied', 'vorteile', 'löse', 'berechne', 'schreibe', 'warum', 'comparez', 'expliquez',
    'différence', 'avantages', 'résoudre', 'résous', 'calculez', 'écrivez', 'écris', 'pourquoi', 'объясни', 'объясните', 'сравни', 'сравните',
    'разница', 'преимущества', 'реши', 'решите', 'вычисли', 'напиши', 'напишите', 'почему', 'rédige[zr]?', 'scrivi', 'escreva', 'perché', 'por que', 'spiega',
    // Session 59: Italian, Portuguese, Polish, Turkish and Dutch (Korean below).
    'spiegami', 'confronta', 'differenz[ae]', 'vantaggi', 'diferença', 'vantagens', 'wyjaśnij', 'porównaj', 'dlaczego', 'napisz', 'różnica', 'açıkla', 'karşılaştır', 'neden', 'fark\\p{L}*', 'leg uit', 'leg (?:[\\p{L}-]+ ){1,6}uit', 'vergelijk', 'waarom', 'schrijf', 'verschil',
    // Set 95: a review asked in Spanish, French and German, as 'review' is.
    'revisa', 'revisar', 'revisión', 'revue', 'prüfe', 'überprüfe',
    // Session 63 (probe set 125): Hindi, Arabic, Indonesian and Vietnamese, as the English entries.
    'समझाइए', 'समझाइये', 'समझाओ', 'समझाएं', 'समझाएँ', 'अंतर', 'अन्तर', 'फर्क', 'तुलना', 'लिखिए', 'लिखिये', 'लिखें', 'लिखो', 'क्यों', 'कैसे काम (?:करता|करती|करते) है', 'फायदे', 'नुकसान', `हल ${DEVANAGARI_DO}`, 'اشرح', 'إشرح', 'قارن', 'مقارنة', '(?:ال)?فرق', '(?:ال)?فروق', 'اكتب', 'لماذا', 'كيف (?:يعمل|تعمل)', 'مزايا', 'عيوب', 'احسب', 'jelaskan', 'bandingkan', 'perbandingan', 'perbedaan', 'bedanya', 'tuliskan', 'tulis(?:lah)?', 'buatkan', 'mengapa', 'kenapa', 'bagaimana cara kerja', 'kelebihan', 'kekurangan', 'hitung(?:lah)?', 'selesaikan', 'giải thích', 'so sánh', 'khác nhau', '(?:sự )?khác biệt', 'viết', 'tại sao', 'vì sao', 'hoạt động như thế nào', 'ưu điểm', 'nhược điểm', 'ưu nhược điểm', 'hãy tính',
    // Session 65 (probe set 143): Marathi, Gujarati and Punjabi, as the English entries; Hindi "write it for me".
    'समजावून सांगा', 'फरक', 'लिहा', 'સમજાવો', 'તફાવત', 'લખો', 'ਸਮਝਾਓ', 'ਫ਼ਰਕ', 'ਫਰਕ', 'ਲਿਖੋ', 'लिख(?:कर)? (?:दीजिए|दीजिये|दें|दो)',
    // Session 65 (probe set 145): Telugu, Kannada and Malayalam, as the English entries; Hindi typed in Latin letters.
    'వివరించండి', 'తేడా', 'తేడాను', 'రాయండి', 'పోల్చండి', 'ವಿವರಿಸಿ', 'ವ್ಯತ್ಯಾಸ', 'ಬರೆಯಿರಿ', 'വിശദീകരിക്കുക', 'വ്യത്യാസം', 'എഴുതുക', 'samjhao', 'samjhaiye', 'likho', 'likh do', 'kuch tips do',
    // Session 63 (probe set 127): Ukrainian, Hebrew, Persian and Swedish, as the English entries.
    'поясніть', 'поясни', 'порівняйте', 'порівняй', 'різниц(?:я|ю|і)', 'відмінність', 'напишіть', 'напиши', 'чому', 'як працює', 'переваги', 'недоліки', 'обчисліть', 'הסבר', 'הסבירו', 'הסבירי', 'השווה', 'השוו', 'ההבדל', 'הבדל', 'ההבדלים', 'כתוב', 'כתבו', 'כתבי', 'למה', 'מדוע', 'איך (?:עובד|עובדת)', 'יתרונות', 'חסרונות', 'توضیح (?:بده|بدهید|دهید)', 'مقایسه', 'تفاوت', 'فرق', 'بنویس', 'بنویسید', 'چرا', 'مزایا', 'معایب', 'förklara', 'jämför', 'jämförelse', 'skillnad(?:en)?', 'skriv', 'varför', 'hur fungerar', 'fördelar(?:na)?', 'nackdelar(?:na)?', 'beräkna',
    // Session 63 (probe set 129): Bengali, Urdu, Greek and Czech, as the English entries.
    `ব্যাখ্যা ${BENGALI_DO}`, `পার্থক্য${BENGALI_CASE}`, 'তুলনা(?:য়|য়)?', 'লিখুন', 'কেন', 'কীভাবে কাজ করে', 'সুবিধা', 'অসুবিধা', 'سمجھائیں', 'سمجھائیے', 'موازنہ', 'لکھیں', 'لکھیے', 'کیوں', 'فوائد', 'نقصانات', 'εξήγησε', 'εξηγήστε', 'σύγκρινε', 'συγκρίνετε', 'σύγκριση', 'διαφορά', 'διαφορές', 'γράψε', 'γράψτε', 'γιατί', 'πώς λειτουργεί', 'πλεονεκτήματα', 'μειονεκτήματα', 'υπολόγισε', 'vysvětli', 'vysvětlete', 'porovnej(?:te)?', 'rozdíl', 'napiš', 'napište', 'proč', 'jak funguje', 'výhody', 'nevýhody', 'spočítej', 'vypočítej',
    // Session 63 (probe set 133): Tagalog, Swahili, Romanian and Tamil, as the English entries.
    'ipaliwanag', 'pagkakaiba', 'ihambing', 'paghambingin', 'sumulat', 'isulat', 'bakit', 'paano gumagana', 'kalamangan', 'kahinaan', 'eleza', 'fafanua', 'tofauti', 'linganisha', 'andika', 'kwa nini', 'faida', 'hasara', 'explică', 'explicați', 'compară', 'comparați', 'diferen(?:ța|ță)', 'scrie(?:ți)?', '^de ce', 'cum funcționează', 'avantajele', 'dezavantajele', 'calculează', 'விளக்குங்கள்', 'விளக்கவும்', 'வேறுபாடு', 'வேறுபாட்டை', 'ஒப்பிடுக', 'ஒப்பிடவும்', 'எழுதுங்கள்', 'எழுதவும்', 'ஏன்', 'நன்மைகள்', 'தீமைகள்',
    // Session 63 (probe set 135): Malay, Danish, Finnish and Hungarian, as the English entries.
    'terangkan', 'perbezaan', 'bezakan', 'forklar', 'forskel(?:len)?', 'sammenlign', 'hvorfor', 'hvordan virker', 'fordele(?:ne)?', 'ulemper(?:ne)?', 'beregn', 'planlæg', 'selitä', 'vertaa', 'ero(?:a|t|n)', 'kirjoita', 'miksi', 'miten toimii', 'hyödyt', 'haitat', 'magyarázd(?: el)?', 'magyarázza(?: el)?', 'hasonlítsd(?: össze)?', 'különbség(?:et)?', 'írj', 'írd', 'miért', 'hogyan működik', 'előnyei', 'hátrányai', 'számold ki',
  ],
  // Session 64 (probe set 137): Thai, Lao, Khmer and Burmese, as the English entries, at the end (matched anywhere, as Chinese is).
  ['比较', '为什么', '如何', '区别', '优缺点', '解释', '比較', 'なぜ', 'どうして', '違い', '説明して', '解いて', '計算して', '書いて', '教えてください', '写一', 'すべきか', 'どう考え', '该不该', '要不要', '설명해', '비교', '차이', '장단점', '어떻게 작동', '어떻게 동작', '작동 원리', 'อธิบาย', 'ความแตกต่าง', 'แตกต่างกัน', 'เปรียบเทียบ', 'เขียน', 'ทำไม', 'ทำงานอย่างไร', 'ข้อดี', 'ข้อเสีย', 'คำนวณ', 'ອະທິບາຍ', 'ຄວາມແຕກຕ່າງ', 'ປຽບທຽບ', 'ຂຽນ', 'ເປັນຫຍັງ', 'ເຮັດວຽກແນວໃດ', 'ຂໍ້ດີ', 'ຂໍ້ເສຍ', 'ຄິດໄລ່', 'ពន្យល់', 'ខុសគ្នា', 'ប្រៀបធៀប', 'សរសេរ', 'ហេតុអ្វី', 'ដំណើរការយ៉ាងដូចម្តេច', 'គុណសម្បត្តិ', 'គុណវិបត្តិ', 'គណនា', 'ရှင်းပြ', 'ကွာခြား', 'နှိုင်းယှဉ်', 'ရေးပေး', 'ရေးပါ', 'ဘာကြောင့်', 'ဘယ်လို ?အလုပ်လုပ်', 'အားသာချက်', 'အားနည်းချက်', 'တွက်ပေး'],
);
/** Lookups, definitions, conversions, short edits. */
export const SIMPLE_ASK = lexicon(
  [
    'what is', "what's", 'whats', 'what are', 'what does', 'who is', 'who was', 'who wrote', 'who painted', 'who proved', 'when (?:is|was|did)', 'where is', 'where can',
    // Set 101: a role to play (its first reply is one turn in character: what else is asked decides) and a transcription.
    '^(?:act as|pretend (?:you(?:\'re| are)|to be)|role-?play(?: as)?|imagine (?:you(?:\'re| are)))', 'transcribe',
    'which', 'define', 'definition', 'convert', 'translate', 'summari[sz]e', 'summary', 'tl;?dr', 'list', 'name', 'spell', 'rephrase', 'reword',
    // Session 69 (probe set 177): a statement to call true or false, a blank to fill, a form to choose: one fact each, as a lookup.
    'true or false', 'vrai ou faux', 'verdadero o falso', 'verdadeiro ou falso', 'vero o falso', 'richtig oder falsch', 'wahr oder falsch', 'верно или неверно', 'правда или ложь', '判断正误', '判断对错', '正しいか誤りか', 'fill in the blanks?', 'choose the correct (?:form|word|verb|answer|option|spelling)',
    // Session 69 (probe set 179): a pipeline's task on given text, an item at a time: a sentiment, a label, a tag, a redaction, a language told.
    'sentiment', 'classify (?:the )?(?:tone|intent|language|topic)', '(?:label|tag|classify|categori[sz]e) (?:each|every|these|this|the following)', 'redact', 'detect the language', 'clasifica (?:estos|estas|cada|el|la)', 'ordne jede', 'classez (?:ces|chaque)',
    // Session 70 (probe set 187): a transcription in other languages, a table or text turned into a data format.
    'transcris', 'transcrire', 'transcreva', 'transkribiere', 'into (?:csv|json|markdown|yaml|xml|a table)', 'turn (?:this|it|the table|these) into',
    // Session 68 (probe set 171): a format made plain or dense ("pretty-print this JSON").
    'pretty-?print', 'pretty print', 'minify', 'beautify',
    '(?:fix|correct) the (?:typo|grammar|spelling)', 'corrige', 'korrigiere', 'make (?:this|it) (?:sound )?(?:more )?(?:formal|polite|casual|friendly|friendlier|professional)', 'proofread', 'shorten', 'format', 'rename', 'extract', 'count', 'sort (?:these|this|them|the following|the list) (?:alphabetically|by (?:name|date|length|size|price)|in (?:alphabetical|ascending|descending|reverse) order)', 'alphabeti[sz]e', 'how many', 'how much', 'how far', 'how do i',
    'meaning', 'mean', 'synonym', 'give me (?:a|an) (?:example|synonym|name|title|quote)', 'suggest a name', 'recommend a', 'recommend (?:some|a few|two|three|four|five|\\d+) (?:books?|films?|movies?|songs?|albums?|podcasts?|games?|novels?|shows?|series|restaurants?|places?)', 'is it', 'add (?:docstrings|comments)',
    'default', 'by default', 'max(?:imum)? (?:size|length|number|value|payload)', '(?:what|which) port', 'standardport', 'command (?:to|for)', 'por defecto', 'par défaut', 'по умолчанию', 'standardwert',
    '(?:change|reset|cancel|move|update|reschedule) my', 'track (?:my|parcel|package|order)', 'changer (?:ma|mon)', 'annuler (?:ma|mon)', 'cambiar mi', 'cancelar mi',
    'what (?:programming )?language is (?:this|it)', 'which (?:programming )?language is (?:this|it)',
    'qué es', 'cuál es', 'quién', 'wie (?:hoch|weit|alt|lang|groß|schwer|tief)', 'o que é', 'qual é', "cos'è", "che cos'è", 'chi (?:è|era|ha)', 'traduce', 'resume', 'was ist', 'wer ist', 'wie viele', 'übersetze', 'fasse', "qu'est-ce", 'quelle est',
    'qui est', 'traduis', 'traduisez', 'résume', 'que signifie', 'que veut dire', 'qué significa', 'was bedeutet', 'что означает', 'что такое', 'кто', 'сколько', 'какая', 'какой', 'переведи', 'переведите', 'кратко', 'перескажи',
    // Session 59: lookups in Portuguese, Italian, Polish, Turkish and Dutch (Korean below).
    'quantos', 'quantas', 'o que significa', 'quanti', 'quante', 'quali sono', 'cosa significa', 'co to (?:jest|są)', 'jak[aiu] jest', 'nedir', 'neresi', 'nerede', 'kimdir', 'ne demek', 'wat (?:is|zijn|betekent)', 'hoeveel',
    // Session 59, set 75: Dutch "who wrote", Portuguese requests about one's own order or account.
    'wie (?:schreef|schilderde|ontdekte|bedacht)', '(?:cancelar|alterar|mudar) (?:o |a )?(?:meu|minha)',
    // Set 95: what code does ("¿Qué hace este código?"), a docstring, whether it compiles.
    'qué hace', 'que fait', 'was macht', 'что делает', 'o que faz', 'cosa fa', 'write (?:a )?docstrings?', 'does (?:this|it) compile',
    // Session 63 (probe set 131): what code does or prints, translations asked, in the languages of sets 125-129.
    'چه خروجی', 'چه کار می‌کند', 'क्या करता है', 'ماذا يفعل', 'що робить', 'מה עושה', 'vad gör', 'τι κάνει', 'co dělá', 'کیا کرتا ہے', 'apa fungsi', `অনুবাদ ${BENGALI_DO}`,
    // Set 91: a haiku (the tune split's is simple), a few titles or names to suggest (ideas for a startup are moderate: set 71).
    'haikus?', 'give me (?:\\d+|two|three|four|five|ten|a few|some) (?:title|name|headline|caption|tagline|slogan) ideas',
    // Set 83: at what time, how long, in Spanish, French, German and Russian.
    'a qué hora', 'à quelle heure', 'um wie ?viel uhr', 'во сколько', 'как долго', 'combien de temps', 'cuánto tiempo',
    // Session 63 (probe set 125): Hindi, Arabic, Indonesian and Vietnamese, as the English entries.
    'क्या (?:है|हैं|होता है|होती है|होते हैं)', 'का (?:मतलब|अर्थ)', 'कितन(?:ा|े|ी)', 'कौन (?:है|था|थे|थी)', 'अनुवाद', 'ما (?:هو|هي|معنى)', 'ماذا يعني', 'من (?:هو|هي)', '^كم', 'ترجم', 'لخّ?ص', 'apa itu', 'apa (?:arti|artinya|maksud)', 'berapa', 'siapa', 'terjemahkan', 'ringkas(?:kan)?', 'là gì', '(?:có )?nghĩa là gì', 'bao nhiêu', 'là ai', 'dịch (?:sang|câu|đoạn|từ|bài)', 'tóm tắt',
    // Session 65 (probe set 143): Marathi, Gujarati and Punjabi, as the English entries; Hindi "which one".
    'कौन (?:सा|सी|से)', '(?:कोणती|कोणता|कोणते|काय) आहे', 'म्हणजे काय', 'किती', '(?:કઈ|કયો|કયું|શું|કોણ) છે', 'કેટલ(?:ા|ી|ું|ો)', 'ਕਿੰਨ(?:ੇ|ੀ|ਾ)', 'ਕੀ ਹੈ', 'ਕੌਣ ਹੈ',
    // Session 65 (probe set 145): Telugu, Kannada and Malayalam, as the English entries; Hindi typed in Latin letters; what code prints.
    'ఏది', 'ఏమిటి', 'ఎన్ని', 'ఎవరు', 'ఎప్పుడు', 'ಯಾವಾಗ', 'എപ്പോൾ', 'কবে', 'कब', 'எப்போது', 'ಯಾವುದು', 'ಏನು', 'ಎಷ್ಟು', 'ഏതാണ്', 'എന്താണ്', 'എത്ര', 'kya (?:hai|hota hai|hoti hai|hote hain)', 'ka matlab', 'kaise bolte', 'kitn(?:a|e|i)', 'क्या प्रिंट (?:करेगा|करता है|होगा)', 'என்ன அச்சிடும்', 'কী প্রিন্ট (?:করবে|হবে)',
    // Session 65 (probe set 147): "what is X called", "full form".
    'काय म्हणतात', 'को (?:क्या|कैसे) (?:कहते|बोलते) (?:हैं|है)', 'full form',
    // Session 65 (probe set 149): Hebrew "what is the capital".
    'מה (?:בירת|הבירה)',
    // Session 63 (probe set 127): Ukrainian, Hebrew, Persian and Swedish, as the English entries.
    'що таке', 'що означає', 'скільки', 'хто (?:такий|така|написав)', 'яка', 'який', 'переклади', 'перекладіть', 'מה (?:זה|זו|פירוש|המשמעות)', 'מהו', 'מהי', 'כמה', 'מי (?:כתב|היה|הייתה)', 'תרגם', 'چیست', 'چیه', 'یعنی (?:چه|چی)', 'کیست', 'چند', 'چقدر', 'کجاست', 'ترجمه کن', 'vad (?:är|betyder)', 'vem (?:är|var|skrev)', 'hur många', 'översätt',
    // Session 63 (probe set 129): Bengali, Urdu, Greek and Czech, as the English entries.
    'কী', 'কত', 'মানে কী', 'کیا (?:ہے|ہیں|ہوتا ہے|ہوتی ہے)', 'کا مطلب', 'کتن(?:ے|ا|ی)', 'کون', 'τι (?:είναι|σημαίνει)', 'ποι(?:α|ος|ο) είναι', 'πόσ(?:α|οι|ες|ο)', 'μετάφρασε', 'co je(?: to)?', 'co znamená', 'kolik', 'kdo (?:je|byl|napsal)', 'přelož',
    // Session 63 (probe set 133): Tagalog, Swahili, Romanian and Tamil, as the English entries.
    'ano (?:ba )?ang', 'ibig sabihin', 'ilan', 'ilang', 'sino si', 'isalin', 'ni (?:nini|upi|ipi)', 'maana ya', 'ngapi', 'nani', 'tafsiri', 'ce (?:este|înseamnă)', 'care (?:este|sunt)', 'câți', 'câte', 'cine (?:este|a scris)', 'tradu', 'என்றால் என்ன', 'என்ன', 'எது', 'எத்தனை', 'யார்',
    // Session 63 (probe set 135): Malay, Danish, Finnish and Hungarian, as the English entries.
    'apakah', 'maksud', 'berapakah', 'siapakah', 'hvad (?:er|betyder)', 'hvem (?:er|var|skrev)', 'hvor mange', 'oversæt', 'mikä on', 'mitä (?:on|tarkoittaa)', 'tarkoittaa', 'kuka on', 'montako', 'kuinka (?:monta|paljon)', 'käännä', 'mi (?:az|a)', 'mit jelent', 'hány', 'mennyi', 'ki (?:volt|az|írta)', 'fordítsd le',
  ],
  // Session 64 (probe sets 137 and 139): Thai, Lao, Khmer and Burmese, as the English entries, at the end (matched anywhere, as Chinese is).
  ['書き起こ', '文字起こし', '转写', '转录', '什么是', '是什么', '什么意思', 'どういう意味', 'おすすめ', '哪里', '翻译', '总结', '有多长', '有多高', '有多远', '默认', 'デフォルト', 'とは', 'どこ', '翻訳', '要約', 'どれくらい', 'の高さは', 'の長さは', 'は何ですか', 'は誰', '何年', '무슨 뜻', '무엇인가요', '무엇입니까', '뭐예요', '뭔가요', '란 무엇', '얼마나', '추천해', 'もっと丁寧に', '丁寧にして', 'คืออะไร', 'หมายถึงอะไร', 'แปลว่าอะไร', 'เท่ากับกี่', 'มีกี่', 'คือใคร', 'แปลเป็น', 'ແມ່ນຫຍັງ', 'ໝາຍເຖິງຫຍັງ', 'ມີຈັກ', 'ແມ່ນໃຜ', 'ແປເປັນ', 'ជាអ្វី', 'មានន័យដូចម្តេច', 'មានន័យថាអ្វី', 'ប៉ុន្មាន', 'ជានរណា', 'បកប្រែ', 'ဘာလဲ', 'ဘယ်လောက်', 'ဘယ်သူလဲ', 'ဘာသာပြန်', 'แปลประโยค', 'แปลข้อความ', 'พิมพ์อะไร', 'ພິມຫຍັງ', 'លទ្ធផលអ្វី', 'ဘာထုတ်ပေး', 'ဘယ်နှစ်'],
);
/**
 * A turn that says it changes the subject ("unrelated: what's the capital of Peru?", "off topic,
 * but how many ounces in a pound?"): a new question, which does not inherit the conversation's
 * difficulty (set 107). Not "btw" or "another question": those also open a follow-up ("btw, what
 * if Redis is down?").
 */
export const TOPIC_SWITCH = lexicon([
  'unrelated', 'off[- ]topic', 'different (?:question|topic)', 'random question', 'new question', 'changing (?:the )?subject',
  'cambiando de tema', 'otro tema', 'themawechsel', 'anderes thema', "rien à voir", 'autre sujet', 'не по теме', 'другая тема',
]);
/**
 * One's own order, parcel, booking or subscription ("Can I cancel my order 5521?", "Is my parcel
 * 88213 on its way?"): a yes/no question about it takes a lookup in the shop's records, not one
 * word (set 83). Not a lookup whatever else is said: a complaint about an order is labelled
 * moderate in the training rows ("I never got my package and the tracking says delivered").
 */
export const OWN_RECORD = lexicon([
  'my (?:order|parcel|package|delivery|booking|reservation|subscription|account|ticket)', '(?:order|parcel|package|booking|reservation|shipment|ticket) (?:#|no\\.? ?|number )?\\d{3,}',
  'mon colis', 'ma commande', 'ma réservation', 'mi pedido', 'mi paquete', 'mi reserva', 'meu pedido', 'minha reserva', 'mein paket', 'meine bestellung', 'meine buchung', 'мой заказ', 'моя посылка',
]);
/** Topics whose answers need care: distributed systems, performance, security, algorithms, statistics. */
export const DEPTH_TERMS = lexicon(
  [
    'concurren(?:t|cy)', 'race conditions?', 'deadlocks?', 'thread-safe', 'lock-free', 'memory leak', 'leaks?', 'consensus', 'raft', 'paxos', 'partitions?',
    'replication', 'distributed', 'sharding', 'exactly-once', 'at-least-once', 'idempoten(?:t|cy)', 'consistency', 'latency', 'throughput', 'p99',
    'scal(?:e|able|ability|ing)', 'downtime', 'rollback', 'failure modes?', 'fault[- ]toleran(?:t|ce)', 'migrat(?:e|ion)', 'cach(?:e|ing)', 'invalidation',
    'security', 'threats?', 'encrypt(?:ed|ion)?', 'authori[sz]ation', 'permissions?', 'complexity', 'asymptotic', 'recurrence', 'algorithm', 'heap',
    'graph', 'dynamic programming', 'eigen(?:values?|vectors?)', 'integral', '∫', 'probability', 'expected (?:value|number)', 'regression', 'forecast(?:ing)?',
    'seasonality', 'causal', 'churn', 'confound(?:er|ers|ing)', 'a/b test', 'statistical', 'bias', 'variance', 'transformer', 'attention', 'compiler',
    'kubernetes', 'oomkilled', 'kafka', 'pipeline', 'multi-region', 'active-active', 'multi-tenant', 'schema', 'indexes', 'window functions?',
    'conflict resolution', 'offline-first', 'sync', 'protocol', 'handshake', 'ledger', 'fraud', 'rate limit(?:er|ing)?', 'bounded', 'backoff', 'retries',
    'trade-?offs?', 'constraints?', 'requirements?', 'edge cases?', 'pitfalls', 'sample size', 'cohorts?', 'retention', 'statistical power', 'power analysis', 'counterarguments?', 'methodolog(?:y|ical)',
    'threads?', 'goroutines?', 'mutex(?:es)?', 'quadratic(?:ally)?', 'dependencies', 'risks', 'timeline', 'failure scenarios', 'owners', 'memory',
    // Set 89: mechanisms whose explanation is complex work ("Explain how MVCC in PostgreSQL lets readers and writers avoid blocking each other").
    'mvcc', 'crdts?', 'convergence', 'lsm(?:[- ]trees?)?', 'compaction', 'amplification', 'garbage collect(?:or|ors|ion)', 'generational', 'scheduler', 'token bucket',
    // Set 95: security in Spanish, French, German and Russian, as 'security' is.
    'seguridad', 'sécurité', 'sicherheit', 'безопасност\\p{L}*',
    'concurrencia', 'distribuid[oa]', 'nebenläufig', 'verteilt', 'concurrence', 'distribué', 'гонки', 'распределённ', 'параллельн',
    'depend on each other', 'dependen (?:unos de otros|entre sí)', 'hängen voneinander ab', 'dépendent les uns des autres',
    'migración', 'réplicas?', 'replicación', 'vuelta atrás', 'latencia', 'dependencias', 'riesgos', 'cronograma', 'escalabilidad',
    'replikation', 'replikate', 'latenz', 'durchsatz', 'abhängigkeiten', 'risiken', 'zeitplan', 'ausfallzeit', 'skalierung',
    'réplication', 'répliques', 'latence', 'débit', 'dépendances', 'risques', 'retour arrière', 'indisponibilité',
    'распределённая', 'распределённые', 'распределённой', 'параллельно', 'параллельные', 'миграция', 'миграции', 'миграцию', 'репликация', 'репликации', 'задержка', 'зависимости', 'риски', 'масштабирование',
  ],
  // Session 69 (probe set 181): thread safety, deadlocks and races in Chinese and Japanese, as the English words.
  ['并发', '分布式', '冲突', '一致性', '权衡', '复杂度', '競合', '一貫性', 'トレードオフ', '分散', '迁移', '移行', '线程安全', '死锁', '竞态', '竞争条件', 'スレッドセーフ', 'デッドロック', '競合状態'],
);
/** Asks with several parts. */
export const MULTI_STEP = lexicon(
  [
    'step by step', 'then', 'after that', 'finally', 'first', 'secondly', 'thirdly', 'also', 'additionally', 'for each', 'and explain', 'and show',
    'and justify', 'and compare', 'and propose', 'and recommend', 'and analy[sz]e', 'including', 'include', 'cover', 'covering', 'walk through',
    'justify', 'and why', 'and how', 'with proof', 'with (?:a )?proof', 'luego', 'después', 'dann', 'danach', 'ensuite', 'puis', 'затем', 'потом', 'и объясни',
  ],
  ['然后', '接着', '并说明', 'それから', '次に'],
);
export const CONSTRAINT = lexicon([
  'must', 'should', 'without', 'at least', 'at most', 'no more than', 'less than', 'ensure', 'guarantee', 'handle', 'handles', 'support', 'supports',
  'prevent', 'prevents', 'keeping', 'under', 'o\\(n(?: log n)?\\)', 'in-place', 'respects?', 'limit of', 'debe', 'sin', 'muss', 'ohne', 'doit', 'sans', 'должен', 'без',
]);
export const BREVITY = lexicon(
  ['briefly', 'in one (?:sentence|word|line)', 'one-liner', 'one line', 'short answer', 'just (?:the|a) (?:answer|number|name|floor)', 'yes or no', 'tl;?dr', 'brevemente', 'en una frase', 'in einem satz', 'en une phrase', 'одной фразой', 'кратко',
    // Set 85: "in a few words" in six languages.
    'en pocas palabras', 'en quelques mots', 'in wenigen worten', 'в двух словах', 'in poche parole', 'em poucas palavras'],
  ['一句话', '一文で', '简单说'],
);
/**
 * Math notation, not every '-' or '/': LaTeX, operators between symbols, powers, named functions.
 * Reads lexicalForm (lower case) without the 'i' flag: case-insensitive Unicode matching made it
 * the costliest pattern (34 vs 8 us over 1.2 KB). After an operator, what may stand before '=' (a
 * number, a letter, both or nothing) is one optional group: as two optional parts between two
 * \s*, a run of spaces could be split between them every way ("s*", 1,190 spaces and "*="
 * took ~2.4 ms to classify).
 */
export const MATH_NOTATION =
  /\\(?:frac|int|sum|prod|sqrt|lim|infty|mathbb|forall|exists|partial)|[∑∫∏√∞∀∃∂≤≥≠≈∈⊂]|\b[a-z]\s*\^\s*\d|\b\d*[a-z]\s*[+\-*/]\s*(?:(?:\d+[a-z]?|[a-z])\s*)?=\s*\d|\b[a-z]\(\s*[a-z]\s*\)\s*=|\bmod\s+\d|\bt\(n\)/u;
/**
 * MATH_NOTATION's forms, each alone, and what a text must hold for it to match. The ones that
 * turn on "^" or "=" start with that character and look behind it for what came before, so they
 * are tried where the character is and read back from it once. With the lookbehind first the
 * regex audit (recheck) finds them polynomial: an engine that tries them at every place reads a
 * run of spaces back from each (V8 looks for the character first and stays linear on its
 * attacks, but the audit is what guards the regexes). Literals, so that the audit reads them;
 * kept the same as MATH_NOTATION's alternatives by the property test of mathNotationIn.
 */
const MATH_NOTATION_FORMS: ReadonlyArray<{ regex: RegExp; needs: readonly string[] }> = [
  { regex: /\\(?:frac|int|sum|prod|sqrt|lim|infty|mathbb|forall|exists|partial)/u, needs: ['\\'] },
  { regex: /[∑∫∏√∞∀∃∂≤≥≠≈∈⊂]/u, needs: [] },
  { regex: /\^(?<=\b[a-z]\s*\^)\s*\d/u, needs: ['^'] },
  { regex: /=(?<=\b\d*[a-z]\s*[+\-*/]\s*(?:(?:\d+[a-z]?|[a-z])\s*)?=)\s*\d/u, needs: ['='] },
  { regex: /=(?<=\b[a-z]\(\s*[a-z]\s*\)\s*=)/u, needs: ['=', '('] },
  { regex: /\bmod\s+\d/u, needs: ['mod'] },
  { regex: /\bt\(n\)/u, needs: ['t(n)'] },
];
/**
 * MATH_NOTATION.test(text), one form at a time, each only where the text holds what it must.
 * Over the first 1.2 KB of the 34 seeded 2 KB mixtures with no math symbol the one alternation
 * took ~7.2 us here, this ~1.0; 1,200 "=" in a row ~3.0 against ~10.3 (each "=" is tried).
 */
export function mathNotationIn(text: string): boolean {
  for (const { regex, needs } of MATH_NOTATION_FORMS) {
    if (needs.every((n) => text.includes(n)) && regex.test(text)) return true;
  }
  return false;
}
export const MATH_WORDS = lexicon([
  'integral', 'derivative', 'eigen(?:value|vector)s?', 'matrix', 'matrices', 'polynomial', 'primes?', 'irrational', 'probability', 'expected value',
  'variance', 'converge(?:s|nce)?', 'series',
  // Not "limit" alone since session 66: a system's limit is no calculus ("ano ang ibig sabihin ng
  // API rate limit?", probe set 155). A lookbehind for "rate", "memory" … sent every text holding
  // "limit" through the lexicon's regex (~3 us on 1.4 KB here); the tune split and the probes
  // lose nothing without it.
  'limits? of', 'limits? as', 'equations?', 'inequality', 'induction', 'modulo', 'combinatori(?:cs|al)', 'permutations?',
  'theorem', 'lemma', 'groups? of order', 'group theory', 'abelian', 'subgroups?', 'cyclic groups?', 'graph', 'countable', 'uncountable', 'recurrence', 'ecuación', 'gleichung', 'équation', 'уравнение', 'интеграл',
]);
/** The core of a lookup: a keyword-stuffed lookup stays a lookup. */
export const LOOKUP_CORE = lexicon(
  [
    'capital of', 'capital de', 'hauptstadt', 'столица', 'what color', 'boiling point', 'freezing point', 'how many days', 'how many legs',
    "what (?:is|'s) \\d+ ?(?:[-+*/x×]|times|plus|minus|divided by) ?\\d+", 'translate .{1,40} (?:into|to) \\p{L}+', 'define', "what does '?\\p{L}+'? mean",
    'who (?:wrote|painted|proved)', 'what (?:is|does) the word',
    // Session 63 (probe set 125): Hindi, Arabic, Indonesian and Vietnamese, as the English entries.
    'राजधानी', 'عاصمة', 'ibu ?kota', 'thủ đô',
    // Session 63 (probe set 127): Ukrainian, Hebrew, Persian and Swedish, as the English entries.
    'столиця', 'בירת', 'پایتخت', 'huvudstad(?:en)?',
    // Session 63 (probe set 129): Bengali, Urdu, Greek and Czech, as the English entries.
    'রাজধানী', 'دارالحکومت', 'πρωτεύουσα', 'hlavní město',
    // Session 63 (probe set 133): Tagalog, Swahili, Romanian and Tamil, as the English entries.
    'kabisera', 'mji mkuu', 'capitala', 'தலைநகரம்',
    // Session 65 (probe set 143): Gujarati and Punjabi, as the English entries.
    'રાજધાની', 'ਰਾਜਧਾਨੀ',
    // Session 65 (probe set 145): Telugu, Kannada and Malayalam, as the English entries.
    'రాజధాని', 'ರಾಜಧಾನಿ', 'തലസ്ഥാനം',
    // Session 65 (probe set 149): Hebrew "the capital".
    'הבירה',
    // Session 63 (probe set 135): Malay, Danish, Finnish and Hungarian, as the English entries.
    'ibu negara', 'hovedstad(?:en)?', 'pääkaupunki', 'fővárosa', 'főváros',
  ],
  // Session 64 (probe set 137): Thai, Lao, Khmer and Burmese, as the English entries, at the end (matched anywhere, as Chinese is).
  ['首都', 'เมืองหลวง', 'ນະຄອນຫຼວງ', 'រាជធានី', 'မြို့တော်'],
);
/** Greetings, thanks and acknowledgements: a message made only of these is small talk. */
export const SMALL_TALK_WORDS = new Set(
  (
    'hi hello hey yo hiya howdy good morning afternoon evening night thanks thank thx ty you so very much a lot again ok okay k cool great nice perfect ' +
    'awesome got it sure yes no yep nope please bye goodbye see ya cheers lol sounds makes sense understood that works worked the fix for help done ' +
    'answers job merry christmas happy birthday nice to meet how are doing what up quick test ping there is this thing on everyone all man mate friend ' +
    'hola gracias muchas buenos días adiós vale hallo danke schön tschüss guten tag morgen abend wie geht bonjour salut merci beaucoup au revoir ' +
    "d'accord привет спасибо пока здравствуйте хорошо ладно понял ciao grazie olá obrigado obrigada never mind anyway um uh so like " +
    'basically know mean actually honestly well right i just ' +
    // session 50 (fresh probes): "nvm figured it out"
    'nvm nevermind figured out ' +
    // session 59 (fresh probes): "gm" (good morning)
    'gm ' +
    // second round (greetings and thanks the first lists missed; tune split)
    "you're c'est best new year love buenas noches tardes moin servus dir klar dank vielen super parfait génial bonsoir bonne nuit ça va " +
    'доброе утро добрый день вечер спокойной ночи всё понятно valeu tchau oi bom dia boa noite mille buongiorno buonanotte ' +
    "geht's how's going " +
    'qué tal как дела ты teşekkürler merhaba شكرا جزيلا مرحبا नमस्ते धन्यवाद dzięki dziękuję cześć bedankt hoi hej tack 고마워요 감사합니다 안녕 ' +
    // session 59 (fresh probes): "Oi, tudo bem?", "Tutto bene?", "Nasılsın?"
    'tudo bem você tutto bene stai nasılsın buonasera dobranoc dzień dobry günaydın iyi geceler akşamlar goedemorgen goedemiddag goedenavond goedenacht welterusten ' +
    // set 81: "Dziękuję bardzo!", "Sağ ol!", "고마워요, 덕분에 해결했어요!"
    'bardzo sağ ol 덕분에 해결했어요 해결됐어요 알겠습니다 알겠어요 ' +
    // set 83: "Night night, talk tomorrow!"
    'talk tomorrow later soon ttyl anyone anybody ' +
    // set 101: "Thanks a lot, this was super helpful!! Have a great weekend :)"
    'was helpful useful really weekend ' +
    // set 107: "okie, got it"
    'okie oki okey ' +
    // set 91: "mornin all!", "nah, I'm good", "Bis später!", "À plus !", "haha nice one"
    "mornin nah i'm bis später à plus haha hehe one " +
    // Session 63 (set 125): Hindi, Arabic, Indonesian and Vietnamese greetings, thanks and "how are you".
    'नमस्कार कैसे हो हैं है आप शुक्रिया ठीक बहुत मदद شكرًا شكراً لك أهلا أهلاً مرحباً السلام عليكم صباح مساء الخير كيف حالك تمام ' +
    'halo hai apa kabar makasih terima kasih banyak ya selamat pagi siang sore malam oke sip chào xin bạn cảm cám ơn nhé nhiều khỏe không vâng dạ tạm biệt ' +
    // Session 63 (set 127): Ukrainian, Hebrew, Persian and Swedish.
    'привіт як справи дякую все працює добрий ранок вечір שלום מה שלומך שלומכם תודה רבה בוקר טוב ערב היי سلام خوبی خوبید ممنون مرسی متشکرم خیلی کمک کرد عالی بود بخیر hej hur mår du tack så mycket god morgon kväll hejdå ' +
    // Session 63 (set 129): Bengali, Urdu, Greek and Czech.
    'নমস্কার কেমন আছেন আছো ধন্যবাদ অনেক উপকার হলো শুভ সকাল السلام علیکم کیا حال ہے شکریہ بہت مدد ملی γεια σου σας τι κάνεις κάνετε ευχαριστώ πολύ καλημέρα καλησπέρα καληνύχτα δούλεψε ahoj jak se máš máte díky moc děkuji dobré ráno den večer ' +
    // Set 131: "ok, thanks, it works now" typed as chat, and Vietnamese without its diacritics.
    'udah sudah jalan berhasil cam on ban nhieu chao xin ٹھیک ' +
    // Session 65 (set 143): Marathi, Gujarati and Punjabi, and Tamil "very helpful".
    'आता काम करतंय करतोय झालं कसे आहात आहेस शुभ रात्री सकाळ કેમ છો આભાર નમસ્તે મજામાં સુપ્રભાત આવજો ખૂબ ਸਤ ਸ੍ਰੀ ਅਕਾਲ ਜੀ ਧੰਨਵਾਦ ਸ਼ੁਕਰੀਆ ਬਹੁਤ ਹਾਲ ਹੈ ਮਿਹਰਬਾਨੀ மிகவும் உதவியாக ' +
    // Session 65 (set 145): Telugu, Kannada and Malayalam; Marathi "it is"; Hindi typed in Latin letters.
    'ఎలా ఉన్నారు నమస్కారం ధన్యవాదాలు సరే ఇప్పుడు పనిచేస్తోంది ನಮಸ್ಕಾರ ಹೇಗಿದ್ದೀರಾ ಧನ್ಯವಾದಗಳು ಈಗ ಕೆಲಸ ಮಾಡುತ್ತಿದೆ നമസ്കാരം സുഖമാണോ നന്ദി ശരി ഇപ്പോൾ ശരിയായി आहे thik theek hai bhai ab chal gaya gayi shukriya dhanyavaad accha achha yaar kaise ho ' +
    // Session 65 (set 147): Telugu "very", Kannada "ok" and "thanks"; set 149: Urdu "how are you".
    'చాలా ಸರಿ ಧನ್ಯವಾದ کیسے ہیں آپ ہو ' +
    // Session 66 (set 153): "it works now" after thanks, in English, Spanish, French and Indonesian ("ok ya funcionó el deploy, gracias!").
    'now funciona funcionó ahora el la le marche passe fonctionne maintenant lagi ' +
    // Set 155: "perfecto, ya pasó el CI", "top, deu certo o deploy", "ok thx, udah beres bug-nya".
    'perfecto pasó listo top deu certo o beres nya ' +
    // Set 157: thanks typed in a hurry ("thnks!! that fixd it").
    'thnks thnx thanx tnx fixd ' +
    // Set 159: chat slang around thanks ("k thx bro, appreciate it", "ayy it works now, ur the goat").
    'ayy ayyy ur goat legend bro appreciate appreciated ' +
    // Session 63 (set 133): Tagalog, Swahili, Romanian and Tamil.
    'kumusta ka salamat po magandang umaga hapon gabi habari yako asante sana imefanya kazi asubuhi salut ce faci mersi mulțumesc mult bună dimineața ziua seara வணக்கம் எப்படி இருக்கீங்க இருக்கிறீர்கள் நன்றி ரொம்ப உதவியா இருந்தது காலை ' +
    // Session 63 (set 135): Malay, Danish, Finnish and Hungarian.
    'khabar terima kasih semua hvordan går det mange tak godmorgen god moi hei mitä kuuluu kiitos paljon hyvää huomenta szia hogy vagy köszönöm szépen jó reggelt napot'
  )
    .split(' ')
    .filter((w) => w !== ''),
);
export const SMALL_TALK_CJK = /^(?:你好吗?|最近怎么样|お元気ですか|元気(?:です)?か?|谢谢你?|再见|好的，?明白了|好的|早上好|晚上好|晚安|こんにちは|こんばんは|ありがとう(?:ございます)?|おはよう(?:ございます)?|おやすみなさい|さようなら|안녕하세요|감사합니다|고마워요|좋은 아침(?:이에요|입니다)?|잘 자요|반가워요|수고하셨습니다)[\s!！。.~?？]*$/u;
/**
 * Greetings, thanks, "how are you", "ok" and "it works now" in Thai, Lao, Khmer and Burmese
 * (written without spaces between words, so not read by SMALL_TALK_WORDS): one to three of them
 * as the whole turn, each with a polite particle or none ("ขอบคุณมากครับ", "សួស្តី សុខសប្បាយទេ?").
 * Session 64 (probe sets 137 and 139).
 */
export const SMALL_TALK_UNSPACED =
  /^(?:(?:สวัสดี|หวัดดี|ขอบคุณ(?:มาก)?|ขอบใจ|สบายดี(?:ไหม|มั้ย|หรือเปล่า)?|อรุณสวัสดิ์|ราตรีสวัสดิ์|ลาก่อน|โอเค|เข้าใจแล้ว|ສະບາຍດີ(?:ບໍ່|ຕອນເຊົ້າ)?|ເຈົ້າສະບາຍດີບໍ່|ຂອບໃຈ(?:ຫຼາຍໆ|ຫຼາຍ)?|ລາກ່ອນ|ໂອເຄ|សួស្តី|ជំរាបសួរ|សុខសប្បាយទេ|អរគុណ(?:ច្រើន)?|អរុណសួស្តី|រាត្រីសួស្តី|លាហើយ|မင်္ဂလာပါ|မင်္ဂလာနံနက်ခင်းပါ|နေကောင်းလား|နေကောင်းပါသလား|ကျေးဇူး(?:အများကြီး)?တင်ပါတယ်|ကျေးဇူးပဲ|ကျေးဇူးပါ|ok(?:ay)?|ใช้ได้แล้ว|ໃຊ້ໄດ້ແລ້ວ|អូខេ|ដំណើរការហើយ|အလုပ်လုပ်သွားပြီ)(?:ครับผม|ครับ|ค่ะ|คะ|จ้ะ|จ้า|นะ|ເດີ|ແດ່|បាទ|ចាស|ណាស់|ဗျ|ရှင်|နော်)?[\s,!?.၊။។៕~]{0,3}){1,3}$/u;
/**
 * Greetings, thanks and acknowledgements that open or close a social turn ("Gracias, eso es todo",
 * "Спасибо большое!", "Appreciate it!"). Not yes/no/ok/sure/please: those also open corrections
 * and requests ("No, use Python instead").
 */
export const SOCIAL_EDGE_WORDS = new Set(
  (
    'hi hello hey hiya howdy morning evening thanks thank thx ty cheers appreciate appreciated obliged bye goodbye cya brb gotcha noted nvm ' +
    'cool great nice perfect awesome lol worries understood hola gracias adiós hallo danke tschüss servus moin bonjour salut merci bonsoir ' +
    'привет спасибо пока здравствуйте понял понятно ciao grazie olá obrigado obrigada valeu tchau oi super parfait génial ' +
    'merhaba teşekkürler dzięki cześć bedankt hoi hej tack ' +
    // Session 63: the thanks and greetings of sets 125-131 that are one word with no combining mark.
    'makasih halo chào привіт дякую שלום תודה سلام ممنون مرسی شكرا مرحبا شکریہ ahoj díky děkuji ευχαριστώ γεια salamat kumusta asante habari salut mersi mulțumesc kiitos szia köszönöm'
  ).split(' '),
);
/**
 * A greeting or thanks that opens a turn before its ask ("Hi! ", "Hello team,\n", "Thanks! ",
 * "Please, ", "Hola, ", "Привет! ", "你好，"): the words and up to two listed words of address ("there",
 * "all"), not the mark that ends them (social.ts withoutSocialEdges reads that, and a name).
 * Matched where the turn starts (sticky), any case; group 1 is thanks (what follows may be an
 * acknowledgement: "thanks, that's all").
 */
export const SOCIAL_OPENING = /[\s"'“«]*(?:hi|hello|please|hey|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening|day)|hola|buen(?:os|as) (?:días|dias|tardes|noches)|hallo|moin|servus|guten (?:morgen|tag|abend)|bonjour|bonsoir|salut|coucou|ciao|buongiorno|olá|oi|bom dia|boa (?:tarde|noite)|привет|здравствуйте|добрый (?:день|вечер)|доброе утро|你好|您好|大家好|嗨|こんにちは|こんばんは|おはよう(?:ございます)?|안녕하세요|((?:many )?thanks|thank you|thx|gracias|danke|merci|grazie|obrigad[oa]|спасибо|谢谢|ありがとう(?:ございます)?))(?:[ \t]+(?:there|all|everyone|everybody|team|folks|guys|again|friend|mate|so much|a lot)){0,2}/iuy;
/**
 * Thanks, a please or an urgency that close a turn after its ask and ask nothing themselves ("... ?
 * Thanks!", "..., thank you so much.", "\n\nTIA", "Write a haiku about rain, please", "... ? ASAP",
 * "... (urgent)"): the phrase and what may follow it to the end. Matched on the turn's last 120
 * characters, any case; withoutSocialEdges reads what is before it (a sentence mark, a comma, a
 * line break or an opening parenthesis, or a space before a capital: "Write a note saying
 * thanks." ends in no thanks). Before a closing please was set apart, ", please" after the
 * training asks moved 73 of 961 (28 down: "Write a haiku about rain, please" read simple); before
 * an urgency was, " ASAP" after the probe asks not held back 89 of 1,652 (10 down:
 * "证明素数有无穷多个。 ASAP", a proof, read moderate).
 */
export const CLOSING_ASIDE = /(?:asap|urgent(?:ly)?|please help|pls help|please|pls|plz|por favor|bitte|(?:s'il|s’il) (?:vous|te) (?:plait|plaît)|per favore|пожалуйста|(?:many |a thousand )?(?:thanks|thank you|thank u|thx|ty|tia|cheers)(?:[ \t]+(?:so much|very much|a lot|a bunch|in advance|again|heaps|all))?|much appreciated|appreciate it|gracias|muchas gracias|danke(?: schön| sehr)?|vielen dank|merci(?: beaucoup)?|спасибо(?: большое| заранее)?|grazie(?: mille)?|obrigad[oa]|谢谢(?:你|您)?|多谢|ありがとう(?:ございます)?|감사합니다)[\s!.,。！~)）]*$/iu;
/**
 * What opens an ask before it says anything ("Quick question: ", "Question - ", "I was wondering,
 * "): a label and its mark, or a label that ends the turn ("hey, quick one": nothing is asked yet);
 * a mail's reply or forward mark ("Re: ", "Fwd: ") and a bracketed tag ("[Question] ", "[URGENT] ").
 * Sticky, any case.
 */
export const LABEL_OPENING = /[\s"'“«]*(?:(?:(?:a |one )?(?:quick|short|simple|small|random|dumb|stupid|silly|noob|newbie|basic) (?:question|one|q)|question|q|urgent|help|(?:i was|i am|i'm|just) wondering|i have a question|i've got a question|i've a question)[ \t]*(?:[:,!—–]+|-+(?=[ \t])|[.?!]*$)|(?:re|fwd?|aw|wg|tr)[ \t]*:|\[\p{L}[\p{L} -]{0,18}\])\s*/iuy;
/**
 * A request's courtesy before its verb ("Can you please ", "Could you kindly ", "Would you mind
 * ", "I was wondering if you could "): the ask is the rest ("explain ..."). Only with "please" or
 * a like word: "Can you hear me?" is a yes/no question. Sticky, any case.
 */
export const COURTESY_OPENING = /[\s"'“«]*(?:(?:can|could|would|will) (?:you|u) (?:please|pls|plz|kindly)|(?:please|pls|plz|kindly) (?:can|could|would) (?:you|u)|would you (?:mind|be able to)|(?:i was|i am|i'm|just) wondering (?:if|whether) (?:you could|you can|you'd be able to)|i would like you to|i'd like you to)[ \t,]+(?=\p{L})/iuy;
/**
 * A request put as a question or a need before its verb ("Can you ", "Could you ", "I need you
 * to "): withoutSocialEdges sets it apart only where an ask's verb follows (ASK_OPENING_WORDS), so
 * "Can you hear me?" stays a yes/no question. Sticky, any case.
 */
export const REQUEST_OPENING = /[\s"'“«]*(?:(?:can|could|would|will) (?:you|u)|(?:i need|i want|i'd like|i would like) you to)[ \t]+/iuy;
/**
 * The words CLOSING_ASIDE can end with, lower case: a text whose last word is none of them has
 * no closing thanks, please or urgency, and the regex is not run on it. Read off the regex itself
 * (its phrases, less what may follow them, expanded: a finite list), so that the two cannot drift
 * apart.
 */
export const CLOSING_ASIDE_LAST_WORDS: ReadonlySet<string> = (() => {
  const source = CLOSING_ASIDE.source;
  const phrases = expandTerm(source.slice(0, source.lastIndexOf('[')).replaceAll('[ \\t]+', ' '));
  if (phrases === null) throw new Error('lexicon: CLOSING_ASIDE must expand to a finite list of phrases');
  return new Set(phrases.map((p) => words(p).at(-1)!));
})();
/**
 * A sign-off line before a name at a turn's end ("Best,\nAlice", "Thanks in advance,\nBob",
 * "Cheers,\nSam"): the line's words, any case (withoutSocialEdges reads the name line after it).
 */
export const SIGN_OFF_LINE = /^[ \t]*(?:best(?: regards| wishes)?|regards|kind regards|warm regards|many thanks|cheers|thanks(?: in advance| again| so much| a lot)?|thank you(?: in advance| so much)?|sincerely|yours(?: truly)?|tia|thx|ty|saludos|gracias|viele grüße|mit freundlichen grüßen|danke|cordialement|merci|bien à vous|с уважением|спасибо)[ \t]*(?:[,.!][ \t]*)?$/iu;
/** A signature's name line: one or two capitalised words, or an initial ("Alice", "Bob M.", "-- J"). */
export const NAME_LINE = /^[ \t]*(?:[-–—~]+[ \t]*)?\p{Lu}[\p{L}'’.-]{0,24}(?:[ \t]+\p{Lu}[\p{L}'’.-]{0,24})?[ \t]*$/u;
/**
 * A discourse opening before an ask ("Okay so ", "So, ", "Um, ", "Alright, so "): withoutSocialEdges
 * sets it apart before any word where a mark or "so" ends it or it is a filler ("um"), and a bare
 * one ("So ", "Well ") only where an ask's first word follows (ASK_OPENING_WORDS), so "So many
 * people ..." keeps its "So" ("Well-known" is no match: a space must follow). Sticky, any case.
 */
export const DISCOURSE_OPENING = /[\s"'“«]*(?:ok(?:ay)?|k|alright|all right|well|so|um+|uh+|hmm+|oh|anyway|actually)(?:[ \t]*[,.!]+)?(?:[ \t]+so)?(?:[ \t]*,)?[ \t]+/iuy;
/**
 * Words an ask opens with, lower case: question words and auxiliaries, "I"/"we", and instruction
 * verbs, in the covered languages. A greeting that may be part of a phrase ("Hello World program in
 * C", "Good morning routine: ...") with no mark after it, or a bare discourse opening
 * (DISCOURSE_OPENING), is set apart only before one of them ("hello how do I ...").
 */
export const ASK_OPENING_WORDS: ReadonlySet<string> = new Set(
  (
    'what which why how when where who whose whom is are was were do does did can could would will should shall may might must have has had i we my our ' +
    'explain describe write draft compose rewrite summarize summarise compare contrast design build implement create make prove derive show ' +
    'solve calculate compute find give list tell teach help suggest recommend plan outline translate define review check debug fix optimize optimise analyze analyse ' +
    'refactor convert generate estimate evaluate assess diagnose investigate walk ' +
    'qué que cuál cuándo dónde quién cómo por puedes podrías explica escribe dime ' +
    'was welche wann wo wer wie warum kannst könntest erkläre schreibe ' +
    'quoi quel quelle quand où qui comment pourquoi peux pourrais explique écris ' +
    'что какой какая когда где кто как почему можешь объясни напиши'
  ).split(' '),
);
/** One emoji unit: a pictograph, a skin tone, a joiner or a variation selector (withoutSocialEdges reads a turn's first and last ones). */
export const EMOJI_UNIT = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|[\u200d\ufe0f\u20e3])$/u;
/** Emoticons that end a turn ("... works now :)"). */
export const EMOTICONS: readonly string[] = [':)', ':-)', ';)', ';-)', ':(', ':-(', ':D', ':-D', ':P', ':p', ':3', '=)', '<3', '^^'];
/**
 * A turn written as a list item, a quoted line or a quotation ("- What is X?", "> What is X?",
 * "\"How do I ...?\""): its marks (withoutSocialEdges reads one-line turns only). Group 1 is an opening quote, whose closing one
 * must end the turn (QUOTE_CLOSES).
 */
export const WRAPPED_LINE = /^[ \t]*(?:(?:[-*•–>]|\d{1,2}[.)])[ \t]+|(["“«„'‘]))/u;
/** The closing quote of each opening one WRAPPED_LINE takes. */
export const QUOTE_CLOSES: Readonly<Record<string, string>> = { '"': '"', '“': '”', '«': '»', '„': '“', "'": "'", '‘': '’' };
/** Chinese, Japanese and Korean greetings and thanks that open a short social turn ("谢谢你的帮助", "お疲れ様です"). */
export const SOCIAL_OPENING_CJK = /^(?:你好|谢谢|多谢|再见|早上好|晚上好|晚安|辛苦了|こんにちは|こんばんは|ありがとう|おはよう|おやすみ|さようなら|お疲れ様|안녕|감사합니다|고마워)[^?？]{0,8}$/u;
export const SYSTEM_RIGOUR = lexicon(['expert', 'rigorous', 'think carefully', 'careful reasoning', 'research', 'mathematician', 'proof', 'olympiad', 'senior']);
export const SYSTEM_BRIEF = lexicon(['concise', 'brief', 'short answers?', 'keep answers short', 'one sentence', 'casual', 'friendly chat', 'small talk']);
/** One-word-answer asks: yes/no questions, trivial instructions, sequence facts. */
export const TRIVIAL_ASK = lexicon([
  "^(?:is|are|can(?! (?:you|u) )|do(?! you know )|does|was(?! (?:ist|sind|steht|bedeutet|macht|heißt|kostet|passiert)(?![\\p{L}]))|were|true or false)", 'say (?:hi|hello|ok|yes|no|back)', 'can (?:you|u) (?:hear|see|read|understand) (?:me|this|it)', 'reply with', 'repeat after', 'count from', 'random number',
  'what day comes', 'what comes after', 'what number comes next', "what(?:'s|s| is) the next number", 'what letter', 'opposite of', 'plural of', 'how many legs', 'how many days are in a week', 'which is (?:larger|bigger|smaller)',
  // Set 87: time units in a larger one, a thing's legs or wheels, what comes before, a colour everyone knows, a word spelled backwards.
  'how many (?:seconds (?:are )?(?:there )?in a minute|minutes (?:are )?(?:there )?in an hour|hours (?:are )?(?:there )?in a day|months (?:are )?(?:there )?in a year)', 'how many (?:legs|wheels|eyes|wings) (?:does|do) (?:a|an)', 'what (?:day |letter |number )?comes before',
  'what colou?r (?:is|are) (?:the|a|an)', 'spell (?:\\p{L}+|["\'‘“]\\p{L}+["\'’”]) backwards', 'wie viele (?:sekunden hat eine minute|minuten hat eine stunde|stunden hat ein tag|tage hat eine woche|monate hat ein jahr)',
  '一(?:分钟有(?:几|多少)秒|小时有(?:几|多少)分钟|天有(?:几|多少)个?小时|(?:周|星期)有(?:几|多少)天|年有(?:几|多少)个?月)',
]);
/**
 * Words that make a yes/no question a judgement ("Is it better to rent or buy?", "Is coffee bad
 * for you?", "Is it worth learning Latin?"): the answer is an argument, not one word.
 */
export const JUDGEMENT = lexicon([
  'better', 'worse', 'worth', 'best', 'bad for', 'good for', 'bad to', 'good to', 'ok to', 'okay to', 'normal to', 'harmful', 'healthy', 'healthier', 'unhealthy', 'safe', 'safer', 'dangerous', 'a good idea', 'a bad idea',
  'ethical', 'fair', 'overrated', 'mejor', 'peor', 'vale la pena', 'besser', 'schlechter', 'lohnt', 'meilleur', 'pire', 'vaut', 'лучше', 'хуже', 'стоит ли',
]);
/**
 * Session 70 (probe set 185): words of a question whose answer is an argument, not a fact: a moral
 * judgement ("Is it ethical to eat meat?", "Is it ever okay to lie …?", "È giusto tassare di più i
 * ricchi?") and the open questions of philosophy ("Is free will compatible with determinism?",
 * "Does money buy happiness?"). Set 185 read 6 of its 9 such questions a tier or two low, as
 * lookups or one-word answers.
 */
export const OPEN_QUESTION = lexicon(
  [
    // (Words that are often no judgement are read only in a judgement's frame: "fair" as in a job
    // fair, "right to left", "justo ahora" (right now), "juste une question", "morale" of a team.)
    'ethical', 'ethically', 'unethical', 'moral', 'morally', 'immoral', 'is it fair', 'fair to', 'fair that', 'unfair', 'justified', 'justifiable', 'wrong to', 'is it (?:ever )?right to', 'ever (?:ok|okay|right|acceptable|justified)',
    'free will', 'determinism', 'consciousness', 'meaning of life', 'happiness', 'invented or discovered',
    'ético', 'ética', 'éticamente', 'moralmente', '^¿?es justo', 'es justo que', 'justificable', 'ethisch', 'moralisch', 'vertretbar', 'gerecht', 'gerechtfertigt', 'éthique', 'moralement', 'est-il juste', 'est-ce juste', 'justifié',
    'этично', 'этичн\\p{L}*', 'морально', 'моральн\\p{L}*', 'справедлив\\p{L}*', 'оправда\\p{L}*', 'etico', 'etica', '^è giusto', 'è giusto che', 'giustificat\\p{L}*', '^é justo', 'é justo que', 'justificável',
    'свобода воли', 'libre albedrío', 'freier wille', 'libre arbitre', 'felicidad', 'glücklich', 'bonheur', 'счасть\\p{L}*',
  ],
  ['道德', '伦理', '倫理', '道徳', '正しい場合', '自由意志', '意识', '意識', '幸福', '人生の意味', '人生的意义'],
);
/** Session 70 (probe set 185): a what-if to reason through ("What if the internet went down worldwide for a week?"). */
export const WHAT_IF = lexicon(
  ['what if', 'what would happen', 'what happens if', 'imagine if', 'qué pasaría', 'qué sucedería', 'y si', 'was wäre,? wenn', 'was würde passieren', 'que se passerait-il', 'et si', 'что будет,? если', 'что (?:было бы|произойдёт|произойдет|случится),? если', 'что если', 'o que aconteceria', 'e se', 'cosa succederebbe'],
  ['会发生什么', '会怎么样', '会怎样', 'どうなる'],
);
/** Session 70 (probe set 185): a forecast's horizon ("… within ten years?", "… by 2030?"). */
export const FORECAST_HORIZON = lexicon([
  'by 20\\d\\d', 'within (?:a|the next|\\d+|two|three|five|ten|twenty) (?:years?|decades?)', 'in (?:the next )?(?:\\d+|two|three|five|ten|twenty) years', 'in the (?:next|coming) (?:decade|years|century)',
  'para 20\\d\\d', 'bis 20\\d\\d', "d'ici 20\\d\\d", 'к 20\\d\\d',
]);
/**
 * Session 70 (probe set 185): a count or an amount asked as an estimate: a word of approximation
 * ("Roughly how many …", "¿Cuántos pianos hay aproximadamente …?", "北京大概有多少家咖啡馆？"). A
 * Fermi estimate is a chain of assumptions and products, not a lookup: set 185 read 4 of its 11
 * such questions a tier low.
 */
export const ESTIMATE_CUE = lexicon(
  ['estimate', 'estimar', 'estima', 'estime', 'estimez', 'roughly', 'approximately', 'ballpark', 'back[- ]of[- ](?:the[- ])?envelope', 'fermi', 'aproximadamente', 'más o menos', 'ungefähr', 'schätz\\p{L}*', 'à peu près', 'environ', 'approximativement', 'estimation', 'примерно', 'приблизительно', 'mais ou menos', "all'incirca", 'grosso modo', 'circa'],
  ['大概', '大约', '估算', '估计', 'およそ', 'ざっと', '推定', '推計', 'だいたい'],
);
/** A count that is a statistic one looks up, not one to estimate ("How many people live in Canada?", "¿Cuántos habitantes tiene …?"). */
export const POPULATION_LOOKUP = lexicon(
  ['live in', 'population', 'inhabitants', 'residents', 'habitantes', 'población', 'einwohner', 'bevölkerung', 'habitants', 'население', 'жителей', 'população', 'abitanti'],
  ['人口'],
);
/** Session 70 (probe set 185): an estimate or a decision asked with its assumptions and arithmetic ("Walk me through your assumptions", "Haz los números"). */
export const WORKING_ASKED = lexicon(
  [
    'assumptions?', 'show (?:the|your) (?:calculation|calculations|arithmetic|math|maths|working|work)', 'walk me through', 'break it down', 'run the numbers', 'do the math', 'crunch the numbers',
    'haz los números', 'haz las cuentas', 'supuestos', 'annahmen', 'rechne (?:es )?(?:durch|vor)', 'hypothèses', 'fais le calcul', 'допущени\\p{L}*', 'предположени\\p{L}*', 'faça as contas', 'premesse', 'ipotesi',
  ],
  ['假设', '前提', '计算过程', '計算過程'],
);
/** Effort words that stuffing adds without changing the ask. */
export const EFFORT_TERMS = ['think', 'thinking', 'hard', 'harder', 'deeply', 'deep', 'carefully', 'maximum', 'reasoning', 'thorough', 'very', 'please', 'with', 'and', 'it', 'then', 'be', 'everything', 'alles', 'es', 'todo'];
/** The effort words in a lexical form (lexicalForm: the boundary class is the BMP's letters). */
export const EFFORT_WORDS = new RegExp(`(?<!${BMP_LETTER})(?:${EFFORT_TERMS.join('|')})(?!${BMP_LETTER})`, 'gu');
/**
 * The lower-case names (text.ts LOWER_CASE_NAMES) as a lexicon: the one scan of the ask says
 * whether it holds one, and only then are they looked for as names (technicalMarks).
 */
export const LOWER_CASE_SYSTEMS = lexicon([...LOWER_CASE_NAMES]);
/**
 * What a system is made of: with one of these (or a named system, a measurement or code) a
 * symptom and a "why" are a failure to diagnose; without, "Why did the stock market crash in
 * 1929?" and "Why do leaves turn yellow?" are questions to explain (session 21: every such
 * everyday "why" read as complex).
 */
export const TECH_CONTEXT = lexicon(
  [
    'services?', 'servers?', 'clusters?', 'nodes?', 'pods?', 'containers?', 'databases?', 'db', 'quer(?:y|ies)', 'index(?:es)?', 'tables?', 'replicas?', 'shards?',
    'partitions?', 'consumers?', 'producers?', 'queues?', 'cache', 'api', 'endpoints?', 'requests?', 'jobs?', 'batch', 'pipelines?', 'builds?', 'deploy(?:ment|s)?',
    'release', 'tests', 'unit tests?', 'test suites?', 'ci', 'app', 'apps', 'application', 'site', 'browser', 'script', 'functions?', 'code', 'components?', 'struct', 'compiler',
    'kernel', 'driver', 'gpu', 'cpu', 'memory', 'heap', 'disk', 'network', 'connections?', 'sockets?', 'threads?', 'goroutines?', 'workers?', 'logs?', 'errors?', 'exception',
    'stack trace', 'instance', 'vm', 'host', 'docker', 'kubernetes', 'postgres', 'mysql', 'redis', 'kafka', 'nginx', 'elasticsearch', 'mongodb', 'spark', 'react',
    'python', 'java', 'rust', 'checker', 'parser', 'model', 'gc', 'refunds', 'orders', 'signups', 'checkout', 'logins?', 'ssh', 'cron', 'nightly', 'automations?', 'devices?', 'router', 'wi-?fi', 'webhooks?', 'gateways?', 'laptops?', 'passwords?', 'modelos?', 'modèles?', 'modelli',
    'system', 'program', 'traffic', 'capacity', 'process(?:es)?', 'software', 'machine',
    'git', 'kubectl', 'helm', 'jetpack', 'android', 'sql', 'perl', 'cassandra', 'clickhouse', 'snowflake', 'bigquery', 'dynamodb', 'rabbitmq', 'celery', 'airflow', 'jenkins', 'terraform', 'prometheus', 'vpn', 'dns',
    'revenue', 'conversion', 'retention', 'churn', 'purchases', 'clúster', 'nodos?', 'nœuds?', 'knoten',
    'servicio', 'servidor', 'consultas?', 'base de datos', 'índice', 'memoria', 'memória', 'consulta', 'dienst', 'datenbank', 'modell\\p{L}*', 'abfrage', 'speicher', 'serveur',
    'requête', 'base de données', 'mémoire', 'сервер\\p{L}*', 'сервис\\p{L}*', 'сайт\\p{L}*', 'приложени\\p{L}*', 'резервн\\p{L}* копировани\\p{L}*', 'модел\\p{L}*', 'метрик\\p{L}*', 'запрос\\p{L}*', 'база данных', 'память', 'тест', 'кластер\\p{L}*',
    // Session 59: Turkish, Polish, Portuguese, Italian and Dutch.
    'kubernetes\\p{L}+', 'pody', 'sunucu\\p{L}*', 'veritabanı\\p{L}*', 'uygulama\\p{L}*', 'serwer\\p{L}*', 'baz[aey] danych', 'aplikacj\\p{L}*', 'pamięci', 'banco de dados', 'servizio', 'applicazione', 'applicatie',
    // Session 62 (probe sets 119-123): devices, shops, payments and passwords, in English and six more languages.
    'scanners?', 'inventory', 'passw(?:o|ö)rt\\p{L}*', 'шлюз\\p{L}*', 'платеж\\p{L}*', 'платёж\\p{L}*', 'loja virtual', 'web ?site\\p{L}*', 'webshop', 'tráfico', 'pedidos', 'aplicativos?', 'gestionale', 'интернет-магазин\\p{L}*', 'заказ(?:ы|ов|ам)',
    // Session 63 (probe set 125): Hindi, Arabic, Indonesian and Vietnamese, as the English entries.
    'वेबसाइट', 'डेटाबेस', 'सर्वर', 'ऐप', 'सिस्टम', 'ऐप्लिकेशन', '(?:ال)?(?:خادم|خوادم|تطبيق|موقع|نظام)(?:نا)?', 'قاعدة (?:ال)?بيانات', '(?:ال)?ذاكرة', 'aplikasi', 'sistem', 'basis data', 'memori', 'situs', 'hệ thống', 'máy chủ', 'cơ sở dữ liệu', 'ứng dụng', 'bộ nhớ', 'trang web',
    // Session 65 (probe set 143): Marathi, Gujarati and Punjabi, as the English entries.
    'सर्व्हर', 'प्रणाली', 'વેબસાઇટ', 'સર્વર', 'ડેટાબેઝ', 'ઍપ', 'ਵੈੱਬਸਾਈਟ', 'ਵੈਬਸਾਈਟ', 'ਸਰਵਰ', 'ਡਾਟਾਬੇਸ', 'ਐਪ',
    // Session 65 (probe set 145): Telugu, Kannada and Malayalam, as the English entries.
    'వెబ్‌సైట్', 'సర్వర్', 'యాప్', 'డేటాబేస్', 'ಸರ್ವರ್', 'ವೆಬ್‌ಸೈಟ್', 'ಆ್ಯಪ್', 'ಡೇಟಾಬೇಸ್', 'ആപ്പ്', 'സെർവർ', 'വെബ്സൈറ്റ്', 'ഡാറ്റാബേസ്',
    // Session 63 (probe set 127): Ukrainian, Hebrew, Persian and Swedish, as the English entries.
    'сервіс(?:у|і|и)?', 'баз(?:а|і|и|у) даних', 'застосун(?:ок|ку)', 'додат(?:ок|ку)', 'שרת', 'השרת', 'שרתים', 'מסד (?:ה)?נתונים', 'אפליקציה', 'האפליקציה', 'מערכת', 'המערכת', 'זיכרון', 'سرور', 'دیتابیس', 'پایگاه داده', 'اپلیکیشن', 'سیستم', 'سایت', 'حافظه', 'tjänst(?:en)?', 'databas(?:en)?', 'server(?:n)?', 'appen', 'systemet', 'minne(?:t)?', 'konsument(?:en)?',
    // Session 63 (probe set 129): Bengali, Urdu, Greek and Czech, as the English entries.
    `(?:ওয়েবসাইট|সার্ভার|ডাটাবেস|ডেটাবেস|অ্যাপ|সিস্টেম)${BENGALI_CASE}`, 'মেমরি', 'ڈیٹا بیس', 'ایپ', 'ویب سائٹ', 'سسٹم', 'βάση δεδομένων', 'εφαρμογή', 'σύστημα', 'διακομιστή(?:ς)?', 'μνήμη', 'databáz(?:e|i)', 'aplikace', 'systém', 'paměť',
    // Session 63 (probe set 133): Tagalog, Swahili, Romanian and Tamil, as the English entries.
    'programu', 'tovuti', 'mfumo', 'seva', 'hifadhidata', 'serverul', 'baz(?:a|ă) (?:noastră )?de date', 'aplicați(?:a|e)', 'sistemul', 'memoria', 'இணையதளம்', 'சர்வர்', 'ஆப்', 'அமைப்பு', 'மெமரி',
    // Session 63 (probe set 135): Malay, Danish, Finnish and Hungarian, as the English entries.
    'laman web', 'pangkalan data', 'pelayan', 'serveren', 'palvelin', 'tietokanta', 'sovellus', 'järjestelmä', 'adatbázis', 'webáruház(?:unk)?', 'alkalmazás', 'rendszer', 'szerver',
  ],
  // Session 64 (probe set 137): Thai, Lao, Khmer and Burmese, as the English entries, at the end (matched anywhere, as Chinese is).
  ['サーバ', 'データベース', 'メモリ', 'バッチ', 'ジョブ', '服务', '数据库', '内存', '查询', '测试', '集群', '接口', '支付', '订单', '回调', '模型', 'モデル', '서버', '서비스', '데이터베이스', '쿠버네티스', '파드', '클러스터', '메모리', '쿼리', '애플리케이션', 'システム', '系统', 'サイト', '在庫', '机房', '网站', '登录', 'เว็บไซต์', 'ฐานข้อมูล', 'เซิร์ฟเวอร์', 'แอป', 'ระบบ', 'หน่วยความจำ', 'ເວັບໄຊ', 'ຖານຂໍ້ມູນ', 'ເຊີເວີ', 'ແອັບ', 'ລະບົບ', 'គេហទំព័រ', 'មូលដ្ឋានទិន្នន័យ', 'ម៉ាស៊ីនមេ', 'កម្មវិធី', 'ប្រព័ន្ធ', 'ဝက်ဘ်ဆိုက်', 'ဒေတာဘေ့စ်', 'ဆာဗာ', 'အက်ပ်', 'စနစ်'],
);
/**
 * A failure or slowdown to diagnose (second round, tune split: terse expert requests such as
 * "p99 regressed 40ms after bumping to Go 1.23. Where do I look?" read as short questions).
 */
export const SYMPTOM = lexicon(
  [
    'slow(?:er|ly|s|down)?', 'latency', 'p9[059]', 'regress(?:ed|ion|es)?', 'stall(?:s|ed|ing)?', 'hang(?:s|ing)?', 'spike[sd]?', 'spiking', 'lag(?:s|ged|ging)?', 'leaks?', 'leaking', 'oomkilled',
    'crash(?:es|ed|ing)?', 'restart(?:s|ing)?', 'intermittent(?:ly)?', 'flap(?:s|ping)?', 'deadlocks?', 'time(?:s)? ?outs?', 'timed out', '50[0-4](?: uc)?',
    'yellow', 'unassigned', 'doubled', 'seq scan', 'recreate', 'halves', 'throughput', '100% cpu', '100 (?:percent|per cent|prozent|por ciento|pour cent|por cento|per cento|procent) (?:de |di )?cpu', 'storm', 'rejects?', 'address already in use', 'fail(?:s|ing)?',
    'fell', 'lost', 'drop in', 'retained', 'waiting on (?:a |the )?locks?', 'blocked on', 'lock contention', 'grows', 'growing', 'climb(?:s|ed|ing)?', 'jump(?:s|ed|ing)', 'went from', 'dropped', 'halved', 'error rate', 'checksum errors', 'retransmits?',
    'out ?of ?memory', 'oom', 'crashloopbackoff', 'disconnect(?:s|ed)?', 'loses', 'unavailable', 'only in ci', 'flaky', 'duplicate (?:emails|messages|charges|orders|events|notifications|payments|webhooks|deliveries)',
    "(?:doesn't|does not|didn't|won't|never) (?:run|runs|start|starts|fire|fires|trigger|triggers)", "(?:didn't|did not|doesn't|does not) move", 'forgets', 'all the same (?:class|label|value|answer|output|prediction)',
    'phishing', 'compromised', 'breach', 'malware', 'ransomware', 'intrusion', 'exfiltrat(?:ed|ion)', 'leaked', 'showed up in a public',
    'used to take', 'grows? from', 'fails? over', '(?:takes?|took) \\d+ (?:ms|s|seconds|min|minutes|hours) instead of', 'tardan? \\d', 'съедает', 'explod(?:e|es|ed|ing|ieren|iert)', 'verdoppel\\p{L}*', '(?:got|gets|getting|became) worse', 'стал[аои]? хуже', 'ухудшил\\p{L}*', 'empeoró', 'schlechter geworden', 'ahora tarda', 'antes tardaba', 'dauert jetzt', 'doppelt', 'dupliziert', 'duplicat(?:es|ed|ing)', 'en double', '(?:goes|turns|went|turned) red', 'estado rojo', 'passe au rouge',
    'drops', 'dropping', "won't converge", "(?:doesn't|does not|didn't) converge", 'nan', 'janks?', 'jitters?', 'stutter(?:s|ing)?', 'beaconing', 'tripled', 'tripling', 'doubling', '(?:runs?|ran|takes?|took) (?:for )?hours', 'crawl(?:s|ed|ing)?',
    'sin memoria', 'sans mémoire', '(?:streams?|connections?|packets?|calls?|sessions?|requests?|messages?|websockets?) drop', 'battery drain', 'drains? (?:the )?battery',
    'tardan', 'falla', 'se reinicia', 'wächst', 'pierde', 'lenta', 'verliert', 'steigt', 'kommt nicht hinterher', 'hinterher', 'latence', 'perd', 'plante', 'perde', 'падает', 'недоступн\\p{L}*', 'lento', 'subió', 'fuga', 'vazamento', 'langsam', 'speicherleck', 'hängt', 'прыгает', 'утечк[аи]', 'тормоз\\p{L}*', 'растёт',
    // Session 62 (probe sets 117-123): the counterparts of English entries in Spanish, Italian, Russian, Portuguese and Dutch.
    'se (?:duplicó|triplicó)', 'si blocca(?:no)?', 'зависа\\p{L}*', 'в открыт(?:ый|ом) доступ\\p{L}*', 'demoram', 'demora muito', 'traag', 'перестал\\p{L}*', 'перестаёт', 'перестают',
    // Session 59: Polish, Turkish and Dutch.
    'wyciek\\p{L}*', 'wywala\\p{L}*', 'restartuj\\p{L}*', 'gecikme\\p{L}*', 'coraz więcej', 'zawiesza się', 'yeniden başlı\\p{L}*', 'çöküyor', 'donuyor', 'yavaşladı', 'crasht', 'loopt vast', 'lopen (?:steeds )?(?:verder )?achter',
    // A page or an app that goes blank (set 85: "Mi app de React se queda en blanco en Safari").
    '(?:goes|turns|stays) (?:blank|white)', 'blank (?:page|screen)', 'white screen', 'se queda en blanco', 'pantalla en blanco', 'écran blanc', 'weißer bildschirm', 'белый экран',
    // Session 63 (probe set 125): Hindi, Arabic, Indonesian and Vietnamese, as the English entries.
    'धीम(?:ी|ा|े)', 'क्रैश', 'بطيء', 'بطيئ(?:ًا|ا|ة)', 'يتوقف', 'يتعطل', 'تعطل', 'تسريب', 'lambat', 'lemot', 'kehabisan memori', 'sering mati', 'chậm', 'bị mất', 'sập', 'bị treo', 'bị lỗi', 'rò rỉ',
    // Session 65 (probe set 143): Marathi, Gujarati and Punjabi, as the English entries.
    'हळू', 'ધીમ(?:ી|ું|ો)', 'ਹੌਲੀ', 'ਕ੍ਰੈਸ਼', 'ਫੇਲ੍ਹ?',
    // Session 65 (probe set 145): Telugu, Kannada and Malayalam, as the English entries.
    'నెమ్మదిగా', 'ನಿಧಾನ', 'ನಿಧಾನವಾಗುತ್ತದೆ', 'ಕ್ರ್ಯಾಶ್', 'ക്രാഷ്', 'പതുക്കെ',
    // Session 65 (probe set 147): "shuts down", "logged out".
    'बंद हो (?:जाता|जाती|जाते|गया|गई|गए)', 'ਬੰਦ ਹੋ (?:ਜਾਂਦੀ|ਜਾਂਦਾ|ਜਾਂਦੇ|ਗਈ|ਗਿਆ)', 'లాగ్అవుట్', 'ಲಾಗ್‌ಔಟ್',
    // Session 63 (probe set 127): Ukrainian, Hebrew, Persian and Swedish, as the English entries.
    'зависає', 'повільн(?:о|ий|а)', 'гальмує', 'витік', 'איטי', 'איטית', 'קורס', 'קורסת', 'נתקע', 'נתקעת', 'מופעל מחדש', 'کند شده', 'کند شد', 'کرش', 'långsam(?:t|ma)?', 'hamnar efter', 'kraschar', 'hänger sig', 'minnesläcka',
    // Session 63 (probe set 129): Bengali, Urdu, Greek and Czech, as the English entries.
    'ধীর', 'ক্র্যাশ', 'سست', 'بند ہو جاتا', 'کریش', 'αργή', 'αργό', 'κρασάρει', 'κολλάει', 'pomal(?:ý|á|é|u)', 'zamrzne', 'padá', 'spadne',
    // Session 63 (probe set 133): Tagalog, Swahili, Romanian and Tamil, as the English entries.
    'bumabagal', 'mabagal', 'nagla-logout', 'nag-crash', 'inaanguka', 'polepole', 'inakwama', 'imekwama', 'se blochează', 'lent(?:ă)?', 'repornește', 'மெதுவாக', 'லாக்அவுட்', 'கிராஷ்',
    // Session 63 (probe set 135): Malay, Danish, Finnish and Hungarian, as the English entries.
    'perlahan', 'ranap', 'langsom(?:t|me)?', 'kommer bagud', 'går ned', 'hidastuu', 'hidas', 'kaatuu', 'jumittaa', 'lelassul', 'lassú', 'összeomlik', 'omlik össze', 'lefagy',
  ],
  // Session 64 (probe set 137): Thai, Lao, Khmer and Burmese, as the English entries, at the end (matched anywhere, as Chinese is).
  ['メモリ不足', '内存不足', '错误率', 'エラー率', '重新平衡', '丢了', '丢失', '重複', '重复', '遅延', '延迟', '再起動', '重启', '飙升', '暴涨', '倍になった', '増え続け', '止まる', 'タイムアウト', '不更新', '没更新', '没有更新', '卡死', '終わらず', '終わらない', '間に合わない', '遅すぎ', '跳ねる', '慢', '断开', '出ない', '落ちる', '落ちます', '落ちた', '落ちて', '超时', '增加了', '泄漏', '卡住', '偶尔', '느립니다', '느려', '遅い', '急増', '急增', '激增', 'デッドロック', '死锁', 'エラーを返', '재시작', '타임아웃', '오류가', 'ช้า', 'ค้าง', 'แครช', 'ล่ม', 'ຊ້າ', 'ຄ້າງ', 'ລົ້ມເຫຼວ', 'យឺត', 'គាំង', 'နှေး', 'ဟန်းသွား', 'ရပ်သွား'],
);
/**
 * Words that are a symptom only when said of a system ("the database slows down every Monday",
 * not "the coach falls over laughing every Monday"): read as SYMPTOM where the ask names a system
 * (a system word, a name or a measurement, or code). Session 50's entries for fresh probes in
 * eight languages; SYMPTOM's older everyday words ("grows", "loses", "yellow") are read as before.
 */
export const SYMPTOM_OF_SYSTEM = lexicon(
  [
    '(?:go|goes|going|went|gone) missing', 'gelb', '(?:wird|werden|wurde) rot', 'se pone (?:amarillo|rojo)', '(?:passe|passent) (?:au |en )?(?:rouge|red|jaune|yellow|orange)', 'se ca(?:e|en|yó)',
    'consume (?:mucha|demasiada)', 'échou\\p{L}*', 'cai', 'caiu', 'trava', 'rallenta', 'вырос', 'выросл[аио]', 'задержк\\p{L}*', 'медленн\\p{L}*', 'acumul(?:a|an|am|ando)',
    'neu gestartet', 'starte[nt] neu', 'se queda sin', 'stolen', 'hacked', 'failed', 'не мо(?:жет|гут) (?:достучаться|подключиться|соединиться|запуститься)', 'by (?:itself|themselves)', 'on (?:its|their) own', 'arrives? twice', 'double[- ](?:ship|charge|bill|send|post|count)\\p{L}*', "(?:don't|doesn't|do not|does not) match", 'mismatch(?:es|ed)?', 'run(?:s|ning)? out of', 'ran out of', 'fill(?:s|ing|ed)? up', 'log(?:s|ging)? (?:users|people|customers|everyone|me|us|them) out', 'logged out',
    // Session 62 (probe sets 121-123): logged out, charged twice, stock below zero, figures that do not match, mail in spam.
    'abgemeldet', 'ausgeloggt', '(?:se )?(?:cobra|cobran|cobró|cobraron|llega|llegan) dos veces', '(?:goes|went|going|gone) negative', '(?:chiffres|valeurs|résultats) différents', 'ne correspondent pas', 'no cuadran', 'не совпадают', 'stimmen nicht überein', '(?:in|into|to) (?:the )?spam', 'nello spam', 'en (?:el )?spam', 'im spam', 'в спам',
  ],
  ['涨', '飙', '増えて', '増加', '增长', '变慢', '升高', '開けません', '繋がらない', 'つながらない', '繋がりません', '下降', '降低', 'してしまう', 'マイナスになる', '变成负数', '被刷', '被踢出', '踢出', '十几秒', '几十秒', '好几秒', '数十秒'],
);
/** What a diagnosis ask says: where to look, suspects, root cause, how to fix or stabilise. */
export const DIAGNOSE_ASK = lexicon(
  [
    'ideas', 'what could it be', "what(?:'s|s| is) going on", 'was ist (?:da )?los', "qu'est-ce qui se passe", 'qué está pasando', 'что происходит', 'o que pode ser', 'qué puede ser', 'was könnte das sein', "qu'est-ce qui (?:peut|pourrait)", 'что это может быть',
    'where do i look', 'where to look', "what(?:'s| is| could be| might be) causing", "find (?:out )?what(?:'s| is)", 'any idea', 'fiabiliser', 'what should (?:we|i) do', 'is (?:this|it) an attack', 'разберись', 'разберитесь', 'find (?:the|this) bug', 'с чего начать', 'como (?:resolver|corrigir)', 'suspects?', 'hypothes[ie]s', 'checklist', 'diagnos[ei]s?', 'root cause', 'find (?:the )?(?:cause|caller|leak)',
    'how (?:to|do i|would you|can i|do we) (?:find|fix|stabili[sz]e|debug|avoid|stop|prevent|mitigate|confirm)', 'fix', 'why', 'steps', 'what to (?:measure|check)',
    'what (?:would|should) i check', 'mitigation', 'options', 'triage(?: it| this| them)?',
    '(?:likely|possible|probable) causes?', 'what do i (?:check|tune|look at|change)', 'tune first', 'where (?:to|do i|do we|should i|should we) (?:start|begin)', 'where would (?:you|we|i) (?:start|begin|look)', 'figure out (?:what happened|why|the cause|which|where)', 'troubleshoot(?:ing)?',
    'what do (?:we|i) do', '(?:investigation|profiling|debugging) plan', 'pin (?:it )?down', 'how could (?:that|this) happen', 'what (?:changed|happened)',
    'qué (?:reviso|revisarías|revisaría)', 'cómo lo (?:ajusto|arreglo|evitamos|arreglamos|solucionamos)', 'woran kann das liegen', 'wie finde ich (?:heraus|den|die|das)', 'how do (?:i|we) find out', 'was tun', 'pistes', 'causes? possibles?', 'как уменьшить', 'por quê', 'come (?:trovo|risolvo)',
    'dónde miro', 'por qué', 'cómo (?:encontrar|arreglar|evitar)', 'ursache', 'wie stabilisier\\p{L}*', 'hypothèses', 'cause', 'que faut-il vérifier',
    'почему', 'как исправить', 'как стабилизировать', 'как найти', 'причин\\p{L}*', 'como encontrar', 'causa',
    // Session 59: where to start and what it could be in Italian, Portuguese, Polish, Turkish and Dutch.
    'da dove (?:comincio|inizio|parto)', 'co (?:sprawdzić|sprawdzam)', 'por onde (?:começo|começar|começamos)', 'od czego zacząć', 'jak znaleźć', 'nereden başla\\p{L}*', 'ne olabilir', 'waar (?:moet ik|begin ik|moeten we beginnen)', 'dlaczego', 'waarom', 'neden',
    // Session 62 (probe sets 121-123): what to check, how to avoid it, where to start, in eight languages.
    'comment retrouver', 'как разобраться', 'что делать', 'onde está o problema', 'como descobr\\p{L}*', 'o que você faria', 'cosa controller(?:esti|ei)', 'nasıl hazırlan\\p{L}*', 'come (?:lo|la) (?:analizzeresti|risolveresti)', 'как подготовиться',
    // Session 63 (probe set 125): Hindi, Arabic, Indonesian and Vietnamese, as the English entries.
    'क्या (?:जाँचें|जांचें|जाँचना|जांचना)', 'वजह', 'कारण', 'कैसे पता (?:करें|लगाएं|लगाएँ)', 'कहाँ से शुरू', 'نشخّ?ص', 'أشخّ?ص', 'السبب', 'من أين نبدأ', 'ماذا نفعل', 'penyebab(?:nya)?', 'apa yang harus (?:kami|kita|saya) (?:periksa|cek|lakukan)', 'dari mana (?:harus )?mulai', 'nguyên nhân', 'khắc phục', 'bắt đầu (?:điều tra )?từ đâu', 'cần kiểm tra (?:gì|những gì)',
    // Session 65 (probe set 143): Punjabi, Marathi and Gujarati, as the English entries.
    'ਕਾਰਨ', 'ਕਿਵੇਂ ਠੀਕ (?:ਕਰੀਏ|ਕਰਾਂ|ਕਰਨਾ)', 'कारण काय', 'કારણ',
    // Session 65 (probe set 145): Telugu, Kannada and Malayalam, as the English entries.
    'కారణం', 'ఎలా కనుగొనాలి', 'ಏನು ಪರಿಶೀಲಿಸಬೇಕು', 'കാരണം', 'എവിടെ നിന്ന് തുടങ്ങണം',
    // Session 65 (probe set 147): "how do we fix it", "where to start looking", "what to check", "the reason".
    'कैसे ठीक (?:करें|करूँ|करूं|करे|करना)', 'ठीक कैसे (?:करें|करूँ|करूं|करे)', 'ఎక్కడ నుండి (?:చూడాలి|మొదలుపెట్టాలి|ప్రారంభించాలి)', 'ಕಾರಣ', 'ಕಂಡುಹಿಡಿಯುವುದು', 'പരിശോധിക്കേണ്ടത്', 'പരിശോധിക്കണം',
    // Session 63 (probe set 127): Ukrainian, Hebrew, Persian and Swedish, as the English entries.
    'з чого почати', 'що (?:нам )?перевірити', 'як знайти', 'що робити', 'מה לבדוק', 'מאיפה (?:להתחיל|מתחילים)', 'הסיבה', 'איך (?:נמצא|למצוא|לתקן)', 'از کجا شروع', 'علت', 'دلیل', 'var ska (?:vi|jag) börja', 'vad ska (?:vi|jag) kolla', 'orsak(?:en)?',
    // Session 63 (probe set 129): Bengali, Urdu, Greek and Czech, as the English entries.
    'কোথা থেকে শুরু', 'কারণ', 'کہاں سے شروع', 'وجہ', 'کیسے تلاش',
    'από πού να ξεκινήσ(?:ω|ουμε)', 'αιτία', 'kde (?:máme|mám) začít', 'co (?:máme|mám) zkontrolovat', 'příčin(?:a|u)',
    // "Why", as the English entry: with a symptom and a system, a failure to diagnose.
    'क्यों', 'لماذا', 'kenapa', 'mengapa', 'tại sao', 'vì sao', 'чому', 'למה', 'מדוע', 'چرا', 'varför', 'কেন', 'کیوں', 'γιατί', 'proč',
    // Session 63 (probe set 133): Tagalog, Swahili, Romanian and Tamil, as the English entries.
    'saan (?:kami|tayo|ako) (?:dapat )?magsimula', 'dahilan', 'paano (?:namin|natin) hahanapin', 'ano ang dapat (?:naming|nating) gawin', 'chanzo', 'tuanzie wapi', 'tufanye nini', 'cum diagnosticăm', 'ce ar trebui să verificăm', 'de unde (?:să )?începem', 'cauza', 'எங்கிருந்து தொடங்குவது', 'காரணம்', 'காரணத்தை', 'எப்படி கண்டுபிடிப்பது',
    // Session 63 (probe set 135): Malay, Danish, Finnish and Hungarian, as the English entries.
    'dari mana (?:kami|kita) (?:patut|harus|perlu) mula', 'punca(?:nya)?', 'apa yang patut (?:kami|kita) lakukan', 'hvor skal vi (?:starte|begynde)', 'årsag(?:en)?', 'mistä (?:meidän )?pitäisi aloittaa', 'mistä aloittaa', 'syy(?:n)?', 'hol kezdjük', 'okát',
  ],
  // Session 64 (probe sets 137 and 139): Thai, Lao, Khmer and Burmese, as the English entries, at the end (matched anywhere, as Chinese is).
  ['原因', '対策', '怎么解决', '如何解决', '彻底解决', 'どう対処', '対処法', 'どこを見れば', '何を調べ', '为什么', 'なぜ', '怎么办', '从哪里查', '怎么查', '排查', '調査手順', '調査の手順', '原因の候補', '修复', '候補', '点検', '점검', '원인', '見直す', '見直し', '怎么定位', '如何定位', '調べ方', '何を確認', '什么办法', '什么方案', 'どう改善', '立て直', 'สาเหตุ', 'เริ่มตรวจสอบ', 'จากตรงไหน', 'ສາເຫດ', 'ຈາກໃສ', 'មូលហេតុ', 'ពិនិត្យពីណា', 'ពិនិត្យអ្វីខ្លះ', 'အကြောင်းရင်း', 'ဘယ်ကနေ', 'စစ်ဆေးရမလဲ', 'ทำไม', 'ເປັນຫຍັງ', 'ហេតុអ្វី', 'ဘာကြောင့်'],
);
/** Quantity questions of word problems and puzzles (with numbers in the ask). */
export const QUANTITY_QUESTION = lexicon(
  [
    'how (?:many|much|long|far|thick|old|heavy)', "what(?:'s|s| is) the (?:angle|probability|area|chance|ratio)", 'sum of (?:the )?(?:first|all|integers|numbers|digits|squares|cubes|odd|even)', 'remainder when', 'when (?:was|will|is) it', "what(?: is|'s) (?:its|the) area", 'when does', 'on which (?:day|night)', 'which day',
    'how many times', 'what are they', 'net (?:change|gain|loss|effect)', "what(?: is|'s) (?:its|the) average (?:speed|time|cost)", 'cuánto cuesta', 'was kostet', "quel est l'angle", 'когда', 'сколько', 'quanto tempo', 'quante',
    // Session 59: as SIMPLE_ASK's "how many" in Portuguese, Italian, Dutch and Turkish.
    'quant[oa]s', 'quanti', 'hoeveel', 'kaç',
    // Session 60: French "how much/many" ("combien j'économise par an ?", set 97).
    'combien',
  ],
  ['各有多少', '何度', '多少', 'いくつ', '何通り', '何個', '何回', '何日'],
);
/** Quantities written as words in word problems ("one" is left out: "one of them", "in one line"). */
export const NUMBER_WORDS = lexicon(
  [
    'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'twenty', 'hundred', 'thousand', 'twice', 'thrice', 'half', 'double', 'triple',
    'dos', 'tres', 'cuatro', 'cinco', 'doble', 'mitad', 'zwei', 'drei', 'vier', 'fünf', 'doppelt', 'hälfte', 'deux', 'trois', 'quatre', 'cinq', 'moitié',
    'два', 'две', 'три', 'четыре', 'пять', 'дважды', 'половин\\p{L}*', 'duas', 'três', 'metade',
  ],
  ['两', '三', '四', '五', '一半', '二つ', '三つ', '半分'],
);
/**
 * An extremal puzzle's question ("the minimum number of drops", "fewest races", 最少) and the
 * search it asks for ("to find the 3 fastest", 测出): with a large search space (see classifier.ts)
 * it asks for a strategy and why none does better (tune split: eggs, horses, poisoned bottles are
 * complex; "8 balls, minimum weighings" and "the smallest such number" are moderate).
 */
export const EXTREMAL = lexicon(
  ['minimum number of', 'fewest', 'at least how many', 'smallest number of', 'mindestanzahl', 'mindestens', 'número mínimo de', 'nombre minimal de', 'nombre minimum de', 'минимальное число', 'минимальное количество', 'наименьшее число'],
  ['最少', '最小限'],
);
/** The search an extremal puzzle asks for, read after EXTREMAL's place ("to find the 3 fastest"). */
export const SEARCH_VERB = lexicon(
  ['find', 'finds', 'identify', 'determine', 'detect', 'tell which', 'finden', 'findet', 'encontrar', 'encuentra', 'trouver', 'найти', 'определить'],
  ['测出', '找出', '找到', '見つけ', '特定'],
);
/** The cheapest of many options: with several ranges to combine (classifier.ts), a search, not a lookup. */
export const CHEAPEST = lexicon(
  ['cheapest', 'least expensive', 'lowest (?:price|fare|cost)', 'le moins cher', 'la moins chère', 'les moins chers', 'más barato', 'más barata', 'am günstigsten', 'günstigste', 'günstigsten', 'самый дешёвый', 'самые дешёвые', 'дешевле всего'],
  ['最便宜', '一番安い', '最安'],
);
/** Days and nights to combine (a trip's dates and length): what makes CHEAPEST a search over combinations. */
export const TRIP_DAYS = lexicon([
  'days', 'nights', 'weeks', 'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
  'jours', 'nuits', 'semaines', 'janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre',
  'días', 'noches', 'semanas', 'enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre',
  'tage', 'tagen', 'nächte', 'wochen', 'januar', 'februar', 'märz', 'juni', 'juli', 'oktober', 'dezember',
  'дней', 'дня', 'ночей', 'недель', 'января', 'февраля', 'марта', 'апреля', 'мая', 'июня', 'июля', 'августа', 'сентября', 'октября', 'ноября', 'декабря',
]);
/** Puzzles that ask for a strategy or a construction, not a number. */
export const PUZZLE_STRATEGY = lexicon(
  [
    'how do you (?:find|measure|tell|get)', 'how (?:do|would|can) you count (?:them|it)', 'what strategy', 'in one round', 'minimum total time', '(?:three|3) weighings', 'which amounts are reachable', 'safe sequence',
    'why (?:can.t|is) it (?:be )?(?:less|minimal)', 'cómo encuentras', 'wie kommen', 'как найти', '怎样找出',
    // Session 69 (probe set 181): a grid puzzle to solve or a position to calculate is a search, step by step.
    'sudoku', 'kakuro', 'nonogram', 'mate in (?:one|two|three|\\d)', 'white to move', 'black to move',
    // Session 70 (probe set 187): a move to judge in a position ("Is this a good move for white here?").
    '(?:good|best|strong|right|winning) move for (?:white|black)', 'move for (?:white|black) here',
    '(?:perfect|optimal) play', '(?:optimal|winning) strategy', 'strategy to (?:save|win|guarantee|maximi[sz]e|minimi[sz]e)', 'how (?:can|could|would|should) (?:he|she|they) (?:find|identify|determine|measure|tell which)',
  ],
);
/** A review of pasted code: a full code review is complex work. */
export const REVIEW_ASK = lexicon(
  ['review', 'safe to (?:merge|deploy|ship|release|roll out)', 'is (?:this|it|the) (?:change |diff |patch |pr )?safe', 'lgtm', 'looks? (?:ok|good|right) to you', 'prüfen', 'vérifie[zr]?', 'revisa', 'revisión', 'reviewe', 'revue', 'проверь', 'ревью'],
  ['审查', 'レビュー'],
);
/**
 * Asking how one would build a system, in the conditional ("How would you build ...", "Wie würdest
 * du ... bauen?", "¿Cómo diseñarías ...?", "Как бы вы построили ...?"): a design question whose
 * verb the imperative lists (COMPLEX_ASK) do not have.
 */
export const DESIGN_QUESTION = lexicon([
  'how would you (?:build|architect|design|scale|implement)', 'how would we (?:build|architect|design|scale)',
  'cómo (?:diseñarías|diseñaría|diseñaríamos|construirías|construiría|construiríamos|implementarías|implementaría|implementaríamos|escalarías|escalaríamos)',
  'comment (?:concevriez|construiriez|implémenteriez|concevrais|construirais|concevrions|construirions|implémenterions)', 'как бы (?:вы|ты|мы) (?:построили|построил|спроектировали|спроектировал|реализовали|реализовал)',
  'como (?:projetaria|projetaríamos|construiria|construiríamos)', 'come (?:progetteresti|progettereste|progetteremmo|costruiresti|costruireste|costruiremmo)',
  'runbook',
], ['如何设计', 'どう設計', '設計するなら']);
/**
 * A question for a team's way of doing something ("How do we estimate the capacity we need for
 * Black Friday?", "What is the right way to version a public gRPC API ...?"): with a system in it,
 * a plan or a design, not a how-to lookup (fresh probes of session 49; the tune split has one
 * such ask, about a presentation, and no system in it).
 */
export const METHOD_QUESTION = lexicon([
  'how (?:do|should|would|can|could) we', "what(?:'s| is| would be) (?:a|the) (?:right|sound|robust|safest|proper) (?:[\\p{L}/-]+ ){0,2}(?:way|approach|strategy)",
  'what would (?:the|a|our) (?:migration|rollout|cutover|plan) look like',
  'cómo (?:deberíamos|podemos|hacemos para)', 'come (?:possiamo|dovremmo)', 'как защитить', 'cómo proteger', 'comment protéger', 'wie schützen wir', 'wie (?:sollten|können|müssen) wir', 'wie \\p{L}+en wir', 'как (?:организовать|построить|спроектировать|масштабировать)', 'cómo \\p{L}+(?:amos|emos|imos)', 'comment \\p{L}+ons-nous', 'comment (?:devrions|pouvons|devons)-nous', 'как нам',
], ['我们应该如何', '我们如何', '应该按什么步骤', '怎么规划', '如何规划', '应该如何推进', 'どう進めるべき', 'どのように進めるべき', 'どんな手順で進める']);
/**
 * Cohort and retention analyses ("Monthly cohort retention by signup month", "weekly retention
 * curve ... split by platform", "Taux de réachat à 90 jours par cohorte mensuelle"): cohorts with a
 * measure of customers kept or lost, or retention broken down by a group or a period (classifier.ts).
 * A per-city repurchase rate (no cohort, no retention: a tune row, moderate) is neither, nor is
 * "group the students by cohort" (no measure).
 */
export const COHORT_WORD = lexicon(['cohorts?', 'cohortes?', 'kohorten?', 'когорт\\p{L}*'], ['同期群', 'コホート']);
export const RETENTION_WORD = lexicon(['retention', 'rétention', 'retención', 'retenção', 'удержани\\p{L}*'], ['留存', '継続率']);
export const KEPT_OR_LOST_MEASURE = lexicon(
  [...RETENTION_WORD.spaced, 'churn', 'réachat', 'repurchase', 'recompra', 'wiederkauf\\p{L}*', 'отток\\p{L}*', 'conversion', 'ltv', 'lifetime value'],
  [...RETENTION_WORD.cjk, '复购', 'リピート率'],
);
export const BREAKDOWN = lexicon(
  ['by', 'per', 'split by', 'broken down by', 'par', 'por', 'nach', 'pro', 'по', 'para cada', 'pour chaque', 'für jede[nrs]?'],
  ['按', '每个', '別', 'ごと'],
);
/** The German conditional question and the verbs of building that make it a design question (two word lexicons: no regex runs over the ask). */
export const CONDITIONAL_DE = lexicon(['wie würde(?:st du|n sie|t ihr|n wir)']);
export const BUILD_VERB_DE = lexicon(['bauen', 'aufbauen', 'umsetzen', 'entwerfen', 'implementieren', 'skalieren']);
/**
 * A question whether a pasted change can fail in a named way ("Can this deadlock?", "Does this
 * introduce a race?", "Any risk shipping this migration?"): a review for correctness, like "is
 * this change safe" (REVIEW_ASK), whatever the size of the diff.
 */
export const CHANGE_RISK = lexicon([
  'can (?:this|it) (?:deadlock|race|leak|break|crash|hang|lose data|corrupt)', 'does (?:this|it) (?:introduce|cause|create|add|risk) (?:a |an |any )?(?:race|deadlock|leak|regression|data loss|bug)s?',
  'any risks?', 'risky', 'what could go wrong', 'thread[- ]safe', 'race conditions?',
  // Session 67 (probe set 163): a change's correctness asked of a pasted diff ("is the rounding correct for invoices in JPY?").
  'is (?:this|the|that) (?:change|fix|rounding|logic|patch|conversion|migration) correct', 'was hältst du von dieser änderung', 'ist das riskant', 'est-ce risqué', "qu'en penses-tu", 'es seguro', 'qué opinas de este cambio', 'это безопасно',
]);
/**
 * An operation held to a hard guarantee: no downtime, exactly once, on one machine. Said of a
 * change or a pipeline ("Rotate the database password used by 60 microservices with zero
 * downtime"), it is a design problem whatever verb it uses: all eleven tune-split asks with one
 * are labelled complex or deep (session 21). A definition or lookup is left alone (classifier.ts).
 */
export const OPERATIONAL_GUARANTEE = lexicon(
  [
    'zero[- ]downtime', 'without (?:any )?downtime', 'without (?:hammering|overloading|overwhelming|taking down|locking|blocking)', 'no downtime', 'exactly[- ]once', 'on (?:one|a single) (?:machine|node|server|box|gpu)',
    'sans (?:interruption|coupure|indisponibilité)', 'exactement une fois', 'sin (?:interrupción|interrupciones|tiempo de inactividad|caídas?)', 'exactamente una vez',
    'ohne (?:ausfallzeit|downtime|unterbrechung)', 'genau einmal', 'sem (?:interrupção|downtime|tempo de inatividade)', 'exatamente uma vez',
    'без (?:простоя|простоев|остановки|даунтайма)', 'ровно один раз', 'senza (?:interruzioni|interruzione|downtime|tempi di inattività)',
    "keeping (?:every|all|each|the|its|their) (?:[\\p{L}'’]+ ){0,2}behaviou?rs?", 'without changing (?:any |the )?behaviou?r', 'manteniendo el comportamiento', 'sin cambiar el comportamiento', 'ohne das verhalten zu ändern', 'sans changer le comportement',
  ],
  ['零停机', '不停机', '无停机', '恰好一次', '無停止', 'ダウンタイムなし'],
);
/**
 * Things designed for people rather than built as systems: "Design a logo for my bakery" is a
 * creative ask (moderate), not engineering (session 21: "design" made every such ask complex).
 */
export const CREATIVE_OBJECT = lexicon([
  'logos?', 'posters?', 'flyers?', 'cards?', 'invitations?', 'tattoos?', 'gardens?', 'rooms?', 'kitchens?', 'outfits?', 'menus?', 'meal plans?',
  'workout(?: plans?)?', 'training plans?', 'routines?', 'party', 'wedding', 'birthday', 'costumes?', 't-shirts?', 'banners?', 'letterhead', 'business cards?',
  'cover', 'mascot', 'brand', 'slogan', 'quilt', 'lesson plans?', 'itinerary', 'schedule', 'budget',
  // Plans made for a person in Spanish, French and German (set 83: "Diseña un plan de entrenamiento de 8 semanas…").
  'plan(?:es)? de (?:entrenamiento|estudios?|comidas|dieta)', "programmes? d'entraînement", "plans? d'(?:entraînement|études)", 'trainingspl(?:an|äne)', 'ernährungspl(?:an|äne)', 'lernpl(?:an|äne)',
  // Portuguese and Italian, with their design verbs (session 50).
  'logotipos?', 'cartaz(?:es)?', 'convites?', 'cardápio', 'jardim', 'cozinha', 'festa', 'casamento', 'tatuage(?:m|ns)', 'manifesto', 'biglietto', 'invito', 'giardino', 'cucina', 'matrimonio', 'tatuaggio', 'menù',
]);
/**
 * An implementation verb (one of COMPLEX_ASK's), and what asks for more than the code: its
 * analysis, an argument, tests. "Implement X" and no more is one piece of code of a known kind
 * (probe sets 57 and 89: binary search, Dijkstra with a heap, a token bucket, a stack, FizzBuzz,
 * all labelled moderate); with an analysis asked it stays complex (the tune split's every such ask).
 */
export const IMPLEMENT_VERB = lexicon(['implement', 'implementa', 'implementiere', 'implémenter', 'implémentez', 'реализуй', 'реализуйте']);
/** A refactoring verb (COMPLEX_ASK's): over a short pasted function and with no analysis asked, one rewrite (set 95; set 57 and the tune split label such asks moderate). */
export const REFACTOR_VERB = lexicon(['refactor', 'refactoriza', 'refactorizar', 'refaktoriere', 'refactorise', 'refactorisez']);
/** What asks for more than the code (IMPLEMENT_VERB's comment): an explanation, an analysis, an argument, tests, a comparison. */
export const ANALYSIS_ASKED = lexicon([
  'explain', 'analy[sz]e', 'analysis', 'complexity', 'argue', 'prove', 'why', 'justify', 'show how', 'tests?', 'trade-?offs?', 'benchmarks?', 'compare', 'state (?:each|the|its|why|how)',
  'explica', 'complejidad', 'análisis', 'pruebas', 'erkläre', 'komplexität', 'analyse', 'explique[rz]?', 'complexité', 'объясни', 'сложност\\p{L}*', 'анализ\\p{L}*', 'тест\\p{L}*',
]);
/** A change under review named by reference (an agent's "Review PR 482"): no diff pasted, still a full review. */
export const CHANGE_REF = lexicon(['pr #?\\d+', 'pull request', 'merge request', 'mr !?\\d+']);
/** Math tasks named by their operation (second round: "Integrate x*e^x dx." read as a short question). */
export const MATH_TASK = lexicon(
  ['integrate', 'derivative', 'differentiate', 'lim', 'limit of', 'solve the recurrence', 'deriva', 'calculez', 'найди предел', 'löse die rekurrenz', 'how many ways to arrange', 'p\\(at least', 'days after a', 'days from today', 'days from now', 'days later', 'integral of', 'antiderivative', 'convergent', 'series converges?', 'does the series', 'integer solutions', 'solutions? in (?:integers|positive integers|natural numbers)', 'find all (?:integer|integers|real|positive|natural|prime)'],
  ['求导', 'を解いて'],
);
/** Math tasks with several steps (an expectation asked as "how many flips do you expect": probe set 47). */
export const MATH_MULTI_STEP = lexicon(['diagonali[sz]e', 'diagonalisez', 'lagrange', 'chi-square', 'sample size (?:to|for|needed)', 'how many samples (?:do|would|will|should) (?:i|we|you) need to (?:detect|estimate|measure|see|show)', '(?:at|with) \\d+ ?% (?:statistical )?power', 'summation argument', 'eigenvalues and eigenvectors', 'valeurs propres', 'recurrence', 'rekurrenz', 'turning points', 'expected (?:number|value|max(?:imum)?|min(?:imum)?|length|time) of', 'on average,? how many', 'how many (?:flips|tosses|rolls|throws|draws|tries|attempts) (?:do|would|will|should) (?:you|we|i|one) expect', 'last (?:two|three|\\d+) digits of \\d+', 'closed form', 'random(?:ly)? walk(?:s|er|ing)?', 'walks randomly'], ['拉格朗日']);
/** A system prompt that defines tools (an agent): its tone rules are policy, not a hint about difficulty. */
export const SYSTEM_TOOLS = /\btools?\s*:|\b[a-z_]+\([a-z_, ]*\)/;
/**
 * SYSTEM_TOOLS.test(text): each of its two forms holds "tool" or "(", so a text with neither is
 * not read by the regex, which tries a word boundary at every place (over 4,000 characters of
 * seeded mixtures with neither: ~15 against ~1.2 us here; 256 characters ~0.63 against ~0.09).
 */
export function definesTools(text: string): boolean {
  return (text.includes('tool') || text.includes('(')) && SYSTEM_TOOLS.test(text);
}
/** Counting and extremal puzzles ("minimum number of drops in the worst case", "counting all sizes"): never a lookup. */
export const COUNTING_PUZZLE = lexicon(
  [
    'worst case', 'minimum number of', 'maximum number of', 'fewest', '(?:smallest|largest|least|greatest) (?:positive )?(?:number|integer)', 'of all sizes', 'how many times do(?:es)? (?:you|it|the)', 'how many (?:trailing zeros|diagonals|divisors)', 'zeros (?:are )?at the end', 'ceros al final', 'nullen am ende', 'zéros à la fin', 'нулей в конце', 'at least how many', 'how many ways', 'how many (?:paths|routes)', 'how many different', 'handshakes?', 'apretones de manos', 'poignées de main', 'händedrücke', 'рукопожати[йяе]', 'диагонал(?:ей|и|ь|ями)', 'diagonales', 'diagonalen', 'counting all', 'in how many ways',
    'pire des cas', 'nombre (?:minimum|maximum|minimal|maximal) de', 'de combien de façons', 'peor (?:de los )?casos?', 'número (?:mínimo|máximo) de', 'de cuántas (?:formas|maneras)',
    'schlimmsten fall', 'mindestanzahl', 'auf wie viele arten', 'wie viele (?:wege|möglichkeiten)', 'combien de (?:chemins|façons|manières)', 'cuántos caminos', 'сколько (?:путей|способов)', 'в худшем случае', 'минимальное (?:число|количество)', 'сколькими способами',
  ],
  ['最坏情况', '多少种', '最悪の場合', '何通り'],
);
/**
 * When a failure happens, as a report says it ("every night", "since we changed", "only when",
 * "now and then"; fifth round: a contrast or concurrency clause, "while the SD card is being
 * written", "obwohl"): with a symptom or a named system, a report asks for a diagnosis even with
 * no question (fourth round, tune split: "Our Elasticsearch cluster goes yellow every night").
 */
export const FAILURE_PATTERN = lexicon(
  [
    'every (?:night|morning|afternoon|evening|day|hour|week|weekend|deploy|restart|(?:\\d+|few|couple of) (?:seconds|minutes|hours|days))', 'since (?:we|the|i|our|upgrading|moving|switching)', 'after (?:we|i|the upgrade|upgrading|a deploy|deploying|switching|moving|adding|enabling)',
    'only (?:when|on|for|in|with|during|under)', 'now and then', 'when (?:a|an|the|one|our) (?:[\\p{L}-]+ ){1,2}(?:restarts|reboots|fails|dies|goes down|is restarted)', 'cuando (?:un|una|el|la) (?:[\\p{L}-]+ ){1,2}(?:se reinicia|falla|se cae)', 'wenn (?:ein|eine|der|die|das) (?:[\\p{L}-]+ ){1,2}(?:neu startet|ausfällt)',
    '(?:after|since|once) (?:[\\p{L}-]+ ){0,3}(?:moved|switched|changed|upgraded|added|enabled|migrated|deployed|bumped|rolled out)', 'while (?:the|a|an|we|it|our|its|other|another|holding)', 'even though', 'although', 'whenever',
    'every (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)', 'aunque', 'cada (?:hora|día|semana|mañana)', 'obwohl', 'jeden (?:tag|morgen|nachmittag|abend|montag)', 'jede (?:stunde|woche)',
    'alors que', 'bien que', 'chaque (?:lundi|matin|jour|heure|semaine)', 'хотя', 'from time to time', 'randomly', 'under load', 'под нагрузкой', 'bajo carga', 'unter last', 'sous charge', '(?:once|twice|three times) a (?:day|week|month|night|minute|hour)', 'cada (?:\\d+|dos|tres|pocos|pocas) (?:días|horas|minutos|semanas)', 'in prod(?:uction)?', 'at peak',
    'cada noche', 'desde que', 'solo cuando', 'seit (?:dem|wir|der)', 'nur (?:wenn|bei)', 'jede nacht', 'depuis (?:que|la|le)', 'seulement quand', 'chaque nuit',
    'с тех пор как', 'только (?:когда|при)', 'каждую ночь', 'в часы пик', 'после обновлени\\p{L}*', 'после (?:перехода|миграции|релиза|деплоя)', 'только по', 'по (?:понедельникам|вторникам|средам|четвергам|пятницам|субботам|воскресеньям|ночам|утрам|вечерам)', 'после (?:каждого|каждой)', 'em produção', 'só quando',
    'toda (?:segunda|terça|quarta|quinta|sexta|noite|manhã|semana)', 'todo (?:dia|sábado|domingo|mês)', 'todos los (?:lunes|martes|miércoles|jueves|viernes|sábados|domingos|días)', 'dopo l.aggiornamento', 'solo quando',
    'after (?:launch|the launch|release|the release|fine-?tuning)', 'after (?:1|2|3|4|5|one|two|three|a few|several) epochs?', "since (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|last week)(?:'s|’s)?",
    'after every', 'after each', 'nach jedem', 'nach jeder', 'nach dem (?:deployment|deploy|update|upgrade|release|neustart)', 'après chaque', 'después de cada',
    'desde (?:la|el) (?:última |último )?(?:actualización|migración|despliegue|cambio)', 'une fois sur (?:deux|trois|quatre|cinq|dix)', 'en local', 'mais jamais',
    'ogni (?:lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica|mattina|notte|giorno|sera|volta)', 'nobody changed anything', 'nothing changed', 'lors des pics', 'en production', 'en producción', 'aux heures de pointe', 'since (?:midnight|this morning|last night|noon)', 'uniquement', 'únicamente', 'nur für', 'только на', 'только для', 'только в',
    'every time', 'each time', 'cada vez que', 'jedes mal', 'chaque fois', 'каждый раз', 'ogni volta', 'toda vez que', 'locally', 'on my machine',
    'during (?:the |our |a )?(?:nightly|night|peak|backfill|backups?|deploys?|deployments?|migrations?|load tests?|rollouts?|compaction)', 'over (?:a|the|one) (?:day|week|night|weekend)', 'for no (?:apparent|obvious|clear) reason', 'sin (?:motivo|razón) aparente', 'ohne (?:erkennbaren|ersichtlichen) grund', 'sans raison apparente', 'без видимой причины',
    'aleatoriamente', 'aléatoirement', 'solo con', 'nur mit', 'seulement avec', 'только с', '(?:is|works|runs) fine',
    // Session 59: when it happens in Polish, Turkish and Dutch (Korean below).
    'co (?:godzinę|noc|rano|dzień|tydzień)', 'po (?:aktualizacji|wdrożeniu|migracji)', 'her (?:gece|sabah|gün|saat)', 'elke (?:nacht|ochtend|dag|maandag)', 'sinds (?:de|het|gisteren|vorige week)',
  ],
  ['매일', '마다', '배포 후', '업데이트 후', '每天晚上', '每隔', '每到', '昨日から', '毎朝', '毎晩', '之后', '只有', '時だけ', '時間帯だけ', '以降', '每次', 'たびに', 'だけで', '只在', '問題ない', '没问题'],
);

/**
 * A question for one value in a language that puts its question word last: Chinese, Japanese,
 * Korean ("现在 CPU 使用率是多少？", "サーバーはいくつありますか？", "재귀 함수란 무엇인가요?"),
 * Turkish ("Türkiye'nin başkenti neresi?"), and since session 65 Hindi ("API का full form क्या
 * है?"), Telugu, Kannada, Malayalam and Tamil ("భారతదేశ రాజధాని ఏది?"): a lookup, as WH_LOOKUP's are.
 * Korean "when" before its one closing verb ("useEffect는 언제 실행돼요?", when does it run?) since session 66.
 */
const END_LOOKUP = /(?:是多少|有多少|是什么|是哪个|是谁|在哪里?|几点|多少个?|何ですか|何(?:台|個|人|件|回)(?:ありますか|ですか|いますか)?|いくつ(?:ありますか|ですか)?|どこですか|いつですか|何年に\p{L}{0,10}か|(?:一番|最も)\p{L}{1,8}は|무엇인가요|무엇입니까|뭐예요|뭔가요|어디(?:인가요|예요|에 있나요)|언제(?:인가요|예요)|언제 [\uac00-\ud7a3]{1,6}요|누구(?:인가요|예요)|(?<!\p{L})(?:nedir|neresi|nerede|kimdir|ne zaman|kaç)|(?<![\p{L}\p{M}])(?:(?:क्या|कौन सा|कौन सी|कौन|कितना|कितने|कितनी|कब|कहाँ|कहां) (?:है|हैं|था|थी|थे|होता है|होती है|होते हैं)|ఏది|ఏమిటి|ఎవరు|ఎన్ని|ಯಾವುದು|ಏನು|ಯಾರು|ಎಷ್ಟು|ഏതാണ്|എന്താണ്|ആരാണ്|എത്ര|என்ன|எது|யார்|எத்தனை))[?？]?$/u;
/** Whether a text ends as END_LOOKUP's questions do (its last 16 characters read, trailing white space left out: bounded). */
export function endLookup(text: string): boolean {
  const t = text.trimEnd();
  return END_LOOKUP.test(t.length > 16 ? t.slice(-16) : t);
}
/**
 * A short question opening with a wh-word asks for a fact ("What port does HTTPS use?"); Portuguese,
 * Italian, Polish and Dutch ones since session 59 (not Dutch "wie": it is German "how"), Tagalog and
 * Indonesian ones since session 66 ("ano ang ibig sabihin ng API rate limit?"; not "ano ang dapat",
 * what should), and Spanish ones typed without their accents ("que es una clave foranea").
 */
export const WH_LOOKUP = /^\s*[¿"'“]?(?:what|which|when|who|where|qué|cuál|cuándo|quién|dónde|was|welche[rsn]?|wann|wer|wo|quel(?:le)?s?|quand|qui|où|что|какой|какая|какое|когда|кто|где|o que|qual|quais|quem|onde|quando|quant[oaie]s?|che|cosa|quale|quali|chi|dove|co to|jak(?:i|a|ie)|kto|gdzie|kiedy|wat|welke?|waar|wanneer|hoeveel|a qué hora|à quelle heure|um wie ?viel uhr|во сколько|a que horas|a che ora|ano ang(?! dapat)|ano ba ang|sino ang|saan|kailan|alin ang|apa itu|apa arti|apa yang dimaksud|siapa|di mana|kapan|que (?:es|son|significa|significan)|cual(?:es)?|cuando|quien|donde)(?![\p{L}])/u;

/**
 * Commands, settings and products whose names hold a hard word (session 67, probe set 161; read
 * by names.ts, withPlainNames): each name's terms and the plain words it is read as. That is the
 * name without its hard word ("kubectl explain" is "kubectl"), or a plain noun where the whole
 * name is hard words ("proof of stake" is "staking"). '$1' is the name's last word ("prove
 * command" is "command"), '$0' its first ("mode debug" is "mode").
 */
export const NAMED_COMMANDS: ReadonlyArray<readonly [term: string, plain: string]> = [
  ['kubectl explain', 'kubectl'],
  ['explain analy[sz]e', 'query planner'],
  ['terraform plan', 'terraform'],
  ['docker[- ]compose', 'docker'],
  ['jetpack compose', 'jetpack'],
  ['compose files?', 'docker file'],
  ['debug (?:logging|logs?|level|mode|flag|flags|builds?|symbols|output|messages|toolbar|info|port|console|menu|server)', 'verbose $1'],
  ['(?:mode|modo|modus) (?:de )?debug', '$0'],
  ['debug-(?:modus|mode|modo)', 'verbose mode'],
  ['perl(?:\'s)? prove', 'perl'],
  ['prove (?:command|tool|utility|runner)', '$1'],
  ['domain[- ]driven design', 'ddd'],
  ['material design', 'material'],
  ['proof[- ]of[- ]stake', 'staking'],
  ['proof[- ]of[- ]work', 'mining'],
  ['proof[- ]of[- ]concept', 'prototype'],
  // Session 67 (probe set 165): a job title ("design engineer"; "solutions architect" is NAMED_AFTER's).
  ['design (?:engineers?|technologists?|leads?|managers?|directors?)', '$1'],
  // Session 67 (probe set 167): documents called proof.
  ['proofs? of (?:address|income|residence|residency|identity|purchase|payment|insurance|employment|delivery|age|vaccination)', 'document'],
  // "vs" is versus, a comparison, except in an editor's name.
  ['vs ?code', 'editor'],
];

/**
 * A hard word that is part of a name when one of its words stands right before it (names.ts):
 * the word, the words before it, and what it is read as. A job title ("what does a solutions
 * architect do?", session 67, probe set 165), a craft ("interior design ideas", set 167), a
 * system's limit ("the memory limit of a lambda": "limit of" is calculus, MATH_WORDS). Keyed on
 * the hard word, not on the word before it: a literal that starts with a common word ("the",
 * "time", "data") is tried at every one of those words the scan reads.
 */
export const NAMED_AFTER: ReadonlyArray<readonly [word: string, before: readonly string[], plain: string]> = [
  ['architects?', ['solution', 'solutions', 'software', 'cloud', 'enterprise', 'data', 'principal', 'senior', 'staff', 'chief', 'lead', 'security', 'system', 'systems', 'network', 'platform', 'aws', 'azure', 'gcp', 'landscape', 'technical', 'application', 'integration', 'infrastructure', 'devops', 'salesforce', 'junior', 'head'], 'engineer'],
  ['design(?:s|ers?)?', ['interior', 'graphic', 'landscape', 'nail', 'cake', 'fashion', 'garden', 'kitchen', 'logo', 'floral', 'tattoo', 'hair', 'jewelry', 'jewellery', 'wedding', 'ux'], 'styling'],
  // Session 69 (probe set 179): a review someone wrote, to classify or read ("the sentiment of this review"), not one asked for.
  ['reviews?', ['this', 'these', 'that', 'each', 'every', 'customer', 'customers', 'product', 'app', 'user', 'book', 'movie', 'film', 'restaurant', 'hotel', 'amazon', 'google', 'yelp', 'star', 'negative', 'positive', 'online', 'fake', 'glowing'], 'opinion'],
  ['limits?', ['memory', 'rate', 'time', 'size', 'upload', 'file', 'connection', 'request', 'token', 'quota', 'cpu', 'disk', 'storage', 'api', 'character', 'length', 'retry', 'timeout', 'credit', 'speed'], 'cap'],
];
/** The hard words of NAMED_AFTER, found by the lexicon scan. */
export const NAMED_AFTER_WORDS = lexicon(NAMED_AFTER.map(([word]) => word));
/** The names of NAMED_COMMANDS, found by the lexicon scan (names.ts reads them as their plain words). */
export const COMMAND_NAMES = lexicon(NAMED_COMMANDS.map(([term]) => term));
/** Nouns of works and verbs of reading after which a capitalised hard word is a name ("the film Proof", "who wrote Refactoring"; names.ts, titles). */
export const WORKS_BEFORE: readonly string[] = ['film', 'movie', 'book', 'books', 'course', 'podcast', 'talk', 'app', 'game', 'show', 'series', 'song', 'album', 'paper', 'article', 'chapter', 'wrote', 'read', 'reading', 'novel'];
/** Nouns of works, teams and events before which a capitalised hard word is a name ("the Optimize conference"). */
export const WORKS_AFTER: readonly string[] = ['conference', 'meetup', 'summit', 'podcast', 'app', 'team', 'book', 'course', 'talk', 'film', 'movie', 'show', 'game', 'newsletter', 'channel', 'series', 'workshop'];
/** Both, found by the lexicon scan: where none is, no capitalised word is looked at. */
export const WORK_NOUNS = lexicon([...new Set([...WORKS_BEFORE, ...WORKS_AFTER])]);
/** What mentions the word after it rather than uses it ("how do you spell architecture?", "synonyms for optimize"; names.ts, mentions). */
export const MENTION_FRAMES = lexicon(['spell', 'spelling of', 'pronounce', 'pronunciation of', 'synonyms? (?:for|of)', 'antonyms? (?:for|of)', 'past tense of', 'plural of', '(?:noun|verb|adjective|adverb) form of', 'meaning of', 'etymology of', 'origin of the word', 'the (?:word|verb|term)']);
/**
 * What declines the hard word after it ("no need to explain", "without any design", "I don't
 * need a design", "ohne Herleitung", "不用解释"; names.ts, declined). Not "don't just" (more is
 * asked: "don't just explain it, find out why"). No term starts with "i" or "ich": a literal that
 * starts with a common word is tried at every one of those words the lexicon scan reads.
 */
export const DECLINE_FRAMES = lexicon(
  ['no need (?:to|for)', "don'?t", 'do not', 'without', 'without any', 'skip', 'skip the', 'not a', 'not asking (?:you )?to', "don'?t (?:need|want)", 'forget(?: about)?(?: the)?', 'never ?mind(?: the)?', 'no',
    'sin', 'no hace falta que (?:lo |la )?', 'no quiero', 'no me', 'ohne', 'kein(?:e|en)?', 'brauche kein(?:e|en)?', 'pas besoin de', "pas d'", 'sans', 'sem', 'не надо(?: ничего)?', 'не нужно(?: ничего)?', 'не объясняй'],
  ['不用', '不需要', '无需'],
);
/** SQL commands that are hard words: read as commands where written in capitals (names.ts). */
export const SQL_COMMAND_WORDS = lexicon(['explain', 'analy[sz]e', 'optimi[sz]e']);
