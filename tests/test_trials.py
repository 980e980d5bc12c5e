"""engine.trials: loading CT.gov records and curated rules files, splitting eligibility text.

The split cases quote real ClinicalTrials.gov records from shared/data/corpus (trimmed); the
NCT number and file line are given with each.
"""

from __future__ import annotations

import collections
import json
import re
import time
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.trials import _PDQ_THERAPY_LABEL, _PRIOR_THERAPY, Criterion, Trial, load_trials, rules_dir, split_criteria, trials_from_record

FIXTURES = Path(__file__).parent / "fixtures" / "trials"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def shape(criteria: tuple[Criterion, ...]) -> list:
    """(section, text) per item, with a nested list for children when there are any."""
    out = []
    for c in criteria:
        out.append((c.section[:3], c.text, shape(c.children)) if c.children else (c.section[:3], c.text))
    return out


def walk(criteria):
    for c in criteria:
        yield c
        yield from walk(c.children)


# ---------------------------------------------------------------- input shapes


def test_single_study_object():
    [trial] = load_trials(GOOD / "study.json")
    assert trial.trial_id == "NCT90000001"
    assert trial.title == "Single study record (hand-made fixture)"
    assert trial.source == str(GOOD / "study.json")
    assert (trial.minimum_age, trial.maximum_age, trial.sex, trial.healthy_volunteers) == (
        "18 Years",
        "75 Years",
        "FEMALE",
        False,
    )
    assert shape(trial.criteria) == [
        ("inc", "Minimum age: 18 Years"),
        ("inc", "Maximum age: 75 Years"),
        ("inc", "Sex: female"),
        ("inc", "Accepts healthy volunteers: No"),
        ("inc", "Age 18 years or older"),
        ("inc", "Absolute neutrophil count >= 1500/uL"),
        ("exc", "Pregnant or breastfeeding"),
    ]


def test_api_page():
    trials = load_trials(GOOD / "page.json")
    assert [t.trial_id for t in trials] == ["NCT90000002", "NCT90000003"]
    assert [t.source for t in trials] == [f"{GOOD / 'page.json'}:studies[0]", f"{GOOD / 'page.json'}:studies[1]"]
    # empty briefTitle falls back to officialTitle; neither -> the id
    assert trials[0].title == "Official title used when the brief title is empty"
    assert trials[1].title == "NCT90000003"
    # no eligibility text: only the structured criteria, not an error
    assert shape(trials[1].criteria) == [("inc", "Sex: male"), ("inc", "Accepts healthy volunteers: Yes")]
    assert trials[1].healthy_volunteers is True


def test_json_lines():
    trials = load_trials(GOOD / "records.jsonl")
    assert [(t.trial_id, t.source) for t in trials] == [
        ("NCT90000004", f"{GOOD / 'records.jsonl'}:1"),
        ("NCT90000005", f"{GOOD / 'records.jsonl'}:3"),  # blank line 2 skipped
    ]
    assert shape(trials[1].criteria) == [("inc", "ECOG 0-1"), ("inc", "Measurable disease")]


def test_json_lines_in_a_json_file():
    trials = load_trials(GOOD / "lines.json")
    assert [(t.trial_id, t.source, t.criteria) for t in trials] == [
        ("NCT90000006", f"{GOOD / 'lines.json'}:1", ()),
        ("NCT90000007", f"{GOOD / 'lines.json'}:2", ()),
    ]


def test_curated_rules_file():
    [trial] = load_trials(GOOD / "curated.toml")
    assert (trial.trial_id, trial.title, trial.source) == ("LOCAL-0001", "Curated fixture", str(GOOD / "curated.toml"))
    assert shape(trial.criteria) == [
        ("inc", "Minimum age: 12 Years"),
        ("inc", "Accepts healthy volunteers: No"),
        (
            "inc",
            "Relapsed disease defined as at least one of the following:",
            [
                ("inc", "Primary refractory disease"),
                (
                    "inc",
                    "Relapse after transplant, and meet the following:",
                    [("inc", "Transplant > 90 days prior to enrollment")],
                ),
            ],
        ),
        ("exc", "Screen for the absence of active infection"),
    ]
    last = trial.criteria[-1]
    assert (last.canonical, last.origin) == ("active infection", "text")
    assert last.note.startswith("double negative")


def test_directory_loads_every_file_sorted():
    trials = load_trials(GOOD)
    assert [t.trial_id for t in trials] == [
        "LOCAL-0001",  # curated.toml
        "NCT90000006",  # lines.json
        "NCT90000007",
        "NCT90000002",  # page.json
        "NCT90000003",
        "NCT90000004",  # records.jsonl
        "NCT90000005",
        "NCT90000001",  # study.json
    ]
    assert load_trials(str(GOOD)) == trials


def test_trials_from_record_and_models_are_frozen():
    record = json.loads((GOOD / "study.json").read_text())
    trial = trials_from_record(record, "memory")
    assert isinstance(trial, Trial) and trial.source == "memory"
    with pytest.raises(Exception):
        trial.title = "changed"  # type: ignore[misc]
    assert Trial.model_validate(trial.model_dump(mode="json")) == trial


