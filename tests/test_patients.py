"""Loading patients: FHIR R4 bundles, the own format, the examples, and every bad input."""

from __future__ import annotations

import doctest
import json
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import engine.fhir
import engine.patients
from engine.errors import InputError
from engine.fhir import parse_when
from engine.patient import Patient
from engine.patients import (
    dump_patient,
    latest_observation,
    load_patient,
    load_patients,
    own_format_schema,
    schema_json,
    to_json,
)
from engine.units import from_ucum

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "patients"
EXAMPLES = ROOT / "examples"
SCHEMA = ROOT / "rules" / "schema" / "patient.schema.json"
SYNTHEA = Path(__file__).resolve().parents[2] / "shared" / "data" / "synthea_fhir_r4_smart" / "bundles"
AS_OF = date(2026, 6, 1)


def fx(name: str) -> Path:
    return FIXTURES / name


def age(patient: Patient, on: date = AS_OF) -> int:
    b = patient.birth_date
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def codes(record) -> set[tuple[str, str]]:
    return {(c.system, c.code) for c in record.codings}


def find(records, system: str, code: str) -> list:
    return [r for r in records if (system, code) in codes(r)]


def by_text(records, fragment: str) -> list:
    return [r for r in records if r.text and fragment.lower() in r.text.lower()]


def without_places(patient: Patient) -> Patient:
    """The patient with `where` and `source` blanked, and the place an `unreadable` names:
    what a round trip must keep."""

    def problem(unreadable: str | None) -> str | None:
        return unreadable.split(": ", 1)[1] if unreadable else None

    def blank(records):
        return tuple(r.model_copy(update={"where": None, "unreadable": problem(r.unreadable)}) for r in records)

    return patient.model_copy(
        update={
            "source": None,
            "unreadable": tuple(problem(u) for u in patient.unreadable),
            "observations": blank(patient.observations),
            "conditions": blank(patient.conditions),
            "medications": blank(patient.medications),
            "procedures": blank(patient.procedures),
        }
    )


# ------------------------------------------------------------------------------ bundles


@pytest.mark.parametrize("kind", ["collection", "transaction", "searchset", "batch", "document"])
def test_each_bundle_type_loads(kind):
    p = load_patient(fx(f"bundle_{kind}.json"))
    assert p.id == "fx-1"
    assert p.sex == "female"
    assert p.birth_date == date(1980, 2, 29)
    assert p.source == str(fx(f"bundle_{kind}.json"))
    (anc,) = p.observations
    assert anc.value == Decimal("2.1")
    assert anc.unit == from_ucum("10*3/uL") and anc.unit_ok
    assert anc.date == date(2026, 5, 20)  # the date as written, time and zone dropped
    assert codes(anc) == {("loinc", "751-8")}
    (sle,) = p.conditions
    assert sle.clinical_status == "active"
    assert codes(sle) == {("icd10cm", "M32.19")}
    assert sle.onset == date(2019, 4, 1)
    assert [(d.field, d.precision, d.latest) for d in sle.partial_dates] == [("onset", "month", date(2019, 4, 30))]


def test_bare_patient_is_a_patient_with_no_data():
    p = load_patient(fx("bare_patient.json"))
    assert (p.id, p.sex, p.birth_date) == ("lonely", "male", date(1990, 1, 1))
    assert p.partial_dates[0].precision == "year"
    assert p.observations == p.conditions == p.medications == p.procedures == ()


def test_patient_id_falls_back_to_the_file_name():
    assert load_patient(fx("bare_patient_no_id.json")).id == "bare_patient_no_id"
    assert load_patient(fx("own_minimal.json")).id == "own_minimal"


def test_a_dict_loads_too():
    doc = json.loads(fx("bundle_collection.json").read_text())
    p = load_patient(doc)
    assert p.id == "fx-1" and p.source == "<patient>"
    assert p.observations[0].value == Decimal("2.1")  # a float from plain json.loads, read exactly


