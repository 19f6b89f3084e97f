"""The admin heatmap page of a process version: reachable from the version page, figures in the page, a bad
filter said on the page (400), both languages."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select

from server.models import ProcessVersion
from tests.engine.flow import Flow


def _version_id(app: Any) -> int:
    with app.extensions["boms_db"].read() as session:
        return session.scalar(select(ProcessVersion.id).where(ProcessVersion.key == "heatmap_demo"))


def test_the_version_page_links_to_its_heatmap_with_the_figures(app: Any, api: Any, browser: Any) -> None:
    api.user("staff")
    flow = Flow(api)
    flow.deploy("heatmap_demo.bpmn")
    waiting = flow.start("heatmap_demo", {"amount": 10})["id"]
    version_id = _version_id(app)
    admin = browser("admin")
    page = admin.get(f"/admin/models/version/{version_id}").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-testid="heatmap-link"', page)
    assert link, page
    response = admin.get(link.group(1))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    figures = json.loads(re.search(r"data-heatmap='([^']*)'", html).group(1).replace("&#34;", '"'))
    assert figures["elements"]["review"]["waiting"] == 1 and figures["flows"]["f_start"] == 1
    assert f"/admin/instances/{waiting}" in html  # the instance waiting longest, a link to its page
    bad = admin.get(f"/admin/models/version/{version_id}/heatmap?filter=amount+*+2+%3E+1")
    assert bad.status_code == 400 and "amount * 2 &gt; 1" in bad.get_data(as_text=True)
    chinese = admin.get(link.group(1), headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "热力图" in chinese and "瓶颈" in chinese
    # The overlays' tooltips in the page's language too (heatmap.js reads them from data-labels).
    labels = json.loads(re.search(r"data-labels='([^']*)'", chinese).group(1).replace("&#34;", '"'))
    assert labels == {"passed": "已经过", "waiting": "当前等待", "cancelled": "已取消", "avg": "平均",
                      "p90": "90 分位", "max": "最长"}