def test_identical_duplicates_are_kept_once(tmp_path):
    line = (GOOD / "records.jsonl").read_text().splitlines()[0]
    (tmp_path / "a.jsonl").write_text(line + "\n" + line + "\n")
    trials = load_trials(tmp_path)
    assert [t.trial_id for t in trials] == ["NCT90000004"]
    assert trials[0].source.endswith("a.jsonl:1")


# ---------------------------------------------------------------- structured criteria


@pytest.mark.parametrize(
    "module, expected",
    [
        ({"minimumAge": "18 Years"}, [("Minimum age: 18 Years", "age >= 18 years")]),
        ({"maximumAge": "65 Years"}, [("Maximum age: 65 Years", "age <= 65 years")]),
        ({"minimumAge": "6 Months"}, [("Minimum age: 6 Months", "age >= 6 months")]),
        ({"maximumAge": "28 Days"}, [("Maximum age: 28 Days", "age <= 28 days")]),
        ({"minimumAge": "2 Weeks"}, [("Minimum age: 2 Weeks", "age >= 2 weeks")]),
        ({"sex": "FEMALE"}, [("Sex: female", "sex female")]),
        ({"sex": "MALE"}, [("Sex: male", "sex male")]),
        ({"sex": "ALL"}, []),
        # CONTRACT.md: healthy volunteers appear as an inclusion criterion too (engine.screen decides it)
        ({"healthyVolunteers": True}, [("Accepts healthy volunteers: Yes", None)]),
        ({"healthyVolunteers": False}, [("Accepts healthy volunteers: No", None)]),
        ({"minimumAge": "N/A"}, []),
    ],
)
def test_structured_criteria(module, expected):
    record = {"protocolSection": {"identificationModule": {"nctId": "NCT1"}, "eligibilityModule": module}}
    trial = trials_from_record(record, "x")
    assert [(c.text, c.canonical) for c in trial.criteria] == expected
    assert all(c.origin == "structured" and c.section == "inclusion" for c in trial.criteria)


def test_structured_criteria_come_before_text():
    record = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT1"},
            "eligibilityModule": {"eligibilityCriteria": "* Adults", "minimumAge": "18 Years", "sex": "MALE"},
        }
    }
    trial = trials_from_record(record, "x")
    assert [(c.text, c.origin) for c in trial.criteria] == [
        ("Minimum age: 18 Years", "structured"),
        ("Sex: male", "structured"),
        ("Adults", "text"),
    ]


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "path, expected",
    [
        ("syntax.json", "syntax.json at line 3, column 47: invalid JSON"),
        ("broken_line.jsonl", "broken_line.jsonl at line 2, column"),
        ("shape.json", "shape.json at studies[3].protocolSection: missing"),
        ("sex.json", "sex.json at protocolSection.eligibilityModule.sex: expected ALL, FEMALE or MALE"),
        ("age.json", "age.json at protocolSection.eligibilityModule.minimumAge: age 'eighteen'"),
        ("not_a_study.json", "not_a_study.json: expected a ClinicalTrials.gov study record"),
        ("unknown_key.toml", "unknown_key.toml at criteria[1].canonicl: unknown key 'canonicl' (did you mean 'canonical'?)"),
        ("syntax.toml", "syntax.toml at line 3, column 8: invalid TOML"),
        ("canonical_without_note.toml", "canonical_without_note.toml at criteria[0]: a 'canonical' restatement needs a 'note'"),
        ("child_section.toml", "child_section.toml at criteria[0].children[0].section"),
    ],
)
def test_bad_input_names_file_and_place(path, expected):
    with pytest.raises(InputError) as info:
        load_trials(BAD / path)
    message = str(info.value)
    assert message.startswith(str(BAD)), message
    assert expected in message, message


def test_duplicate_ids_name_both_sources():
    with pytest.raises(InputError) as info:
        load_trials(BAD / "dup")
    message = str(info.value)
    assert "duplicate trial id NCT90000041" in message
    assert str(BAD / "dup" / "a.json") in message and str(BAD / "dup" / "b.jsonl") in message


