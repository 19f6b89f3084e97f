"""The admin UI speaks English and 简体中文 under the staff pages' language switch: menus, every BOMS view,
flash messages and the record-type designer."""

from __future__ import annotations

from typing import Any

import pytest

PAGES = {  # page -> (English, Chinese) it must show
    "/admin/": ("Running instances", "运行中的实例"),
    "/admin/models/": ("Upload and deploy", "上传并部署"),
    "/admin/instances/": ("No instance matches.", "没有匹配的实例。"),
    "/admin/tasks/": ("overdue only", "仅逾期"),
    "/admin/audit/": ("Verify chain", "校验哈希链"),
    "/admin/audit/verify": ("The audit chain is intact", "审计链完好"),
    "/admin/users/create": ("Create user", "创建用户"),
    "/admin/groups/create": ("Create group", "创建用户组"),
    "/admin/record-types/new": ("Save as a new version", "保存为新版本"),
    "/admin/dashboards/new": ("Chart editor", "图表编辑器"),
}
MENU = (("Process models", "流程模型"), ("Audit log", "审计日志"), ("People", "人员"))


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_admin_page_in_both_languages(api: Any, browser: Any, page: str) -> None:
    web = browser("admin")
    english = web.get(page).get_data(as_text=True)
    assert PAGES[page][0] in english and PAGES[page][1] not in english
    switched = web.post("/language", {"lang": "zh", "next": page}, from_page=page)
    assert switched.status_code == 302
    chinese = web.get(page).get_data(as_text=True)
    assert PAGES[page][1] in chinese, page
    assert all(zh in chinese for _, zh in MENU)
    assert 'data-testid="admin-language"' in chinese


def test_admin_flash_messages_follow_the_language(api: Any, browser: Any) -> None:
    web = browser("admin")
    web.post("/language", {"lang": "zh", "next": "/admin/"}, from_page="/admin/")
    created = web.post("/admin/groups/create", {"name": "shop_floor"}, from_page="/admin/groups/create",
                       follow_redirects=True)
    assert "已创建用户组 shop_floor。" in created.get_data(as_text=True)