def test_where_is_the_json_path_of_each_record():
    p = load_patient(fx("bundle_document.json"))  # the Composition is entry[0]
    assert p.observations[0].where == "entry[2].resource"
    assert p.conditions[0].where == "entry[3].resource"


# ----------------------------------------------------------------------------- Synthea


def synthea_bundles() -> list[Path]:
    if not SYNTHEA.is_dir():
        pytest.skip("shared/data/synthea_fhir_r4_smart is not beside this checkout")
    return sorted(SYNTHEA.glob("*.json"))


def test_synthea_bundles_load_with_plausible_content():
    files = synthea_bundles()
    assert len(files) == 16
    patients = load_patients([SYNTHEA])
    assert [p.source for p in patients] == [str(f) for f in files]  # a directory: sorted by name
    for p in patients:
        assert p.birth_date is not None and date(1900, 1, 1) < p.birth_date < date(2022, 1, 1), p.id
        assert p.sex in ("female", "male"), p.id
        dated = [o for o in p.observations if o.date and any(c.system == "loinc" for c in o.codings)]
        assert len(dated) >= 10, p.id
        assert all(o.unit_ok for o in p.observations), p.id
        assert all(c.codings[0].system == "snomed" and c.onset for c in p.conditions), p.id
        assert all(m.start and m.codings[0].system in ("rxnorm", "cvx") for m in p.medications), p.id  # cvx: Immunization
    everything = [o for p in patients for o in p.observations]
    assert find(everything, "loinc", "718-7")  # hemoglobin
    assert find(everything, "loinc", "38483-4")  # creatinine, as Synthea codes it
    assert find(everything, "loinc", "8480-6")  # systolic BP, from the components
    assert find([m for p in patients for m in p.medications], "cvx", "140")  # a flu shot, from Immunization
    assert sum(any(f.startswith("deceased") for f in p.flags) for p in patients) == 3


def test_synthea_load_time_of_the_biggest_bundle():
    biggest = max(synthea_bundles(), key=lambda f: f.stat().st_size)
    load_patient(biggest)  # warm: unit look-ups are cached per process
    start = time.perf_counter()
    p = load_patient(biggest)
    seconds = time.perf_counter() - start
    print(f"\n{biggest.name} ({biggest.stat().st_size / 1e6:.1f} MB, {len(p.observations)} observations): {seconds:.3f} s")
    assert seconds < 2.0


def test_synthea_daily_dose_from_dosage_instruction():
    patients = load_patients(synthea_bundles())
    with_timing = [m for p in patients for m in p.medications if m.daily_dose is not None]
    assert with_timing and all(m.daily_dose > 0 for m in with_timing)


# ---------------------------------------------------------------------------- examples


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_each_example_loads(path):
    p = load_patient(path)
    assert p.birth_date and p.sex and p.observations and p.conditions
    assert all(o.date is not None for o in p.observations)
    assert all(o.date <= AS_OF for o in p.observations)


def test_case_report_patient():
    p = load_patient(EXAMPLES / "case_report_sezary.json")
    assert p.sex == "male" and age(p) == 53
    (ss,) = find(p.conditions, "icd10cm", "C84.10")
    assert ss.clinical_status == "active" and "sézary" in ss.text.lower() and "cd7" in ss.text.lower()
    assert not find(p.observations, "loinc", "10230-1")  # no LVEF on record
    anc = latest_observation(p, ("loinc", "751-8"), as_of=AS_OF)
    assert (anc.value, anc.date) == (Decimal("4.1"), date(2026, 5, 26))  # not the March value
    assert latest_observation(p, ("loinc", "89247-1"), as_of=AS_OF).value == 1  # ECOG
    for loinc in ("731-0", "777-3", "718-7", "2160-0", "1742-6", "1920-8", "1975-2"):
        obs = latest_observation(p, ("loinc", loinc), as_of=AS_OF)
        assert obs.ref_high is not None and obs.unit_ok, loinc
    (mtx,) = find(p.medications, "rxnorm", "6851")
    assert mtx.daily_dose == Decimal("3.57142857143")  # 25 mg once a week
    assert not any("car" in (x.text or "").lower() for x in (*p.procedures, *p.medications))  # before CAR-T