def test_json_lines_bad_line_in_json_file(tmp_path):
    good = (GOOD / "lines.json").read_text().splitlines()[0]
    path = tmp_path / "several.json"
    path.write_text(f"{good}\n{good.replace('NCT90000006', 'NCT90000008')}\n{{oops\n")
    with pytest.raises(InputError, match=r"several\.json at line 3, column 2: invalid JSON"):
        load_trials(path)


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("missing.json", None, "no such file or directory"),
        ("empty.json", "", "empty file"),
        ("notes.txt", "{}", "unsupported file type"),
        ("latin1.json", b'{"x": "\xe9"}', "at line 1, column 8: not UTF-8 text (byte 0xE9)"),
        ("nct.json", '{"protocolSection": {"identificationModule": {}}}', "protocolSection.identificationModule.nctId: missing"),
        ("module.json", '{"protocolSection": {"identificationModule": []}}', "protocolSection.identificationModule: expected an object"),
        ("text.json", '{"protocolSection": {"identificationModule": {"nctId": "N"}, "eligibilityModule": {"eligibilityCriteria": 3}}}', "eligibilityCriteria: expected a string"),
        ("studies.json", '{"studies": {}}', "at studies: expected an array"),
        ("study.json", '{"studies": [3]}', "at studies[0]: expected a study object"),
        ("noid.toml", 'title = "t"\nsource = "s"\n', "at id: missing 'id'"),
        ("type.toml", 'id = 3\ntitle = "t"\nsource = "s"\n', "at id: expected a string"),
        ("top.toml", 'id = "x"\ntitle = "t"\nsource = "s"\nsexx = "ALL"\n', "at sexx: unknown key 'sexx' (did you mean 'sex'?)"),
        ("sec.toml", 'id = "x"\ntitle = "t"\nsource = "s"\n[[criteria]]\ntext = "a"\n', "at criteria[0]: missing 'section'"),
    ],
)
def test_more_bad_inputs(tmp_path, name, content, expected):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(InputError) as info:
        load_trials(path)
    assert str(info.value).startswith(str(path))
    assert expected in str(info.value)


def test_empty_directory_is_an_error(tmp_path):
    with pytest.raises(InputError, match="no \\*.json, \\*.jsonl or \\*.toml"):
        load_trials(tmp_path)


# ---------------------------------------------------------------- splitting: headings


@pytest.mark.parametrize(
    "text, expected",
    [
        # NCT00763412 (aact_v2.jsonl:1): the common modern form, and the \< escape
        (
            "Inclusion Criteria:\n\n* Male or females 12 -24 years old\n"
            "* Must have a glucose pattern by Oral Glucose Tolerance Test with fasting blood glucose \\<126 mg/dl "
            "and 2 hour: 140 - 199 mg/dl or \\>200 mg/dl.\n\nExclusion Criteria:\n\n"
            "* Patients receiving growth hormone therapy or taking insulin",
            [
                ("inc", "Male or females 12 -24 years old"),
                (
                    "inc",
                    "Must have a glucose pattern by Oral Glucose Tolerance Test with fasting blood glucose <126 mg/dl "
                    "and 2 hour: 140 - 199 mg/dl or >200 mg/dl.",
                ),
                ("exc", "Patients receiving growth hormone therapy or taking insulin"),
            ],
        ),
        # NCT03860038 (leaf.jsonl:1): "Inclusion criteria:" with indented numbers
        (
            "Inclusion criteria:\n  1. Age ≥ 18, male or female;\n  2. Subject must have had documented MM;\n"
            "Exclusion criteria:\n  1. Subject has received CAR-T cell therapy previously;",
            [
                ("inc", "Age ≥ 18, male or female;"),
                ("inc", "Subject must have had documented MM;"),
                ("exc", "Subject has received CAR-T cell therapy previously;"),
            ],
        ),
        # NCT02552212 (aact_v2.jsonl:4) "Key Inclusion Criteria:" / "Key Exclusion Criteria:"
        (
            "Key Inclusion Criteria:\n\n1. Eczema Area and Severity Index (EASI) score ≥16 at the screening visit\n\n"
            "Key Exclusion Criteria:\n\n1. Prior treatment with dupilumab (REGN668/ SAR231893)",
            [
                ("inc", "Eczema Area and Severity Index (EASI) score ≥16 at the screening visit"),
                ("exc", "Prior treatment with dupilumab (REGN668/ SAR231893)"),
            ],
        ),
        # NCT00001177 (aact_legacy_xml.jsonl:1): "-  INCLUSION CRITERIA:" / "EXCLUSION CRITERIA:", plain paragraphs
        (
            "-  INCLUSION CRITERIA:\n\nThe subjects of this study will be women who meet the following criteria:\n\n"
            "-  age 18 to 50;\n\n-  regular menses.\n\nEXCLUSION CRITERIA:\n\n"
            "Subjects should have no general medical illness that is primary (i.e., appears to be\n"
            "causing the mood disorder);",
            [
                (
                    "inc",
                    "The subjects of this study will be women who meet the following criteria:",
                    [("inc", "age 18 to 50;"), ("inc", "regular menses.")],
                ),
                (
                    "exc",
                    "Subjects should have no general medical illness that is primary (i.e., appears to be "
                    "causing the mood disorder);",
                ),
            ],
        ),
        # NCT02679963 (aact_legacy_xml.jsonl:35): French "Non-inclusion criteria" are exclusions
        (
            "For inclusion in the study subjects should fulfill the following criteria:\n\n"
            "2. Patients must be > 18 years of age.\n\nNon-inclusion criteria:\n\n1. Symptomatic brain metastases",
            [("inc", "Patients must be > 18 years of age."), ("exc", "Symptomatic brain metastases")],
        ),
        # NCT03860181 (leaf.jsonl:53): an exclusion preamble instead of a heading
        (
            "Inclusion Criteria:\n  -  They are willing and have the capacity to provide informed consent;\n"
            "Subjects will be excluded if:\n"
            "  -  They self-report a known hypersensitivity to cyanoacrylate, formaldehyde, benzalkonium chloride, "
            "or pressure sensitive adhesive;",
            [
                ("inc", "They are willing and have the capacity to provide informed consent;"),
                (
                    "exc",
                    "They self-report a known hypersensitivity to cyanoacrylate, formaldehyde, benzalkonium chloride, "
                    "or pressure sensitive adhesive;",
                ),
            ],
        ),
        # NCT04984356 (shared/seeds/001): "Patients will be excluded from study entry if:"
        (
            "- Life expectancy >12 weeks\nPatients will be excluded from study entry if:\n"
            "- Pregnant or nursing (lactating) women",
            [("inc", "Life expectancy >12 weeks"), ("exc", "Pregnant or nursing (lactating) women")],
        ),
        # NCT00003135 (oncology_990.jsonl:1): legacy PDQ sub-headings and topic labels
        (
            "Inclusion Criteria:\n\n* DISEASE CHARACTERISTICS:\n* Measurable and evaluable disease\n"
            "* PATIENT CHARACTERISTICS:\n* Age:\n* 18 and over\n* Hepatic:\n* Bilirubin less than 2.0 mg/dL\n"
            "* SGPT less than 2 times normal\n* PRIOR CONCURRENT THERAPY:\n* Chemotherapy:\n* Prior chemotherapy allowed\n\n"
            "Exclusion Criteria:\n\n",
            [
                ("inc", "Measurable and evaluable disease"),
                ("inc", "Age:", [("inc", "18 and over")]),
                ("inc", "Hepatic:", [("inc", "Bilirubin less than 2.0 mg/dL"), ("inc", "SGPT less than 2 times normal")]),
                ("inc", "Chemotherapy:", [("inc", "Prior chemotherapy allowed")]),
            ],
        ),
        # NCT03921398 (leaf.jsonl:306): headings naming a subgroup keep it, with the items as children
        (
            "Inclusion Criteria (ESRD group):\n  -  History of biopsy-proven lupus nephritis\n"
            "Exclusion Criteria (ESRD group):\n  -  Past-history of kidney transplantation\n"
            "Inclusion criteria (non ESRD group):\n  -  First event of lupus nephritis",
            [
                ("inc", "Inclusion Criteria (ESRD group):", [("inc", "History of biopsy-proven lupus nephritis")]),
                ("exc", "Exclusion Criteria (ESRD group):", [("exc", "Past-history of kidney transplantation")]),
                ("inc", "Inclusion criteria (non ESRD group):", [("inc", "First event of lupus nephritis")]),
            ],
        ),
        # no heading at all: everything is inclusion
        (
            "Healthy children\nPatient's age is 5-8 years old at the time of the treatment",
            [("inc", "Healthy children"), ("inc", "Patient's age is 5-8 years old at the time of the treatment")],
        ),
        # heading with no colon, lowercase (21 corpus records)
        ("inclusion criteria\n\n* Adults\n\nexclusion criteria\n\n* Children", [("inc", "Adults"), ("exc", "Children")]),
        ("", []),
        ("Inclusion Criteria:\n\nExclusion Criteria:\n\n* :\n", []),
    ],
)
def test_split_headings(text, expected):
    assert shape(split_criteria(text)) == expected


