"""Folded text -> typed tokens for the grammar.

The scanner reads the folded text left to right and types each token by its spelling:
vocabulary terms (longest match over the vocabulary's names and synonyms), numbers,
operators, connectives, time words, punctuation, and WORD for the rest. A second pass
types by context, so that the LALR grammar never meets a token it has no place for: an
operator is OP only before a number, `to` is RANGE_SEP only between numbers, and so on;
a token whose context is missing falls back to WORD. Linear in the text: every regular
expression here is anchored at the scan position and has no nested quantifiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from engine import units
from engine.normalize import fold
from engine.prefilter import needs_words
from engine.vocab import load_vocabulary


@dataclass(slots=True)
class Tok:
    type: str
    start: int
    end: int
    value: object = None  # typed payload: Decimal, canonical op, unit, concept name...
    text: str = field(default="", repr=False)
    alt: tuple | None = None  # (type, value) the token is when its context rejects the first typing


NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "eighteen": 18,
    "twenty": 20, "thirty": 30, "sixty": 60, "ninety": 90,
}

_LANGUAGES = r"english|french|spanish|german|dutch|italian|portuguese|chinese|mandarin|cantonese|japanese|korean|hebrew|arabic|hindi|danish|swedish|norwegian|finnish|polish|russian|greek|turkish|local|national"
_ORGAN = (
    r"(?:organ(?: system)?|end-organ|major organ|bone marrow|marrow|hematologic(?:al)?|haematologic(?:al)?|hematopoietic|haematopoietic"
    r"|renal|kidney|hepatic|liver|cardiac|heart|cardiovascular|pulmonary|lung|respiratory|coagulation)"
)
_ORGANS = rf"{_ORGAN}(?: ?,? (?:and/or |and |or )?{_ORGAN})*"
_ORGAN_FUNCTION = (
    r"(?:adequate|normal|sufficient|acceptable|satisfactory|preserved|good|inadequate|insufficient)"
    r"(?: (?:and|or) (?:adequate|normal|acceptable|sufficient))?(?: baseline| normal)? "
    rf"{_ORGANS} (?:function(?:s|ing)?|reserve)(?: ?,? (?:and|or) {_ORGANS} (?:function(?:s|ing)?|reserve))?"
)

# Normal limits as criteria write them: 'x ULN', '1.5 times of the upper normal limit (UNL)',
# '2-fold ULN', '<= upper limits of normal (ULN) for the institution', '>= institutional LLN'
# 'allergic reactions attributed to compounds of similar chemical or biologic composition to
# paclitaxel': one word here, and a modifier of the allergy in engine.parse
SIMILAR_COMPOUNDS = (
    r"(?:attributed to )?compounds? of similar (?:chemical|biologic(?:al)?)(?: (?:or|and|and/or) (?:chemical|biologic(?:al)?))? "
    r"(?:composition|structure)(?: to| as)?"
)
# KEYNOTE's 'autoimmune disease that has required systemic treatment in the past 2 years (i.e.
# with use of disease modifying agents, corticosteroids or immunosuppressive drugs)' (34 corpus
# lines): what the systemic treatment was, said of the requirement; its 'or' joins no
# alternatives of the criterion (a word, and one that only narrows in engine.parse)
SYSTEMIC_TREATMENT_MEANS = (
    r"i\.?\s*e\.?,?\s+with\s+(?:the\s+)?use\s+of\s+disease[- ]modifying\s+agents,?\s+corticosteroids,?\s+(?:or|and/or)\s+immunosuppressive\s+drugs"
)
# 'History or current symptomatic pneumonitis', 'prior or concurrent malignancy', 'active or
# history of autoimmune disease': a past event or one going on now, which is what a history is
# (engine.nodes: 'a past event counts, not only a current one'); one HIST word (engine.parse
# keeps the events after it that the history does not reach from deciding alone)
HISTORY_OR_NOW = (
    r"(?:(?:a |any )?(?:past |prior |previous )?(?:medical )?(?:history|hx)(?: of)?|prior|previous|past)(?: or | and/or |/)"
    r"(?:current|currently|active|ongoing|present|concurrent|(?:clinical )?evidence of|presence of)"
    r"|(?:current|currently|active|ongoing|concurrent|present)(?: or | and/or |/)(?:(?:a )?(?:past |prior |previous )?(?:medical )?(?:history|hx)(?: of)?|prior|previous|past)"
)
_TIMES = r"(?:x|\*|times|-?folds?)\s*(?:of\s+)?"
_PLANNED = r"(?:(?:planned|scheduled|anticipated|intended|expected) )?"
_WHOSE = r"(?:the\s+)?(?:institutional\s+|local\s+|laboratory\s+)?"
_UPPER = r"(?:upper limits? of (?:the )?(?:laboratory |institutional )?normal(?:ity)?(?: range| values?| levels?)?|upper normal limit|normal upper limit|upper limit normal|maximum normal value|uln|unl|iuln)"
_LOWER = r"(?:lower limits? of (?:the )?(?:laboratory |institutional )?normal(?: range| values?| levels?)?|lower normal limit|normal lower limit|lln)"
# the limit named again in brackets: '(ULN)', '(upper limit of normal)', '[ULN]', '(x ULN)'
_UPPER_ABBR = rf"(?:\s*[(\[](?:x\s*)?{_UPPER}[)\]])?"
_LOWER_ABBR = rf"(?:\s*[(\[](?:x\s*)?{_LOWER}[)\]])?"
_FOR_LAB = r"(?:\s+for (?:the )?(?:institution|lab(?:oratory)?))?"

# Phrases typed by spelling: (regex, type, value). Order matters only among patterns that
# can match the same text; the scanner takes the longest match over all of them.
_PHRASES: list[tuple[str, str, object]] = [
    # operators, symbols first
    (r">\s*/\s*=|>\s*=|=\s*>|\u2265|>\s*or\s*=(?:\s*to)?", "OP", ">="),
    (r"<\s*/\s*=|<\s*=|=\s*<|\u2264|<\s*or\s*=(?:\s*to)?", "OP", "<="),
    (r">", "OP", ">"),
    (r"<", "OP", "<"),
    (r"=", "OP", "="),
    (r"(?:greater|more|higher|larger) than or equal to|at least|a minimum of|minimum of|no less than|not less than|no fewer than|not fewer than|equal to or (?:greater|more|higher) than|equal or (?:greater|more|higher) than|equal (?:to )?or (?:above|over)|(?:greater|more|higher) or equal(?: to| than)?|at or above", "OP", ">="),
    (r"(?:less|lower|fewer|smaller) than or equal to|no more than|not more than|no greater than|not greater than|no higher than|not higher than|not exceeding|not to exceed|up to|a maximum of|maximum of|at most|equal to or (?:less|lower) than|equal or (?:less|lower) than|equal (?:to )?or (?:below|under)|(?:less|lower) or equal(?: to| than)?|at or below", "OP", "<="),
    (r"(?:greater|more|higher|larger|older) than|exceeding|exceeds|above|over", "OP", ">"),
    (r"(?:less|lower|fewer|smaller|younger) than|below|under", "OP", "<"),
    # 'under the age of 18': the age and its operator in one phrase (scan makes two tokens)
    (r"(?:over|above|older than) the age of", "AGE_OP", ">"),
    (r"(?:under|below|younger than) the age of", "AGE_OP", "<"),
    (r"equal to|equals", "OP", "="),
    # 'or over' before a quantity is an 'or' and an operator: 'under 18 years or over 70
    # years' (not before a number alone, an item's: '18 years or over 8. Written consent';
    # nor after 'equal': 'equal or above 18 years')
    (r"(?<!equal )(?:or (?:more|greater|higher|above|older|over)(?! than)|and (?:above|older|over|greater|higher)(?! than)|(?:and|or) (?:more|greater)(?! than))(?!\s*\d+(?:[.,]\d+)?\s*[a-z%\u00b5\u03bc])", "POSTOP", ">="),
    (r"(?<!equal )(?:or (?:less|lower|fewer|below|younger|under)(?! than)|and (?:below|younger|under|less|lower)(?! than))(?!\s*\d+(?:[.,]\d+)?\s*[a-z%\u00b5\u03bc])", "POSTOP", "<="),
    (r"inclusive", "WORD", None),
    (r"between", "BETWEEN", None),
    # connectives
    (r"and\s*/\s*or|or", "OR", None),
    (r"and|as well as|plus", "AND", None),
    (r"nor", "NOR", None),
    (r"neither", "NEITHER", None),
    (r"not|no|non|without|absence of|free of|negative for", "NOT", None),
    (r"unless", "UNLESS", None),
    (r"with the exception of|except for|except|excluding|other than|apart from", "EXCEPT", None),
    (r"if|when|in (?:the )?case of|in (?:the )?presence of|(?:for|in) (?:patients?|subjects?|participants?|individuals?|persons?|people|those) (?:with|who have|who has)", "IF", None),
    (r"(?:at least|any) (?:one|1) of the following(?: criteria| conditions)?|any of the following(?: criteria| conditions)?|one of the following(?: criteria| conditions)?", "FOLLOWING", "any"),
    (r"each of the following", "FOLLOWING", "each"),
    (r"all of the following(?: criteria| conditions)?|the following(?: criteria| conditions)?", "FOLLOWING", "all"),
    # time
    (r"(?:within|in|during|over|for) (?:the )?(?:previous|past|last|preceding|prior)|within the|within", "WITHIN", None),
    (r"prior to|before|preceding|previous to|ahead of|of", "PRIOR", None),
    (r"hours?|hrs?|days?|weeks?|wks?|months?|mos?|years?|yrs?", "TIMEUNIT", None),
    (r"half[- ]?lives|half[- ]?life", "HALFLIFE", None),
    (r"whichever is (?:longer|greater|later)", "LONGER", "longer"),
    (r"whichever is (?:shorter|sooner|earlier|less)", "LONGER", "shorter"),
    # normal limits: the multiplier sign and the limit are one token
    (rf"{_TIMES}{_WHOSE}{_UPPER}{_UPPER_ABBR}{_FOR_LAB}", "ULN", "ULN"),
    (rf"{_TIMES}{_WHOSE}{_LOWER}{_LOWER_ABBR}{_FOR_LAB}", "LLN", "LLN"),
    (rf"{_WHOSE}{_UPPER}{_UPPER_ABBR}{_FOR_LAB}", "ULN_BARE", "ULN"),
    # 'within normal limits': from the lower to the upper limit of normal
    (r"within (?:the )?(?:institutional |local |the institution's )?(?:normal (?:institutional |laboratory |lab )?(?:limits?|ranges?|values)|(?:limits|range) of normal|normal reference ranges?|reference ranges?)(?: (?:of|for) (?:the |each |this )?(?:institution|lab(?:oratory)?|site))?(?:\s*\(wnl\))?|within (?:the )?institutional (?:normal )?(?:limits|ranges?)|wnl", "WNL", None),
    (rf"{_WHOSE}{_LOWER}{_LOWER_ABBR}{_FOR_LAB}", "LLN_BARE", "LLN"),
    # anchors ('the planned start of study treatment', 'the scheduled first dose': the event
    # is the same whether or not it is said to lie ahead)
    (r"(?:the )?(?:screening|screening visit|screening period)", "ANCHOR", "screening"),
    (rf"(?:the )?{_PLANNED}(?:enrollment|enrolment|study entry|registration|pre-?registration|study enrollment|study enrolment|entry|entering the study|entry into the study|entry to the study|study start)", "ANCHOR", "enrollment"),
    (r"(?:(?:signing|signature) (?:the |of )?)?(?:the )?(?:informed consent(?: form)?|icf|consent)", "ANCHOR", "consent"),
    (rf"(?:the )?{_PLANNED}(?:first dose|first administration|(?:first|initial) (?:infusion|injection)(?= of (?:the |any )?(?:study|trial|protocol|investigational) )|(?:start|initiation|beginning|commencement) of (?:any |the )?(?:study |protocol |trial )?(?:drug |medication )?(?:treatment|therapy|drug|medication|intervention)"
     r"|(?:starting|beginning|initiating) (?:the )?(?:study|protocol|trial) (?:treatment|therapy|drug)|(?:study|protocol) (?:treatment|therapy|drug) (?:initiation|start)"
     r"|day 1|cycle 1,? day 1|c1d1|(?:(?:first|initial) )?(?:study|trial) (?:treatment|drug)|protocol (?:treatment|therapy)|treatment start)"
     # ('the first dose of study intervention', '... of investigational product', 'first infusion
     # of study drug': the study's own treatment, whatever the protocol calls it; the words left
     # after 'first dose' kept the window's criterion from being understood, and 'investigational
     # product' was read as a drug the patient had taken)
     r"(?: of (?:the |any )?(?:study |protocol |trial |investigational )?(?:drugs?|treatments?|therapy|therapies|medications?|interventions?|products?|agents?))?(?: administration| treatment)?", "ANCHOR", "first_dose"),
    # NCI boilerplate: 'allergic reactions attributed to compounds of similar chemical or
    # biologic composition to paclitaxel' is about paclitaxel-like compounds; 'or' inside it
    # joins no alternatives
    (SIMILAR_COMPOUNDS, "WORD", "similar compounds"),
    (rf"\(\s*{SYSTEMIC_TREATMENT_MEANS}\s*\)", "WORD", "systemic treatment means"),
    # 'radiotherapy for any reason': no restriction at all
    (r"for any (?:reason|indication|purpose)", "WORD", "for any reason"),
    (r"(?:the )?(?:infusion|car-?t (?:cell )?infusion|cell infusion|lymphodepletion|lymphodepleting chemotherapy)(?: of [a-z0-9-]+)?", "ANCHOR", "infusion"),
    (rf"(?:the )?{_PLANNED}randomi[sz]ation", "ANCHOR", "randomization"),
    # 'age >= 18 years at the time of consent': the screening date elig is given (--as-of)
    # ('aged >= 18 years on the day of signing informed consent'): the same day
    # ('at the time of randomization', 'during screening': the same day, near enough)
    (r"(?:at (?:the )?time|on (?:the )?day) of (?:the )?(?:screening(?: visit)?|study entry|enrol{1,2}ment|registration|inclusion|randomi[sz]ation|(?:(?:signing|signature) (?:the |of )?)?(?:the )?(?:(?:written )?(?:informed )?consent(?: form)?(?: \(icf\))?|icf))"
     r"|during (?:the )?screening(?: period| visit| phase)?", "ANCHOR", "screening"),
    # history and state ('known' is not among them: 'Known pregnancy', 'Known CNS metastases'
    # say what is known of the patient, not that a past one counts; a filler word, the
    # condition is read in its own tense)
    (HISTORY_OR_NOW, "HIST", None),
    # 'NSCLC with known or not tested for EGFR mutation', 'therapy known or suspected to affect
    # paclitaxel pharmacokinetics': 'known or' says something of what follows, one piece of
    # words not understood (the twentieth audit, F1, F2); 'known' as filler and 'or' as the
    # connective, the bare NSCLC stood as an alternative and excluded every NSCLC patient
    (r"known (?:or|and/or)", "WORD", None),
    # ('Medical history of congestive heart failure'; not 'past medical history of', whose
    # lines read the words before it into it: 'History of acute pancreatitis ... or a past
    # medical history of chronic pancreatitis', the 'acute' on both)
    (r"(?:prior |previous |past )?(?:history|hx) of|(?<!past )medical (?:history|hx) of|prior|previous|previously|past|received|(?:the )?receipt of|treated with|exposure to|exposed to|undergone|underwent|diagnosed with|diagnosis of", "HIST", None),
    # 'use of warfarin' says no tense: the drug in the present, where a use that is over leaves
    # it unknown ('prior use of' is past through 'prior')
    (r"(?:the )?(?:use|usage) of", "WORD", "use of"),
    # 'live vaccines against infectious diseases': what every vaccine is against, not a
    # disease the patient must have
    (r"against (?:infectious diseases?|infections?|infectious agents?)", "WORD", "against infection"),
    (r"active|current|currently|ongoing|uncontrolled", "ACTIVE", None),
    (r"such as|including but not limited to|including, but not limited to|including|e\.g\.?|eg|for example|for instance|i\.e\.?|like", "EXAMPLES", None),
    (r"or equivalents?|\(or equivalents?(?: [a-z]+)?\)|or its equivalent|equivalent", "EQUIV", None),
    # sex
    # ('Male or females', 'male and/or female', 'men & women': either sex, not each in turn)
    (r"(?:males?|men|man|boys)\s*(?:or|and|and ?/ ?or|&|/)\s*(?:females?|women|woman|girls)|(?:females?|women|woman|girls)\s*(?:or|and|and ?/ ?or|&|/)\s*(?:males?|men|man|boys)|both sexes|either sex|all sexes", "SEX", ("female", "male")),
    (r"female|females|women|woman|girls|sex female", "SEX", ("female",)),
    (r"male|males|men|man|boys|sex male", "SEX", ("male",)),
    (r"age|aged|ages|years of age|years old|year old|yrs old|age of|at the age of|years?-old|yrs?-old|y/o|y\.o\.?|yo", "AGE", None),
    (r"adults?|adolescents?|children|child|pediatric|paediatric|minors?", "AGE", None),
    # judgment and administration: the whole clause is the study team's to assess
    (r"informed consent|consent form|sign(?:ed)? (?:the )?(?:written )?consent|assent|icf", "JUDGE", "consent"),
    (r"compl(?:y|iance|iant)|adhere(?:nce)?|willing(?:ness)?|able and willing|unwilling|unable|ability|able to", "JUDGE", "compliance"),
    (r"(?:in )?the (?:opinion|judg(?:e)?ment) of the (?:treating )?(?:investigator|pi|physician|researchers?|study team)|investigator|investigator's|researchers?|per investigator|judged|judges|considered by|deemed|at the discretion of|discretion|according to (?:the )?(?:treating )?(?:physician|investigator|doctor)|treating physician", "JUDGE", "investigator_opinion"),
    (r"life expectancy|life-expectancy|expected survival(?: time)?|estimated survival|predicted survival|anticipated survival|survival expectancy|expected to live", "JUDGE", "life_expectancy"),
    (r"refus(?:e|es|ed|al|ing)|agree(?:s|d)? to|agreement to|agreeing to", "JUDGE", "willingness"),
    (r"contracepti(?:on|ve)|birth control|barrier method|condoms?", "JUDGE", "contraception"),
    # a pregnancy test the study does at screening: its result is not in a health record
    (r"(?:negative|positive)(?: (?:result )?(?:for|of|in))? (?:(?:a|the) )?(?:(?:baseline|screening) )?"
     r"(?:(?:serum|urine|urinary|blood|plasma)(?:(?: or | and/or |/)(?:serum|urine|urinary|blood|plasma))? )?(?:(?:β|beta|b)[- ]?hcg )?pregnancy tests?"
     r"|no pregnancy tests?", "JUDGE", "pregnancy_test"),
    # what only the study's own imaging review can say: measurable disease by RECIST, RANO...
    (r"(?:(?:at least|a minimum of|(?:>=|\u2265|>) ?) ?(?:one|two|three|[0-9]) )?(?:(?:uni-?dimensional(?:ly)? |bi-?dimensional(?:ly)? )?(?:measurable|evaluable|assessable)(?: (?:and|or|and/or) (?:non-?measurable|measurable|evaluable))?|non-?measurable) (?:target )?(?:disease|lesions?|tumou?rs?)"
     r"|target lesions?|response evaluation criteria (?:in|for) solid tumou?rs?(?: \((?:i|m)?recist[^()]{0,20}\))?(?: (?:v|version|ver\.?) ?[0-9.]+| ?[0-9.]+)?(?: criteria)?"
     r"|(?:i|m|mod(?:ified)?[ -])?recist(?: criteria)?(?: (?:v|version|ver\.?) ?[0-9.]+|(?: ?[0-9.]+))?(?: criteria)?|rano(?:-bm)?(?: criteria)?|lugano (?:classification|criteria)", "JUDGE", "tumor_assessment"),
    # 'adequate organ function' with no numbers: the protocol's laboratory limits, not written here
    (_ORGAN_FUNCTION, "JUDGE", "organ_function"),
    # a tissue sample the study needs: the site's pathology holds it, not the record
    (r"(?:archival|archived|ffpe|formalin-fixed(?:[ ,]+paraffin-embedded)?|paraffin-embedded)(?: \(ffpe\))?(?: tumou?r)? (?:tissue|samples?|specimens?|blocks?|slides?|biops(?:y|ies))(?: (?:samples?|specimens?|blocks?|slides?))?"
     r"|tumou?r (?:tissue|specimens?|samples?|blocks?)(?: (?:samples?|specimens?|blocks?|slides?))?", "JUDGE", "specimen"),
    # legal and insurance status (French trials above all): administrative, not clinical
    (r"social security(?: system| scheme| regime| insurance)?|(?:national )?health insurance(?: system| scheme| coverage| plan)?|(?:legal |judicial )?guardianship|curatorship|trusteeship|tutorship"
     r"|deprived of (?:their |his or her |his |her )?liberty|under (?:legal |judicial |court )?protection|legal protection|judicial protection"
     r"|incarcerat(?:ed|ion)|prisoners?|imprison(?:ed|ment)|(?:compulsorily |involuntarily )?detained|detention"
     r"|(?:legal |legally )?incapacit(?:y|ated)|(?:limited |without )legal capacity", "JUDGE", "legal_status"),
    # the language a participant must speak or read
    (rf"(?:{_LANGUAGES})[- ]speak(?:ing|ers?)|(?:speak|speaks|speaking|read|reads|reading|write|writes|understand|understands|fluent in|fluency in|proficient in|proficiency in|native speakers? of|literate in|literacy in|command of|comprehension of|knowledge of)"
     rf"(?: (?:and|or|and/or) (?:speak|read|write|understand))?(?: spoken| written)?(?: the)? (?:{_LANGUAGES})(?: language)?", "JUDGE", "language"),
    # another part of the record or the protocol, not this text: 'See Disease Characteristics'
    (r"(?:other )?protocol[- ](?:defined|specified)(?: inclusion| exclusion| inclusion/exclusion| inclusion or exclusion| eligibility)? criteria|criteria (?:may|could|might) apply|see (?:the )?protocol|see disease characteristics|see patient characteristics"
     r"|(?:as |are )?(?:defined|specified|outlined|described) in the (?:study )?protocol"
     # ('Other protocol defined Inclusion/' closing the inclusions of 42 corpus records, whose
     # 'Exclusion criteria may apply' the record's split put under the exclusion heading)
     r"|(?:other )?protocol[- ](?:defined|specified) (?:inclusion|exclusion) ?/", "JUDGE", "protocol_reference"),
    # how serious a condition is, with no condition named: the clinician's call
    (r"clinically (?:significant|relevant|important)|intercurrent illness(?:es)?|(?:serious|severe|significant) illness(?:es)?"
     r"|(?:uncontrolled|serious|severe|significant)(?: (?:uncontrolled|concurrent|concomitant|underlying|intercurrent|active))? (?:medical|systemic|comorbid|concurrent|intercurrent) (?:illness(?:es)?|diseases?|conditions?|disorders?|problems?|comorbidit(?:y|ies))"
     r"|visceral crisis|haemodynamic(?:ally)? (?:instability|unstable)|hemodynamic(?:ally)? (?:instability|unstable)", "JUDGE", "medical_judgment"),
    # taking part in another study: registries and the study team know, a health record does not
    (r"(?:participat(?:e|es|ed|ing|ion)|enrol(?:l|ls|led|ment|lment)?|involvement|taking part|take part) in (?:an?other |any other |any |other |another |a |an )?(?:concurrent |ongoing |current |previous |prior )?"
     r"(?:(?:clinical|interventional|investigational|therapeutic|treatment|drug|device|medical|research|observational|cancer)[ -])*(?:trials?|stud(?:y|ies)|research(?: stud(?:y|ies)| projects?)?)", "JUDGE", "trial_participation"),
]

_PUNCT = {"(": "LPAR", "[": "LPAR", ")": "RPAR", "]": "RPAR", ",": "COMMA", ";": "SEMI", ":": "COLON", "/": "SLASH", "\u2022": "SEMI", "\u25aa": "SEMI", "\u25cf": "SEMI"}

_NUMBER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
_WORD = re.compile(r"[^\s()\[\],;:/\u00ab\u00bb<>=\u2265\u2264]+")
_WORD_END = re.compile(r"[^\s()\[\],;:/\u00ab\u00bb<>=\u2265\u2264.]*")
_SPACE = re.compile(r"\s+")
_LIT = re.compile(r"\u00ab([^\u00ab\u00bb]*)\u00bb")
_JUDGMENT_LIT = re.compile(r"judgment\(([a-z_]+)\)\s*\u00ab([^\u00ab\u00bb]*)\u00bb")
_NUMBER_FIRST = frozenset("0123456789.")  # what a _NUMBER can begin with


def _alternatives(pattern: str) -> list[str]:
    """Top-level alternatives of a pattern ('a|b(c|d)' -> ['a', 'b(c|d)'])."""
    out, depth, cur = [], 0, ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            cur += pattern[i : i + 2]
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == "|" and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    out.append(cur)
    return out


@lru_cache(maxsize=1)
def _phrase_regex() -> tuple[re.Pattern[str], tuple[int, ...]]:
    """One alternation over every phrase spelling, longest spelling first.

    Python's alternation takes the first alternative that matches, so ordering the
    spellings by length makes it take the longest ('or equivalent' before 'or').
    Returns the regex and, per group, the index of its entry in _PHRASES.
    """
    alts = _sorted_alternatives()
    parts = [_phrase_part(g, alt) for g, (alt, _i) in enumerate(alts)]
    return re.compile("|".join(parts)), tuple(i for _alt, i in alts)


@lru_cache(maxsize=1)
def _sorted_alternatives() -> list[tuple[str, int]]:
    alts = [(alt, i) for i, (pattern, _t, _v) in enumerate(_PHRASES) for alt in _alternatives(pattern)]
    alts.sort(key=lambda a: -len(a[0]))
    return alts


def _phrase_part(g: int, alt: str) -> str:
    # a phrase ending in a letter ends at a word boundary; '<' needs none ('<30')
    return f"(?P<g{g}>(?:{alt}))(?:(?<=[a-z.)])(?![a-z0-9'])|(?<![a-z.)]))"


@lru_cache(maxsize=4096)
def _phrase_regex_at(pair: str) -> re.Pattern[str] | None:
    """`_phrase_regex` cut to the spellings that can begin with `pair`, the text's next two
    characters (one at its end), (None: no spelling does), same order and group names: the
    alternation at a position need not try the hundreds of spellings that cannot start
    there, and takes the same one as the whole. The second character rules out those that
    cannot begin with both (`_beginnings`): at 'an', 'at least' and 'after' (the regex
    engine enters each alternative before it reads a letter: 3.3 us a match at an 'a')."""
    ch = pair[0]
    kept = [
        _phrase_part(g, alt)
        for g, (alt, _i) in enumerate(_sorted_alternatives())
        if ch in _first_chars(alt) and ((b := _beginnings(alt)) is None or any(p.startswith(pair) or pair.startswith(p) for p in b))
    ]
    return re.compile("|".join(kept)) if kept else None


@lru_cache(maxsize=None)
def _beginnings(pattern: str) -> frozenset[str] | None:
    """Every two characters a match of `pattern` can begin with (fewer where it can end
    sooner), or None when not worked out: 'adults?' {'ad'}, '(?:the )?randomi[sz]ation'
    {'th', 'ra'}. Look-arounds are passed over, so the set may hold more than can match,
    never less."""
    from re import _constants as c, _parser

    def seq(items, k: int) -> set[str] | None:
        out = {""}
        for op, av in items:
            if all(len(s) >= k for s in out):
                break
            step = one(op, av, k)
            if step is None:
                return None
            out = {s if len(s) >= k else (s + t)[:k] for s in out for t in step}
        return out

    def one(op, av, k: int) -> set[str] | None:
        if op is c.LITERAL:
            return {chr(av)}
        if op is c.IN:
            return _class_chars(av)
        if op is c.SUBPATTERN:
            return None if av[1] or av[2] else seq(av[3], k)  # (?i:...) not worked out
        if op is c.ATOMIC_GROUP:
            return seq(av, k)
        if op is c.BRANCH:
            out: set[str] = set()
            for branch in av[1]:
                got = seq(branch, k)
                if got is None:
                    return None
                out |= got
            return out
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            lo, hi, items = av
            item = seq(items, k)
            if item is None:
                return None
            out, reps = set(), {""}
            for r in range(min(hi, k) + 1):  # past k repeats the first k characters are set
                if r >= min(lo, k):
                    out |= reps
                reps = {s if len(s) >= k else (s + t)[:k] for s in reps for t in item}
            return out
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            return {""}  # no width; what it asks of the text is not used here
        return None

    got = seq(_parser.parse(pattern), 2)
    return None if got is None else frozenset(got)


class _AnyChar(frozenset):
    """Every character (a pattern whose first character was not worked out)."""

    def __contains__(self, _ch: object) -> bool:
        return True


_ANY = _AnyChar()


def _class_chars(items) -> set[str] | None:
    """The characters of a parsed character class ('[sz]', '[a-c]'); None for a negation,
    a category ('\\s') or a wide range: not worked out."""
    from re import _constants as c

    chars = set()
    for kind, arg in items:
        if kind is c.LITERAL:
            chars.add(chr(arg))
        elif kind is c.RANGE and arg[1] - arg[0] < 256:
            chars.update(map(chr, range(arg[0], arg[1] + 1)))
        else:
            return None
    return chars


@lru_cache(maxsize=None)
def _first_chars(pattern: str) -> frozenset[str]:
    """The characters a match of `pattern` can begin with; all of them when not sure."""
    from re import _constants as c, _parser

    def first(items) -> tuple[set[str] | None, bool]:  # (chars or None for any, nullable)
        out: set[str] = set()
        for op, av in items:
            if op is c.LITERAL:
                return out | {chr(av)}, False
            if op is c.IN:
                chars = _class_chars(av)
                return (None, False) if chars is None else (out | chars, False)
            if op is c.SUBPATTERN:
                got, nullable = first(av[3])
            elif op is c.BRANCH:
                got, nullable = set(), False
                for branch in av[1]:
                    b, n = first(branch)
                    if b is None:
                        return None, False
                    got |= b
                    nullable = nullable or n
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
                got, nullable = first(av[2])
                nullable = nullable or av[0] == 0
            else:  # anchors, look-arounds, categories, any character: not worked out
                return None, False
            if got is None:
                return None, False
            out |= got
            if not nullable:
                return out, False
        return out, True

    chars, nullable = first(_parser.parse(pattern))
    return _ANY if chars is None or nullable else frozenset(chars)


@lru_cache(maxsize=1)
def _unit_regex() -> re.Pattern[str]:
    return re.compile(rf"\s*(?:{units.UNIT_REGEX})", re.IGNORECASE)


@lru_cache(maxsize=1)
def _terms() -> tuple[dict[str, tuple[str, str]], int]:
    """Vocabulary phrases -> (token type, concept name), and the longest phrase in words."""
    kinds = {"measure": "MEASURE", "condition": "CONDITION", "drug": "DRUG", "drug_class": "DRUG", "procedure": "PROCEDURE"}
    table: dict[str, tuple[str, str]] = {}
    longest = 1
    for phrase, concept in load_vocabulary().terms().items():
        key = " ".join(_split_words(fold(phrase)))  # the text is folded so: 'sézary' is 'sezary'
        table[key] = (kinds[concept.kind], concept.name)
        longest = max(longest, key.count(" ") + 1)
    # 'mini mental state examination' for the vocabulary's 'mini-mental state examination': a
    # hyphen inside a word of the text joins it, so the phrase is also read with spaces
    for key, hit in list(table.items()):
        spaced = key.replace("-", " ")
        if spaced != key and spaced not in table:
            table[spaced] = hit
            longest = max(longest, spaced.count(" ") + 1)
    return table, longest


@lru_cache(maxsize=1)
def _term_prefixes() -> frozenset[str]:
    """The first words (one or more, not all) of every vocabulary phrase: a longest-match
    lookup stops as soon as the words read so far begin no phrase, which at most words is
    the first."""
    out = set()
    for key in _terms()[0]:
        words = key.split(" ")
        out.update(" ".join(words[:k]) for k in range(1, len(words)))
    return frozenset(out)


_TERM_WORD = re.compile(r"[a-z0-9][a-z0-9'+.\-]*[a-z0-9+']|[a-z0-9]")


def _split_words(text: str) -> list[str]:
    return _TERM_WORD.findall(text)


def _match_term(folded: str, pos: int) -> tuple[int, str, str] | None:
    """Longest vocabulary phrase at pos: (end, token type, concept).

    Words of a phrase are separated by spaces or hyphens; a word in brackets ('qtc interval
    (fridericia)') matches only with its closing bracket, so no bracket is left unpaired.
    """
    table, longest = _terms()
    prefixes = _term_prefixes()
    m = _TERM_WORD.match(folded, pos)
    if m is None:
        return None
    first = m.group()
    if first not in table and first not in prefixes and not (first[-1] == "." and first[:-1] in table):
        return None  # what the loop finds at its first word, four calls in five over the corpus
    best = None
    words_end: list[tuple[str, int]] = []
    p = pos
    opened = False
    for _ in range(longest):
        if words_end and folded.startswith("&", p):
            word, end = "and", p + 1  # 'Hoehn & Yahr', 'H&Y': an ampersand inside a name is 'and'
        else:
            if words_end:  # the first word is matched above
                m = _TERM_WORD.match(folded, p)
            if not m:
                break
            word, end = m.group(), m.end()
        key = f"{key} {word}" if words_end else word  # the words so far, spaced
        words_end.append((word, end))
        if opened:
            if end < len(folded) and folded[end] == ")" and not word.endswith("."):
                end += 1
                opened = False
            else:
                break  # a bracket opened inside a phrase closes after one word, or it is not one
        hit = table.get(key)
        if hit is None and word.endswith("."):
            hit = table.get(key[:-1])
        if hit is not None:
            best = (end if not word.endswith(".") or key in table else end - 1, hit[0], hit[1])
        if key not in prefixes:
            break  # no longer phrase begins with these words
        # next word: skip spaces, a hyphen or an opening bracket between words of a phrase
        q = end
        while q < len(folded) and folded[q] in " -":
            q += 1
        if q == end and folded.startswith("/", q) and word[-1:].isdigit() and folded[q + 1 : q + 2].isdigit():
            q += 1  # 'cdk4/6 inhibitor' is 'cdk4-6 inhibitor': a slash between digits inside a name
        if q < len(folded) and folded[q] == "(" and q > end:
            opened = True
            q += 1
        if q == end and not (q < len(folded) and (folded[q].isalnum() or folded[q] == "&")):
            break
        p = q
    return best


def _number_value(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def scan(folded: str) -> list[Tok]:
    """Type tokens by spelling. `folded` is `engine.normalize.fold(text)`."""
    phrase_re, phrase_of = _phrase_regex()
    unit_re = _unit_regex()
    toks: list[Tok] = []
    pos, n = 0, len(folded)
    while pos < n:
        ch = folded[pos]
        if ch.isspace():  # what \s+ matches (both ask Py_UNICODE_ISSPACE), without a regex call
            pos += 1
            while pos < n and folded[pos].isspace():  # most runs are one space
                pos += 1
            continue
        if ch == "\u00ab":
            m = _LIT.match(folded, pos)
            if m:
                toks.append(Tok("UNPARSED_LIT", pos, m.end(), m.group(1)))
                pos = m.end()
                continue
        if ch == "j":
            m = _JUDGMENT_LIT.match(folded, pos)
            if m:
                toks.append(Tok("JUDGMENT_LIT", pos, m.end(), (m.group(1), m.start(2), m.end(2))))
                pos = m.end()
                continue
        # a number, with its unit when one follows
        m = _NUMBER.match(folded, pos) if ch in _NUMBER_FIRST else None
        if m and not (m.end() < n and folded[m.end()].isalpha() and not _unit_or_time_at(folded, m.end())):
            # a number glued to a word or a hyphen is part of a name ('CD7', 'T-2'), except the
            # second number of a range written with a hyphen ('ECOG 0-2', 'ages 12-17')
            after_range_dash = folded[pos - 1 : pos] == "-" and len(toks) >= 2 and toks[-1].type == "DASH" and toks[-1].end == pos and toks[-2].type in ("NUMBER", "UNIT", "TIMEUNIT")
            if after_range_dash or not (pos > 0 and (folded[pos - 1].isalpha() or folded[pos - 1] in "-.")):
                toks.append(Tok("NUMBER", pos, m.end(), _number_value(m.group())))
                pos = m.end()
                u = unit_re.match(folded, pos)
                if u and u.end() > pos:
                    end = u.end()
                    written = folded[pos:end].strip()
                    try:
                        canonical = units.normalize_unit(written)
                    except Exception:  # a spelling the regex takes but the table does not: a word
                        canonical = None
                    # a duration is time, except hours or days of something per day or week
                    # ('> 4 hours per week' of exercise, '5 days per week' of e-cigarette use)
                    if canonical is not None and (canonical in _PER_TIME or not _TIME_AHEAD.match(folded, pos)):
                        start = pos + (len(folded[pos:end]) - len(folded[pos:end].lstrip()))
                        toks.append(Tok("UNIT", start, end, canonical))
                        pos = end
                continue
        if ch in "<>=\u2265\u2264*" or ch.isalpha() or ch in "(":
            at = _phrase_regex_at(folded[pos : pos + 2])
            pm = at.match(folded, pos) if at is not None else None
        else:
            pm = None
        term = _match_term(folded, pos) if ch.isalnum() else None
        if pm is not None:
            pend = pm.end()
            if term is not None and term[0] > pend:
                pm = None
        if term is not None and pm is None:
            end, ttype, concept = term
            toks.append(Tok(ttype, pos, end, concept))
            pos = end
            continue
        if pm is not None:
            idx = phrase_of[int(pm.lastgroup[1:])]
            _pattern, ttype, value = _PHRASES[idx]
            if ttype == "WORD":
                value = None
            if ttype == "AGE_OP":
                # 'under the age of 18': the word age (no text of its own) before the operator
                toks.append(Tok("AGE", pos, pos))
                toks.append(Tok("OP", pos, pm.end(), value))
                pos = pm.end()
                continue
            tm = _TIME_AHEAD.match(folded, pos) if ttype == "AGE" and toks and toks[-1].type == "NUMBER" else None
            if tm is not None and tm.end() < pm.end():
                # '18 years of age', '30 years old': the number's time unit, then the age word
                toks.append(Tok("TIMEUNIT", pos, tm.end()))
                rest = _SPACE.match(folded, tm.end())
                start = rest.end() if rest else tm.end()
                toks.append(Tok("AGE", start, pm.end()))
                pos = pm.end()
                continue
            # an anchor that is also a vocabulary term ('lymphodepleting chemotherapy') is the
            # term wherever it is not a window's anchor
            alt = (term[1], term[2]) if ttype == "ANCHOR" and term is not None and term[0] == pm.end() else None
            toks.append(Tok(ttype, pos, pm.end(), value, alt=alt))
            pos = pm.end()
            continue
        if ch in _PUNCT:
            toks.append(Tok(_PUNCT[ch], pos, pos + 1, ch))
            pos += 1
            continue
        if ch == "-" and toks and toks[-1].type == "NUMBER" and toks[-1].end == pos and _TIME_AHEAD.match(folded, pos + 1):
            pos += 1  # '6-month', '50-year-old': the hyphen joins a number to its time unit
            continue
        if ch == "-" and toks and toks[-1].type == "NUMBER" and toks[-1].end == pos and _LIMIT_AHEAD.match(folded, pos + 1):
            pos += 1  # '1.5-fold ULN': the hyphen joins a number to its multiplier
            continue
        if ch in "-~":
            toks.append(Tok("DASH", pos, pos + 1, ch))
            pos += 1
            continue
        m = _WORD.match(folded, pos)
        if m:
            # a word ends before a trailing full stop
            end = m.end()
            while end - 1 > pos and folded[end - 1] in ".,'":
                end -= 1
            toks.append(Tok("WORD", pos, end))
            pos = end
            continue
        toks.append(Tok("WORD", pos, pos + 1))  # anything else: one character, a word
        pos += 1
    return toks


_MINUTES = re.compile(r"min(?:ute)?s?|secs?|seconds?")
_PER_TIME = frozenset({"hours/week", "hours/day", "days/week"})
_TIME_AHEAD = re.compile(r"\s*(?:hours?|hrs?|days?|weeks?|wks?|months?|mos?|years?|yrs?|half[- ]?li(?:ves|fe)|y(?=/o|\.o))(?![a-z])|\s*y(?=o(?![a-z]))")


# a multiple of a normal limit written without a space: '2xULN', '≤2× upper limit of normal'
_LIMIT_AHEAD = re.compile(rf"{_TIMES}{_WHOSE}(?:upper limit|lower limit|upper normal|normal upper|uln|lln|unl|iuln)(?![a-z])")


def _unit_or_time_at(folded: str, pos: int) -> bool:
    if _TIME_AHEAD.match(folded, pos) or _LIMIT_AHEAD.match(folded, pos):
        return True
    u = _unit_regex().match(folded, pos)
    return bool(u and u.end() > pos)


_STARTERS = {"OP", "WITHIN", "BETWEEN"}


_TERM_TYPES = ("CONDITION", "DRUG", "PROCEDURE", "MEASURE")


def _non_as_modifier(out: list[Tok]) -> None:
    """'non-palliative radiotherapy' is radiotherapy that is not palliative, not the absence
    of palliative radiotherapy: 'non' before a term of several words negates its first
    word only, which the grammar cannot say, so 'non' is left a word not understood.
    Before a one-word term ('non-smoker', 'non-pregnant') it negates the term. Before a
    word that is no term ('non-invasive bladder cancer') it makes an adjective of it: a
    kind of bladder cancer, not the absence of invasive bladder cancer."""
    for i, t in enumerate(out):
        if t.type != "NOT" or t.text.lower() != "non":
            continue
        j = i + 1
        if j < len(out) and out[j].text == "-":
            j += 1
        if j < len(out) and ((out[j].type in _TERM_TYPES and " " in out[j].text.strip()) or out[j].type == "WORD"):
            t.type = "WORD"


# words that narrow a condition ('stable', 'adequately treated': engine.parse types them
# modifiers) which a 'not' just before them turns round
_NOT_THE_WORDS_AFTER = frozenset(
    """stable treated resected excised cured adequately appropriately successfully curatively definitively
    completely surgically clinically neurologically radiologically radiographically""".split()
)


def _not_of_the_words_after(out: list[Tok]) -> None:
    """'Not adequately treated hypertension' is hypertension that was not adequately
    treated, not the absence of adequately treated hypertension (read so, an exclusion of
    it excluded every patient without hypertension): a 'not' just before words that narrow
    is one of those words, left not understood with them. ('No stable angina' is the
    absence of stable angina: 'no' stays the negation.)"""
    for i, t in enumerate(out[:-1]):
        if t.type == "NOT" and t.text.lower() == "not" and out[i + 1].type == "WORD" and out[i + 1].text.lower() in _NOT_THE_WORDS_AFTER:
            t.type = "WORD"


# 'who may only be included if', 'who are eligible if': the words that say the group
# named before them is let in on the condition after them
_ADMIT_WORDS = frozenset("may can will would are is be only".split())
_ADMITTED = frozenset("included eligible enrolled allowed permitted".split())


def _admitted_if(out: list[Tok]) -> None:
    """'Total bilirubin < ULN except for patients with Gilbert's syndrome who may only be
    included if the total bilirubin is <= 3.0 x ULN or direct bilirubin <= 1.5 x ULN': after
    an 'except', the group is let in on the condition that follows, which is what 'except
    for patients with G, who must have L' says (G and L, waived from the main limit). Read
    as 'G if L', the 'or' of the condition was split off, and a patient without Gilbert's
    syndrome, a total bilirubin of 2 x ULN and a normal direct bilirubin passed. The words
    become the comma of the other wording. Not outside an exception, where 'patients with G
    who are eligible if L' does not say what patients without G need."""
    excepted = False
    for i, t in enumerate(out):
        if t.type == "EXCEPT":
            excepted = True
        if not excepted or t.type != "WORD" or t.text.lower() != "who":
            continue
        j = i + 1
        while j < len(out) and out[j].type == "WORD" and out[j].text.lower() in _ADMIT_WORDS:
            j += 1
        if not (j < len(out) and out[j].type == "WORD" and out[j].text.lower() in _ADMITTED):
            continue
        k = j + 1 + (j + 1 < len(out) and out[j + 1].type == "WORD" and out[j + 1].text.lower() == "only")
        if not (k < len(out) and out[k].type == "IF"):
            continue
        first = i - 1 if out[i - 1].type == "COMMA" else i
        out[first] = Tok("COMMA", out[first].start, out[k].end, ",", ",")
        for m in range(first + 1, k + 1):
            out[m].type = "DROP"


# a part of a trial: 'phase Ib', 'part 2', 'cohort A', 'part 2B' (engine.parse reads the
# labels these make with the same numbers)
_PART_KINDS = frozenset(("phase", "part", "cohort", "arm"))
PART_NUMBER = r"(?:[a-z]?\d{1,2}[a-z]?|[a-h]|i{1,3}[ab]?|iv[ab]?)"
_PART_NUMBER = re.compile(PART_NUMBER)


def _phases_of_the_study(out: list[Tok]) -> None:
    """'PHASE IB AND II: ALT < 2.5 x ULN, ...' (NCT05319873), 'Part A and Part B: ...': the
    parts of the study a line is for, one label; the 'and' between them joined the label's
    first half to the requirement as a requirement of its own, so the line failed where the
    limit did, for a patient in a part it does not apply to. The 'and' becomes a word."""
    for i in range(2, len(out) - 1):
        t = out[i]
        if t.type not in ("AND", "OR") or (out[i - 2].text or "") not in _PART_KINDS or not _PART_NUMBER.fullmatch(out[i - 1].text or ""):
            continue
        after = out[i + 2] if (out[i + 1].text or "") in _PART_KINDS and i + 2 < len(out) else out[i + 1]
        if _PART_NUMBER.fullmatch(after.text or ""):
            t.type = "WORD"


def contextualize(toks: list[Tok]) -> list[Tok]:
    """Type tokens by their neighbours; whatever lacks its context becomes a WORD.

    After this pass the grammar accepts the sequence: no token stands where the LALR
    tables have no place for it.
    """
    return _contextualized([Tok(t.type, t.start, t.end, t.value, t.text, t.alt) for t in toks])


# the token types some reading of the first block of `_contextualized` needs before it acts
_AROUND_NUMBERS = frozenset({"NUMBER", "MEASURE", "UNIT", "TIMEUNIT", "ULN_BARE", "LLN_BARE", "WNL"})


def _contextualized(out: list[Tok]) -> list[Tok]:
    """`contextualize`, typing the tokens of `out` in place (`tokenize` hands over the ones
    `scan` just made, which nothing else holds: copying them was 1-2 % of parsing)."""
    _drop_list_marker(out)
    _non_as_modifier(out)
    _not_of_the_words_after(out)
    _admitted_if(out)
    _phases_of_the_study(out)
    # The readings in this block act only on a number, a measure, a unit, a time unit or a
    # normal limit (and make no other of them from plain words): over a criterion with none,
    # 6 of 10 in the corpus, they would change nothing (tests/test_parse7_speed.py checks
    # the block against running it always). A reading of plain words goes after the block.
    if not _AROUND_NUMBERS.isdisjoint({t.type for t in out}):
        out = _roman_scores(out)
        out = _bound_before_scale(out)
        _creatinine_by_its_bound(out)
        _pocket_beside_an_amniotic_fluid_index(out)
        _litres_after_a_volume(out)
        _total_score_of_a_scale(out)
        _scale_for_a_condition(out)
        _depth_of_a_bone_defect(out)
        out = _bound_on_a_scale_named_after(out)
        out = _score_on_items_of_a_scale(out)
        out = _sex_split_by_slash(out)
        _carbon_monoxide_after_ppm(out)
        _carbon_monoxide_of_a_diffusing_capacity(out)
        _phase_of_the_heart(out)
        out = _condition_by_its_bound(out)
        _change_from_baseline(out)
        _measure_of_another_quantity(out)
        _change_in_a_measure(out)
        _unit_cut_short(out)
        # '18 years of age or older': the age words between a duration and its postfix bound
        # say again what the bound says
        out = [
            t for i, t in enumerate(out)
            if not (t.type == "AGE" and 0 < i < len(out) - 1 and out[i - 1].type == "TIMEUNIT" and out[i + 1].type == "POSTOP")
        ]
        out = _bare_limits(out)
        out = _age_of_people(out)
    _not_the_condition(out)
    out = _study_as_anchor(out)
    n = len(out)

    def typ(i: int) -> str | None:
        return out[i].type if 0 <= i < n else None

    # time units and half-lives belong to a number before them
    for i, t in enumerate(out):
        if t.type == "WORD" and i + 1 < n and out[i + 1].type in ("TIMEUNIT", "HALFLIFE"):
            word = t.text
            if word in NUMBER_WORDS:
                t.type, t.value = "NUMBER", Decimal(NUMBER_WORDS[word])
    for i, t in enumerate(out):
        if t.type == "NUMBER" and typ(i + 1) == "WORD" and _MINUTES.fullmatch(out[i + 1].text or ""):
            # 'exercise for at least 30 minutes': a duration no window or bound here reads
            # (minutes are no time unit of the grammar); as a bare number it would bound the
            # measure before it ('physical activity >= 30') without its unit
            t.type = "WORD"
    for i, t in enumerate(out):
        if t.type in ("TIMEUNIT", "HALFLIFE") and typ(i - 1) != "NUMBER":
            t.type = "WORD"
        if t.type in ("ULN", "LLN"):
            if typ(i - 1) == "NUMBER" or (typ(i - 1) == "UNIT" and typ(i - 2) == "NUMBER"):
                t.type = "ULN"
            else:
                t.type = "WORD"
        if t.type in ("ULN_BARE", "LLN_BARE"):
            # 'ALT < 2.5 ULN': a multiple of the normal limit written without 'x'
            t.type = "ULN" if typ(i - 1) == "NUMBER" else "WORD"
    out = _range_to_an_upper_bound(out)
    out = _between_ends_in_brackets(out)
    n = len(out)
    # ranges: number (unit) -|~|to number
    for i, t in enumerate(out):
        if t.type == "DASH" or (t.type == "WORD" and t.text == "to"):
            left_ok = typ(i - 1) in ("NUMBER", "UNIT", "TIMEUNIT", "ULN")
            right_ok = typ(i + 1) == "NUMBER"
            t.type = "RANGE_SEP" if left_ok and right_ok else "WORD"
    # '= 18.5-29.9 kg/m2': an operator before a range; '=' says the range, any other is not understood
    for i, t in enumerate(out):
        j = _quantity_end(out, i + 1) if t.type == "OP" else None
        if j is not None and typ(j) == "RANGE_SEP":
            t.type = "DROP" if t.value == "=" else "WORD"
        # 'CRAFFT = 2 or higher': the postfix operator says the bound, the '=' only joins
        # it to its measure (read alone it would be '= 2', a wrong bound)
        elif j is not None and typ(j) == "POSTOP" and t.value == "=":
            t.type = "DROP"
    # 'between a and b'
    for i, t in enumerate(out):
        if t.type == "BETWEEN" and typ(i + 1) == "AGE" and typ(i + 2) == "NUMBER":
            t.type = "DROP"  # 'between age 18-65': the range says the between
        elif t.type == "BETWEEN":
            j = _quantity_end(out, i + 1)
            if j is not None and typ(j) == "AND" and _quantity_end(out, j + 1) is not None:
                out[j].type = "RANGE_AND"
            else:
                t.type = "WORD"
    # operators need a number; postfix operators a quantity before them
    for i, t in enumerate(out):
        if t.type == "OP" and typ(i + 1) != "NUMBER":
            t.type = "WORD"
        if t.type == "POSTOP" and typ(i - 1) not in ("NUMBER", "UNIT", "TIMEUNIT", "ULN", "HALFLIFE"):
            t.type = "WORD"
    # '>= 18 and <= 75': two bounds joined by and make a range
    for i, t in enumerate(out):
        if t.type == "AND" and typ(i + 1) == "OP":
            k = i - 1
            while k >= 0 and out[k].type in ("UNIT", "TIMEUNIT", "ULN", "HALFLIFE"):
                k -= 1
            if typ(k) == "NUMBER" and typ(k - 1) == "OP" and _op_dir(out[k - 1].value) != _op_dir(out[i + 1].value):
                t.type = "RANGE_AND"
    # durations: 'or' between two durations, 'whichever is longer' after one
    for i, t in enumerate(out):
        if t.type == "OR" and typ(i - 1) in ("TIMEUNIT", "HALFLIFE") and typ(i + 1) == "NUMBER" and typ(i + 2) in ("TIMEUNIT", "HALFLIFE"):
            t.type = "DUR_OR"
        if t.type == "COMMA" and typ(i + 1) == "LONGER":
            t.type = "DROP"
        if t.type == "LPAR" and typ(i + 1) == "LONGER" and typ(i + 2) == "RPAR":
            t.type = out[i + 2].type = "DROP"  # '4 weeks or 5 half-lives (whichever is shorter)'
    for i, t in enumerate(out):
        if t.type == "LONGER" and _prev(out, i) not in ("TIMEUNIT", "HALFLIFE"):
            t.type = "WORD"
    # 'within' needs a duration; 'prior to' an anchor after a duration
    for i, t in enumerate(out):
        if t.type == "WITHIN" and not (typ(i + 1) == "NUMBER" and typ(i + 2) in ("TIMEUNIT", "HALFLIFE")):
            t.type = "WORD"
        if t.type == "PRIOR":
            before = _prev(out, i)
            if typ(i + 1) == "ANCHOR" and before in ("TIMEUNIT", "HALFLIFE", "LONGER"):
                pass
            else:
                t.type = "HIST" if t.text in ("prior", "previous", "past") else "WORD"
    # consent named anywhere but as a window's anchor is the consent criterion itself
    # ('able to provide written informed consent'): the study team's to assess
    for i, t in enumerate(out):
        if t.type == "HIST" and t.text.lower().startswith("diagnos") and _window_of_the_same_clause(out, i):
            # 'Diagnosis of type 2 diabetes in the last 12 months': when it was diagnosed, not
            # a history of it (engine.evaluate reads the window as the onset's)
            t.type = "WORD"
        elif t.type == "ANCHOR" and typ(i - 1) != "PRIOR" and t.value == "first_dose" and _allergy_before(out, i):
            # 'Known hypersensitivity to study drug': what the allergy is to, not a time (as a
            # time it was dropped, and any allergy excluded)
            t.type = "WORD"
        elif t.type == "ANCHOR" and typ(i - 1) != "PRIOR":
            if t.alt is not None:
                t.type, t.value = t.alt
            elif t.value == "consent" and not (i > 0 and out[i - 1].text in _TIME_PREPOSITIONS and not _CONSENT_GIVEN.fullmatch(_words_before(out, i, 2))):
                t.type = "JUDGE"
    _whichever_bound(out)
    _window_of_becoming_pregnant(out)
    _arm_of_a_drug(out)
    # a range or postfix bound never continues a window: '2 weeks - 4 weeks' stays a range
    out = [t for t in out if t.type != "DROP"]
    _bound_before_measures_sharing_one(out)
    _organ_heading_inside_a_line(out)
    _case_of_a_bound(out)
    return out



_BOUND_ENDS = frozenset(("NUMBER", "UNIT", "ULN", "LLN"))


def _bound_before_measures_sharing_one(out: list[Tok]) -> None:
    """'total bilirubin < 1.5 X ULN alanine aminotransferase or aspartate aminotransferase <
    2.5 X ULN' (NCT03920033): a lab table run on without commas, its next row two measures
    sharing one bound. Unmarked, the 'or' of that row split the whole line, and AST alone
    passed it, bilirubin unchecked; a comma after the first bound ends its row, as a comma
    written there does."""
    i = 1
    while i + 3 < len(out):
        if (
            out[i].type == "MEASURE"
            and out[i - 1].type in _BOUND_ENDS
            and out[i + 1].type in ("OR", "AND")
            and out[i + 2].type == "MEASURE"
            and out[i + 3].type == "OP"
            and _after_a_measures_bound(out, i)
        ):
            out.insert(i, Tok("COMMA", out[i - 1].end, out[i].start, ",", ","))
            i += 1
        i += 1


def _after_a_measures_bound(out: list[Tok], i: int) -> bool:
    """Whether a measure's own bound ends just before `i` ('total bilirubin < 1.5 X ULN'), not
    a bound written before its measure ('<1.25x ULN creatinine or creatinine clearance ...')."""
    k = next((k for k in range(i - 2, max(-1, i - 6), -1) if out[k].type == "OP"), None)
    return k is not None and k > 0 and out[k - 1].type == "MEASURE"


# a laboratory bound's last token: not a bare number ('Adults over age 18 with diabetes')
_LAB_BOUND_ENDS = frozenset(("UNIT", "ULN", "LLN"))


def _case_of_a_bound(out: list[Tok]) -> None:
    """'ALT <= 3.0 x ULN or <= 5.0 x ULN with liver metastases or HCC' (NCT05070247): 'with'
    after a bound names whom the bound is for, as 'for patients with' does. As a plain
    word, the conditions after it were alternatives of their own, and HCC alone passed
    the line whatever the transaminases."""
    for i in range(1, len(out) - 1):
        if out[i].type == "WORD" and out[i].text == "with" and out[i - 1].type in _LAB_BOUND_ENDS and out[i + 1].type == "CONDITION":
            out[i].type = "IF"


_ORGAN_HEADINGS = frozenset("renal hepatic hematologic hematological haematologic haematological hematology haematology coagulation liver kidney".split())
_ROW_STARTS = frozenset(("COMMA", "SEMI", "COLON", "LPAR", "OR", "AND"))


def _organ_heading_inside_a_line(out: list[Tok]) -> None:
    """'Hemoglobin >= 9.0 g/dL or >= 5.6 mmol/L Renal Creatinine OR Measured or calculated
    creatinine clearance ... Hepatic Total bilirubin <= 1.5 x ULN OR direct bilirubin ...'
    (NCT04563507): a lab table flattened into one line, an organ's name heading each row.
    Unmarked, the rows' own 'or's split the whole line, and a hemoglobin of 12 passed it with
    no creatinine nor bilirubin on record; a heading just before a measure starts a row."""
    i = 1
    while i + 1 < len(out):
        if out[i].type == "WORD" and out[i].text in _ORGAN_HEADINGS and out[i + 1].type == "MEASURE" and out[i - 1].type not in _ROW_STARTS:
            out.insert(i, Tok("SEMI", out[i - 1].end, out[i].start, ";", ";"))
            i += 1
        i += 1


_PATIENTS_WORDS = frozenset("patients patient subjects subject participants participant those".split())
_TREATED_WORDS = frozenset("treated receiving".split())


def _arm_of_a_drug(out: list[Tok]) -> None:
    """'active autoimmune disease for patients treated by avelumab' (NCT02630368): the
    patients of the arm given the drug in the trial, which the record cannot tell, not a
    treatment on record (read as one, the line asked for the disease and avelumab both). The
    'for' is the condition's, whose words stay words, as a cohort's label is read; only at
    the end of the text."""
    for i in range(1, len(out) - 3):
        if out[i].text.lower() != "for" or out[i + 1].text.lower() not in _PATIENTS_WORDS:
            continue
        treated = out[i + 2].text.lower()
        if not (treated in _TREATED_WORDS or treated in ("treated by", "treated with")):
            continue
        rest = out[i + 3 :] if " " in treated else out[i + 3 + (out[i + 3].text.lower() in ("by", "with")) :]
        if rest and all(t.type in ("DRUG", "WORD") for t in rest) and any(t.type == "DRUG" for t in rest) and not any(t.text in (".", ";", ",") for t in rest):
            out[i].type, out[i].value = "IF", None
            for t in out[i + 1 :]:
                t.type, t.value = "WORD", None


_WINDOW_TYPES = frozenset({"WITHIN", "NUMBER", "TIMEUNIT", "PRIOR", "ANCHOR"})


def _window_of_becoming_pregnant(out: list[Tok]) -> None:
    """'Pregnancy or desire to become pregnant within 12 months of the study': the window is
    the one the wish looks ahead to, not one of a pregnancy on record. Read as a record's, it
    went over the 'or' to the pregnancy too, and a pregnancy over 6 months ago excluded. Its
    words stay words of the wish."""
    for i in range(len(out) - 2):
        if out[i].text.lower() in ("become", "becoming", "get", "getting") and out[i + 1].text.lower().startswith("pregnan") and out[i + 2].type == "WITHIN":
            k = i + 2
            while k < len(out) and out[k].type in _WINDOW_TYPES:
                out[k].type = "WORD"
                k += 1


# 'whichever is greater' after two bounds, 'whichever is shorter' after two durations
_WHICHEVER = re.compile(r"whichever (?:is|was) (?:the )?(?P<which>greater|higher|older|later|shorter|sooner|earlier|less)\b")
_EITHER_BOUND = frozenset({"LPAR", "AGE"})


def _whichever_bound(out: list[Tok]) -> None:
    """'>= 18 years of age or the minimum legal adult age (whichever is greater)': both
    bounds hold, not either (read as an 'or', any adult passed what the record cannot tell);
    the 'or' is an 'and' and the phrase, said by it, goes. 'Chemotherapy within 21 days or at
    least 5 half-lives (whichever is shorter)': the window is the shorter, so a treatment is
    in it only where it is within both (read as an 'or', chemotherapy 15 days ago excluded);
    the 'or' is an 'and'. The clean '4 weeks or 5 half-lives' is one window already (DUR_OR);
    'whichever is longer' of two windows is either of them, as 'or' reads it."""
    for w, t in enumerate(out):
        found = _WHICHEVER.match(" ".join(x.text.lower() for x in out[w : w + 4])) if t.text.lower().startswith("whichever") else None
        if found is None:
            continue
        o = next((k for k in range(w - 1, max(w - 16, 0), -1) if out[k].type in ("OR", "SEMI", "DUR_OR")), None)
        if o is None or out[o].type != "OR" or o < 2:
            continue
        b = o - 1
        while b > 0 and out[b].type in _EITHER_BOUND:
            b -= 1
        between = {x.type for x in out[o + 1 : w]}
        if found["which"] in ("greater", "higher", "older", "later"):
            # two lower bounds of age: the higher of them is both
            if out[b].type == "TIMEUNIT" and out[b - 1].type == "NUMBER" and b > 1 and _op_dir(out[b - 2].value) == 1 and "AGE" in between:
                out[o].type = "AND"
                for k in range(w, min(w + 4, len(out))):
                    if out[k].text.lower() in ("whichever", "is", "was", "the", found["which"]) or out[k].text.lower().startswith("whichever"):
                        out[k].type = "DROP"
                    if out[k].text.lower().endswith(found["which"]):
                        break
        elif out[b].type in ("TIMEUNIT", "HALFLIFE") and between & {"TIMEUNIT", "HALFLIFE"}:
            out[o].type = "AND"


# an item of the nursing-home Minimum Data Set 3.0: a section letter and four digits ('B0800')
_MDS_ITEM = re.compile(r"[a-z][0-9]{4}")
_CARE_PLACES = frozenset("home homes facility facilities".split())
# a condition's word that, before such a word, names something else
_NO_CONDITION_BEFORE = {"mds": _MDS_ITEM.fullmatch, "nursing": _CARE_PLACES.__contains__}


def _not_the_condition(out: list[Tok]) -> None:
    """Words the vocabulary reads as a condition that the word after them shows to be
    something else, made words: 'Understood By Others = <1 (MDS B0800)': MDS before an item
    code is the Minimum Data Set the item is scored in, not myelodysplastic syndrome (read
    so, the criterion asked for one and failed every other patient); 'Nursing home
    resident': 'nursing' before a home or a facility is the care given there, not
    breastfeeding (read so, a resident who is no nursing mother was let past the exclusion)."""
    for i, t in enumerate(out[:-1]):
        if t.type == "CONDITION" and t.text in _NO_CONDITION_BEFORE and out[i + 1].type == "WORD" and _NO_CONDITION_BEFORE[t.text](out[i + 1].text):
            t.type, t.value = "WORD", None


# 'within 4 weeks prior to study', 'within six weeks of the study.', 'before inclusion': the
# study, or inclusion in it, named alone after a duration and its 'prior to' (and nothing
# after it in the clause) is the time the patient enters it
_STUDY_ITSELF = frozenset({"study", "trial", "inclusion"})
_STUDY_ENTRY = frozenset({"inclusion", "entry", "start", "allocation"})  # ('before study inclusion')
_CLAUSE_ENDS = frozenset(("COMMA", "SEMI", "RPAR"))


def _study_as_anchor(out: list[Tok]) -> list[Tok]:
    """The out list with 'the study' of such a window one enrollment ANCHOR token; a word
    elsewhere ('participation in the study', 'inclusion criteria')."""
    merged: list[Tok] | None = None
    for i, t in enumerate(out):
        if t.type != "PRIOR" or i == 0 or out[i - 1].type not in ("TIMEUNIT", "HALFLIFE", "LONGER"):
            continue
        j = i + 2 if i + 2 < len(out) and out[i + 1].type == "WORD" and out[i + 1].text == "the" else i + 1
        if j >= len(out) or out[j].type != "WORD" or out[j].text not in _STUDY_ITSELF:
            continue
        if j + 1 < len(out) and out[j].text != "inclusion" and out[j + 1].type == "WORD" and out[j + 1].text in _STUDY_ENTRY:
            j += 1
        if j + 1 < len(out) and not (out[j + 1].type in _CLAUSE_ENDS or out[j + 1].text == "."):
            continue
        if merged is None:
            merged = list(out)
        merged[i + 1 : j + 1] = [Tok("ANCHOR", out[i + 1].start, out[j].end, "enrollment", text=" ".join(x.text for x in out[i + 1 : j + 1]))] + [Tok("DROP", 0, 0)] * (j - i - 1)
    return out if merged is None else [t for t in merged if t.type != "DROP"]


def _window_of_the_same_clause(out: list[Tok], i: int) -> bool:
    """A 'within' after token `i` with no connective or punctuation between them."""
    for u in out[i + 1 :]:
        if u.type == "WITHIN":
            return True
        if u.type in ("OR", "AND", "NOR", "COMMA", "SEMI", "COLON", "LPAR", "RPAR", "IF", "EXAMPLES", "UNLESS", "EXCEPT", "SLASH", "NOT"):
            return False
    return False


_ALLERGY_WORD = re.compile(r"allerg|hypersensitiv|intoleran|anaphyla|contraindicat|contra-indicat|reaction", re.IGNORECASE)


def _allergy_before(out: list[Tok], i: int) -> bool:
    """An allergy word among the few tokens before `i`, reaching `i` through 'to', 'of' or
    'the' and the like ('hypersensitivity to any of the study drugs')."""
    for k in range(i - 1, max(-1, i - 7), -1):
        if _ALLERGY_WORD.match(out[k].text):
            return True
        if out[k].text.lower() not in ("to", "of", "the", "any", "a", "an", "or", "and", "its", "their", "components", "component", "excipients", "ingredients", "known", "similar"):
            return False
    return False


def _range_to_an_upper_bound(out: list[Tok]) -> list[Tok]:
    """'children 2 to <12 years old', 'children 3-<5 years', 'Hb 7 to <=9 g/dL': a range whose
    upper end carries its own operator. The operator is taken into the separator (its value,
    read by engine.parse: '<' leaves the upper end out), so the grammar sees 'a to b'."""
    drop: set[int] = set()
    for i, t in enumerate(out[:-2]):
        if not (t.type == "DASH" or (t.type == "WORD" and t.text == "to")):
            continue
        if i == 0 or out[i - 1].type not in ("NUMBER", "UNIT", "TIMEUNIT", "ULN"):
            continue
        if not (out[i + 1].type == "OP" and out[i + 1].value in ("<", "<=") and out[i + 2].type == "NUMBER"):
            continue
        low = i - 1 if out[i - 1].type == "NUMBER" else i - 2
        if low > 0 and out[low - 1].type == "OP":
            if out[low - 1].value != ">=":
                continue  # '> 2 to < 12': a lower end left out, which a range cannot say
            drop.add(low - 1)  # 'Age >= 18 to < 76 years': the '>=' a range's lower end says
        t.value = out[i + 1].value
        drop.add(i + 1)
    return [t for k, t in enumerate(out) if k not in drop] if drop else out


def _between_ends_in_brackets(out: list[Tok]) -> list[Tok]:
    """'weighing between 50kg (inclusive) and 90kg (exclusive)': each end of a between says in
    brackets whether it is in the range. The brackets are taken into the BETWEEN token (its
    value: whether the lower and the upper end are in, read by engine.parse)."""
    drop: set[int] = set()

    def note(j: int | None) -> str | None:
        if j is not None and j + 2 < len(out) and out[j].type == "LPAR" and out[j + 2].type == "RPAR" and out[j + 1].text in ("inclusive", "exclusive"):
            return out[j + 1].text
        return None

    for i, t in enumerate(out):
        if t.type != "BETWEEN":
            continue
        j = _quantity_end(out, i + 1)
        low = note(j)
        a = j + 3 if low else j
        if a is None or a >= len(out) or out[a].type != "AND":
            continue
        k = _quantity_end(out, a + 1)
        high = note(k)
        if low or high:
            t.value = (low != "exclusive", high != "exclusive")
            drop.update(range(j, j + 3) if low else ())
            drop.update(range(k, k + 3) if high else ())
    return [t for k, t in enumerate(out) if k not in drop] if drop else out


def _bare_limits(out: list[Tok]) -> list[Tok]:
    """'Serum creatinine <= ULN', 'platelets >= LLN', 'bilirubin < the upper limit of normal
    (ULN)': a normal limit right after an operator is one times that limit. The 1 is a
    number of no width at the limit's start, so the bound is the one '<= 1 x ULN' gives."""
    typed: list[Tok] = []
    for i, t in enumerate(out):
        after_quantity = i > 1 and out[i - 2].type in ("NUMBER", "UNIT")  # '50% above the ULN' is not '> ULN'
        if t.type in ("ULN_BARE", "LLN_BARE") and i > 0 and out[i - 1].type == "OP" and not after_quantity and not _multiple_after(out, i + 1):
            typed.append(Tok("NUMBER", t.start, t.start, Decimal(1), ""))
            t = Tok("ULN", t.start, t.end, t.value, t.text)
        elif t.type == "WNL" and not _measure_before(out, i):
            t = Tok("WORD", t.start, t.end, None, t.text)  # 'laboratory values within normal limits': of what?
        elif t.type == "WNL":
            # 'bilirubin within normal limits': the range 1 x LLN - 1 x ULN, spelled by tokens
            # of no width but the last, which carries the phrase
            a = t.start
            typed += [
                Tok("NUMBER", a, a, Decimal(1), ""),
                Tok("ULN", a, a, "LLN", ""),
                Tok("DASH", a, a, "-", ""),
                Tok("NUMBER", a, a, Decimal(1), ""),
            ]
            t = Tok("ULN", a, t.end, "ULN", t.text)
        typed.append(t)
    return typed


# words between a measure and 'within normal limits' that say nothing more of it
_WNL_GAP = frozenset("level levels value values concentration concentrations is are be must should remain".split())


_PEOPLE = frozenset("patients patient subjects subject participants participant adults adult children individuals persons person people".split())


def _age_of_people(out: list[Tok]) -> list[Tok]:
    """'patients <18', 'Any patient ≥18 who presents', 'Women <18': a bound with no unit right
    after the people it speaks of, and nothing after it that could be its unit or measure,
    is their age in years (the age word, of no text, before the operator)."""
    for i in range(len(out) - 2, 0, -1):
        t, num, before = out[i], out[i + 1], out[i - 1]
        if t.type != "OP" or num.type != "NUMBER" or not (before.type == "SEX" or (before.type == "WORD" and before.text.lower() in _PEOPLE)):
            continue
        after = out[i + 2] if i + 2 < len(out) else None
        if after is not None and not (after.type in ("COMMA", "SEMI", "OR", "AND") or (after.type == "WORD" and after.text.lower() in (".", "who", "with"))):
            continue
        if after is not None and after.type in ("OR", "AND") and _unit_in_clause(out, i + 3):
            continue  # 'Patients ≥1 and ≤6 months after a myocardial infarction': a time since
        if not (num.text.isdigit() and 1 <= int(num.text) <= 120):
            continue
        out.insert(i, Tok("AGE", t.start, t.start))
    return out


def _unit_in_clause(out: list[Tok], i: int) -> bool:
    """A unit or a measure between `i` and the end of its clause."""
    for t in out[i:]:
        if t.type in ("COMMA", "SEMI"):
            return False
        if t.type in ("UNIT", "TIMEUNIT", "MEASURE", "ULN_BARE", "LLN_BARE"):
            return True
    return False


def _measure_before(out: list[Tok], i: int) -> bool:
    """Whether a measure is named right before position i: 'Total bilirubin within normal
    limits', 'Thyroid stimulating hormone (TSH) within institutional limits', 'Calcium levels
    within normal range'. A normal range belongs to a measure only."""
    j = i - 1
    while j >= 0:
        if out[j].type == "RPAR":
            depth = 0
            while j >= 0:
                depth += {"RPAR": 1, "LPAR": -1}.get(out[j].type, 0)
                j -= 1
                if depth == 0:
                    break
        elif out[j].type == "WORD" and out[j].text in _WNL_GAP:
            j -= 1
        else:
            return out[j].type == "MEASURE"
    return False


def _multiple_after(out: list[Tok], i: int) -> bool:
    """'Serum creatinine <= normal upper limit (ULN) 1.5times', '<= ULN x 2': a multiplier
    written after the limit; the limit alone is then not one times it."""
    if i >= len(out):
        return False
    text = out[i].text
    return out[i].type == "NUMBER" or text[:1].isdigit() or text in ("x", "\u00d7", "*", "times")


def _drop_list_marker(out: list[Tok]) -> None:
    """'15. History of ...', '1)Age: 20-35 years; 2) first parturients': a list item's number
    or letter, at the start of a criterion or of a clause after a semicolon (several items
    the record ran into one line), numbers the item; it says nothing of it."""
    for i in range(len(out) - 2):
        if i > 0 and not (out[i - 1].type == "SEMI" or out[i - 1].text == "."):
            continue
        first, mark, nxt = out[i], out[i + 1], out[i + 2]
        numbered = first.type == "NUMBER" and first.value == first.value.to_integral_value() and "." not in first.text
        lettered = len(first.text) == 1 and first.text.isalpha()
        spaced = nxt.start > mark.end or mark.text == ")"
        if (numbered or lettered) and mark.start == first.end and mark.text in (".", ")") and mark.type in ("WORD", "RPAR") and spaced:
            first.type = mark.type = "DROP"


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}
# words and signs that may stand between a scale's name and its values ('NYHA class III or IV',
# 'ASA classification III to V')
_SCALE_GAP = frozenset("class classes classification functional stage grade score of to".split())
_ROMAN_RANGE = re.compile(r"(i{1,3}|iv|vi?)-(i{1,3}|iv|vi?)")


