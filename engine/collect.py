"""What to collect next: the missing data that would settle the most unknown trials.

A trial is unknown when none of its criteria fails and some are unknown. Each unknown
criterion lists the data it misses (`missing`); one that lists none (text not understood,
the investigator's judgment) cannot be settled by collecting data. For one missing item:

- it *decides* a trial when every unknown criterion of that trial misses that item and
  nothing else: with it on record each of them gets a verdict, so the trial does (barring a
  value that is itself ambiguous);
- it *settles* a criterion that misses that item and nothing else (counted over all the
  unknown trials: real trials are rarely decided by one item, as their judgments stay open);
- it is *needed by* a trial when some unknown criterion of that trial misses it: it brings the
  trial closer to a verdict, and a value that fails that criterion rules the patient out.

Items are ranked by the trials they decide, the criteria they settle, the trials that need
them, then by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:  # engine.screen builds results with this module; no import cycle at run time
    from engine.screen import TrialResult


class CollectItem(BaseModel):
    """One missing item and the unknown trials it bears on (trial ids best first)."""

    model_config = ConfigDict(frozen=True)

    item: str
    decides: int  # unknown trials it alone would settle
    decides_trials: tuple[str, ...]
    settles: int  # unknown criteria (of unknown trials) it alone would settle
    needed_by: int  # unknown trials where some unknown criterion misses it
    trials: tuple[str, ...]


def collect_next(trials: Sequence[TrialResult]) -> tuple[CollectItem, ...]:
    """The missing data of a patient's unknown trials, those that decide most trials first.

    Args:
        trials: one patient's trial results (any order; listed trial ids keep it).

    Returns:
        One CollectItem per distinct missing item of an unknown criterion of an unknown trial.

    >>> from engine.screen import CriterionResult, TrialResult
    >>> def trial(tid, *missing):
    ...     crits = tuple(CriterionResult(section="inclusion", text=str(m), status="unknown", missing=m, canonical="")
    ...                   for m in missing)
    ...     return TrialResult(trial_id=tid, title="", status="unknown", criteria=crits, unknown=len(crits))
    >>> items = collect_next([trial("A", ("LVEF",)), trial("B", ("LVEF",), ("LVEF", "ANC")), trial("C", ("ANC",), ())])
    >>> [(i.item, i.decides, i.decides_trials, i.settles, i.needed_by) for i in items]
    [('LVEF', 1, ('A',), 2, 2), ('ANC', 0, (), 1, 2)]
    """
    needed: dict[str, list[str]] = {}
    decided: dict[str, list[str]] = {}
    settled: dict[str, int] = {}
    for trial in trials:
        if trial.status != "unknown":
            continue
        gaps = [set(c.missing) for c in trial.criteria if c.status == "unknown"]
        for gap in gaps:
            if len(gap) == 1:
                (only,) = gap
                settled[only] = settled.get(only, 0) + 1
        for item in dict.fromkeys(m for c in trial.criteria if c.status == "unknown" for m in c.missing):
            needed.setdefault(item, []).append(trial.trial_id)
            if all(gap == {item} for gap in gaps):
                decided.setdefault(item, []).append(trial.trial_id)
    items = [
        CollectItem(
            item=item,
            decides=len(decided.get(item, ())),
            decides_trials=tuple(decided.get(item, ())),
            settles=settled.get(item, 0),
            needed_by=len(ids),
            trials=tuple(ids),
        )
        for item, ids in needed.items()
    ]
    return tuple(sorted(items, key=lambda i: (-i.decides, -i.settles, -i.needed_by, i.item.lower())))