def test_heading_is_not_a_criterion_mentioning_inclusion():
    # NCT04360941-style lines that mention the words but are criteria, kept as criteria
    text = (
        "Inclusion Criteria:\n* Meets all inclusion criteria of the parent study\n"
        "* Other protocol-defined inclusion/exclusion criteria may apply"
    )
    assert shape(split_criteria(text)) == [
        ("inc", "Meets all inclusion criteria of the parent study"),
        ("inc", "Other protocol-defined inclusion/exclusion criteria may apply"),
    ]


def test_exclusion_sentence_with_content_is_not_a_heading():
    # a criterion that says "ineligible ... except the following:" must keep its exceptions as children
    text = (
        "Exclusion Criteria:\n"
        "* Participants with a history of malignancy are ineligible except in the following circumstances:\n"
        "  * Basal cell carcinoma of the skin"
    )
    assert shape(split_criteria(text)) == [
        (
            "exc",
            "Participants with a history of malignancy are ineligible except in the following circumstances:",
            [("exc", "Basal cell carcinoma of the skin")],
        )
    ]


# ---------------------------------------------------------------- splitting: bullets and nesting


@pytest.mark.parametrize(
    "text, expected",
    [
        ("* Age over 18 years.\n* Cardiogenic shock.", ["Age over 18 years.", "Cardiogenic shock."]),  # NCT03418623
        ("  -  Active tobacco use\n  -  Abnormal ECG", ["Active tobacco use", "Abnormal ECG"]),  # NCT03867344
        ("• Clinical Diagnosis of Primary Raynaud's Phenomenon\n•Age 18-65", ["Clinical Diagnosis of Primary Raynaud's Phenomenon", "Age 18-65"]),  # NCT03869008
        ("1. Age ≥ 18;\n2. ECOG 0~2;", ["Age ≥ 18;", "ECOG 0~2;"]),
        ("1) heavy smokers.\n2) extreme bruxism.", ["heavy smokers.", "extreme bruxism."]),
        ("(1) heavy smokers\n(2) extreme bruxism", ["heavy smokers", "extreme bruxism"]),
        ("a. Adults\nb. Children", ["Adults", "Children"]),
        ("A. Histologically proven breast cancer\nB. Secondary primary tumor", ["Histologically proven breast cancer", "Secondary primary tumor"]),  # NCT03924609
        ("i. Stable plaque psoriasis\nii. Moderate to severe disease", ["Stable plaque psoriasis", "Moderate to severe disease"]),
        ("-signing of informed consent for the participation in the sub-project.", ["signing of informed consent for the participation in the sub-project."]),
        ("* o Calculated creatinine clearance >35ml/minute", ["Calculated creatinine clearance >35ml/minute"]),
    ],
)
def test_split_bullets(text, expected):
    assert [c.text for c in split_criteria(text)] == expected