def _roman_scores(out: list[Tok]) -> list[Tok]:
    """'NYHA class III or IV', 'ASA II-III': roman numerals after the name of a scale whose
    values they are (a measure with a `scale` in rules/vocab/measures.toml) are numbers."""
    on_scale = False
    typed: list[Tok] = []
    for t in out:
        pair = _ROMAN_RANGE.fullmatch(t.text) if on_scale and t.type == "WORD" else None
        if pair is not None:
            # 'III-IV' was scanned as one word: its two numbers and the dash between them
            a, b = t.start + pair.end(1), t.start + pair.start(2)
            typed += [
                Tok("NUMBER", t.start, a, Decimal(_ROMAN[pair.group(1)]), pair.group(1)),
                Tok("DASH", a, b, "-", "-"),
                Tok("NUMBER", b, t.end, Decimal(_ROMAN[pair.group(2)]), pair.group(2)),
            ]
            continue
        if t.type == "MEASURE":
            on_scale = _has_scale(str(t.value))
        elif on_scale and t.type == "WORD" and t.text in _ROMAN:
            t.type, t.value = "NUMBER", Decimal(_ROMAN[t.text])
        elif not (on_scale and (t.text in _SCALE_GAP or t.type in ("OR", "AND", "DASH", "OP", "NUMBER", "COMMA", "LPAR", "RPAR"))):
            on_scale = False
        typed.append(t)
    return typed


