"""elig: clinical-trial eligibility criteria as typed predicate trees, evaluated against patients.

>>> import engine
>>> engine.render(engine.parse("Platelet count >= 100,000/mm3"))
'platelet count >= 100000 /mm3'
"""

from __future__ import annotations

from engine.errors import CriteriaError, EligError, InputError, UnitError
from engine.evaluate import Outcome, evaluate
from engine.logic import Truth
from engine.nodes import Predicate
from engine.parse import parse
from engine.patients import load_patient
from engine.render import render
from engine.screen import ScreenResult, screen
from engine.trials import load_trials

__all__ = [
    "CriteriaError",
    "EligError",
    "InputError",
    "Outcome",
    "Predicate",
    "ScreenResult",
    "Truth",
    "UnitError",
    "evaluate",
    "load_patient",
    "load_trials",
    "parse",
    "render",
    "screen",
]