def test_nesting_by_indentation():
    # NCT03863730 (leaf.jsonl:20), trimmed
    text = (
        "Inclusion Criteria:\n"
        "  -  Prior or ongoing harmful alcohol intake for ≥ 5 year.\n"
        "       -  Outpatients with compensated advanced chronic alcohol-related liver disease, defined as stable patients with:\n"
        "            1. liver stiffness ≥15 kPa and asymptomatic and/or\n"
        "            2. New liver biopsy (<6months) with at least F3 fibrosis (kleiner) and/or\n"
        "       -  Informed consent\n"
        "Exclusion Criteria:\n"
        "  -  Hospitalised"
    )
    assert shape(split_criteria(text)) == [
        (
            "inc",
            "Prior or ongoing harmful alcohol intake for ≥ 5 year.",
            [
                (
                    "inc",
                    "Outpatients with compensated advanced chronic alcohol-related liver disease, defined as stable patients with:",
                    [
                        ("inc", "liver stiffness ≥15 kPa and asymptomatic and/or"),
                        ("inc", "New liver biopsy (<6months) with at least F3 fibrosis (kleiner) and/or"),
                    ],
                ),
                ("inc", "Informed consent"),
            ],
        ),
        ("exc", "Hospitalised"),
    ]


def test_nesting_markdown_sub_list_with_escapes():
    # NCT02552212 (aact_v2.jsonl:4)
    text = (
        "Inclusion Criteria:\n\n* No sacroiliitis defined by Modified New York (mNY) criteria on sacroiliac (SI) x-rays\n"
        "* Active disease at Screening as defined by\n\n"
        "  * Bath Ankylosing Spondylitis Disease Activity Index (BASDAI) score \\>= 4\n"
        "  * Spinal pain \\>= 4 on a 0 to 10 Numerical Rating Scale (NRS)\n"
        "* Inadequate response to at least 2 Nonsteroidal Anti-Inflammatory Drugs (NSAIDs)"
    )
    assert shape(split_criteria(text)) == [
        ("inc", "No sacroiliitis defined by Modified New York (mNY) criteria on sacroiliac (SI) x-rays"),
        (
            "inc",
            "Active disease at Screening as defined by",
            [
                ("inc", "Bath Ankylosing Spondylitis Disease Activity Index (BASDAI) score >= 4"),
                ("inc", "Spinal pain >= 4 on a 0 to 10 Numerical Rating Scale (NRS)"),
            ],
        ),
        ("inc", "Inadequate response to at least 2 Nonsteroidal Anti-Inflammatory Drugs (NSAIDs)"),
    ]


def test_nesting_by_marker_change_after_the_following():
    # NCT04984356 (shared/seeds/001): 'i.'-'iv.' under a '-' item ending "the following criteria:";
    # also the lone '-' whose text is on the next line
    text = (
        "- Evidence of relapsed or refractory T-ALL or T-LBL.\n"
        "-\n"
        "Relapsed or refractory disease defined as at least one of the following criteria:\n"
        "- Relapsed or refractory disease after allogeneic transplant, and meet the following criteria:\n"
        "i. There must be histological confirmation of relapse after HSCT of T-ALL or T-LBL.\n"
        "ii. Undergone allogeneic HSCT > 90 days prior to enrollment.\n"
        "- Life expectancy >12 weeks"
    )
    assert shape(split_criteria(text)) == [
        ("inc", "Evidence of relapsed or refractory T-ALL or T-LBL."),
        ("inc", "Relapsed or refractory disease defined as at least one of the following criteria:"),
        (
            "inc",
            "Relapsed or refractory disease after allogeneic transplant, and meet the following criteria:",
            [
                ("inc", "There must be histological confirmation of relapse after HSCT of T-ALL or T-LBL."),
                ("inc", "Undergone allogeneic HSCT > 90 days prior to enrollment."),
            ],
        ),
        ("inc", "Life expectancy >12 weeks"),
    ]