def test_near_fit_wu_cart_007():
    p = load_patient(EXAMPLES / "near_fit_NCT04984356.json")
    assert age(p) == 25
    (tall,) = find(p.conditions, "icd10cm", "C91.02")
    assert "t-all" in tall.text.lower()
    (hsct,) = find(p.procedures, "snomed", "234336002")
    assert (AS_OF - hsct.start).days > 90
    (tacro,) = by_text(p.medications, "tacrolimus")
    assert codes(tacro) == {("rxnorm", "198377")}  # resolved from a Medication resource
    assert tacro.end == date(2025, 6, 30) and (AS_OF - tacro.end).days > 14
    assert tacro.daily_dose == 4
    assert latest_observation(p, ("loinc", "89247-1"), as_of=AS_OF).value == 1
    gvhd = find(p.conditions, "icd10cm", "D89.810")
    assert gvhd[0].clinical_status == "resolved"


def test_near_fit_ct1195e_sle():
    p = load_patient(EXAMPLES / "near_fit_NCT07339332.json")
    assert p.sex == "female" and age(p) == 35
    (pred,) = find(p.medications, "rxnorm", "8640")
    assert (pred.daily_dose, pred.dose_unit, pred.status) == (10, "mg", "active")
    (mmf,) = by_text(p.medications, "mycophenolate")
    assert codes(mmf) == {("rxnorm", "200060")}
    assert mmf.end == date(2026, 5, 10) and (AS_OF - mmf.end).days > 14
    weight = latest_observation(p, ("loinc", "29463-7"), as_of=AS_OF)
    creat = latest_observation(p, ("loinc", "2160-0"), as_of=AS_OF)
    clearance = (140 - age(p)) * weight.value / (72 * creat.value) * Decimal("0.85")
    assert clearance >= 50
    for loinc in ("1742-6", "1920-8", "1975-2", "6301-6"):
        obs = latest_observation(p, ("loinc", loinc), as_of=AS_OF)
        assert obs.ref_high is not None and obs.value <= obs.ref_high, loinc
    assert latest_observation(p, ("loinc", "59408-5"), as_of=AS_OF).value == 97
    lvef = latest_observation(p, ("loinc", "10230-1"), as_of=AS_OF)
    assert lvef.value == 60 and (AS_OF - lvef.date).days <= 56
    (sledai,) = by_text(p.observations, "SLEDAI-2K")
    assert sledai.value == 10
    assert latest_observation(p, ("loinc", "8061-4"), as_of=AS_OF).value_code.code == "10828004"  # positive
    assert by_text(p.observations, "antinuclear antibody titer")[0].value_text == "1:640"


def test_near_fit_reall_cart_arm_a():
    p = load_patient(EXAMPLES / "near_fit_NCT06709469.json")
    assert age(p) == 15
    (ball,) = find(p.conditions, "icd10cm", "C91.02")
    assert "b-all" in ball.text.lower() and "car-t" in ball.text.lower()
    (lansky,) = by_text(p.observations, "lansky")
    assert lansky.value == 70
    assert codes(lansky) == {("http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl", "C38144")}
    for loinc, value in (("751-8", 800), ("777-3", 60000), ("731-0", 300)):
        obs = latest_observation(p, ("loinc", loinc), as_of=AS_OF)
        assert (obs.value, obs.unit) == (value, from_ucum("/uL")), loinc


# ------------------------------------------------------------------ values and records