def _pocket_beside_an_amniotic_fluid_index(out: list[Tok]) -> None:
    """'oligohydramnios (defined as AFI < 5 or MVP < 2)': 'MVP' is left out of the vocabulary
    (it is also mitral valve prolapse), but before a bound, a few words after an amniotic
    fluid index, it is the maximum vertical pocket of the same ultrasound."""
    for i, t in enumerate(out[:-2]):
        if t.type == "WORD" and t.text == "mvp" and out[i + 1].type == "OP" and out[i + 2].type == "NUMBER":
            if any(x.type == "MEASURE" and x.value == "amniotic fluid index" for x in out[max(0, i - 5) : i]):
                t.type, t.value = "MEASURE", "maximum vertical pocket"


# units a creatinine is given in
_CREATININE_UNITS = frozenset({"mg/dL", "umol/L", "mmol/L", "mg/L"})


def _creatinine_by_its_bound(out: list[Tok]) -> None:
    """'BUN and Cr <= 1.5 x ULN', 'Cr >2.5 mg/dL': 'Cr' alone is left out of the vocabulary
    (it is also complete response), but before a bound in a creatinine's unit or against
    the normal limit it can only be creatinine."""
    for i, t in enumerate(out[:-2]):
        if t.type != "WORD" or t.text != "cr" or out[i + 1].type != "OP" or out[i + 2].type != "NUMBER":
            continue
        after = out[i + 3] if i + 3 < len(out) else None
        if after is not None and (after.type == "ULN" or (after.type == "UNIT" and after.value in _CREATININE_UNITS)):
            t.type, t.value = "MEASURE", "serum creatinine"


