"""Conditions that Observations show where no condition record names them: the smoking status
US Core keeps as an Observation, a positive qualitative result that makes (or may make) a
diagnosis, and a measured value past the line that defines one. Data with their sources,
and the reading of a patient's observations for them; `engine.evaluate._condition` joins
what they say with the condition records (the fourteenth audit: 'no record of tobacco use
(closed world)' for an every-day smoker, 'no record of hepatitis b' for a positive HBsAg,
'no record of anemia' for a haemoglobin of 7.5 g/dL).

Conservative by design: a value or result decides a condition (TRUE) only where it is the
diagnosis under every definition trials give; where it only may be, the condition is
unknown; a normal or negative one never decides it absent (the records do, as before)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from engine import derive
from engine.nodes import Comparison, Threshold
from engine.patient import Observation, Patient

# --- smoking status ------------------------------------------------------------------------

# US Core Smoking Status profile (LOINC 72166-2 'Tobacco smoking status', Synthea's 'Tobacco
# smoking status NHIS' on every visit); 11367-0 'History of Tobacco use' in older records
SMOKING_STATUS_LOINC = frozenset({"72166-2", "11367-0"})

Smoking = Literal["current", "former", "never", "ever"]

# SNOMED CT values of the US Core smoking status value set (NHIS categories); 8517006 and
# 266919005 are the two the Synthea bundles in shared/data use (32 and 80 times)
SMOKING_VALUES: dict[str, Smoking] = {
    "449868002": "current",  # Smokes tobacco daily (current every day smoker)
    "428041000124106": "current",  # Occasional tobacco smoker (current some day smoker)
    "428071000124103": "current",  # Heavy tobacco smoker
    "428061000124105": "current",  # Light tobacco smoker
    "65568007": "current",  # Cigarette smoker
    "77176002": "ever",  # Smoker, current status unknown
    "8517006": "former",  # Ex-smoker (former smoker)
    "266919005": "never",  # Never smoked tobacco (never smoker)
}
# the NHIS wordings, for a status recorded as text only
SMOKING_TEXTS: dict[str, Smoking] = {
    "current every day smoker": "current",
    "every day smoker": "current",
    "current some day smoker": "current",
    "some day smoker": "current",
    "heavy tobacco smoker": "current",
    "light tobacco smoker": "current",
    "smoker, current status unknown": "ever",
    "former smoker": "former",
    "ex-smoker": "former",
    "never smoker": "never",
    "never smoked tobacco": "never",
}

# how long a status of current smoking speaks for today (the staleness of a measurement,
# derive.STALE_AFTER_DAYS): a smoker a year ago may have quit
SMOKING_CURRENT_DAYS = 365


def smoking_statuses(patient: Patient, as_of: date) -> list[tuple[Observation, Smoking]]:
    """The patient's dated smoking statuses on or before `as_of`, oldest first, each with
    what it says; statuses the table does not know ('Unknown if ever smoked') left out."""
    found = []
    for obs in patient.observations:
        if obs.date is None or obs.date > as_of or obs.unreadable:
            continue
        if not any(c.system == "loinc" and c.code in SMOKING_STATUS_LOINC for c in obs.codings):
            continue
        said = SMOKING_VALUES.get(obs.value_code.code) if obs.value_code is not None and obs.value_code.system == "snomed" else None
        if said is None and obs.value_text:
            said = SMOKING_TEXTS.get(obs.value_text.strip().lower())
        if said is not None:
            found.append((obs, said))
    found.sort(key=lambda f: f[0].date)
    return found


# --- positive qualitative results -------------------------------------------------------------


@dataclass(frozen=True)
class ResultRule:
    """A qualitative test whose positive result shows a condition: `defines` (the result is
    the diagnosis) or only may (a screening test, a marker that outlasts the disease).
    `current_days`: how long a positive result speaks for today; None: for good."""

    concept: str
    test: str
    loinc: frozenset[str]
    defines: bool
    current_days: int | None
    source: str


RESULT_RULES: tuple[ResultRule, ...] = (
    ResultRule(
        "hepatitis b", "hepatitis B surface antigen", frozenset({"5196-1", "5195-3"}), True, 183,
        "CDC, Interpretation of hepatitis B serologic test results: HBsAg positive is current HBV "
        "infection, acute or chronic; one that persists 6 months is chronic",
    ),
    ResultRule(
        "hepatitis c", "hepatitis C virus RNA", frozenset({"11259-9"}), True, 90,
        "CDC 2020 (MMWR 69(2)): detectable HCV RNA is current HCV infection; treatment cures in 8-12 weeks",
    ),
    ResultRule(
        "hepatitis c", "hepatitis C virus antibody", frozenset({"13955-0", "16128-1"}), False, None,
        "CDC 2020: anti-HCV positive is past or current infection (or a false positive); HCV RNA tells",
    ),
    ResultRule(
        "hiv infection", "HIV antibody/antigen screening test", frozenset({"7917-8", "7918-6", "56888-1", "75622-1"}), False, None,
        "CDC/APHL 2014 HIV testing algorithm: a reactive screening immunoassay needs a supplemental test",
    ),
    ResultRule(
        "pregnancy", "pregnancy test (hCG)", frozenset({"2106-3", "2118-8"}), False, 280,
        "a positive hCG test shows a pregnancy at the time of the test, which may have ended since "
        "(or a false positive, or an hCG-secreting tumour); a pregnancy lasts at most about 280 days",
    ),
)

# SNOMED CT qualifier values of a positive result, and the words for it
POSITIVE_CODES = frozenset({"10828004", "260373001", "11214006", "52101004"})  # positive, detected, reactive, present
POSITIVE_TEXTS = frozenset({"positive", "pos", "detected", "reactive", "present", "repeatedly reactive"})


def positive_results(patient: Patient, rule: ResultRule, as_of: date) -> list[Observation]:
    """The patient's positive results of the rule's test on or before `as_of`, oldest first."""
    found: list[Observation] = []
    if rule.loinc.isdisjoint(loinc_codes(patient)):  # none of the test's codes on record at all
        return found
    for obs in patient.observations:
        if obs.date is None or obs.date > as_of or obs.unreadable:
            continue
        if not any(c.system == "loinc" and c.code in rule.loinc for c in obs.codings):
            continue
        if obs.value_code is not None and obs.value_code.system == "snomed":
            positive = obs.value_code.code in POSITIVE_CODES
        else:
            positive = (obs.value_text or "").strip().lower() in POSITIVE_TEXTS
        if positive:
            found.append(obs)
    found.sort(key=lambda o: o.date)
    return found


def loinc_codes(patient: Patient) -> frozenset[str]:
    """Every LOINC code of the patient's observations (dated or not, readable or not), for
    the last patient asked: each leaf of a condition these rules read asked it again of
    every observation (374 for a Synthea patient), about 2 % of a warm screening of the
    corpus (speed13). Remembered by the patient's identity (patients are frozen; the entry
    holds the patient, so its id is not reused while remembered)."""
    global _LAST_LOINC
    last, codes = _LAST_LOINC
    if last is not patient:
        codes = frozenset(c.code for o in patient.observations for c in o.codings if c.system == "loinc")
        _LAST_LOINC = (patient, codes)
    return codes


_LAST_LOINC: tuple[Patient | None, frozenset[str]] = (None, frozenset())


# --- measured values ---------------------------------------------------------------------------


def _cmp(measure: str, op: str, value: str, unit: str | None) -> Comparison:
    return Comparison(measure=measure, op=op, threshold=Threshold(value=Decimal(value), unit=unit))  # type: ignore[arg-type]


@dataclass(frozen=True)
class ValueRule:
    """A measured value that makes a condition: past `is_` it is the diagnosis under every
    definition trials give (None: one value never is, a chronic diagnosis needs it to last or
    to be confirmed); past `may` it may be. Read from the latest value not too old to stand
    for today (`engine.evaluate._measure`), as a criterion with that threshold would be."""

    concept: str
    may: Comparison
    is_: Comparison | None
    source: str
    min_age_years: int = 0  # `is_` holds only from this age (an infant's normal values differ)
    # the condition is the state of the value, over once the value is normal again (a low
    # haemoglobin, not a disease that treatment keeps in range, as hypertension or diabetes):
    # a value on the normal side of `may`, measured after a record's onset, disagrees with
    # the record left open (engine.evaluate `_normal_since_onset`)
    value_is_state: bool = False


def _renal_failure_values(concept: str) -> tuple[ValueRule, ...]:
    """A reduced clearance or eGFR that may be a 'renal failure' or a 'chronic renal failure':
    both are written for kidney failure and for reduced kidney function alike, so a value
    below 60 leaves them unknown, never true (one of them, since the eighteenth audit, a
    concept of its own: the same values say the same of it)."""
    return (
        ValueRule(
            concept, _cmp("creatinine clearance", "<", "60", "mL/min"), None,
            "'renal failure' is written for kidney failure (KDIGO 2012: GFR < 15) and for renal "
            "insufficiency alike ('chronic renal failure' for chronic kidney disease, GFR < 60); a "
            "Cockcroft-Gault clearance below 60 mL/min is moderate renal impairment (FDA 2020)",
        ),
        ValueRule(
            concept, _cmp("estimated glomerular filtration rate", "<", "60", "mL/min/1.73m2"), None,
            "'renal failure' is written for kidney failure (KDIGO 2012: GFR < 15) and for renal "
            "insufficiency alike ('chronic renal failure' for chronic kidney disease, GFR < 60)",
        ),
    )


def _liver_values(concept: str) -> tuple[ValueRule, ...]:
    """Liver tests past the upper limit that may be a liver disease, and may be an impaired
    liver function (the NCI Organ Dysfunction Working Group grades hepatic impairment by
    them): 'hepatic impairment', a synonym of 'liver disease' until the eighteenth audit,
    keeps what they said of it."""
    return (
        ValueRule(
            concept, _cmp("total bilirubin", ">", "1.2", "mg/dL"), None,
            "NCI Organ Dysfunction Working Group: mild hepatic impairment is total bilirubin > ULN "
            "(about 1.2 mg/dL) or AST > ULN; Gilbert's syndrome and haemolysis raise it too",
        ),
        ValueRule(
            concept, _cmp("aspartate aminotransferase", ">", "40", "U/L"), None,
            "NCI Organ Dysfunction Working Group: mild hepatic impairment is AST > ULN (about 40 U/L) "
            "with any bilirubin; muscle injury raises it too",
        ),
        ValueRule(
            concept, _cmp("alanine aminotransferase", ">", "40", "U/L"), None,
            "ALT above the conventional adult ULN of 40 U/L is hepatocellular injury until shown "
            "otherwise (ACG clinical guideline, evaluation of abnormal liver chemistries, 2017)",
        ),
    )


VALUE_RULES: tuple[ValueRule, ...] = (
    ValueRule(
        "qt prolongation", _cmp("qtc interval", ">", "450", "ms"), _cmp("qtc interval", ">=", "500", "ms"),
        "AHA/ACCF/HRS 2009 (Rautaharju, Circulation 119:e241): QTc > 450 ms (men), > 460 ms (women) "
        "prolonged; every trial definition (450-480 ms) is below 500 ms, CTCAE v5 grade 3 (>= 501 ms)",
    ),
    ValueRule(
        "anemia", _cmp("hemoglobin", "<", "13", "g/dL"), _cmp("hemoglobin", "<", "10", "g/dL"),
        "WHO 2011 (VMNIS): anaemia is Hb < 13 g/dL (men), < 12 (women), < 11 (pregnancy, children "
        "6-59 months); < 10 g/dL is below every cut-off from 6 months of age (CTCAE v5 grade 2)",
        min_age_years=1, value_is_state=True,
    ),
    ValueRule(
        "thrombocytopenia", _cmp("platelet count", "<", "150", "10^9/L"), _cmp("platelet count", "<", "100", "10^9/L"),
        "platelets < 150 x10^9/L is thrombocytopenia (lower limit of normal); < 100 by every "
        "definition (ISTH, Rodeghiero 2009: ITP < 100)",
        value_is_state=True,
    ),
    ValueRule(
        "neutropenia", _cmp("absolute neutrophil count", "<", "1.5", "10^9/L"), _cmp("absolute neutrophil count", "<", "0.5", "10^9/L"),
        "ANC < 1.5 x10^9/L is neutropenia in adults (lower normals in Duffy-null people, to about "
        "1.0); < 0.5 is severe neutropenia by every definition (CTCAE v5 grade 4)",
        value_is_state=True,
    ),
    ValueRule(
        "hypokalemia", _cmp("potassium", "<", "3.5", "mmol/L"), _cmp("potassium", "<", "3.0", "mmol/L"),
        "serum potassium < 3.5 mmol/L is hypokalaemia; < 3.0 moderate to severe (CTCAE v5 grade 3)",
        value_is_state=True,
    ),
    # conditions a measure defines, none of them by one value under every definition: a value
    # past the line leaves 'no record of X' unknown, never false (the sixteenth audit: 'renal
    # impairment.' passed beside a clearance elig derives at 36.9 mL/min, 'hypercalcaemia'
    # beside a calcium of 12.9 mg/dL, 'Patients with heart failure' beside an LVEF of 25 %)
    ValueRule(
        "kidney disease", _cmp("creatinine clearance", "<", "60", "mL/min"), None,
        "FDA guidance, Pharmacokinetics in patients with impaired renal function (2020): "
        "creatinine clearance (Cockcroft-Gault) 30-59 mL/min is moderate, 15-29 severe renal impairment",
    ),
    ValueRule(
        "chronic kidney disease", _cmp("creatinine clearance", "<", "60", "mL/min"), None,
        "KDIGO 2012: GFR < 60 mL/min/1.73 m2 for more than 3 months; a Cockcroft-Gault clearance "
        "below 60 mL/min estimates it (FDA renal-impairment guidance 2020)",
    ),
    ValueRule(
        "kidney disease", _cmp("serum creatinine", ">", "1.35", "mg/dL"), None,
        "above the adult reference interval of men and women alike (Mayo Clinic Laboratories, "
        "creatinine, serum: 0.74-1.35 mg/dL men, 0.59-1.04 mg/dL women); one value may be acute",
    ),
    *_renal_failure_values("renal failure"),
    *_renal_failure_values("chronic renal failure"),
    ValueRule(
        "end-stage renal disease", _cmp("estimated glomerular filtration rate", "<", "15", "mL/min/1.73m2"), None,
        "KDIGO 2012: GFR category G5 (< 15 mL/min/1.73 m2) is kidney failure; end-stage renal "
        "disease is that treated by dialysis or transplant, which one value does not show",
    ),
    ValueRule(
        "hypertension", _cmp("systolic blood pressure", ">=", "140", "mmHg"), None,
        "ESC/ESH 2018 (office BP >= 140/90 mmHg, grade 1) and ACC/AHA 2017 (stage 2): the "
        "diagnosis needs repeated readings on separate visits; one reading may be white-coat",
    ),
    ValueRule(
        "hypertension", _cmp("diastolic blood pressure", ">=", "90", "mmHg"), None,
        "ESC/ESH 2018 (office BP >= 140/90 mmHg, grade 1) and ACC/AHA 2017 (stage 2), confirmed "
        "by repeated readings",
    ),
    ValueRule(
        "hypercalcemia", _cmp("calcium", ">", "10.5", "mg/dL"), None,
        "serum calcium above the upper reference limit (about 10.5 mg/dL; CTCAE v5: > ULN); a "
        "total calcium depends on the albumin, so one value is not the diagnosis",
    ),
    ValueRule(
        "heart failure", _cmp("left ventricular ejection fraction", "<", "50", "%"), None,
        "ESC 2021 heart failure guideline: LVEF <= 40 % reduced, 41-49 % mildly reduced; heart "
        "failure is the syndrome of symptoms with it, which a value alone does not show",
    ),
    *_liver_values("liver disease"),
    *_liver_values("hepatic impairment"),
    ValueRule(
        "hypothyroidism", _cmp("thyroid stimulating hormone", ">", "4.5", "mIU/L"), None,
        "ATA/AACE 2012 hypothyroidism guideline: TSH above the reference range (about 4.5 mIU/L) "
        "is primary hypothyroidism, overt or subclinical, once repeated; it may be transient",
    ),
    ValueRule(
        "thyroid disease", _cmp("thyroid stimulating hormone", ">", "4.5", "mIU/L"), None,
        "ATA/AACE 2012: a TSH above the reference range (about 0.4-4.5 mIU/L) may be hypothyroidism",
    ),
    ValueRule(
        "thyroid disease", _cmp("thyroid stimulating hormone", "<", "0.4", "mIU/L"), None,
        "ATA 2016 hyperthyroidism guideline: a TSH below the reference range (about 0.4 mIU/L) may be "
        "hyperthyroidism, overt or subclinical (or non-thyroidal illness, or a drug)",
    ),
    ValueRule(
        "hyperthyroidism", _cmp("thyroid stimulating hormone", "<", "0.4", "mIU/L"), None,
        "ATA 2016 hyperthyroidism guideline: a suppressed TSH (below about 0.4 mIU/L) may be "
        "hyperthyroidism, overt or subclinical (or non-thyroidal illness, or a drug)",
    ),
    ValueRule(
        "bleeding disorder", _cmp("international normalized ratio", ">", "1.5", None), None,
        "an INR above 1.5 is a coagulopathy by the usual clinical cut-off (ISTH DIC score: "
        "prolonged prothrombin time; liver failure, vitamin K deficiency) unless an anticoagulant "
        "explains it, which one value does not tell",
    ),
    ValueRule(
        "diabetes mellitus", _cmp("hemoglobin a1c", ">=", "6.5", "%"), None,
        "ADA Standards of Care 2024, 2.2: HbA1c >= 6.5 % is diagnostic only when confirmed by a second "
        "test (unless hyperglycaemia is unequivocal)",
    ),
    ValueRule(
        "diabetes mellitus", _cmp("fasting glucose", ">=", "126", "mg/dL"), None,
        "ADA Standards of Care 2024, 2.2: fasting plasma glucose >= 126 mg/dL, confirmed by a second test",
    ),
    ValueRule(
        "kidney disease", _cmp("estimated glomerular filtration rate", "<", "60", "mL/min/1.73m2"), None,
        "KDIGO 2012: chronic kidney disease is GFR < 60 mL/min/1.73 m2 for more than 3 months; one value "
        "may be acute",
    ),
    ValueRule(
        "chronic kidney disease", _cmp("estimated glomerular filtration rate", "<", "60", "mL/min/1.73m2"), None,
        "KDIGO 2012: GFR < 60 mL/min/1.73 m2 for more than 3 months",
    ),
)

# the measured values a derived measure of the rules above is worked out from (a patient with
# none of them has no value of it: `observation_test`)
DERIVED_FROM: dict[str, tuple[str, ...]] = {"creatinine clearance": ("serum creatinine",)}

# every condition read from observations here (engine.evaluate `_READ_BEYOND_RECORDS`)
CONCEPTS = frozenset(
    {"tobacco use", *(r.concept for r in RESULT_RULES), *(r.concept for r in VALUE_RULES)}
)


def observation_test(vocab: Any, concept: str) -> Callable[[Patient], bool]:
    """A test of whether a patient has an observation that the rules above read for
    `concept` (False: what they say of it is nothing, and the records alone decide: the
    silence of `engine.evaluate._silence_test`). May say True where nothing comes of it."""
    loinc = set(SMOKING_STATUS_LOINC) if concept == "tobacco use" else set()
    loinc.update(code for r in RESULT_RULES if r.concept == concept for code in r.loinc)
    names = {c.measure for r in VALUE_RULES if r.concept == concept for c in (r.may, r.is_) if c is not None}
    names.update(source for name in list(names) for source in DERIVED_FROM.get(name, ()))
    measures = [derive.lookup(vocab, ("measure",), name) for name in sorted(names)]
    if None in measures:  # a measure the vocabulary does not know: never silent
        return lambda patient: True

    def test(patient: Patient) -> bool:
        if loinc and not loinc.isdisjoint(loinc_codes(patient)):
            return True
        return any(derive.observations_of(vocab, m, patient) for m in measures)

    return test
