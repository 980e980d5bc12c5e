"""How registry text says a drug was given, one row each, quoted (trimmed) from the public
corpus (../shared/data/corpus): 'treatment with X', 'X therapy', 'current use of X', and
the slash inside a class name ('CDK4/6 inhibitor').

'Treatment with' and 'therapy' say only that the drug was given, so they take the tense of
the words around them: 'prior' makes a past use count, 'current' or 'concurrent' asks for
use now, and with neither the bare mention speaks of the present (a record of use that is
over leaves it unknown, never true).
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.evaluate import evaluate
from engine.logic import Truth
from engine.nodes import Medication, Modifier, Unparsed, walk
from engine.parse import parse
from engine.patient import Coding, MedicationRecord, Patient
from engine.render import render
from engine.summary import unparsed
from engine.vocab import load_vocabulary

AS_OF = date(2026, 6, 1)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("Prior treatment with thalidomide.", "history of thalidomide"),
        ("Previous treatment with anti-PD-1/PD-L1 antibodies is allowed.", None),
        ("Prior treatment with a CDK4/6 inhibitor;", "history of cdk4-6 inhibitor"),
        ("Prior CDK4/6 inhibitor treatment", "history of cdk4-6 inhibitor"),
        ("Concurrent treatment with warfarin or phenytoin.", "warfarin or phenytoin"),
        ("Subjects who are currently receiving chloroquine or hydroxychloroquine.", "chloroquine or hydroxychloroquine"),
        ("Concomitant yellow fever vaccine", "yellow fever vaccine"),
        ("Treatment with an investigational product within 4 weeks", "investigational agent within 4 weeks"),
    ],
)
def test_words_saying_a_drug_was_given_are_understood(text, canonical):
    tree = parse(text)
    if canonical is not None:
        assert render(tree) == canonical
        assert unparsed(tree) == []
    meds = [n for n in walk(tree) if isinstance(n, Medication)]
    assert meds, render(tree)
    # 'prior', 'previous' make a past use count; 'current', 'concurrent', 'concomitant' do not
    assert all(m.history is text.lower().startswith(("prior", "previous")) for m in meds), render(tree)


@pytest.mark.parametrize(
    "text",
    [
        # the treatment is of the condition, not a drug: it stays a piece not understood
        "Active infection requiring treatment",
        # 'treatment' without 'with' before a drug class named later says nothing of tense
        "Patients planning to start treatment with cabozantinib therapy for renal cancer.",
    ],
)
def test_treatment_words_not_about_a_drug_stay_unparsed(text):
    # (or a modifier: 'requiring treatment' narrows the infection, engine.parse)
    tree = parse(text)
    pieces = " ".join(n.text for n in walk(tree) if isinstance(n, (Unparsed, Modifier))).lower()
    assert "requiring" in pieces or "planning" in pieces


def test_a_slash_between_digits_joins_a_name_but_not_a_blood_pressure():
    assert render(parse("prior cdk 4/6 inhibitors")) == "history of cdk4-6 inhibitor"
    assert unparsed(parse("BP 140/90 mmHg")) == ["BP 140/90 mmHg"]


def _warfarin(start: str, end: str | None, status: str) -> Patient:
    vocab = load_vocabulary()
    code = vocab.get("drug", "warfarin").codes_for("rxnorm")[0]
    record = MedicationRecord(
        codings=(Coding(system=RXNORM, code=code),),
        start=date.fromisoformat(start),
        end=date.fromisoformat(end) if end else None,
        status=status,
    )
    return Patient(id="p", medications=(record,))


@pytest.mark.parametrize(
    ("text", "over", "current"),
    [
        # 'concurrent treatment with': a use that ended years ago cannot make it true
        ("Concurrent treatment with warfarin", Truth.UNKNOWN, Truth.TRUE),
        ("Current use of warfarin", Truth.UNKNOWN, Truth.TRUE),
        # 'prior treatment with': any use counts, over or not
        ("Prior treatment with warfarin", Truth.TRUE, Truth.TRUE),
    ],
)
def test_the_tense_of_a_treatment_decides_what_a_past_record_gives(text, over, current):
    tree = parse(text)
    past = _warfarin("2015-01-01", "2016-01-01", "completed")
    now = _warfarin("2026-01-01", None, "active")
    assert evaluate(tree, past, as_of=AS_OF).truth is over
    assert evaluate(tree, now, as_of=AS_OF).truth is current


def _taken(text: str, end: str) -> Patient:
    record = MedicationRecord(text=text, start=date.fromisoformat("2025-01-01"), end=date.fromisoformat(end), status="stopped")
    return Patient(id="p", medications=(record,))


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("Investigational agent within 28 days or 5 half-lives, whichever is shorter",
         "investigational agent within 28 days or 5 half-lives, whichever is shorter"),
        ("Treatment with docetaxel within 4 weeks or 5 half-lives (whichever is shorter) prior to first dose",
         "docetaxel within 4 weeks or 5 half-lives, whichever is shorter before first dose"),
    ],
)
def test_whichever_is_shorter_is_read(text, canonical):
    tree = parse(text)
    assert render(tree) == canonical
    assert unparsed(tree) == []


@pytest.mark.parametrize(
    ("which", "drug", "end", "truth"),
    [
        # tofacitinib's half-life is 3 hours: 5 half-lives end well inside 4 weeks
        ("longer", "Tofacitinib 5 MG Oral Tablet", "2026-05-18", Truth.TRUE),
        ("shorter", "Tofacitinib 5 MG Oral Tablet", "2026-05-18", Truth.FALSE),
        # docetaxel's half-life is not in the vocabulary: inside 4 weeks the shorter window may
        # or may not reach; outside it, neither does
        ("shorter", "1 ML DOCEtaxel 20 MG/ML Injection", "2026-05-18", Truth.UNKNOWN),
        ("shorter", "1 ML DOCEtaxel 20 MG/ML Injection", "2026-03-01", Truth.FALSE),
        ("longer", "1 ML DOCEtaxel 20 MG/ML Injection", "2026-05-18", Truth.TRUE),
    ],
)
def test_whichever_is_shorter_takes_the_shorter_window(which, drug, end, truth):
    name = "tofacitinib" if "Tofacitinib" in drug else "docetaxel"
    tree = parse(f"{name} within 4 weeks or 5 half-lives, whichever is {which}")
    assert evaluate(tree, _taken(drug, end), as_of=AS_OF).truth is truth


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        # pembrolizumab-trial boilerplate (about 100 corpus trials): a steroid course years ago
        # was 'history of corticosteroid' and excluded; 'is receiving' asks for one now
        ("Has a diagnosis of immunodeficiency or is receiving systemic steroid therapy or any other form of immunosuppressive therapy"
         " within 7 days prior to randomization",
         # (whether the 7 days reach the steroid too is not known: within them it excludes,
         # with none it does not, between it is unknown; tests/test_list_windows.py)
         "(history of immunodeficiency) or (corticosteroid within 7 days before randomization) or ((history of corticosteroid) \u00abwithin 7 days prior to randomization\u00bb)"
         " or ((history of immunosuppressant within 7 days before randomization) \u00abother form\u00bb)"),
        ("received chemotherapy or currently taking warfarin", "history of chemotherapy or (warfarin)"),
        # a bare event after a history one still takes the history words
        ("history of myocardial infarction, stroke, or heart failure",
         "history of myocardial infarction or history of stroke or history of heart failure"),
    ],
)
def test_history_words_do_not_reach_an_operand_that_says_its_own_tense(text, canonical):
    assert render(parse(text)) == canonical


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("Use of warfarin", "warfarin"),
        ("Prior use of warfarin", "history of warfarin"),
        ("Usage of anticoagulants", "anticoagulant"),
        # what every vaccine is against, not a disease the patient must have: read as 'and
        # infection', a live vaccine two weeks ago without an infection did not exclude
        ("Use of live attenuated vaccines against infectious diseases within 4 weeks", "live vaccine within 4 weeks"),
        ("Cytotoxic chemotherapy for any indication in last 2 years.", "cytotoxic chemotherapy within 2 years"),
    ],
)
def test_use_of_says_no_tense(text, canonical):
    tree = parse(text)
    assert render(tree) == canonical
    assert unparsed(tree) == []


def test_use_of_a_drug_long_over_is_unknown_not_true():
    # 'Use of warfarin' as an exclusion: a course that ended in 2016 may or may not be meant
    assert evaluate(parse("Use of warfarin"), _warfarin("2015-01-01", "2016-01-01", "completed"), as_of=AS_OF).truth is Truth.UNKNOWN