def _carbon_monoxide_after_ppm(out: list[Tok]) -> None:
    """'>/= 5 ppm CO': 'CO' alone is left out of the vocabulary (cardiac output), but right
    after a bound in parts per million it can only be exhaled carbon monoxide."""
    for i, t in enumerate(out[2:], start=2):
        if t.type == "WORD" and t.text == "co" and out[i - 1].type == "UNIT" and out[i - 1].value == "ppm" and out[i - 2].type == "NUMBER":
            t.type, t.value = "MEASURE", "exhaled carbon monoxide"


def _carbon_monoxide_of_a_diffusing_capacity(out: list[Tok]) -> None:
    """'diffusion capacity of carbon monoxide (DLCO) > 60%', 'Diffusing Capacity of Lung for
    Carbon Monoxide': the gas the lung's diffusing capacity is measured with, not the
    carbon monoxide a smoker breathes out; left a word."""
    for i, t in enumerate(out):
        if t.type == "MEASURE" and t.value == "exhaled carbon monoxide" and any(x.text == "capacity" for x in out[max(0, i - 5) : i]):
            t.type = "WORD"


# what 'systolic' or 'diastolic' alone may name besides a pressure ('Tricuspid annular plane
# systolic excursion', 'diastolic septal thickness', 'systolic function')
_HEART_PHASE_NOUNS = frozenset("excursion septal function dysfunction filling velocity volume diameter thickness".split())