def test_latest_value_before_the_as_of_date():
    p = load_patient(fx("components.json"))
    creat = ("loinc", "2160-0")
    latest = latest_observation(p, creat, as_of=AS_OF)
    assert (latest.value, latest.date) == (Decimal("0.97"), date(2026, 5, 25))  # same day: later in file
    assert latest_observation(p, creat).value == Decimal("1.4")  # no as-of: the latest of all
    assert latest_observation(p, creat, as_of=date(2026, 5, 10)).value == Decimal("1.1")
    assert latest_observation(p, creat, as_of=date(2026, 1, 1)) is None
    assert latest_observation(p, [("loinc", "8480-6"), ("loinc", "8459-0")], as_of=AS_OF).value == 128
    assert latest.ref_high == 1 and latest.ref_unit == latest.unit  # a range without unit: the value's
    assert p.observations[-1].value == 1 and p.observations[-1].unit is None  # valueInteger


def test_components_become_observations():
    p = load_patient(fx("components.json"))
    bp = [o for o in p.observations if codes(o) & {("loinc", "8480-6"), ("loinc", "8462-4")}]
    assert len(bp) == 6
    assert not find(p.observations, "loinc", "85354-9")  # the panel itself has no value
    first = bp[0]
    assert first.where == "entry[1].resource.component[0]"
    assert (first.value, first.unit, first.date) == (150, from_ucum("mm[Hg]"), date(2026, 1, 10))


def test_medication_references_resolve():
    p = load_patient(fx("medications.json"))
    meds = p.medications
    assert codes(meds[0]) == {("rxnorm", "68149")}  # by fullUrl urn:uuid
    assert meds[0].text == "mycophenolate mofetil"
    assert codes(meds[1]) == {("rxnorm", "42316")}  # "Medication/tac" against an http fullUrl
    assert codes(meds[2]) == {("rxnorm", "6851")}  # contained "#m1"
    assert meds[2].where == "entry[5].resource"
    assert meds[3].codings == () and meds[3].text == "ruxolitinib 10 MG Oral Tablet"
    assert meds[3].flags == ('medication reference "Medication/elsewhere" not found in the file',)
    assert (meds[3].start, meds[3].end) == (date(2025, 6, 1), date(2025, 9, 1))  # validityPeriod


@pytest.mark.parametrize(
    "index, dose, daily",
    [
        (0, "1000", "2000"),  # every 12 h
        (1, "0.5", "1.5"),  # timing code TID
        (2, "21", "3"),  # once a week
        (4, "5", None),  # as needed
        (5, "20", None),  # two dosage lines
        (6, "375", None),  # an administration
        (7, "200", "400"),  # timeOfDay x 2
    ],
)
def test_daily_dose_from_timing(index, dose, daily):
    med = load_patient(fx("medications.json")).medications[index]
    assert med.dose_value == Decimal(dose)
    assert med.daily_dose == (None if daily is None else Decimal(daily))


def test_dates_of_medications():
    meds = load_patient(fx("medications.json")).medications
    assert (meds[5].start, meds[5].end) == (date(2026, 5, 1), date(2026, 5, 14))  # end from boundsPeriod
    assert (meds[6].start, meds[6].end) == (date(2026, 3, 3), date(2026, 3, 3))
    assert meds[7].start == date(2026, 2, 1) and meds[7].partial_dates[0].field == "start"


