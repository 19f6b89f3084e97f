"""Refuse, before any route runs, request parts that no database could store or look up.

- NUL characters (and lone surrogates) in path ids, query arguments and plain form fields: PostgreSQL
  refuses NUL in text, so a lookup by such an id failed with a 500 there (and a 404 on SQLite); now both
  answer 400 naming the argument;
- integers in paths (`<int:id>`) beyond the database's INTEGER: the driver overflowed (500); now 404,
  as for any id that does not exist.
JSON bodies are checked where they are parsed (server/api/common.py `json_body`), variables where they
enter an instance (server/forms/limits.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, abort, jsonify, request
from werkzeug.routing import IntegerConverter

from server.errors import BadRequest
from server.forms.limits import MAX_DB_INTEGER, text_problem


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` that matches only what fits an INTEGER column (larger ids cannot exist: 404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", MAX_DB_INTEGER)
        super().__init__(map, *args, **kwargs)


def _first_problem(pairs: Iterable[tuple[str, Any]]) -> tuple[str, str] | None:
    for name, value in pairs:
        for text in (name, value):
            problem = text_problem(text) if isinstance(text, str) else None
            if problem:
                return name, problem
    return None


def init_request_guard(app: Flask, api_prefix: str) -> None:
    """Call before any blueprint is registered (the converter is bound when routes are added)."""
    app.url_map.converters["int"] = BoundedIntegerConverter

    @app.before_request
    def _refuse_unstorable_text() -> Any:
        pairs: list[tuple[str, Any]] = list((request.view_args or {}).items())
        pairs += list(request.args.items(multi=True))
        if request.mimetype == "application/x-www-form-urlencoded":
            pairs += list(request.form.items(multi=True))
        found = _first_problem(pairs)
        if found is None:
            return None
        name, problem = found
        if request.path.startswith(api_prefix):
            error = BadRequest(f"{name} {problem}", field=name)
            return jsonify(error.to_dict()), error.status
        abort(400)