def _phase_of_the_heart(out: list[Tok]) -> None:
    """'systolic'/'diastolic' written alone are a blood pressure, except before a word that
    makes them a phase of the heart's cycle: then they are left words."""
    for i, t in enumerate(out[:-1]):
        if t.type == "MEASURE" and t.text in ("systolic", "diastolic") and out[i + 1].text in _HEART_PHASE_NOUNS:
            t.type = "WORD"


# Conditions named for a low or high value of one measure: followed at once by a bound in
# that measure's unit ('Thrombocytopenia <150 G / L', 'anemia < 7g/DL'), the bound says
# what the text means by the condition, and it is the measure that is bounded.
_CONDITION_MEASURE = {
    "thrombocytopenia": "platelet count",
    "anemia": "hemoglobin",
    "neutropenia": "absolute neutrophil count",
    "hypokalemia": "potassium",
    "hypercalcemia": "calcium",
    "pregnancy": "gestational age",
}
# the same, for names the vocabulary has no condition for (so the scanner leaves them words)
_WORD_MEASURE = {
    "thrombocytosis": "platelet count",
    "fever": "body temperature",
    # 'MD <= 10 dB': 'MD' is a doctor as often; before a bound in decibels, a visual field
    "md": "visual field mean deviation",
    # 'leukocyturia > 10 / mm3': leukocytes counted in a volume of urine
    "leukocyturia": "urine white blood cell count",
    "leucocyturia": "urine white blood cell count",
    # 'drinks > 6 caffeinated drinks per day': the verb, bounded in caffeinated drinks
    "drinks": "caffeine intake",
    # 'MRD >= 1% at day 46': a share of the marrow's cells, only when bounded in %
    "mrd": "minimal residual disease percentage",
    # 'Cervical lymphadenopathy (>1.5cm diameter)': a node's size, only when bounded in a length
    "lymphadenopathy": "lymph node diameter",
}
# the noun a bracketed bound may end with, naming what of the measure it bounds
_MEASURE_NOUN = {"lymph node diameter": "diameter"}