def test_odd_values_are_kept_and_flagged():
    p = load_patient(fx("odd_values.json"))
    platelets, alt, bilirubin = p.observations  # the entered-in-error hemoglobin is left out
    assert platelets.value == -5 and platelets.flags == ("negative value -5",)
    assert platelets.unreadable == f"{platelets.where}.valueQuantity.value: negative value -5 is not a plausible value"
    assert (alt.value, alt.unit, alt.unit_ok) == (40, "Karmen units", False)
    assert alt.flags == ()  # unit_ok says it
    assert (bilirubin.value, bilirubin.value_comparator) == (Decimal("0.1"), "<")
    pneumonia, hypertension = p.conditions  # the refuted tuberculosis is left out
    assert codes(pneumonia) == {("icd10cm", "J18.9")}  # dotted
    assert pneumonia.flags == ("abatement before onset",)
    assert hypertension.onset == date(2020, 7, 15)
    assert hypertension.flags == ("onset not given; recordedDate taken as onset",)
    (prednisone,) = p.medications  # the not-taken rituximab is left out
    assert prednisone.flags == ("negative dose -10", "end before start")
    assert prednisone.unreadable == f"{prednisone.where}: negative dose -10 is not a plausible dose"
    assert p.unreadable == (platelets.unreadable, prednisone.unreadable)
    assert p.procedures == ()  # not-done


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026", (date(2026, 1, 1), "year", date(2026, 12, 31))),
        ("2024-02", (date(2024, 2, 1), "month", date(2024, 2, 29))),
        ("2026-05-20", (date(2026, 5, 20), None, date(2026, 5, 20))),
        ("2026-05-20T23:59:59-11:00", (date(2026, 5, 20), None, date(2026, 5, 20))),
        ("2026-05-20T10:00:00.123Z", (date(2026, 5, 20), None, date(2026, 5, 20))),
        ("2026-13-45", None),
        ("2026-02-30", None),
        ("2026-05-20T25:00:00Z", None),
        ("20260520", None),
        ("May 2026", None),
        ("0000", None),
    ],
)
def test_parse_when(text, expected):
    assert parse_when(text) == expected


# --------------------------------------------------------------------------- own format


def test_own_format_loads():
    p = load_patient(fx("own_valid.json"))
    assert (p.id, p.sex, p.birth_date) == ("pt-001", "male", date(1972, 3, 4))
    anc, ana, bili = p.observations
    assert (anc.value, anc.unit, anc.date, anc.where) == (Decimal("2.1"), "10^9/L", date(2026, 5, 20), "observations[0]")
    assert codes(anc) == {("loinc", "751-8")} and anc.text == "absolute neutrophil count"
    assert ana.value_text == "positive"
    assert (bili.value_comparator, bili.ref_unit, bili.partial_dates[0].precision) == ("<", "mg/dL", "month")
    (ss,) = p.conditions
    assert (ss.onset, codes(ss), ss.clinical_status) == (date(2023, 1, 1), {("icd10cm", "C84.10")}, "active")
    prednisone, acyclovir = p.medications
    assert prednisone.daily_dose == 10 and prednisone.end is None
    assert acyclovir.daily_dose == 800  # dose x times_per_day
    (hsct,) = p.procedures
    assert hsct.start == hsct.end == date(2025, 1, 10)


def round_trip(p: Patient) -> Patient:
    text = to_json(p)
    return load_patient(json.loads(text, parse_float=Decimal), source=p.source)


@pytest.mark.parametrize(
    "path",
    [*sorted(EXAMPLES.glob("*.json")), fx("own_valid.json"), fx("medications.json"), fx("odd_values.json"), fx("components.json")],
    ids=lambda p: p.name,
)
def test_own_format_round_trip(path):
    p = load_patient(path)
    assert without_places(round_trip(p)) == without_places(p)


def test_own_format_round_trip_synthea():
    for path in synthea_bundles()[:4]:
        p = load_patient(path)
        assert without_places(round_trip(p)) == without_places(p), path.name


def test_own_format_writes_exact_numbers():
    p = load_patient(fx("components.json"))
    text = to_json(p)
    assert '"value": 0.97' in text and '"ref_low": 0.57' in text
    assert dump_patient(p)["observations"][0]["value"] == 150


def test_schema_file_is_the_generated_schema():
    """Regenerate with:
    python -c "from engine.patients import schema_json; print(schema_json(), end='')" > rules/schema/patient.schema.json
    """
    assert SCHEMA.read_text(encoding="utf-8") == schema_json()
    assert own_format_schema()["$defs"]["ObservationIn"]["additionalProperties"] is False