def test_nesting_restarted_numbering():
    # NCT04710303 (aact_legacy_xml.jsonl:62): "9. ... any of the following questions:" then "1. ..."
    text = (
        "9. Male participants should all be at low risk of HIV acquisition, i.e. answering YES to any of the following questions:\n\n"
        "1. Are you sexually abstinent? 2. Are you in a mutually monogamous relationship with a\n"
        "known HIV-uninfected partner? 3. Have you had only one partner in the preceding 12 months?\n\n"
        "10. Alanine aminotransferase (ALT) <1.1 times the upper limit of normal 11. Serum\n"
        "Creatinine <80 umol/L in females 12. Haemoglobin >12.0g/dL in females"
    )
    assert shape(split_criteria(text)) == [
        (
            "inc",
            "Male participants should all be at low risk of HIV acquisition, i.e. answering YES to any of the following questions:",
            [
                ("inc", "Are you sexually abstinent?"),
                ("inc", "Are you in a mutually monogamous relationship with a known HIV-uninfected partner?"),
                ("inc", "Have you had only one partner in the preceding 12 months?"),
            ],
        ),
        ("inc", "Alanine aminotransferase (ALT) <1.1 times the upper limit of normal"),
        ("inc", "Serum Creatinine <80 umol/L in females"),
        ("inc", "Haemoglobin >12.0g/dL in females"),
    ]


def test_paragraph_after_an_item_ending_with_colon_is_its_child():
    # NCT07339332 (shared/seeds/002)
    text = (
        "* Prior to screening, ... During screening, oral steroids must meet the following requirements:\n\n"
        "If treated with hormone therapy alone, prednisone (or equivalent medication) should be ≥7.5 mg/day;\n\n"
        "* During screening, positive for antinuclear antibody"
    )
    assert shape(split_criteria(text)) == [
        (
            "inc",
            "Prior to screening, ... During screening, oral steroids must meet the following requirements:",
            [("inc", "If treated with hormone therapy alone, prednisone (or equivalent medication) should be ≥7.5 mg/day;")],
        ),
        ("inc", "During screening, positive for antinuclear antibody"),
    ]


# ---------------------------------------------------------------- splitting: hard wraps


def test_hard_wrapped_lines_join():
    # NCT00023673 (aact_legacy_xml.jsonl:2) and NCT00081588-style wrapping at ~80 columns
    text = (
        "DISEASE CHARACTERISTICS:\n\n"
        "-  Histologically or cytologically confirmed unresectable stage IIIB non-small cell lung\n"
        "cancer\n\n"
        "-  All detectable primary tumor and involved regional lymph nodes must be encompassed by\n"
        "radiotherapy fields\n\n"
        "-  Squamous cell carcinoma\n"
    )
    assert [c.text for c in split_criteria(text)] == [
        "Histologically or cytologically confirmed unresectable stage IIIB non-small cell lung cancer",
        "All detectable primary tumor and involved regional lymph nodes must be encompassed by radiotherapy fields",
        "Squamous cell carcinoma",
    ]


def test_short_unbulleted_lines_are_separate_items():
    # NCT03934424-style plain lists (leaf.jsonl): one criterion a line, no wrapping
    text = "Exclusion Criteria:\nlack of compliance\nsevere medical condition\nOptic disc fatigue"
    assert [c.text for c in split_criteria(text)] == ["lack of compliance", "severe medical condition", "Optic disc fatigue"]


def test_label_line_after_an_item_starts_a_new_item():
    # NCT03924934 (leaf.jsonl:525), trimmed
    text = (
        "Exclusion Criteria:\n"
        "In all categories, participants who meet the following criteria will be excluded:\n"
        "• Age <18 years\n"
        "In category 1, the following are exclusionary:\n"
        "• pre-existing renal failure"
    )
    assert shape(split_criteria(text)) == [
        ("exc", "In all categories, participants who meet the following criteria will be excluded:", [("exc", "Age <18 years")]),
        ("exc", "In category 1, the following are exclusionary:", [("exc", "pre-existing renal failure")]),
    ]


def test_alternatives_joined_by_or_stay_one_criterion():
    # NCT03150576 (oncology_990.jsonl:213): a lone "OR" item between two alternatives
    text = (
        "Inclusion Criteria:\n\n* Histologically confirmed invasive breast cancer.\n"
        "* ER-negative*, and HER2-negative** breast cancer (TNBC).\n* OR\n"
        "* Germline BRCA (gBRCA) mutation positive, HER2 negative.\n* Age >= 18 years."
    )
    assert [c.text for c in split_criteria(text)] == [
        "Histologically confirmed invasive breast cancer.",
        "ER-negative*, and HER2-negative** breast cancer (TNBC). OR Germline BRCA (gBRCA) mutation positive, HER2 negative.",
        "Age >= 18 years.",
    ]
    # NCT06709469 (shared/seeds/003): an item ending "OR:" and the next one
    text = "• ARM A: CD19+/- CD22+ B-ALL, OR:\n• ARM B: T-ALL.\n• Life expectancy greater than 12 weeks."
    assert [c.text for c in split_criteria(text)] == [
        "ARM A: CD19+/- CD22+ B-ALL, OR: ARM B: T-ALL.",
        "Life expectancy greater than 12 weeks.",
    ]