def _condition_by_its_bound(out: list[Tok]) -> list[Tok]:
    """'Thrombocytopenia <150 G / L': the condition named for the measure its bound is in,
    and nothing else, is that measure (engine.parse reads the unit again in the text's own
    case: 'G/L' is giga-cells, and a count read here as grams is then no count and not
    compared). 'thrombocytopenia (<50,000/ul)': the bracket is the condition's definition
    with its measure left unsaid, read as 'thrombocytopenia (platelet count < 50,000/ul)' is
    (a diagnosis and its definition: engine.screen keeps one without the other unknown)."""
    from engine import units

    inserted: dict[int, Tok] = {}
    for i, t in enumerate(out):
        measure = _CONDITION_MEASURE.get(str(t.value)) if t.type == "CONDITION" else _WORD_MEASURE.get(t.text) if t.type == "WORD" else None
        if measure is None:
            continue
        bracket = i + 1 < len(out) and out[i + 1].type == "LPAR"
        j = i + 2 if bracket else i + 1
        if not (j + 2 < len(out) and out[j].type == "OP" and out[j + 1].type == "NUMBER" and out[j + 2].type in ("UNIT", "TIMEUNIT")):
            continue
        # 'lymphadenopathy (>1.5cm diameter)': the measure's own noun may close the bracket
        close = j + 4 if bracket and j + 3 < len(out) and out[j + 3].type == "WORD" and out[j + 3].text == _MEASURE_NOUN.get(measure) else j + 3
        if bracket and not (close < len(out) and out[close].type == "RPAR"):
            continue  # the bracket holds the bound and nothing else
        if out[j + 2].type == "TIMEUNIT":
            # 'Pregnant (>20 weeks)': weeks of a pregnancy, only in brackets
            if bracket and measure == "gestational age" and out[j + 2].text in ("week", "weeks", "wk", "wks"):
                inserted[j] = Tok("MEASURE", out[j].start, out[j].start, measure, "")
            continue
        if measure == "gestational age":
            continue
        unit, target = str(out[j + 2].value), _unit_of(measure)
        if target is None:
            continue
        molar = load_vocabulary().get("measure", measure).molar_mass
        try:
            fits = units.comparable(target, unit, molar_mass=molar) or (unit == "g/L" and target == "10^9/L")
        except Exception:  # a unit the registry does not know: no reading
            fits = False
        if not fits:
            continue
        if bracket:
            inserted[j] = Tok("MEASURE", out[j].start, out[j].start, measure, "")
        else:
            t.type, t.value = "MEASURE", measure
    if not inserted:
        return out
    return [x for k, t in enumerate(out) for x in ((inserted[k], t) if k in inserted else (t,))]


# 'a SOFA score of >=2 points above baseline': how far the value moved from the patient's own
# baseline, which is no bound on the value itself (a SOFA of 3 may be 0 points above it); so
# too 'ALT <= 10% above upper limit of normal', a share of the limit, not a percentage of ALT
_FROM_BASELINE = frozenset("above over below under from".split())


def _change_from_baseline(out: list[Tok]) -> None:
    """A number followed by '(points) above|below|from baseline', or a percentage followed
    by 'above|below' a normal limit, is no value of the measure before it: the number, its
    unit and an operator before it are left words, so no bound is read and the words stay
    not understood."""
    for i, t in enumerate(out):
        j = _quantity_end(out, i) if t.type == "NUMBER" else None
        if j is None:
            continue
        k = j + 1 if j < len(out) and out[j].text in ("point", "points") else j
        if not (k + 1 < len(out) and out[k].text in _FROM_BASELINE):
            continue
        share = t is not out[j - 1] and out[j - 1].value == "%" and out[k + 1].type in ("ULN_BARE", "LLN_BARE")
        if not (out[k + 1].text.startswith("baseline") or share):
            continue
        for x in out[i - 1 if i > 0 and out[i - 1].type == "OP" else i : k + 1]:
            x.type = "WORD"  # 'above' too: no bare limit '> 1 x ULN' after it


# Words after a measure's name that make what is bounded another quantity: a ratio of two
# measures ('BUN/creatinine ratio > 20', 'urine protein to creatinine ratio < 1'), or a
# change over time ('weight loss > 10%', 'weight change more than 3 kg').
_ANOTHER_QUANTITY = frozenset("ratio loss gain change changes fluctuation fluctuations".split())


def _measure_of_another_quantity(out: list[Tok]) -> None:
    """The measure named before one of those words is no measure here, nor one joined to
    it by a slash or 'to' ('albumin/creatinine ratio'): they are left words, so no bound is
    read on them and the words stay not understood."""
    for i, t in enumerate(out):
        if not (t.type == "WORD" and t.text in _ANOTHER_QUANTITY and i > 0 and out[i - 1].type in ("MEASURE", "WORD")):
            continue
        if out[i - 1].type == "WORD" and t.text != "ratio":
            continue
        k = i - 1  # 'FEV1/FVC ratio': the names of a ratio, one of them a measure or not
        while True:
            if out[k].type == "MEASURE":
                out[k].type = "WORD"
            if not (k >= 2 and (out[k - 1].type == "SLASH" or out[k - 1].text in ("to", "-")) and out[k - 2].type in ("MEASURE", "WORD")):
                break
            k -= 2


# Words for a change that name the measure after them: 'no decrease in LVEF by >15%',
# 'a decline in GFR of >10%', 'change in Hb level >= 2 g/dL'.
_CHANGE_WORDS = frozenset(
    "decline declines decrease decreases increase increases change changes variation variations "
    "fall falls drop drops rise rises reduction reductions fluctuation fluctuations".split()
)


def _change_in_a_measure(out: list[Tok]) -> None:
    """A change 'in' or 'of' a measure is bounded by how much it moved, not by the measure's
    value: the measure is left a word, unless 'to' gives the value it moved to ('a decrease
    in LVEF to <40%')."""
    for i, t in enumerate(out):
        if not (t.type == "MEASURE" and i >= 2 and out[i - 1].text in ("in", "of") and out[i - 2].text in _CHANGE_WORDS):
            continue
        j = i + 1
        if j + 2 < len(out) and out[j].type == "LPAR" and out[j + 2].type == "RPAR":
            j += 3  # 'a decrease in left ventricular ejection fraction (LVEF) to < 40%'
        while j < len(out) and out[j].text in ("level", "levels", "value", "values"):
            j += 1
        if not (j < len(out) and out[j].text == "to"):
            t.type = "WORD"


