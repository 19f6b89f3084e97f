"""The staff pages in Simplified Chinese: a complete catalog, the language choice, localized dates.

The .po file is the source; the .mo is build output (`make assets`). Tests may run with plain pytest,
so a session fixture compiles the .mo when it is missing or older than the .po.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from server.models import HumanTask, ProcessInstance

ROOT = Path(__file__).parent.parent.parent
TRANSLATIONS = ROOT / "server" / "translations"
PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
# The same call as `make translations`.
EXTRACT = ["extract", "-F", "server/babel.cfg", "-k", "_l", "-k", "lazy_gettext"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|\{\w*\}")
ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def _catalog(path: Path) -> Any:
    with path.open("rb") as f:
        return read_po(f)


def _texts(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalog() -> None:
    """Compile the .mo before any app loads it, if `make assets` has not (or not since the last edit)."""
    if MO.exists() and MO.stat().st_mtime >= PO.stat().st_mtime:
        return
    catalog = _catalog(PO)
    # Write beside it, then rename: a test running in parallel never reads half a file.
    fd, temporary = tempfile.mkstemp(dir=MO.parent, suffix=".mo.tmp")
    with os.fdopen(fd, "wb") as f:
        write_mo(f, catalog)
    os.chmod(temporary, 0o644)  # mkstemp makes it private; a build output is readable by all
    os.replace(temporary, MO)


def _extracted(tmp_path: Path) -> Any:
    """A fresh extraction of the source, as `make translations` does it."""
    pot = tmp_path / "messages.pot"
    result = subprocess.run([sys.executable, "-m", "babel.messages.frontend", *EXTRACT, "-o", str(pot), "."],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return _catalog(pot)


# --- the catalog ---------------------------------------------------------------------------------


def test_the_chinese_catalog_has_no_untranslated_or_fuzzy_entries() -> None:
    catalog = _catalog(PO)
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"
    messages = [m for m in catalog if m.id]
    assert messages
    untranslated = [m.id for m in messages if not all(_texts(m.string)) or not _texts(m.string)]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not untranslated, f"untranslated in {PO.relative_to(ROOT)}: {untranslated}"
    assert not fuzzy, f"fuzzy in {PO.relative_to(ROOT)}: {fuzzy}"
    assert catalog.num_plurals == 1  # Chinese has one plural form: msgstr[0] only
    assert all(len(_texts(m.string)) == 1 for m in messages if m.pluralizable)


def test_translations_keep_every_placeholder() -> None:
    catalog = _catalog(PO)
    wrong = []
    for m in catalog:
        if not m.id:
            continue
        # The one Chinese form stands for singular and plural: it may use the placeholders of either.
        wanted = set().union(*(PLACEHOLDER.findall(text) for text in _texts(m.id)))
        for text in _texts(m.string):
            if set(PLACEHOLDER.findall(text)) != wanted:
                wrong.append((m.id, text))
    assert not wrong, f"placeholders changed: {wrong}"
    errors = [(m.id, [str(e) for e in problems]) for m, problems in catalog.check()]
    assert not errors, errors


def test_every_string_in_the_source_is_translated(tmp_path: Path) -> None:
    """A string added to a page or module later, without a translation, fails here.

    Fix: `make translations`, translate the new entries in the .po, then `make assets`."""
    catalog = _catalog(PO)
    source = _extracted(tmp_path)
    ids = [m.id for m in source if m.id]
    assert len(ids) > 50  # the extraction found the templates and modules
    missing = []
    for message_id in ids:
        entry = catalog.get(message_id)
        if entry is None or entry.fuzzy or not all(_texts(entry.string)) \
                or isinstance(message_id, tuple) != isinstance(entry.id, tuple):
            missing.append(message_id)
    assert not missing, f"not translated into Chinese (run `make translations`, translate, `make assets`): {missing}"


# --- pages ---------------------------------------------------------------------------------------


@pytest.fixture
def purchase(api: Any) -> Any:
    api.user("mike", groups=("managers",))
    api.user("alice", groups=("employees",), manager="mike")
    api.deploy("modeler", "dmn/approval_route.dmn", "bpmn/purchase_request.bpmn")
    api.start("alice", "purchase_request", {"item": "Laptop", "amount": 1200, "reason": "old one broke"},
              businessKey="PR-1200")
    return api


def _html(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_login_page_follows_accept_language(api: Any) -> None:
    client = api.app.test_client()
    chinese = _html(client.get("/login", headers=ZH))
    assert '<html lang="zh">' in chinese
    assert "登录 BOMS" in chinese and "用户名" in chinese and "密码" in chinese
    assert "Log in to BOMS" not in chinese and "Password" not in chinese

    english = _html(client.get("/login", headers=EN))
    assert '<html lang="en">' in english
    assert "Log in to BOMS" in english and "User name" in english and "登录" not in english

    # No Accept-Language at all: English, the default.
    assert "Log in to BOMS" in _html(client.get("/login"))


def test_the_login_redirect_message_is_translated(api: Any) -> None:
    client = api.app.test_client()
    assert client.get("/inbox", headers=ZH).status_code == 302
    assert "请先登录再访问此页面。" in _html(client.get("/login", headers=ZH))


def test_inbox_in_chinese_and_in_english(purchase: Any, browser: Any) -> None:
    mike = browser("mike")
    chinese = _html(mike.get("/inbox?tab=groups", headers=ZH))
    for text in ("待办", "发起流程", "退出登录", "分配给我", "我的组", "业务编号", "截止", "处理人", "认领",
                 "创建时间", "通知"):
        assert text in chinese, text
    assert "Manager approval" in chinese  # the model's own names stay as modelled
    for text in ("Inbox", "Start a process", "Log out", "Assigned to me", "Business key", "Assignee"):
        assert f">{text}<" not in chinese, text

    english = _html(mike.get("/inbox?tab=groups", headers=EN))
    for text in ("Inbox", "Start a process", "Log out", "Assigned to me", "Business key", "Assignee", "Claim"):
        assert text in english, text
    assert "待办" not in english and "认领" not in english


def test_the_language_menu_switches_the_session_language(purchase: Any, browser: Any) -> None:
    alice = browser("alice")
    assert "Inbox" in _html(alice.get("/inbox"))

    switched = alice.post("/language", {"lang": "zh", "next": "/inbox"}, from_page="/inbox")
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/inbox")
    page = _html(alice.get("/inbox", headers=EN))  # the user's choice wins over the browser's
    assert '<html lang="zh">' in page and "待办" in page
    assert re.search(r'<option value="zh"\s+selected>', page)

    # An unknown language changes nothing; an open redirect is refused.
    refused = alice.post("/language", {"lang": "xx", "next": "//evil.example/"}, from_page="/inbox")
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/inbox")
    assert "待办" in _html(alice.get("/inbox"))

    alice.post("/language", {"lang": "en", "next": "/inbox"}, from_page="/inbox")
    page = _html(alice.get("/inbox", headers=ZH))
    assert '<html lang="en">' in page and "Inbox" in page and "待办" not in page


def test_dates_are_localized(purchase: Any, browser: Any) -> None:
    with purchase.app.extensions["boms_db"].read() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.status == "open")).one()
        task_id, created = task.id, task.created_at
        instance = session.get(ProcessInstance, task.instance_id)
        instance_id, started = instance.id, instance.started_at
    mike = browser("mike")

    def created_cell(headers: dict[str, str]) -> str:
        page = _html(mike.get("/inbox?tab=groups", headers=headers))
        row = re.search(rf'<tr data-task-id="{task_id}">(.*?)</tr>', page, re.S)
        assert row, "the task is not in the inbox"
        cells = re.findall(r'<td class="text-nowrap[^"]*">\s*(.*?)\s*(?:<span|</td>)', row.group(1), re.S)
        return unescape(cells[0])

    # Stored as naive UTC, shown in the configured zone (UTC): CLDR's short Chinese form, y/M/d HH:mm.
    chinese = created_cell(ZH)
    assert chinese == format_datetime(created, "short", tzinfo=None, locale="zh")
    assert re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2} \d{2}:\d{2}", chinese), chinese
    english = created_cell(EN)
    assert english == format_datetime(created, "short", tzinfo=None, locale="en")
    assert english != chinese

    # The instance page's dates are in the medium form: 2026年3月5日 09:07:00.
    page = _html(mike.get(f"/instances/{instance_id}", headers=ZH))
    medium = format_datetime(started, "medium", tzinfo=None, locale="zh")
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}:\d{2}", medium)
    assert medium in page and "发起时间" in page and "历史记录" in page
