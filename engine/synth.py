"""Synthetic patients for benchmarks and tests: FHIR R4 bundles, seeded and reproducible.

Each bundle has a Patient (sex, birth date), laboratory and vital-sign Observations coded in
LOINC with UCUM units (drawn around published adult reference ranges, a few out of range as
in a sick population), Conditions coded in SNOMED CT or ICD-10-CM, MedicationRequests and
MedicationStatements coded in RxNorm, and Procedures coded in SNOMED CT. Codes are taken from
the project's vocabulary (rules/vocab/*.toml), so every record is one elig can read; the
same seed gives the same bundles, byte for byte, on any machine (`random.Random(seed)` and
no clock: dates count back from `as_of`).

Not clinical data: the numbers are plausible one by one, not a model of real patients.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate
from math import exp
from typing import Any

from engine.vocab import load_vocabulary


@dataclass(frozen=True, slots=True)
class Lab:
    """A measurement drawn from a normal distribution and rounded; `share` of patients have it."""

    loinc: str
    display: str
    ucum: str
    mean: float
    sd: float
    low: float  # clipped to [low, high]: no negative counts, no 300 % saturation
    high: float
    digits: int
    share: float


LABS: tuple[Lab, ...] = (
    Lab("751-8", "Neutrophils [#/volume] in Blood", "10*9/L", 4.0, 1.8, 0.1, 20, 2, 0.8),
    Lab("6690-2", "Leukocytes [#/volume] in Blood", "10*9/L", 7.0, 2.5, 0.5, 40, 1, 0.85),
    Lab("731-0", "Lymphocytes [#/volume] in Blood", "10*9/L", 1.9, 0.7, 0.1, 10, 2, 0.6),
    Lab("777-3", "Platelets [#/volume] in Blood", "10*9/L", 240, 80, 5, 900, 0, 0.85),
    Lab("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 13.2, 1.9, 5, 20, 1, 0.9),
    Lab("4544-3", "Hematocrit [Volume Fraction] of Blood", "%", 40, 5, 15, 60, 1, 0.7),
    Lab("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 1.0, 0.35, 0.3, 8, 2, 0.9),
    Lab("33914-3", "Glomerular filtration rate/1.73 sq M.predicted", "mL/min/{1.73_m2}", 85, 25, 5, 140, 0, 0.6),
    Lab("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 28, 16, 4, 400, 0, 0.85),
    Lab("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 27, 14, 5, 400, 0, 0.85),
    Lab("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "mg/dL", 0.7, 0.35, 0.1, 6, 1, 0.85),
    Lab("6768-6", "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 80, 30, 20, 600, 0, 0.7),
    Lab("1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL", 4.0, 0.5, 1.5, 5.5, 1, 0.7),
    Lab("6301-6", "INR in Platelet poor plasma by Coagulation assay", "{INR}", 1.05, 0.2, 0.8, 5, 2, 0.4),
    Lab("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 5.9, 1.0, 4, 14, 1, 0.5),
    Lab("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 100, 25, 50, 400, 0, 0.8),
    Lab("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 4.2, 0.4, 2.5, 6.5, 1, 0.8),
    Lab("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 139, 3, 120, 155, 0, 0.8),
    Lab("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 190, 40, 90, 350, 0, 0.5),
    Lab("2532-0", "Lactate dehydrogenase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 190, 60, 80, 1500, 0, 0.3),
    Lab("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "m[IU]/L", 2.0, 1.2, 0.05, 20, 2, 0.3),
    Lab("10230-1", "Left ventricular Ejection fraction", "%", 60, 8, 15, 80, 0, 0.25),
    Lab("8636-3", "Q-T interval corrected", "ms", 420, 25, 340, 560, 0, 0.2),
    Lab("8867-4", "Heart rate", "/min", 75, 12, 40, 150, 0, 0.9),
    Lab("8480-6", "Systolic blood pressure", "mm[Hg]", 125, 17, 80, 210, 0, 0.9),
    Lab("8462-4", "Diastolic blood pressure", "mm[Hg]", 78, 10, 45, 130, 0, 0.9),
    Lab("29463-7", "Body weight", "kg", 78, 17, 35, 180, 1, 0.95),
    Lab("8302-2", "Body height", "cm", 170, 10, 140, 205, 0, 0.9),
)

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SYSTEM_URI = {
    "snomed": "http://snomed.info/sct",
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
}


@lru_cache(maxsize=None)
def _coded(kind: str, system: str) -> tuple[tuple[str, str], ...]:
    """(code, display) for every concept of a kind with a code in `system`, in file order."""
    vocab = load_vocabulary()
    return tuple((code, c.name) for c in vocab.concepts(kind) for code in c.codes_for(system)[:1])


def _pick_codes(rng: random.Random, kind: str, systems: tuple[str, ...], mean: float) -> list[tuple[str, str, str]]:
    """About `mean` distinct (system, code, display), a Poisson-like count; a few concepts
    are common and most rare (weights 1/rank), as diagnoses and drugs are in a population."""
    pool, cumulative = _pool(kind, systems)
    if not pool:
        return []
    count = min(len(pool), _poisson(rng, mean))
    chosen: dict[tuple[str, str], tuple[str, str, str]] = {}
    while len(chosen) < count:
        s, code, name = rng.choices(pool, cum_weights=cumulative)[0]
        chosen.setdefault((s, code), (s, code, name))
    return list(chosen.values())


@lru_cache(maxsize=None)
def _pool(kind: str, systems: tuple[str, ...]) -> tuple[list[tuple[str, str, str]], list[float]]:
    pool = [(s, code, name) for s in systems for code, name in _coded(kind, s)]
    return pool, list(accumulate(1 / (rank + 1) for rank in range(len(pool))))


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: small means only, which is all this needs."""
    limit, k, p = exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _day(as_of: date, days_back: int) -> str:
    return (as_of - timedelta(days=days_back)).isoformat()