def _unit_cut_short(out: list[Tok]) -> None:
    """'eGFR<30ml/m', 'Creatinine Clearance >= 45 mL/mina', 'LV mass of at least 5
    g/m2/year': a unit glued to a slash and more letters or digits, or to more letters or a
    product dot ('kg\u2219m-2'), that make no unit of it is a unit only partly read ('30 mL'
    is no clearance, '5 g/m2' no rate): the number and the part read are left words, so no
    bound is read in the wrong unit."""
    for i, t in enumerate(out):
        if not (t.type == "UNIT" and 0 < i < len(out) - 1 and out[i - 1].type == "NUMBER"):
            continue
        nxt, rest = out[i + 1], out[i + 2] if i + 2 < len(out) else None
        if nxt.type == "SLASH" and nxt.start == t.end and rest is not None and rest.start == nxt.end and rest.type in ("WORD", "NUMBER"):
            out[i - 1].type = t.type = "WORD"
        elif nxt.type == "WORD" and nxt.start == t.end and (nxt.text[:1].isalpha() or nxt.text[:1] in "%\u2219\u00b7\u22c5"):
            out[i - 1].type = t.type = "WORD"  # 'BMI 18.5-29.9 kg\u2219m-2', 'hemoglobin <10gm%'


def _bound_on_a_scale_named_after(out: list[Tok]) -> list[Tok]:
    """'Greater than Stage 3 on the Hoehn & Yahr Classification': a bound on a scale's
    value, the scale named after it ('on the ...'). Read as 'Hoehn & Yahr > 3': the name
    stands (with no width) before the operator, and the words that carried it are read."""
    inserted: dict[int, Tok] = {}
    for i, t in enumerate(out):
        if t.type != "OP" or i + 4 >= len(out):
            continue
        if not (out[i + 1].type == "WORD" and out[i + 1].text in ("stage", "grade", "class", "score", "level") and out[i + 2].type == "NUMBER"):
            continue
        if _more_values(out, i + 3) or not (out[i + 3].type == "WORD" and out[i + 3].text == "on"):
            continue
        k = i + 4 + (out[i + 4].type == "WORD" and out[i + 4].text == "the")
        if not (k < len(out) and out[k].type == "MEASURE" and _has_scale(str(out[k].value))):
            continue
        if k + 1 < len(out) and out[k + 1].type in ("OP", "NUMBER"):
            continue  # the scale has a bound of its own
        inserted[i] = Tok("MEASURE", t.start, t.start, out[k].value, "")
        for d in (i + 1, *range(i + 3, k + 1)):
            out[d].type = "DROP"
    if not inserted:
        return out
    # the words read go now: the passes after this one look for a number right after an operator
    return [x for k, t in enumerate(out) for x in ((inserted[k], t) if k in inserted else (t,)) if x.type != "DROP"]


def _score_on_items_of_a_scale(out: list[Tok]) -> list[Tok]:
    """'A score of >=3 on PANSS item P1, P5 or P6': a bound on each item of a scale the list
    names, any one of them enough. The items after the first are named by their codes alone
    and are measures where the first one's name with the code is one ('panss item p5'); read
    as 'PANSS item P1 >= 3 or PANSS item P5 >= 3 or PANSS item P6 >= 3': the bound (no width)
    after each item, the commas the list's 'or', and the words that carried the bound read.
    Only a list of items the vocabulary knows, ending in 'or' (one item alone is read as the
    bound before a measure it is)."""
    terms = _terms()[0]
    for i, t in enumerate(out):
        if not (t.type == "OP" and i >= 2 and out[i - 1].text == "of" and out[i - 2].text == "score" and i + 3 < len(out)):
            continue
        if not (out[i + 1].type == "NUMBER" and out[i + 2].text == "on"):
            continue
        k = i + 3 + (out[i + 3].text == "the")
        if not (k < len(out) and out[k].type == "MEASURE" and _has_scale(str(out[k].value)) and " " in out[k].text):
            continue
        prefix = out[k].text.rsplit(" ", 1)[0]
        named, j = [], k + 1  # (separator, item, measure) after the first item
        while j + 1 < len(out) and out[j].type in ("COMMA", "OR") and out[j + 1].type == "WORD":
            hit = terms.get(f"{prefix} {out[j + 1].text}")
            if hit is None or hit[0] != "MEASURE" or not _has_scale(hit[1]):
                break
            named.append((j, j + 1, hit[1]))
            j += 2
        if not named or out[named[-1][0]].type != "OR" or (j < len(out) and out[j].type in ("AND", "COMMA", "OR", "OP", "NUMBER")):
            continue  # no list of items ending in 'or', or one going on ('P1, P5 or P6, and ...')
        for sep, item, measure in named:
            out[sep].type = "OR"
            out[item].type, out[item].value = "MEASURE", measure
        items = [k, *(item for _sep, item, _m in named)]
        start = i - 3 if i >= 3 and out[i - 3].text == "a" else i - 2
        for d in range(start, k):
            out[d].type = "DROP"
        op, number = out[i], out[i + 1]
        at = {m: out[m].end for m in items}
        made = [
            x
            for m, tok in enumerate(out)
            for x in ((tok, Tok("OP", at[m], at[m], op.value, ""), Tok("NUMBER", at[m], at[m], number.value, "")) if m in at else (tok,))
            if x.type != "DROP"
        ]
        return made
    return out


_SEX_LETTERS = {"f": ("female",), "m": ("male",), "female": ("female",), "male": ("male",), "women": ("female",), "men": ("male",)}


def _sex_split_by_slash(out: list[Tok]) -> list[Tok]:
    """'HDL-C: <50/40 mg/dl; F/M', 'Waist C >89/102 cm; F/M': one bound for each sex, the
    sexes named after in the same order. Read as '< 50 mg/dL for women, < 40 mg/dL for men'
    (engine.parse's case split), the sex words standing (with no width) after each bound."""
    n = len(out)
    for i in range(n - 8):
        op, a, slash, b, unit = out[i : i + 5]
        if not (op.type == "OP" and a.type == "NUMBER" and slash.type == "SLASH" and b.type == "NUMBER" and unit.type == "UNIT"):
            continue
        k = i + 5 + (out[i + 5].type in ("SEMI", "COMMA"))
        if k + 2 >= n or out[k + 1].type != "SLASH":
            continue
        first, second = (_SEX_LETTERS.get(out[k].text), _SEX_LETTERS.get(out[k + 2].text))
        if first is None or second is None or first == second or out[k].type not in ("WORD", "SEX") or out[k + 2].type not in ("WORD", "SEX"):
            continue
        if k + 3 < n and out[k + 3].type not in ("SEMI", "COMMA", "RPAR"):
            continue  # the sexes end the statement
        # the measure right before ('Waist C >89/102'), a colon between them dropped ('HDL-C: <50/40')
        before = i - 1 if i >= 1 and out[i - 1].type != "COLON" else i - 2
        if not (before >= 0 and (out[before].type == "MEASURE" or (before >= 1 and out[before - 1].type == "MEASURE" and out[before].type == "WORD"))):
            continue
        at, end = slash.start, unit.end
        made = [
            op, a, Tok("SEX", at, at, first, ""), Tok("COMMA", at, at, ",", ""),
            Tok("OP", b.start, b.start, op.value, ""), b, unit, Tok("SEX", end, end, second, ""),
        ]
        head = out[:i] if out[i - 1].type != "COLON" else out[: i - 1]
        return [*head, *made, *out[k + 3 :]]
    return out


def _total_score_of_a_scale(out: list[Tok]) -> None:
    """'Boston Bowel Prep Scale, total score <=2', 'UAS7 total score >= 16': 'total score'
    after the name of a scale, before its bound, names the scale's value again (the comma
    between them too)."""
    for i, t in enumerate(out):
        if t.type != "MEASURE" or not _has_scale(str(t.value)):
            continue
        j = i + 1 + (i + 1 < len(out) and out[i + 1].type == "COMMA")
        if j + 2 < len(out) and out[j].type == "WORD" and out[j].text == "total" and out[j + 1].type == "WORD" and out[j + 1].text == "score" and out[j + 2].type == "OP":
            for k in range(i + 1, j + 2):
                out[k].type = "DROP"


def _scale_for_a_condition(out: list[Tok]) -> None:
    """'Primary Care PTSD Screen for DSM-5 for post-traumatic stress disorder score >=10',
    'Patient Health Questionnaire (PHQ9) for depression score >=15': 'for <condition> score'
    after the name of a scale (or its abbreviation in brackets), before its bound, says what
    the scale screens for and names its value again. Read as the scale's bound: the
    condition is no diagnosis the criterion asks for (read so, a patient with a PHQ-9 of 20
    and no depression on record failed); after a scale the vocabulary does not know, the
    condition is left a word, so nothing of the criterion is decided."""
    for i, t in enumerate(out):
        if not (t.type == "WORD" and t.text == "for" and i + 3 < len(out) and out[i + 1].type == "CONDITION"):
            continue
        if not (out[i + 2].type == "WORD" and out[i + 2].text == "score" and out[i + 3].type == "OP"):
            continue
        scale = i - 2 if i >= 3 and out[i - 1].type == "RPAR" and out[i - 3].type == "LPAR" else i - 1
        if scale >= 0 and out[scale].type == "MEASURE" and _has_scale(str(out[scale].value)):
            for k in range(i, i + 3):
                out[k].type = "DROP"
        else:
            out[i + 1].type = "WORD"  # a scale not known ('GAD-73 Questionnaire'): all words


_BONE_DEFECT = frozenset("intraosseous intrabony infrabony".split())


def _depth_of_a_bone_defect(out: list[Tok]) -> None:
    """'intraosseous defect >= 3 mm in depth', '... defect >= 3 mm deep': the bound of the
    periodontal defect's depth, which the words after the quantity name (a defect's width is
    bounded in millimetres too: without them no reading). The defect's words are read as
    the measure, the depth's words after the bound read too."""
    for i, t in enumerate(out[:-5]):
        if not (t.type == "WORD" and t.text in _BONE_DEFECT and out[i + 1].text in ("defect", "defects")):
            continue
        if not (out[i + 2].type == "OP" and out[i + 3].type == "NUMBER" and out[i + 4].type == "UNIT" and out[i + 4].value == "mm"):
            continue
        after = [x.text for x in out[i + 5 : i + 7]]
        depth = 2 if after == ["in", "depth"] else 1 if after[:1] == ["deep"] else 0
        if not depth:
            continue
        t.type, t.value = "MEASURE", "intrabony defect depth"
        for d in (i + 1, *range(i + 5, i + 5 + depth)):
            out[d].type = "DROP"


def _litres_after_a_volume(out: list[Tok]) -> None:
    """'FEV1 > 0.8 L': a bare 'L' after a number is no unit in general ('2L' is a line of
    therapy), but right after the bound of a measure given in litres it can only be litres."""
    for i, t in enumerate(out[:-3]):
        if t.type != "MEASURE" or out[i + 1].type != "OP" or out[i + 2].type != "NUMBER":
            continue
        after = out[i + 3]
        if after.type == "WORD" and after.text in ("l", "liter", "liters", "litre", "litres") and _unit_of(str(t.value)) == "L":
            after.type, after.value = "UNIT", "L"


@lru_cache(maxsize=256)
def _unit_of(measure: str) -> str | None:
    concept = load_vocabulary().get("measure", measure)
    return concept.unit if concept is not None else None


def _bound_before_scale(out: list[Tok]) -> list[Tok]:
    """'heart failure greater than NYHA 2', 'Co-morbidity >ASA II', '> NYHA class II': an
    operator before the name of a scale and its value bounds that value. The operator is
    moved after the name (a token of no width before the number; its own text is dropped,
    read), so the grammar sees 'NYHA class > 2'."""
    typed = list(out)
    for i, t in enumerate(out):
        if t.type != "OP" or i + 2 >= len(out) or out[i + 1].type != "MEASURE" or not _has_scale(str(out[i + 1].value)):
            continue
        j = i + 2
        while j < len(out) and out[j].type == "WORD" and out[j].text in _SCALE_GAP - {"of", "to"}:
            j += 1
        if j < len(out) and out[j].type == "NUMBER" and not _more_values(out, j + 1):
            # a single value only: 'greater than NYHA II or III' is not one bound
            typed[i] = Tok("DROP", t.start, t.end, t.value, t.text)
            typed[j] = Tok("OP_AT", out[j].start, out[j].start, t.value, "")
    result: list[Tok] = []
    for k, t in enumerate(typed):
        if t.type == "OP_AT":
            result.append(Tok("OP", t.start, t.start, t.value, ""))
            result.append(out[k])
        else:
            result.append(t)
    return result


def _more_values(out: list[Tok], i: int) -> bool:
    """'II or III', 'II-III', 'II, III': another value of the scale follows."""
    return i + 1 < len(out) and out[i].type in ("DASH", "OR", "AND", "COMMA") and out[i + 1].type == "NUMBER"


@lru_cache(maxsize=256)
def _has_scale(measure: str) -> bool:
    concept = load_vocabulary().get("measure", measure)
    return concept is not None and concept.scale is not None


# 'Provision of informed consent', 'Express acceptance and signature of informed consent':
# the 'of' says whose act the consent is, not a time. (Not 'giving of informed consent',
# whose lines ('altered mental status that would prohibit the understanding and/or giving of
# informed consent') are restrictive clauses that, not understood, keep the conditions
# before them from deciding alone.)
_CONSENT_GIVEN = re.compile(r"(?:provision|signature) of", re.IGNORECASE)


def _words_before(out: list[Tok], i: int, n: int) -> str:
    """The texts of the `n` tokens before the i-th, joined by spaces."""
    return " ".join(t.text for t in out[max(0, i - n) : i])


# 'MI prior to informed consent': consent named as a point in time, not the consent criterion
_TIME_PREPOSITIONS = frozenset(
    "prior to|before|preceding|previous to|ahead of|of|after|since|until|from|at|by|following|upon|on|to|time of".split("|")
)


def _prev(out: list[Tok], i: int) -> str | None:
    j = i - 1
    while j >= 0 and out[j].type == "DROP":
        j -= 1
    return out[j].type if j >= 0 else None


def _op_dir(op: object) -> int:
    return 1 if op in (">=", ">") else -1 if op in ("<=", "<") else 0


def _quantity_end(out: list[Tok], i: int) -> int | None:
    """Index after a quantity starting at i (NUMBER then an optional unit), or None."""
    if i >= len(out) or out[i].type != "NUMBER":
        return None
    j = i + 1
    if j < len(out) and out[j].type in ("UNIT", "TIMEUNIT", "HALFLIFE"):
        j += 1
    if j < len(out) and out[j].type in ("ULN", "LLN"):
        j += 1
    return j


