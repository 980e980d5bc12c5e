"""Branch speed14: what is read another way gives what was read before.

The FHIR reader names the place of a misfit only when it gives an error (engine.fhir
`Place`): every place an Observation's parts are read from must still come out written in
full in the message.
"""

from __future__ import annotations

import pytest

from engine.patients import load_patient


def _bundle(observation: dict) -> dict:
    return {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p"}},
            {"resource": {"resourceType": "Observation", "status": "final", **observation}},
        ],
    }


_LOINC = {"system": "http://loinc.org", "code": "718-7", "display": "Hemoglobin"}


@pytest.mark.parametrize(
    "observation, problem",
    [
        ({"status": 3}, "entry[1].resource.status: expected a string, found number 3"),
        ({"code": {"coding": [{**_LOINC, "system": 5}]}}, "entry[1].resource.code.coding[0].system: expected a string, found number 5"),
        ({"code": {"coding": [_LOINC, {"display": ["x"]}]}}, "entry[1].resource.code.coding[1].display: expected a string, found an array"),
        ({"code": {"coding": "718-7"}}, 'entry[1].resource.code.coding: expected an array, found string "718-7"'),
        ({"code": {"coding": [_LOINC], "text": 1}}, "entry[1].resource.code.text: expected a string, found number 1"),
        ({"code": {"coding": [7]}}, "entry[1].resource.code.coding[0]: expected an object, found number 7"),
        ({"effectivePeriod": {"start": "soon"}}, 'entry[1].resource.effectivePeriod.start: not a valid date: "soon"'),
        ({"valueQuantity": {"value": "12"}}, 'entry[1].resource.valueQuantity.value: expected a number, found string "12"'),
        ({"valueQuantity": {"value": 12, "unit": 4}}, "entry[1].resource.valueQuantity.unit: expected a string, found number 4"),
        ({"valueQuantity": {"value": -3, "unit": "g/dL"}}, "entry[1].resource.valueQuantity.value: negative value -3 is not a plausible value"),
        ({"valueInteger": 2.5}, "entry[1].resource.valueInteger: expected a whole number, found 2.5"),
        ({"valueRange": {"low": {"value": "x"}}}, 'entry[1].resource.valueRange.low.value: expected a number, found string "x"'),
        (
            {"valueQuantity": {"value": 12}, "referenceRange": [{"high": {"value": 17, "system": []}}]},
            "entry[1].resource.referenceRange[0].high.system: expected a string, found an array",
        ),
        (
            {"component": [{"code": {"coding": [{**_LOINC, "code": {}}]}, "valueQuantity": {"value": 1}}]},
            "entry[1].resource.component[0].code.coding[0].code: expected a string, found an object",
        ),
    ],
)
def test_a_misfit_names_its_place_in_full(observation, problem):
    (unreadable,) = load_patient(_bundle(observation)).unreadable
    assert unreadable.startswith(problem)
