"""Evaluation fixes of branch fix14, each with the corpus line it came from (trimmed) and the
least patient that shows it: medication records left 'active' longer than a course runs,
traumatic injury, levothyroxine, and corticosteroids given locally."""

from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.vocab import load_vocabulary
from one_trial import exclusion

MAN = {"id": "p", "birth_date": "1950-01-01", "sex": "male"}
# as Synthea leaves it (Andy Schaden's bundle): a docetaxel request still 'active' 26 years on
DOCETAXEL_2000 = {"name": "1 ML DOCEtaxel 20 MG/ML Injection", "rxnorm": "1860480", "status": "active", "start": "2000-03-10"}


def _on(record: dict) -> dict:
    return {**MAN, "medications": [record]}


# --- 1. a record 'active' longer than a course runs ------------------------------------------


@pytest.mark.parametrize("text", [
    "Systemic chemotherapy within 14 days prior to study entry.",  # NCT04920708
    "Receipt of cytotoxic chemotherapy within 4 weeks of study entry.",  # NCT04674306
    "No chemotherapy within 2 weeks of enrollment.",  # NCT04150042
    "receiving chemotherapy",  # NCT03868865: present tense
])
def test_a_cytotoxic_record_active_for_decades_is_not_taken_now(tmp_path, text):
    c = exclusion(tmp_path, _on(DOCETAXEL_2000), text)
    assert c.status == "unknown"
    assert any("docetaxel recorded active since 2000-03-10" in r and "is it still taken?" in r for r in c.reasons)


def test_a_recent_active_cytotoxic_record_is_still_within_the_window(tmp_path):
    recent = {**DOCETAXEL_2000, "start": "2026-10-01"}
    c = exclusion(tmp_path, _on(recent), "Systemic chemotherapy within 14 days prior to study entry.")
    assert c.status == "fail"
    assert not any("is it still taken?" in r for r in c.reasons)


def test_an_old_active_cytotoxic_record_still_shows_the_drug_was_given(tmp_path):
    # NCT01642004: 'prior' asks of the start, which the record shows
    assert exclusion(tmp_path, _on(DOCETAXEL_2000), "Prior treatment with Docetaxel").status == "fail"


def test_an_old_cytotoxic_record_with_an_end_date_is_judged_by_it(tmp_path):
    ended = {**DOCETAXEL_2000, "status": "completed", "end": "2000-09-01"}
    assert exclusion(tmp_path, _on(ended), "Systemic chemotherapy within 14 days prior to study entry.").status == "pass"


@pytest.mark.parametrize("record, text", [
    # methotrexate for rheumatoid arthritis runs for years: it is an immunosuppressant too
    ({"name": "Methotrexate 10 MG Oral Tablet", "rxnorm": "105586", "status": "active", "start": "2018-08-12"},
     "Current or prior use of immunosuppressive medication within 14 days prior to the first dose of study treatment."),  # NCT03820141
    # androgen deprivation runs for years (Synthea: leuprolide active since 2000 beside the docetaxel)
    ({"name": "0.25 ML Leuprolide Acetate 30 MG/ML Prefilled Syringe", "rxnorm": "752899", "status": "active", "start": "2000-03-10"},
     "Endocrine therapy within 2 weeks before randomization."),  # NCT04385563
])
def test_long_term_drugs_active_for_years_are_still_taken(tmp_path, record, text):
    c = exclusion(tmp_path, _on(record), text)
    assert c.status == "fail"
    assert not any("is it still taken?" in r for r in c.reasons)


@pytest.mark.parametrize("entry, problem", [
    ('course_months = 0\nsource = "s"', "positive whole number"),
    ('course_months = 2.5\nsource = "s"', "positive whole number"),
    ("course_months = 12", "needs a source"),
])
def test_a_course_length_is_whole_months_with_a_source(tmp_path, entry, problem):
    (tmp_path / "drugs.toml").write_text(f'[[drug_class]]\nname = "cytotoxic agent"\n{entry}\n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_vocabulary(tmp_path)
    assert "drug_class[0].course_months" in str(exc.value) and problem in str(exc.value)
