"""`$me` in an action's record filter is the person who ran the rule (the writer, the clicker); a rule that runs
without a person (date, schedule, webhook) is refused at save, as its conditions are; a filter naming no field is
refused at save too."""

from __future__ import annotations

from typing import Any

from tests.rules.conftest import create, get, run, run_due_jobs, runs, save_rule, update

MINE = {"key": "mine", "trigger": {"type": "record", "recordType": "lead", "on": ["updated"], "fields": ["status"]},
        "actions": [{"id": "flag", "type": "update_record", "filter": "owner == $me",
                     "fields": {"needs_follow_up": True}}]}


def test_me_in_a_filter_is_the_writer_of_the_triggering_change(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, MINE)
    sams = [create(api, "lead", name=f"S{n}", owner="sam") for n in range(2)]
    pauls = create(api, "lead", name="P", owner="paul")
    update(api, "lead", pauls, who="sam", status="contacted")  # sam's change: sam's leads are flagged
    run_due_jobs(api.app)
    [summary] = runs(api, "mine")
    assert run(api, summary["id"])["results"]["flag"]["updated"] == [x["id"] for x in sams]
    assert [get(api, "lead", x["id"])["fields"]["needs_follow_up"] for x in sams] == [True, True]
    assert get(api, "lead", pauls["id"])["fields"]["needs_follow_up"] is None
    assert get(api, "lead", sams[0]["id"])["updatedBy"] == "rule:mine"  # still audited as the rule


def test_me_in_a_filter_is_the_one_who_pressed_run_rule(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, {"key": "count_mine", "trigger": {"type": "manual", "recordType": "lead"},
                    "actions": [{"id": "q", "type": "query_records", "recordType": "lead", "filter": "owner == $me"}]})
    lead = create(api, "lead", name="A", owner="paul")
    create(api, "lead", name="B", owner="sam")
    create(api, "lead", name="C", owner="paul")
    response = api.post("paul", "/api/v1/rules/count_mine/trigger", json={"recordId": lead["id"]})
    assert response.status_code == 202, response.get_json()
    run_due_jobs(api.app)
    [summary] = runs(api, "count_mine")
    assert sorted(i["name"] for i in run(api, summary["id"])["results"]["q"]["items"]) == ["A", "C"]


def test_me_in_a_filter_of_a_rule_run_by_no_one_is_refused_at_save(rules_api: Any) -> None:
    api = rules_api
    action = {"type": "update_record", "recordType": "lead", "filter": "owner == $me",
              "fields": {"needs_follow_up": True}}
    for trigger in ({"type": "date", "recordType": "lead", "field": "status_changed_at", "offset": 1,
                     "unit": "days"},
                    {"type": "schedule", "cron": "0 2 * * *"}, {"type": "webhook"}):
        refused = save_rule(api, {"key": "nobody", "trigger": trigger, "actions": [action]}, expect=400)
        assert "`$me` in a filter" in str(refused) and f"a {trigger['type']} rule" in str(refused), refused
        assert "actions[0].filter" in str(refused)
    # Without `$me` the same filter saves; one naming no field of the type is refused, naming it.
    save_rule(api, {"key": "nobody", "trigger": {"type": "schedule", "cron": "0 2 * * *"},
                    "actions": [{**action, "filter": "owner == 'sam'"}]})
    wrong = save_rule(api, {"key": "wrong", "trigger": {"type": "schedule", "cron": "0 2 * * *"},
                            "actions": [{**action, "filter": "colour == 'red'"}]}, expect=400)
    assert "no field 'colour'" in str(wrong) and "action 1" in str(wrong), wrong
    assert api.get("admin", "/api/v1/rules/wrong").status_code == 404


def test_me_attributes_in_a_filter_read_the_person_not_the_rule(rules_api: Any) -> None:
    api = rules_api
    save_rule(api, {"key": "by_name", "trigger": {"type": "manual", "recordType": "lead"},
                    "actions": [{"id": "q", "type": "query_records", "recordType": "lead",
                                 "filter": "owner == $me.username"}]})
    lead = create(api, "lead", name="A", owner="paul")
    create(api, "lead", name="B", owner="sam")
    assert api.post("paul", "/api/v1/rules/by_name/trigger", json={"recordId": lead["id"]}).status_code == 202
    run_due_jobs(api.app)
    [summary] = runs(api, "by_name")
    assert [i["name"] for i in run(api, summary["id"])["results"]["q"]["items"]] == ["A"]
    # A rule that runs without a person is refused for any `$me` name, not only `$me` itself.
    refused = save_rule(api, {"key": "nobody", "trigger": {"type": "schedule", "cron": "0 2 * * *"},
                              "actions": [{"type": "update_record", "recordType": "lead",
                                           "filter": "owner == $me.department",
                                           "fields": {"needs_follow_up": True}}]}, expect=400)
    assert "`$me` in a filter" in str(refused), refused