def test_markdown_escapes():
    assert [c.text for c in split_criteria("* HbA1c \\<= 10% and BMI \\> 25 kg/m2 \\[see protocol\\] \\= ok")] == [
        "HbA1c <= 10% and BMI > 25 kg/m2 [see protocol] = ok"
    ]


def test_seed_002_published_text_read_literally():
    """The reason NCT07339332 is curated: split literally, liver/coagulation/lung/LVEF land in exclusion."""
    seed = next(SEEDS.glob("002_*.txt"), None) if SEEDS.is_dir() else None
    if seed is None:
        pytest.skip("shared/seeds is not beside this checkout")
    lines = seed.read_text(encoding="utf-8").split("\n")
    start = lines.index("Inclusion Criteria")
    end = next(i for i, line in enumerate(lines) if line.startswith("Minimum Eligible Age"))
    criteria = split_criteria("\n".join(lines[start:end]))
    organ = next(c for c in criteria if c.text == "Adequate organ function:")
    assert [c.text.split(":")[0] for c in organ.children] == ["Renal function"]
    exclusion = [c.text.split(":")[0] for c in criteria if c.section == "exclusion"][:4]
    assert exclusion == ["Liver function", "Coagulation function", "Lung function", "Cardiac function"]


def test_doctests():
    import doctest

    import engine.trials

    result = doctest.testmod(engine.trials)
    assert result.attempted >= 3 and result.failed == 0


# ---------------------------------------------------------------- the bundled rules


def bundled() -> dict[str, Trial]:
    return {t.trial_id: t for t in load_trials(rules_dir() / "trials")}


def counts(trial: Trial) -> tuple[int, int, int]:
    text = [c for c in trial.criteria if c.origin == "text"]
    return (
        sum(c.origin == "structured" for c in trial.criteria),
        sum(c.section == "inclusion" for c in text),
        sum(c.section == "exclusion" for c in text),
    )


def test_rules_dir():
    assert (rules_dir() / "trials" / "NCT04984356.toml").is_file()


def test_bundled_rules_load():
    trials = bundled()
    assert sorted(trials) == ["NCT04984356", "NCT06709469", "NCT07339332"]
    assert counts(trials["NCT04984356"]) == (2, 9, 10)
    assert counts(trials["NCT07339332"]) == (3, 11, 22)
    assert counts(trials["NCT06709469"]) == (1, 12, 10)  # the page does not say whether it takes healthy volunteers
    for trial in trials.values():
        # every curated restatement says why
        assert all(c.note for c in walk(trial.criteria) if c.canonical is not None and c.origin == "text")
        assert all(c.text.strip() == c.text and c.text for c in walk(trial.criteria))


def test_nct07339332_organ_function_children():
    trial = bundled()["NCT07339332"]
    assert (trial.minimum_age, trial.maximum_age, trial.sex, trial.healthy_volunteers) == ("18 Years", "65 Years", "ALL", False)
    organ = next(c for c in trial.criteria if c.text == "Adequate organ function:")
    assert organ.section == "inclusion"
    assert [c.text.split(":")[0] for c in organ.children] == [
        "Renal function",
        "Liver function",
        "Coagulation function",
        "Lung function",
        "Cardiac function",
    ]
    assert all(c.section == "inclusion" for c in organ.children)
    assert "item 2 is missing" in organ.note.replace("Sub-item", "item")
    assert "≥50%" in organ.children[-1].text
    absence = next(c for c in trial.criteria if c.text.startswith("Screen for the absence of systemic active infections"))
    assert absence.section == "exclusion" and "active systemic infection" in absence.note
    allowed = next(c for c in trial.criteria if "is allowed" in c.text)
    assert allowed.section == "exclusion" and "above 10 mg/day" in allowed.note


def test_nct04984356_relapse_definition_nested():
    trial = bundled()["NCT04984356"]
    relapse = next(c for c in trial.criteria if c.text.startswith("Relapsed or refractory disease defined as"))
    assert [c.text.split(":")[0].split(",")[0] for c in relapse.children] == [
        "Primary refractory",
        "Early Relapse",
        "Late Relapse (relapsed refractory disease)",
        "Relapsed or refractory disease after allogeneic transplant",
    ]
    transplant = relapse.children[-1]
    assert len(transplant.children) == 4
    assert transplant.children[1].text.startswith("Undergone allogeneic HSCT > 90 days")
    washout = next(c for c in trial.criteria if c.text.startswith("Wash-out period"))
    assert washout.section == "exclusion" and "Inverted" in washout.note


