"""The bundled vocabulary (rules/vocab/*.toml): it loads, its phrases are unambiguous and plain,
its graph is whole, and the codes and equivalences the engine relies on are there."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.vocab import KINDS, Vocabulary, load_vocabulary, rules_dir

VOCAB_DIR = rules_dir() / "vocab"
FILES = sorted(VOCAB_DIR.glob("*.toml"))
_PARENT_KIND = {"drug": "drug_class"}


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary()


def _all_phrases(vocab: Vocabulary):
    for c in vocab.concepts():
        for phrase in c.phrases():
            yield c, phrase


# --- loading --------------------------------------------------------------------------------


def test_the_four_files_are_there():
    assert {f.name for f in FILES} >= {"measures.toml", "conditions.toml", "drugs.toml", "procedures.toml"}


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_each_file_loads_on_its_own(path: Path):
    v = load_vocabulary(path)
    assert v.concepts(), f"{path.name} holds no concept"


def test_the_folder_loads_and_holds_every_kind(vocab: Vocabulary):
    for kind in KINDS:
        assert vocab.concepts(kind), f"no {kind} in the bundled vocabulary"


def test_load_time_is_reported():
    """A fresh load (no cache). The figure is printed for the record, not asserted."""
    start = time.perf_counter()
    v = load_vocabulary(VOCAB_DIR)
    elapsed = time.perf_counter() - start
    print(f"\nvocabulary: {len(v.concepts())} concepts loaded in {elapsed * 1000:.1f} ms")
    assert v.concepts()


# --- phrases --------------------------------------------------------------------------------


def _plain(phrase: str) -> bool:
    """Letters (lowercase, accents allowed), digits, spaces, hyphens, apostrophes, '+'; no
    brackets, slashes, commas or full stops; words separated by single spaces."""
    if not phrase or phrase != phrase.strip() or "  " in phrase:
        return False
    if not (phrase[0].isalnum()):
        return False
    for ch in phrase:
        if ch.isalpha():
            if ch != ch.lower():
                return False
        elif not (ch.isdigit() or ch in " '+-"):
            return False
    return True


def test_plain_rule_itself():
    assert _plain("t-cell acute lymphoblastic leukemia") and _plain("sézary syndrome") and _plain("gilbert's syndrome")
    assert _plain("cd4+ count") and _plain("qtc interval fridericia")
    for bad in ("qtc interval (fridericia)", "pt/inr", "a, b", "st. john's wort", "lvef%", " alt", "Alt", "(non-infectious) pneumonitis"):
        assert not _plain(bad), bad


def test_every_phrase_is_a_plain_word_sequence(vocab: Vocabulary):
    bad = [f"{c.kind} {c.name!r}: {p!r}" for c, p in _all_phrases(vocab) if not _plain(p)]
    assert not bad, "phrases the parser cannot take:\n" + "\n".join(bad)


def test_no_phrase_names_two_concepts(vocab: Vocabulary):
    """Across all files: each name and synonym finds its own concept, whatever its case,
    hyphens or apostrophes."""
    wrong = []
    for c, phrase in _all_phrases(vocab):
        for spelling in (phrase, phrase.upper(), phrase.replace("-", " "), phrase.replace("'", "")):
            found = vocab.find(spelling)
            if found is not c:
                wrong.append(f"{spelling!r} of {c.kind} {c.name!r} finds {found.kind + ' ' + found.name if found else None}")
    assert not wrong, "\n".join(wrong[:50])


def test_terms_cover_every_phrase(vocab: Vocabulary):
    terms = vocab.terms()
    for c, phrase in _all_phrases(vocab):
        assert terms[phrase.lower()] is c


def test_ambiguous_abbreviations_are_left_out(vocab: Vocabulary):
    # documented in the file headers: each is ambiguous in criteria
    for phrase in ("all", "ms", "pt", "tb", "sct", "cart", "art", "ai", "adc", "aed", "bite", "hormone therapy",
                   "hormonal therapy", "immunosuppression", "pd-1", "pd-l1", "platinum", "growth factor", "study drug", "stent"):
        assert vocab.find(phrase) is None, phrase
    # 'hct' is haematocrit, not a transplant; 'tbi' is traumatic brain injury, not irradiation
    assert vocab.find("hct").name == "hematocrit"
    assert vocab.find("tbi").name == "traumatic brain injury"


# --- the graph ------------------------------------------------------------------------------


def test_every_parent_exists(vocab: Vocabulary):
    for c in vocab.concepts():
        kind = _PARENT_KIND.get(c.kind, c.kind)
        for p in c.parents:
            parent = vocab.get(kind, p)
            assert parent is not None and parent.name == p and parent.kind == kind, f"{c.kind} {c.name!r}: unknown {kind} {p!r}"


def test_no_concept_is_its_own_ancestor(vocab: Vocabulary):
    for c in vocab.concepts():
        assert c not in vocab.ancestors(c), c.name


def test_every_drug_has_a_class(vocab: Vocabulary):
    assert [d.name for d in vocab.concepts("drug") if not d.parents] == []


def test_descendants_of_corticosteroid(vocab: Vocabulary):
    cs = vocab.get("drug_class", "corticosteroid")
    names = {c.name for c in vocab.descendants(cs)}
    assert {"dexamethasone", "prednisone", "prednisolone", "methylprednisolone", "hydrocortisone", "betamethasone",
            "triamcinolone", "cortisone", "budesonide"} <= names
    # set apart on purpose (see the class notes)
    assert not {"fludrocortisone", "clobetasol", "fluticasone"} & names
    # steroids are immunosuppressants as the seed trials use the word
    assert vocab.get("drug", "dexamethasone") in vocab.descendants(vocab.get("drug_class", "immunosuppressant"))


def test_seed_classes_and_their_members(vocab: Vocabulary):
    members = {
        "t-cell immunosuppressant": {"mycophenolate mofetil", "methotrexate", "cyclosporine", "azathioprine", "leflunomide", "tacrolimus",
                                     "sirolimus"},
        "calcineurin inhibitor": {"cyclosporine", "tacrolimus", "voclosporin"},
        "jak inhibitor": {"tofacitinib", "baricitinib", "ruxolitinib", "upadacitinib", "fedratinib", "abrocitinib"},
        "anti-cd19 agent": {"blinatumomab", "tafasitamab", "inebilizumab", "loncastuximab tesirine"},
        "anti-cd20 agent": {"rituximab", "obinutuzumab", "ofatumumab", "ocrelizumab", "ublituximab"},
        "b-cell targeted therapy": {"rituximab", "blinatumomab", "belimumab", "telitacicept"},
        "car-t cell therapy": {"tisagenlecleucel", "axicabtagene ciloleucel", "brexucabtagene autoleucel", "lisocabtagene maraleucel",
                               "idecabtagene vicleucel", "ciltacabtagene autoleucel", "obecabtagene autoleucel"},
        "anti-cd7 agent": {"wu-cart-007", "cd7-rtx car-t cells"},
        "anti-t-cell monoclonal antibody": {"alemtuzumab"},
        "anti-t-cell antibody": {"alemtuzumab", "anti-thymocyte globulin"},
        "anticoagulant": {"warfarin", "heparin", "enoxaparin", "apixaban", "rivaroxaban", "dabigatran", "edoxaban"},
        "antiplatelet agent": {"aspirin", "clopidogrel"},
        "checkpoint inhibitor": {"pembrolizumab", "nivolumab", "atezolizumab", "durvalumab", "ipilimumab", "cemiplimab"},
        "tnf inhibitor": {"infliximab", "adalimumab", "etanercept"},
        "anthracycline": {"doxorubicin", "daunorubicin", "epirubicin", "idarubicin"},
        "platinum agent": {"cisplatin", "carboplatin", "oxaliplatin"},
        "taxane": {"paclitaxel", "docetaxel"},
        "antineoplastic agent": {"cyclophosphamide", "gemcitabine", "nelarabine", "pegaspargase", "venetoclax", "imatinib", "dasatinib",
                                 "bexarotene", "mogamulizumab", "romidepsin", "vorinostat", "brentuximab vedotin"},
        "live vaccine": {"measles mumps rubella vaccine", "varicella vaccine", "yellow fever vaccine", "bcg vaccine"},
    }
    for cls, expected in members.items():
        concept = vocab.get("drug_class", cls)
        assert concept is not None, cls
        names = {c.name for c in vocab.descendants(concept)}
        assert expected <= names, f"{cls}: missing {sorted(expected - names)}"
    # ATG is polyclonal: not an anti-T-cell monoclonal antibody
    atg = vocab.get("drug", "anti-thymocyte globulin")
    assert atg not in vocab.descendants(vocab.get("drug_class", "anti-t-cell monoclonal antibody"))


# canonical names other modules and the curated trials refer to
CLASS_NAMES = [
    "corticosteroid", "immunosuppressant", "t-cell immunosuppressant", "calcineurin inhibitor", "jak inhibitor", "anti-cd7 agent",
    "anti-cd19 agent", "anti-cd20 agent", "b-cell targeted therapy", "car-t cell therapy", "anti-t-cell monoclonal antibody",
    "live vaccine", "anticoagulant", "antiplatelet agent", "anticonvulsant", "antineoplastic agent", "investigational agent",
    "checkpoint inhibitor", "tyrosine kinase inhibitor", "diuretic", "insulin", "growth hormone", "oral hypoglycemic agent", "statin",
    "biologic", "hormonal contraceptive", "tnf inhibitor", "anthracycline", "platinum agent", "taxane", "bisphosphonate",
    "proton pump inhibitor", "opioid", "cyp3a4 inhibitor", "strong cyp3a4 inhibitor",
]
PROCEDURE_NAMES = [
    "hematopoietic stem cell transplant", "allogeneic hematopoietic stem cell transplant", "autologous hematopoietic stem cell transplant",
    "solid organ transplant", "major surgery", "surgery", "plasma exchange", "hemodialysis", "dialysis", "radiotherapy", "chemotherapy",
    "lymphoapheresis", "leukapheresis", "splenectomy", "blood transfusion", "platelet transfusion", "mechanical ventilation", "intubation",
    "biopsy", "endoscopy", "colonoscopy", "cardiac catheterization", "percutaneous coronary intervention", "coronary artery bypass graft",
    "cerebral shunt", "pacemaker implantation",
]


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_drug_class_names(vocab: Vocabulary, name: str):
    c = vocab.get("drug_class", name)
    assert c is not None and c.name == name


@pytest.mark.parametrize("name", PROCEDURE_NAMES)
def test_procedure_names(vocab: Vocabulary, name: str):
    c = vocab.get("procedure", name)
    assert c is not None and c.name == name


@pytest.mark.parametrize(
    ("phrase", "kind", "name"),
    [
        ("steroids", "drug_class", "corticosteroid"),
        ("systemic corticosteroids", "drug_class", "corticosteroid"),
        ("glucocorticoids", "drug_class", "corticosteroid"),
        ("immunosuppressive medications", "drug_class", "immunosuppressant"),
        ("systemic immunosuppression", "drug_class", "immunosuppressant"),
        ("T-cell-affecting immunosuppressants", "drug_class", "t-cell immunosuppressant"),
        ("JAK inhibitors", "drug_class", "jak inhibitor"),
        ("anti-CD7 therapy", "drug_class", "anti-cd7 agent"),
        ("targeted B-cell drugs", "drug_class", "b-cell targeted therapy"),
        ("CAR-T", "drug_class", "car-t cell therapy"),
        ("CAR T cell therapy", "drug_class", "car-t cell therapy"),
        ("chimeric antigen receptor T cells", "drug_class", "car-t cell therapy"),
        ("anti-T cell monoclonal antibodies", "drug_class", "anti-t-cell monoclonal antibody"),
        ("attenuated live vaccine", "drug_class", "live vaccine"),
        ("live attenuated vaccines", "drug_class", "live vaccine"),
        ("anticoagulant therapy", "drug_class", "anticoagulant"),
        ("antiepileptic drugs", "drug_class", "anticonvulsant"),
        ("anti-neoplastic agents", "drug_class", "antineoplastic agent"),
        ("chemotherapy agents", "drug_class", "cytotoxic agent"),
        ("investigational therapy", "drug_class", "investigational agent"),
        ("diuretics", "drug_class", "diuretic"),
        ("biologics", "drug_class", "biologic"),
        ("CDK4-6 inhibitors", "drug_class", "cdk4-6 inhibitor"),
        ("platinum-based chemotherapy", "drug_class", "platinum agent"),
        ("tocilizumab", "drug", "tocilizumab"),
        ("MMF", "drug", "mycophenolate mofetil"),
        ("ATG", "drug", "anti-thymocyte globulin"),
        ("Keytruda", "drug", "pembrolizumab"),
        ("HSCT", "procedure", "hematopoietic stem cell transplant"),
        ("bone marrow transplantation", "procedure", "hematopoietic stem cell transplant"),
        ("allo-HSCT", "procedure", "allogeneic hematopoietic stem cell transplant"),
        ("allogeneic transplant", "procedure", "allogeneic hematopoietic stem cell transplant"),
        ("autologous stem cell transplantation", "procedure", "autologous hematopoietic stem cell transplant"),
        ("major organ transplantation", "procedure", "solid organ transplant"),
        ("major surgical procedures", "procedure", "major surgery"),
        ("plasmapheresis", "procedure", "plasma exchange"),
        ("plasma separation", "procedure", "plasma exchange"),
        ("haemodialysis", "procedure", "hemodialysis"),
        ("radiation therapy", "procedure", "radiotherapy"),
        ("transfusions", "procedure", "blood transfusion"),
        ("PCI", "procedure", "percutaneous coronary intervention"),
        ("CABG", "procedure", "coronary artery bypass graft"),
        ("qtcf", "measure", "qtc interval fridericia"),
    ],
)
def test_phrases_as_criteria_write_them(vocab: Vocabulary, phrase: str, kind: str, name: str):
    c = vocab.find(phrase)
    assert c is not None and (c.kind, c.name) == (kind, name)


def test_transplant_hierarchy(vocab: Vocabulary):
    hsct = vocab.get("procedure", "hematopoietic stem cell transplant")
    below = vocab.descendants(hsct)
    assert vocab.get("procedure", "allogeneic hematopoietic stem cell transplant") in below
    assert vocab.get("procedure", "autologous hematopoietic stem cell transplant") in below
    organ = {c.name for c in vocab.descendants(vocab.get("procedure", "solid organ transplant"))}
    assert {"kidney transplant", "liver transplant", "heart transplant", "lung transplant"} <= organ
    # a transplant of an organ is major surgery; a hemodialysis record is dialysis
    assert vocab.get("procedure", "kidney transplant") in vocab.descendants(vocab.get("procedure", "major surgery"))
    assert vocab.get("procedure", "hemodialysis") in vocab.descendants(vocab.get("procedure", "dialysis"))


# --- codes ----------------------------------------------------------------------------------


def test_icd10_prefix_matching(vocab: Vocabulary):
    all_ = vocab.get("condition", "acute lymphoblastic leukemia")
    t_all = vocab.get("condition", "t-cell acute lymphoblastic leukemia")
    assert vocab.matches_coding(all_, "icd10cm", "C91.00")
    assert vocab.matches_coding(all_, "http://hl7.org/fhir/sid/icd-10-cm", "C9100")
    # ICD-10-CM cannot tell T-ALL from B-ALL: the code alone does not say T-ALL
    assert not vocab.matches_coding(t_all, "icd10cm", "C91.00")
    assert not vocab.matches_coding(all_, "icd10cm", "C92.00")
    assert vocab.matches_coding(vocab.get("condition", "leukemia"), "icd10cm", "C91.00")  # a parent matches its children's codes


def test_rxnorm_codes(vocab: Vocabulary):
    prednisone = vocab.find("prednisone")
    assert ("rxnorm", "8640") in prednisone.codes
    assert vocab.matches_coding(prednisone, "rxnorm", "8640")
    assert vocab.matches_coding(prednisone, "http://www.nlm.nih.gov/research/umls/rxnorm", "8640")
    assert vocab.matches_coding(vocab.get("drug_class", "corticosteroid"), "rxnorm", "3264")  # dexamethasone, a member
    assert not vocab.matches_coding(prednisone, "rxnorm", "3264")
    assert vocab.matches_coding(vocab.get("drug_class", "t-cell immunosuppressant"), "rxnorm", "42316")  # tacrolimus


def test_snomed_procedure_codes(vocab: Vocabulary):
    hsct = vocab.get("procedure", "hematopoietic stem cell transplant")
    assert vocab.matches_coding(hsct, "http://snomed.info/sct", "234336002")
    assert vocab.matches_coding(hsct, "snomed", "58390007")  # allogeneic bone marrow transplantation, a child
    chemo = vocab.get("procedure", "chemotherapy")
    assert vocab.matches_coding(chemo, "snomed", "703423002")  # combined chemotherapy and radiation therapy (Synthea)
    assert vocab.matches_coding(vocab.get("procedure", "radiotherapy"), "snomed", "703423002")


@pytest.mark.parametrize("system", ["rxnorm", "snomed", "loinc"])
def test_a_code_names_one_concept_or_its_ancestors(vocab: Vocabulary, system: str):
    """A code on two concepts is fine only along a parent line (measures, conditions and
    procedures may repeat a child's code on the parent); never on two unrelated concepts."""
    owners: dict[str, list] = {}
    for c in vocab.concepts():
        for code in c.codes_for(system):
            owners.setdefault(code, []).append(c)
    clashes = []
    for code, cs in owners.items():
        for a in cs:
            for b in cs:
                if a is not b and a not in vocab.ancestors(b) and b not in vocab.ancestors(a):
                    clashes.append(f"{system} {code}: {a.name!r} and {b.name!r}")
    assert not clashes, "\n".join(sorted(set(clashes)))


# --- equivalences and half-lives --------------------------------------------------------------

# DOMAIN.md: prednisone 5 mg = prednisolone 5 = methylprednisolone 4 = triamcinolone 4 =
# hydrocortisone 20 = cortisone 25 = dexamethasone 0.75 = betamethasone 0.6
PREDNISONE_EQUIVALENT = {
    "prednisone": "5", "prednisolone": "5", "methylprednisolone": "4", "triamcinolone": "4", "hydrocortisone": "20",
    "cortisone": "25", "dexamethasone": "0.75", "betamethasone": "0.6",
}


@pytest.mark.parametrize(("name", "mg"), PREDNISONE_EQUIVALENT.items())
def test_prednisone_equivalents(vocab: Vocabulary, name: str, mg: str):
    drug = vocab.get("drug", name)
    assert drug.prednisone_equivalent_mg == Decimal(mg)
    assert drug in vocab.descendants(vocab.get("drug_class", "corticosteroid"))


def test_only_the_domain_table_carries_prednisone_equivalents(vocab: Vocabulary):
    carrying = {d.name for d in vocab.concepts("drug") if d.prednisone_equivalent_mg is not None}
    assert carrying == set(PREDNISONE_EQUIVALENT)


def test_half_lives_are_cited(vocab: Vocabulary):
    for d in vocab.concepts("drug"):
        if d.half_life_hours is not None:
            assert d.half_life_hours > 0
            assert d.source and "half-life" in d.source, d.name
    assert vocab.get("drug", "venetoclax").half_life_hours == Decimal(26)


# --- text matching --------------------------------------------------------------------------


def test_matches_text_is_whole_word(vocab: Vocabulary):
    alt = vocab.find("alt")
    assert vocab.matches_text(alt, "ALT 45 U/L")
    assert not vocab.matches_text(alt, "salt")
    assert not vocab.matches_text(alt, "altitude")


def test_matches_text_through_descendants_and_spellings(vocab: Vocabulary):
    cs = vocab.get("drug_class", "corticosteroid")
    assert vocab.matches_text(cs, "Dexamethasone 4 MG Oral Tablet")
    assert vocab.matches_text(cs, "Solu-Medrol 125 mg IV")
    assert not vocab.matches_text(cs, "Fludrocortisone 0.1 MG")
    cart = vocab.get("drug_class", "car-t cell therapy")
    assert vocab.matches_text(cart, "CAR T-cell therapy (tisagenlecleucel)")
    assert vocab.matches_text(cart, "Kymriah infusion")


def test_matches_text_ignores_longer_phrases_of_other_concepts(vocab: Vocabulary):
    hep_b = vocab.get("condition", "hepatitis b")
    assert vocab.matches_text(hep_b, "chronic hepatitis B")
    assert not vocab.matches_text(hep_b, "Hepatitis B vaccine, adult")
    sclc = vocab.get("condition", "small cell lung cancer")
    assert not vocab.matches_text(sclc, "non-small cell lung cancer")
    heparin = vocab.get("drug", "heparin")
    assert not vocab.matches_text(heparin, "low molecular weight heparin 40 mg")
    covid = vocab.get("condition", "covid-19")
    assert not vocab.matches_text(covid, "COVID-19 vaccine")


def test_a_loose_parent_is_a_parent_that_does_not_make_its_child_strictly_under_it(vocab: Vocabulary):
    hypertension = vocab.get("condition", "hypertension")
    cvd = vocab.get("condition", "cardiovascular disease")
    assert hypertension in vocab.descendants(cvd)  # still found under it
    assert not vocab.strictly_under(hypertension, cvd)
    mi = vocab.get("condition", "acute myocardial infarction") or vocab.get("condition", "myocardial infarction")
    assert mi is not None and vocab.strictly_under(mi, cvd)


def test_a_parent_cannot_be_both_strict_and_loose(tmp_path: Path):
    (tmp_path / "conditions.toml").write_text(
        '[[condition]]\nname = "a"\n\n[[condition]]\nname = "b"\nparents = ["a"]\nloose_parents = ["a"]\n', encoding="utf-8"
    )
    with pytest.raises(InputError, match="either strict"):
        load_vocabulary(tmp_path)


def test_the_drugs_of_a_therapy_exist(vocab: Vocabulary):
    chemo = vocab.get("procedure", "chemotherapy")
    assert chemo.drugs == ("cytotoxic agent",)
    for c in vocab.concepts("procedure"):
        for d in c.drugs:
            assert vocab.get("drug_class", d) or vocab.get("drug", d)


def test_an_unknown_drug_of_a_therapy_is_an_error_naming_the_place(tmp_path):
    (tmp_path / "a.toml").write_text('[[drug_class]]\nname = "cytotoxic agent"\n\n[[procedure]]\nname = "chemo"\ndrugs = ["cytotoxics"]\n')
    with pytest.raises(InputError) as exc:
        load_vocabulary(tmp_path)
    assert "procedure[0].drugs" in str(exc.value) and "cytotoxics" in str(exc.value)
