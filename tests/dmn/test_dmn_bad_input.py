"""Bad DMN: refused at deploy naming file, element and line (nothing stored); at run time a clear error."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from server.models import DecisionVersion, Deployment, ProcessVersion


def counts(api: Any) -> dict[str, int]:
    with api.app.extensions["boms_db"].read() as session:
        return {m.__name__: session.scalar(select(func.count()).select_from(m)) or 0
                for m in (Deployment, ProcessVersion, DecisionVersion)}


@pytest.fixture
def seeded(api: Any) -> Any:
    api.user("sam", groups=("sales",))
    api.deploy("modeler", "dmn/loan.dmn")
    api.before = counts(api)
    return api


# (file, element, line, words the message must contain)
CASES = [
    ("input_syntax.dmn", "InputEntry_sizes_bad", 20, ["rule 2", "cannot read input entry '>= 10, <'"]),
    ("output_syntax.dmn", "OutputEntry_sizes_bad", 23, ["rule 2 output", "Syntax error", "amount *"]),
    ("unknown_hit_policy.dmn", "Table_sizes", 4, ["unknown hit policy 'MOST'"]),
    ("unknown_aggregation.dmn", "Table_sizes", 4, ["unknown aggregation 'AVERAGE'"]),
    ("missing_required.dmn", "Requirement_sizes_no_such_decision", 4,
     ["decision 'sizes' requires decision 'no_such_decision'", "not in this file"]),
    ("cycle.dmn", "first", 3, ["cycle", "first -> second -> third -> first"]),
    ("priority_without_values.dmn", "Table_ranked", 4, ["PRIORITY", "allowed values"]),
    ("aggregation_without_collect.dmn", "Table_summed", 4, ["aggregation SUM needs hit policy COLLECT"]),
    ("output_not_allowed.dmn", "OutputEntry_ranked_bad", 27, ["\"urgent\"", "not one of its allowed values"]),
    ("entry_count.dmn", "Rule_short", 11, ["Rule 1 has 0 input and 1 output entries", "1 inputs"]),
]


@pytest.mark.parametrize(("file_name", "element", "line", "words"), CASES)
def test_bad_dmn_is_refused(seeded: Any, file_name: str, element: str, line: int, words: list[str]) -> None:
    response = seeded.deploy("modeler", f"dmn/bad/{file_name}", "dmn/loan_application.bpmn", expect=422)
    error = response.get_json()["error"]
    assert error["code"] == "deploy_error"
    assert (error["file"], error["element"], error["line"]) == (file_name, element, line), error
    assert error["message"].startswith(f"{file_name}: ")
    for word in words:
        assert word in error["message"], error["message"]
    assert counts(seeded) == seeded.before


def test_a_decision_id_twice_in_one_deployment(seeded: Any) -> None:
    response = seeded.deploy("modeler", "dmn/hit_policies.dmn", "dmn/bad/duplicate_of_hit_policies.dmn", expect=422)
    error = response.get_json()["error"]
    assert error["element"] == "first_policy" and "hit_policies.dmn" in error["message"]
    assert counts(seeded) == seeded.before


def test_a_process_using_an_unknown_decision_of_a_known_file(seeded: Any) -> None:
    # loan.dmn is deployed, but collect_policy (in hit_policies.dmn) is not.
    response = seeded.deploy("modeler", "dmn/loan_application.bpmn", expect=422)
    error = response.get_json()["error"]
    assert error["element"] == "collect_perks" and "collect_policy" in error["message"]
    assert counts(seeded) == seeded.before


def test_unique_violation_in_a_process_names_the_decision_and_rules(seeded: Any) -> None:
    seeded.deploy("modeler", "dmn/hit_policies.dmn", "dmn/banding.bpmn")
    fine = seeded.start("sam", "banding", {"score": 90})
    assert fine["status"] == "completed" and fine["variables"]["band"] == "top"
    broken = seeded.start("sam", "banding", {"score": 77})
    assert broken["status"] == "error" and broken["activeElements"] == ["band_score"]
    assert broken["error"]["element"] == "band_score"
    message = broken["error"]["message"]
    assert "unique_policy" in message and "UNIQUE" in message
    assert "Rule_unique_policy_2" in message and "Rule_unique_policy_3" in message
    assert "band" not in broken["variables"]