def patient_bundle(seed: int, index: int, *, as_of: date = date(2026, 6, 1)) -> dict[str, Any]:
    """One synthetic patient as a FHIR R4 collection Bundle (a JSON-ready dict).

    Args:
        seed: the population's seed.
        index: the patient's number in the population (bundles of one seed differ by index).
        as_of: dates are drawn back from this day (labs within a year, history within 20).

    Returns:
        The bundle; `engine.load_patient` reads it.

    >>> b = patient_bundle(7, 0)
    >>> b == patient_bundle(7, 0), b["entry"][0]["resource"]["resourceType"]
    (True, 'Patient')
    """
    rng = random.Random(f"elig-synth/{seed}/{index}")
    pid = f"synth-{seed}-{index:06d}"
    sex = rng.choice(("female", "male"))
    age_days = int(rng.triangular(18, 90, 62) * 365.25)
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": pid, "gender": sex, "birthDate": _day(as_of, age_days)}
    ]
    subject = {"reference": f"Patient/{pid}"}
    resources += _observations(rng, subject, as_of)
    resources += _conditions(rng, subject, as_of, age_days)
    resources += _medications(rng, subject, as_of)
    resources += _procedures(rng, subject, as_of, age_days)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{pid}-{n}", "resource": r} for n, r in enumerate(resources)],
    }


def _observations(rng: random.Random, subject: dict, as_of: date) -> list[dict]:
    out = []
    for lab in LABS:
        if rng.random() >= lab.share:
            continue
        for _ in range(1 + _poisson(rng, 0.6)):  # some tests repeated over the year
            value = min(lab.high, max(lab.low, rng.gauss(lab.mean, lab.sd * (2.5 if rng.random() < 0.1 else 1))))
            out.append(
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": LOINC, "code": lab.loinc, "display": lab.display}], "text": lab.display},
                    "subject": subject,
                    "effectiveDateTime": _day(as_of, rng.randrange(1, 365)),
                    "valueQuantity": {"value": round(value, lab.digits) if lab.digits else int(round(value)), "unit": lab.ucum, "system": UCUM, "code": lab.ucum},
                }
            )
    return out


def _concept(system: str, code: str, display: str) -> dict:
    return {"coding": [{"system": SYSTEM_URI[system], "code": code, "display": display}], "text": display}


def _conditions(rng: random.Random, subject: dict, as_of: date, age_days: int) -> list[dict]:
    out = []
    for system, code, name in _pick_codes(rng, "condition", ("snomed", "icd10cm"), 2.5):
        onset = rng.randrange(30, max(31, min(age_days, 20 * 365)))
        active = rng.random() < 0.7
        resource = {
            "resourceType": "Condition",
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" if active else "resolved"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
            "code": _concept(system, code, name),
            "subject": subject,
            "onsetDateTime": _day(as_of, onset),
        }
        if not active:
            resource["abatementDateTime"] = _day(as_of, rng.randrange(1, onset))
        out.append(resource)
    return out


def _medications(rng: random.Random, subject: dict, as_of: date) -> list[dict]:
    out = []
    for system, code, name in _pick_codes(rng, "drug", ("rxnorm",), 2.0):
        start = rng.randrange(7, 5 * 365)
        ongoing = rng.random() < 0.6
        period = {"start": _day(as_of, start)} if ongoing else {"start": _day(as_of, start), "end": _day(as_of, rng.randrange(1, start))}
        if rng.random() < 0.5:
            out.append(
                {
                    "resourceType": "MedicationRequest",
                    "status": "active" if ongoing else "completed",
                    "intent": "order",
                    "medicationCodeableConcept": _concept(system, code, name),
                    "subject": subject,
                    "authoredOn": period["start"],
                }
            )
        else:
            out.append(
                {
                    "resourceType": "MedicationStatement",
                    "status": "active" if ongoing else "completed",
                    "medicationCodeableConcept": _concept(system, code, name),
                    "subject": subject,
                    "effectivePeriod": period,
                }
            )
    return out


def _procedures(rng: random.Random, subject: dict, as_of: date, age_days: int) -> list[dict]:
    return [
        {
            "resourceType": "Procedure",
            "status": "completed",
            "code": _concept(system, code, name),
            "subject": subject,
            "performedDateTime": _day(as_of, rng.randrange(1, max(2, min(age_days, 15 * 365)))),
        }
        for system, code, name in _pick_codes(rng, "procedure", ("snomed",), 0.8)
    ]


def population(seed: int, count: int, *, as_of: date = date(2026, 6, 1)) -> list[dict[str, Any]]:
    """`count` bundles of one seed (patient_bundle for indexes 0 .. count-1)."""
    return [patient_bundle(seed, i, as_of=as_of) for i in range(count)]