def test_own_format_files_validate_against_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for name in ("own_valid.json", "own_minimal.json"):
        validator.validate(json.loads(fx(name).read_text(encoding="utf-8")))
    for path in sorted(EXAMPLES.glob("*.json")):
        validator.validate(json.loads(to_json(load_patient(path))))
    for name in ("own_bad_extra_key.json", "own_bad_sex.json"):
        assert not validator.is_valid(json.loads(fx(name).read_text(encoding="utf-8")))


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    "name, where, problem",
    [
        ("bad_not_json.json", "line 4, column 3", "not valid JSON"),
        ("bad_not_utf8.json", "line 3, column 25", "not UTF-8 text (byte 0xF1)"),
        ("bad_empty.json", None, "the file is empty"),
        ("bad_array.json", None, "expected a JSON object"),
        ("bad_not_bundle.json", "resourceType", 'expected a FHIR Bundle, found resourceType "Observation"'),
        ("bad_no_resource_type.json", "resourceType", '"resourceType": "Bundle"'),
        ("bad_bundle_type.json", "type", 'a Bundle of type "history"'),
        ("bad_no_patient.json", "entry", "no Patient resource"),
        ("bad_two_patients.json", "entry[2].resource", 'id "fx-2"; the first, id "fx-1"'),
        ("own_bad_extra_key.json", "medications[0].dose_units", 'unknown field "dose_units" (did you mean "dose_unit"?)'),
        ("own_bad_date.json", "conditions[0].onset", 'not a valid date: "2019-02-30"'),
        ("own_bad_value.json", "observations[0].value", 'expected a number, found "abc"'),
        ("own_bad_sex.json", "sex", "'female', 'male', 'other' or 'unknown'"),
    ],
)
def test_bad_input_names_file_and_place(name, where, problem):
    path = fx(name)
    with pytest.raises(InputError) as caught:
        load_patient(path)
    err = caught.value
    assert err.source == str(path)
    assert err.where == where
    assert problem in err.problem
    place = f" at {where}" if where else ""
    assert str(err).startswith(f"{path}{place}: ")


@pytest.mark.parametrize(
    "name, where, problem",
    [
        ("bad_date.json", "entry[2].resource.effectiveDateTime", 'not a valid date: "2026-13-45"'),
        ("bad_value.json", "entry[1].resource.valueQuantity.value", 'expected a number, found string "abc"'),
        ("bad_coding_not_array.json", "entry[1].resource.code.coding", "expected an array, found an object"),
    ],
)
def test_a_bad_resource_is_read_as_unreadable_not_the_whole_file(name, where, problem):
    patient = load_patient(fx(name))
    assert len(patient.unreadable) == 1
    assert patient.unreadable[0].startswith(f"{where}: ") and problem in patient.unreadable[0]
    spoiled = [r for r in (*patient.observations, *patient.conditions) if r.unreadable]
    assert [r.unreadable for r in spoiled] == list(patient.unreadable)
    assert all(getattr(r, "value", None) is None for r in spoiled)


def test_bad_input_in_a_directory_names_the_file(tmp_path):
    (tmp_path / "a.json").write_text(fx("bundle_collection.json").read_text())
    (tmp_path / "b.json").write_bytes(fx("bad_not_json.json").read_bytes())
    with pytest.raises(InputError, match=r"b\.json at line 4, column 3"):
        load_patients([tmp_path])
    skipped: list[InputError] = []
    patients = load_patients([tmp_path], on_error=skipped.append)
    assert [p.source for p in patients] == [str(tmp_path / "a.json")]
    assert [e.source for e in skipped] == [str(tmp_path / "b.json")]


