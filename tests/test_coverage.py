"""`elig coverage` parses in worker processes: the counts and failures are those of one process."""

from __future__ import annotations

import json

from engine.coverage import coverage, text_criteria
from engine.trials import load_trials


def test_parallel_coverage_counts_as_one_process_does(shared_data, tmp_path):
    corpus = shared_data / "corpus" / "oncology_990.jsonl"
    sample = tmp_path / "sample.jsonl"
    sample.write_text("\n".join(corpus.read_text(encoding="utf-8").splitlines()[:40]) + "\n", encoding="utf-8")
    assert len(text_criteria(load_trials(sample))) >= 8 * 64, "enough criteria for the workers to share"
    one = coverage([sample], workers=1, pieces=True)
    two = coverage([sample], workers=2, pieces=True)
    assert json.dumps(one, sort_keys=True, default=dict) == json.dumps(two, sort_keys=True, default=dict)
    assert one["criteria"] == one["structured"] + one["partial"] + one["unparsed"] + one["errors"]


def test_text_criteria_takes_sub_items_and_leaves_structured_lines(shared_data):
    trials = load_trials(shared_data / "corpus" / "oncology_990.jsonl")[:50]
    texts = text_criteria(trials)
    assert all(c.origin == "text" for c in texts)
    assert any(c.children for t in trials for c in t.criteria) and len(texts) > sum(len(t.criteria) for t in trials) // 2