def tokenize(folded: str) -> list[Tok]:
    """Scan and type by context: the token stream the grammar reads."""
    toks = scan(folded)
    for t in toks:
        t.text = folded[t.start : t.end]
    toks = _contextualized(toks)
    if "OR" in {t.type for t in toks}:
        _shared_head_noun(toks)
        toks = _shared_cell_type(toks)
        toks = _one_tense(toks)
    toks = _hepatitis_letters(toks, folded)
    _contraceptives_as_methods(toks)
    for t in toks:
        t.text = folded[t.start : t.end]
    balance(toks)
    _permission_in_brackets(toks, folded)
    return _permission_sentence(toks, folded)


# the nouns a condition's name ends in that an 'or' between adjectives shares
# ('impairment', 'dysfunction', 'insufficiency' are left out: the vocabulary reads 'hepatic
# impairment' as any liver disease, a hepatitis B carrier's too, which the words do not say)
_HEAD_NOUNS = frozenset("disease diseases disorder disorders illness illnesses condition conditions failure".split())


def _shared_head_noun(toks: list[Tok]) -> None:
    """'cardiac or pulmonary disease', 'psychiatric or substance abuse disorders': an
    adjective before 'or' shares the noun the condition after it ends in. Where the
    adjective and that noun name a condition of the vocabulary ('cardiac disease': heart
    disease), the adjective is that condition; left a word, 'cardiac' kept the whole 'or'
    unknown for patients with neither."""
    for i in range(len(toks) - 2):
        word, link, cond = toks[i], toks[i + 1], toks[i + 2]
        if word.type != "WORD" or link.type != "OR" or cond.type != "CONDITION" or not word.text.isalpha():
            continue
        words = cond.text.lower().split()
        after = toks[i + 3] if i + 3 < len(toks) else None
        if words[-1] in _HEAD_NOUNS and (len(words) == 2 or _condition_named(" ".join(words[:-1])) is not None):
            # only '<adjective> <noun>', or a condition named without its noun ('substance
            # abuse disorder'): in 'infectious or inflammatory bowel disease' what is shared is
            # 'bowel disease', and 'infectious disease' is not what it says
            noun, end = words[-1], i + 3
        elif after is not None and after.type == "WORD" and after.text.lower() in _HEAD_NOUNS:
            noun, end = after.text.lower(), i + 4
        else:
            continue
        nxt = toks[end] if end < len(toks) else None
        if nxt is not None and not (nxt.type in ("COMMA", "SEMI", "OR", "AND", "RPAR") or nxt.text in (".", ";")):
            # 'psychiatric or substance abuse disorder(s) that would interfere with informed
            # consent or ...' (NCT04834778): words after the noun may speak of both or of the
            # last alone; shared, any psychiatric diagnosis excluded by itself
            continue
        concept = _condition_named(f"{word.text.lower()} {noun}")
        if concept is not None:
            word.type, word.value = "CONDITION", concept


def _one_tense(toks: list[Tok]) -> list[Tok]:
    """'ongoing or active infection', 'uncontrolled or active infection': two words of the
    present joined by 'or' say what the wider of them says alone, its ACTIVE word (an
    uncontrolled one is going on); the narrower and the 'or' are dropped. Read apart, the
    first stood alone as a word not understood among the alternatives."""
    drop: set[int] = set()
    for i in range(1, len(toks) - 1):
        if toks[i].type == "OR" and toks[i - 1].type == "ACTIVE" and toks[i + 1].type == "ACTIVE" and i - 1 not in drop:
            narrower = i + 1 if toks[i + 1].text.lower() == "uncontrolled" else i - 1
            drop |= {narrower, i}
    return [t for k, t in enumerate(toks) if k not in drop] if drop else toks


def _shared_cell_type(toks: list[Tok]) -> list[Tok]:
    """'adequately treated basal cell or squamous cell skin cancer', 'basal or squamous cell
    carcinoma of the skin': the cell type before 'or' shares the rest of the cancer named
    after it ('basal cell skin cancer'), where that is a condition of the vocabulary. Left
    words, 'basal cell' kept an exception of both skin cancers unknown for everyone."""
    out = toks
    for i in range(1, len(toks) - 1):
        link, cond = toks[i], toks[i + 1]
        if link.type != "OR" or cond.type != "CONDITION":
            continue
        words = cond.text.lower().split()
        if len(words) < 3 or words[1] != "cell":
            continue
        two = i >= 2 and toks[i - 1].type == "WORD" and toks[i - 1].text.lower() == "cell"
        first = toks[i - 2] if two else toks[i - 1]
        if first.type != "WORD" or not first.text.isalpha() or first.text.lower() == words[0]:
            continue
        concept = _condition_named(" ".join([first.text.lower(), *words[1:]]))
        if concept is None:
            continue
        if out is toks:
            out = list(toks)
        out[i - 2 if two else i - 1] = Tok("CONDITION", first.start, toks[i - 1].end, concept, text=" ".join(t.text for t in toks[i - 2 if two else i - 1 : i]))
        if two:
            out[i - 1] = Tok("DROP", 0, 0)
    return out if out is toks else [t for t in out if t.type != "DROP"]


def _condition_named(words: str) -> str | None:
    """The condition the words alone are the whole name of, or None."""
    found = _match_term(words, 0)
    return found[2] if found is not None and found[0] == len(words) and found[1] == "CONDITION" else None


_HEPATITIS = {"a": "hepatitis a", "b": "hepatitis b", "c": "hepatitis c", "d": "hepatitis d", "e": "hepatitis e"}
_HEPATITIS_LINKS = ("OR", "AND", "COMMA", "SLASH")


def _hepatitis_letters(toks: list[Tok], folded: str) -> list[Tok]:
    """'hepatitis B or C', 'HIV, hepatitis B, C': a letter after a hepatitis and a connective
    is the next hepatitis (its 'infection' after it with it), not a word not understood."""
    if not any(t.type == "CONDITION" and str(t.value).startswith("hepatitis ") for t in toks):
        return toks  # a letter is read only after a hepatitis (one made here needs one before it)
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        prev = out[-1] if out else None
        before = out[-2] if len(out) > 1 else None
        letter = folded[t.start : t.end]
        if (
            t.type == "WORD" and letter in _HEPATITIS and prev is not None and prev.type in _HEPATITIS_LINKS
            and before is not None and before.type == "CONDITION" and str(before.value).startswith("hepatitis ")
            and _HEPATITIS[letter] in _condition_names()
        ):
            end = t.end
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is not None and folded[nxt.start : nxt.end] in ("infection", "infections", "virus", "virus infection"):
                end = nxt.end
                i += 1  # 'hepatitis B or C infection': the infection is the hepatitis's
            out.append(Tok("CONDITION", t.start, end, _HEPATITIS[letter]))
        else:
            out.append(t)
        i += 1
    return out


def _contraceptives_as_methods(toks: list[Tok]) -> None:
    """In a criterion about contraception ('A highly effective birth control method is one ...
    Such methods include: combined hormonal contraception; ...'), hormonal contraceptives are
    methods the study team accepts, not drugs the patient must be on: the contraception
    judgment's. Elsewhere ('Current use of hormonal contraceptives') they stay drugs."""
    if not any(t.type == "JUDGE" and t.value == "contraception" for t in toks):
        return
    methods = _contraceptive_names()
    for t in toks:
        if t.type == "DRUG" and t.value in methods:
            t.type, t.value = "JUDGE", "contraception"


@lru_cache(maxsize=1)
def _contraceptive_names() -> frozenset[str]:
    vocab = load_vocabulary()
    cls = vocab.get("drug_class", "hormonal contraceptive")
    return frozenset([cls.name, *(c.name for c in vocab.descendants(cls))]) if cls is not None else frozenset()


@lru_cache(maxsize=1)
def _condition_names() -> frozenset[str]:
    return frozenset(c.name for c in load_vocabulary().concepts("condition"))


# 'are permitted', 'can be included', 'may participate', 'eligible': the words of a permission
_PERMISSION = re.compile(
    r"\b(?:allowed|permitted|permissible|acceptable|eligible|"
    r"(?:can|may|could|will|would)\s+(?:also\s+|still\s+)?(?:be\s+)?(?:included|enrolled|accepted|participate|enrol+|enter))\b"
)
_REFUSAL = re.compile(r"\b(?:not|never|no|nor|cannot|can't|ineligible)\b")


def _permission_in_brackets(toks: list[Tok], folded: str) -> None:
    """'Total bilirubin <= 1.5 x ULN (patients with Gilbert's syndrome ... are permitted)',
    'TSH <= ULN (... the patient can be included if T3, T4 levels is normal)': a bracket
    that permits what the text before it rules out waives it for some patients, as 'unless'
    does; read as requirements its words made every patient without Gilbert's syndrome
    fail. The bracket becomes 'unless' and its words one piece not understood, so it can
    only relax the criterion. A bracket that refuses ('not allowed') is left as it is, and
    so is a criterion that already has an 'unless' or 'except' (the grammar takes one)."""
    if any(t.type in ("UNLESS", "EXCEPT") for t in toks):
        return
    stack: list[int] = []
    for i, t in enumerate(toks):
        if t.type == "LPAR":
            stack.append(i)
        elif t.type == "RPAR" and stack:
            a = stack.pop()
            if stack or a == 0:
                continue  # only an outermost bracket with something before it
            if any(u.type in ("UNPARSED_LIT", "JUDGMENT_LIT") for u in toks[a + 1 : i]):
                continue  # canonical text ('«...»'): its brackets group, they say nothing
            inner = folded[toks[a].end : t.start]
            if not _PERMISSION.search(inner) or _REFUSAL.search(inner):
                continue
            for k in range(a + 1, i):
                toks[k].type, toks[k].value = "WORD", None
            if all(u.type in ("COMMA", "SEMI") or u.text in (".", ",", ";") for u in toks[i + 1 :]):
                toks[a].type, toks[a].value = "UNLESS", None
                del toks[i:]  # the closing bracket, and the punctuation after it
                return
            # more follows, which an 'unless' here would take into the waiver: the bracket
            # stays one piece not understood beside what it speaks of


# whom a sentence after the criterion lets in: 'Patients with', 'Subjects who', 'However, those on'
_PERMITTED_GROUP = re.compile(
    r"(?:however,?\s+|note:\s*)?(?:patients|participants|subjects|those|individuals|people|women|men)\s+"
    r"(?:with|who|whose|that|on|in|having|receiving|treated|previously)\b"
)
# 'are not eligible', 'cannot be enrolled', 'will be excluded': the sentence refuses, not permits
_REFUSED = re.compile(
    r"\b(?:not|never)\s+(?:be\s+)?(?:allowed|permitted|permissible|acceptable|eligible|included|enrolled|accepted)\b"
    r"|\bineligible\b|\bexclu(?:ded|sion)\b|\bcannot\s+(?:be\s+)?(?:included|enrolled|accepted|participate)\b"
)
# 'eligible for surgery', 'eligible to receive': a patient's fitness, not the study's permission
_FIT_FOR = re.compile(r"\s+(?:for|to)\s+(?!(?:this|the|our)\s+(?:study|trial|protocol)|(?:the\s+)?(?:study|trial)\b|enrol|particip|randomi[sz]|inclusion|recruit|entry|screening)")


def brackets_open(text: str, at: int) -> int:
    """How many brackets are open at `at`."""
    return sum(1 if c in "([" else -1 if c in ")]" else 0 for c in text[:at])


def _permits(sentence: str) -> bool:
    """A sentence that lets a group in: 'Patients with treated brain metastases are eligible'
    (the permission its own, not a bracket's: 'Patients with active brain metastases ...
    (those treated could be enrolled)' rules out)."""
    body = sentence.strip().rstrip(" .;")
    if not _PERMITTED_GROUP.match(body):
        return False
    permits = next((m for m in _PERMISSION.finditer(body) if brackets_open(body, m.start()) == 0), None)
    return permits is not None and not _REFUSED.search(body) and not _FIT_FOR.match(body, permits.end())


def _permission_sentence(toks: list[Tok], folded: str) -> list[Tok]:
    """'Current known infection with HIV, HBV or HCV. Patients with past or resolved HBV
    infection (...) are eligible', 'Active autoimmune disease ...; subjects with vitiligo,
    psoriasis ... are eligible', 'Active brain metastases. Patients with brain metastases
    treated ... are eligible': the last sentence lets in some of the patients the text
    before it rules out, as 'unless' does. Read as a sentence of its own it was one more
    requirement, and in an exclusion it ruled out the very patients it lets in (a past
    hepatitis B excluded). The sentence becomes 'unless' and its words one piece not
    understood, as a permitting bracket does (`_permission_in_brackets`): it can only relax
    the criterion, never decide it. Only permissions to the end of the text (one sentence
    or more), after something they can waive, in a criterion with no 'unless' or 'except'
    of its own."""
    if _PERMISSION_WORDS.lacks(folded):  # no sentence of it can permit (parse16)
        return toks
    if any(t.type in ("UNLESS", "EXCEPT", "UNPARSED_LIT", "JUDGMENT_LIT") for t in toks):
        return toks
    for i, t in enumerate(toks):
        if i == 0 or not (t.type == "SEMI" or (t.type == "WORD" and t.text == ".")):
            continue
        if not all(_permits(sentence) for sentence in re.split(r"(?<=[.;])\s+", folded[t.end :].strip())):
            continue  # not only groups let in to the end of the text
        if not any(u.type in _TERM_TYPES for u in toks[:i]):
            continue  # nothing before it to waive
        for k in range(i + 1, len(toks)):
            toks[k].type, toks[k].value = "WORD", None
        t.type, t.value = "UNLESS", None
        # the stops between the permissions, which would end the waiver at the first
        return [*toks[: i + 1], *(u for u in toks[i + 1 : -1] if u.text not in (".", ";")), *toks[-1:]]
    return toks


def balance(toks: list[Tok]) -> None:
    """Unmatched brackets become words, so every bracket the grammar sees has its pair."""
    stack: list[int] = []
    for i, t in enumerate(toks):
        if t.type == "LPAR":
            stack.append(i)
        elif t.type == "RPAR":
            if stack:
                stack.pop()
            else:
                t.type = "WORD"
    for i in stack:
        toks[i].type = "WORD"
    # an empty group '()' has nothing the grammar can hold
    for i in range(len(toks) - 1):
        if toks[i].type == "LPAR" and toks[i + 1].type == "RPAR":
            toks[i].type = toks[i + 1].type = "WORD"


# Guards of the passes `tokenize` makes of every criterion (branch parse16): the words a
# permission needs, asked of the whole text before its sentences are cut and read one by
# one (engine.prefilter; tests/test_parse16_speed.py compares with the plain pattern)
_PERMISSION_WORDS = needs_words(_PERMISSION)