@pytest.mark.parametrize(
    "doc, where, problem",
    [
        ({"resourceType": "Patient", "id": "p", "birthDate": 19720304}, "birthDate", "expected a date, found number"),
        ({"resourceType": "Patient", "id": "p", "birthDate": "04/03/1972"}, "birthDate", "not a valid date"),
        ({"resourceType": "Bundle", "entry": {}}, "entry", "expected an array"),
        ({"resourceType": "Bundle", "entry": [{"resource": {"id": "x"}}]}, "entry[0].resource.resourceType", "expected a resource type"),
        ({"id": "x", "observations": [{"name": "a", "value": True}]}, "observations[0].value", "expected a number"),
        ({"id": "x", "conditions": [{}]}, "conditions[0]", "a record needs a name or a code"),
        ({"id": "x", "observations": {}}, "observations", "expected an array"),
        ({"idd": "x"}, "idd", 'unknown field "idd" (did you mean "id"?)'),
    ],
)
def test_bad_documents(doc, where, problem):
    with pytest.raises(InputError) as caught:
        load_patient(doc, source="doc.json")
    assert (caught.value.source, caught.value.where) == ("doc.json", where)
    assert problem in caught.value.problem


def test_nan_is_not_a_number(tmp_path):
    path = tmp_path / "nan.json"
    path.write_text('{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "id": "p"}},'
                    ' {"resource": {"resourceType": "Observation", "valueQuantity": {"value": NaN}}}]}')
    assert load_patient(path).unreadable == ("entry[1].resource.valueQuantity.value: expected a number, found NaN",)


def test_a_fraction_is_no_whole_number():
    doc = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "id": "p"}},
                                               {"resource": {"resourceType": "Observation", "valueInteger": 1.5}}]}
    assert load_patient(doc).unreadable == ("entry[1].resource.valueInteger: expected a whole number, found 1.5",)


def test_missing_files_and_empty_directories(tmp_path):
    with pytest.raises(InputError, match="no such file or directory"):
        load_patients([tmp_path / "nope.json"])
    with pytest.raises(InputError, match="no patient files"):
        load_patients([tmp_path])


def test_load_patients_keeps_order_and_expands_directories(tmp_path):
    for name in ("b.json", "a.json", "notes.txt"):
        (tmp_path / name).write_text(fx("bare_patient_no_id.json").read_text())
    patients = load_patients([fx("own_valid.json"), tmp_path, str(fx("bare_patient.json"))])
    assert [p.id for p in patients] == ["pt-001", "a", "b", "lonely"]


def test_a_bom_is_fine(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + fx("bare_patient.json").read_bytes())
    assert load_patient(path).id == "lonely"


def test_other_resource_types_are_not_looked_at():
    p = load_patient(fx("odd_values.json"))  # holds an Encounter with a malformed date
    assert p.id == "odd"


@pytest.mark.parametrize("module", [engine.fhir, engine.patients])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted and not result.failed


def test_unreadable_units_are_kept_as_written():
    doc = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "u"}},
            {"resource": {"resourceType": "MedicationStatement", "status": "active",
                          "medicationCodeableConcept": {"text": "salbutamol inhaler"},
                          "dosage": [{"timing": {"repeat": {"frequency": 4, "period": 1, "periodUnit": "d"}},
                                      "doseAndRate": [{"doseQuantity": {"value": 2, "unit": "puffs of the blue one"}}]}]}},
            {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "ALT"},
                          "valueQuantity": {"value": 40, "unit": "Karmen units"},
                          "referenceRange": [{"high": {"value": 35, "unit": "Karmen units"}}]}},
        ],
    }
    p = load_patient(doc, source="units.json")
    (med,) = p.medications
    assert (med.dose_value, med.dose_unit, med.dose_unit_ok, med.daily_dose) == (2, "puffs of the blue one", False, 8)
    (alt,) = p.observations
    assert (alt.unit, alt.unit_ok, alt.ref_high, alt.ref_unit) == ("Karmen units", False, 35, "Karmen units")
    assert alt.flags == ('reference range unit "Karmen units" not understood',)
