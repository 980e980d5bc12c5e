"""A multiple of the ULN judged on a default ULN, where the observation carries no reference
range: laboratories' ULNs differ (ALT: 31-79 U/L across the eleven NASH CRN laboratories), so
a value the default decides but another laboratory's ULN would not is unknown. Audit 15b's
borderline: an ALT of 63 U/L failed 'ALT <= 1.5 x ULN' on the default of 40 (60 U/L), which a
laboratory with a ULN of 45 or more would pass."""

from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.vocab import load_vocabulary
from one_trial import screen_text, criterion

MAN = {"id": "p", "birth_date": "1960-01-01", "sex": "male"}


def _alt(value, ref_high=None):
    observation = {"loinc": "1742-6", "value": value, "unit": "U/L", "date": "2026-12-01", "ref_high": ref_high}
    return {**MAN, "observations": [observation]}


def _status(tmp_path, patient, text):
    return criterion(screen_text(tmp_path, patient, f"Inclusion Criteria:\n* {text}"), text).status


def test_a_value_between_the_laboratories_multiples_is_unknown(tmp_path):
    assert _status(tmp_path, _alt(63), "ALT <= 1.5 x ULN") == "unknown"  # 46.5-118.5 U/L


@pytest.mark.parametrize(("value", "status"), [(40, "pass"), (130, "fail")])
def test_a_value_every_laboratory_would_judge_alike_is_decided(tmp_path, value, status):
    assert _status(tmp_path, _alt(value), "ALT <= 1.5 x ULN") == status


def test_the_observations_own_reference_range_decides(tmp_path):
    assert _status(tmp_path, _alt(63, ref_high=40), "ALT <= 1.5 x ULN") == "fail"


def test_a_band_must_hold_the_default(tmp_path):
    vocab = load_vocabulary()
    for concept in vocab.concepts("measure"):
        if concept.uln_band is not None:
            assert concept.uln_band[0] <= concept.uln[0] <= concept.uln_band[1], concept.name
    (tmp_path / "vocab").mkdir()
    (tmp_path / "vocab" / "measures.toml").write_text(
        '[[measure]]\nname = "x"\nsource = "s"\nuln = { value = 40, unit = "U/L", source = "s", band = [41, 79] }\n', encoding="utf-8"
    )
    with pytest.raises(InputError, match="band"):
        load_vocabulary(tmp_path / "vocab")