def test_nct06709469_arms_are_one_criterion():
    trial = bundled()["NCT06709469"]
    arms = [c for c in trial.criteria if "ARM A:" in c.text or c.text.startswith("ARM B")]
    assert len(arms) == 1 and "OR: ARM B: T-ALL" in arms[0].text and arms[0].note
    assert trial.maximum_age == "30 Years" and trial.minimum_age is None and trial.healthy_volunteers is None


# ---------------------------------------------------------------- the real corpus

# Words a heading or section preamble is made of: the only words split_criteria may drop.
_HEADING_WORDS = set(
    """
    inclusion exclusion inclusions exclusions criteria criterion key main general principal major
    critical additional disease characteristics patient patients prior concurrent therapy eligibility
    non protocol entry selection important study subject subjects participant participants individual
    individuals person persons people candidate candidates volunteer volunteers anyone any one an a
    the we those who that he she they them meet meets meeting met fulfil fulfils fulfill fulfills
    fulfilling fulfilled satisfy satisfies satisfying have has had present presenting screened apply
    applies applied is are was were be been will shall may must should can cannot need needs to not
    no none nor also only following below listed conditions condition reasons requirements excluded
    exclude exclusionary ineligible eligible included include enrolled enroll enrol enrolment
    enrollment participate participating participation allowed permitted trial research clinical
    this from in into for of if or and all each every more at with under case order selected
    considered enter entering take taking part time screening baseline either medical health summary
    fully s excusion both groups cohorts phases modules parts across wide includes
    """.split()
)


def _words(text: str) -> collections.Counter:
    return collections.Counter(re.findall(r"\w+", text.lower()))


def _source_words(text: str) -> collections.Counter:
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>=~^|])", r"\1", text)
    marker = re.compile(r"^\s*(?:[-*•·]+|\(?(?:\d{1,2}|[a-zA-Z]|[ivxIVX]{1,4})[.)](?=\s|$))?\s*")
    words: collections.Counter = collections.Counter()
    legacy = False
    for line in text.split("\n"):
        content = marker.sub("", line).strip()
        legacy = legacy or _PRIOR_THERAPY.match(content) is not None
        if legacy and _PDQ_THERAPY_LABEL.match(content):
            continue  # a heading of the legacy block ('Chemotherapy' above its lines): not a criterion
        words.update(_words(content))
    return words


def corpus_files() -> list[Path]:
    if not DATA.is_dir():
        pytest.skip("shared/data is not beside this checkout")
    files = sorted((DATA / "corpus").glob("*.jsonl"))
    if not files:
        pytest.skip("no corpus files in shared/data/corpus")
    return files


def test_corpus_loads_and_loses_no_text():
    files = corpus_files()
    start = time.perf_counter()
    loaded = {f.name: load_trials(f) for f in files}
    seconds = time.perf_counter() - start
    n_trials = sum(len(t) for t in loaded.values())
    n_criteria = sum(1 for ts in loaded.values() for t in ts for _ in walk(t.criteria))
    print(f"\ncorpus: {n_trials} trials, {n_criteria} criteria, loaded in {seconds:.2f} s")
    assert seconds < 30

    lost_report = []
    for f in files:
        records = [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
        ids = {r["protocolSection"]["identificationModule"]["nctId"] for r in records}
        assert len(loaded[f.name]) == len(ids)  # exact duplicates are kept once
        by_id = {t.trial_id: t for t in loaded[f.name]}
        for number, record in enumerate(records, start=1):
            nct = record["protocolSection"]["identificationModule"]["nctId"]
            text = record["protocolSection"].get("eligibilityModule", {}).get("eligibilityCriteria", "")
            got: collections.Counter = collections.Counter()
            for c in walk(by_id[nct].criteria):
                if c.origin == "text":
                    got.update(_words(c.text))
            lost = _source_words(text) - got
            odd = {w: n for w, n in lost.items() if w not in _HEADING_WORDS and not (w.isdigit() and len(w) <= 2) and len(w.strip("_")) > 1}
            if odd:
                lost_report.append(f"{f.name}:{number} {nct}: {odd}")
    assert not lost_report, "\n".join(lost_report[:20])


def test_corpus_sections_and_nesting_are_plausible():
    files = corpus_files()
    trials = [t for f in files for t in load_trials(f)]
    texts = [c for t in trials for c in walk(t.criteria) if c.origin == "text"]
    assert all(c.text and c.text == c.text.strip() for c in texts)
    assert all(c.section == parent.section for t in trials for parent in walk(t.criteria) for c in parent.children)
    with_exclusions = sum(any(c.section == "exclusion" for c in t.criteria) for t in trials)
    assert with_exclusions / len(trials) > 0.95


def test_aact_sample_files_load():
    if not DATA.is_dir():
        pytest.skip("shared/data is not beside this checkout")
    folder = DATA / "aact_ctgov_samples" / "api_v2_json"
    trials = load_trials(folder)  # two of the files hold the same study (identical): kept once
    ids = {json.loads(p.read_text())["protocolSection"]["identificationModule"]["nctId"] for p in folder.glob("*.json")}
    assert sorted(t.trial_id for t in trials) == sorted(ids)
    assert all(t.trial_id.startswith("NCT") for t in trials)
