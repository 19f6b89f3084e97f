"""What a relation column of an import may name: a related record by one of its type's unique text fields.

Read once per import run (not once per cell) for the relation fields the mapping uses: each unique text
value of the target type, casefolded, to the record's id — only the records the importing user may read,
so a name outside their rows reads like a missing one (the batch write checks the scope again). A value
held by two records under different unique fields is ambiguous and is left out (the cell is refused).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.records.storage import stored_fields, table_of
from server.records.types import latest, policy_of

TEXT_KINDS = ("text", "email", "auto_number")


def relation_names(session: Session, who: Principal, fields: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for spec in fields:
        if spec["type"] != "relation":
            continue
        row = latest(session, spec["target"])
        if row is None:
            continue
        table = table_of(row.definition)
        keys = [f["key"] for f in stored_fields(row.definition) if f["unique"] and f["type"] in TEXT_KINDS]
        names: dict[str, int] = {}
        ambiguous: set[str] = set()
        if keys:
            scope = policy_of(row).row_filter(who, Action.READ, table.c)
            query = select(table.c.id, *(table.c[k] for k in keys)).where(scope)
            for record_id, *values in session.execute(query):
                for value in values:
                    if value is None:
                        continue
                    name = str(value).casefold()
                    if names.get(name, record_id) != record_id:
                        ambiguous.add(name)
                    names[name] = record_id
        found[spec["key"]] = {k: v for k, v in names.items() if k not in ambiguous}
    return found
