"""The operation log records the sign-in side: sign-in, sign-out, failed sign-in (never a password),
password changes, token creation and revocation (never a token), role and group changes and audit
exports, each with the client's address and user agent; the admin audit view filters them by prefix."""

from __future__ import annotations

import json
import re
from typing import Any

from server.auth.permissions import Principal
from server.models import ApiToken, AuditEvent, User

AGENT = "Mozilla/5.0 (audit test)"
ADDRESS = "192.0.2.7"
CLIENT = {"environ_base": {"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": AGENT}}


def events(api: Any, prefix: str = "") -> list[tuple[str, str, dict[str, Any]]]:
    with api.app.extensions["boms_db"].read() as session:
        rows = session.query(AuditEvent).filter(AuditEvent.kind.startswith(prefix)).order_by(AuditEvent.seq)
        return [(row.kind, row.actor, json.loads(row.data)) for row in rows]


def _csrf(client: Any) -> str:
    return client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]


def _client_fields(data: dict[str, Any]) -> None:
    assert data["address"] == ADDRESS and data["userAgent"] == AGENT


def test_sign_in_failed_sign_in_and_sign_out_are_logged(api: Any) -> None:
    api.user("alice")
    client = api.app.test_client()
    token = _csrf(client)
    client.post("/login", data={"username": "alice", "password": "wrong-secret", "csrf_token": token}, **CLIENT)
    client.post("/login", data={"username": "nobody", "password": "wrong-secret", "csrf_token": token}, **CLIENT)
    client.post("/login", data={"username": "alice", "password": "password-alice", "csrf_token": token}, **CLIENT)
    inbox = client.get("/inbox").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": inbox.split('name="csrf_token" value="')[1].split('"')[0]}, **CLIENT)
    logged = events(api, "auth.")
    assert [(kind, actor) for kind, actor, _ in logged] == [
        ("auth.login_failed", "anonymous"), ("auth.login_failed", "anonymous"), ("auth.login", "alice"),
        ("auth.logout", "alice")]
    assert [data["username"] for _, _, data in logged] == ["alice", "nobody", "alice", "alice"]
    for _, _, data in logged:
        _client_fields(data)
    assert "wrong-secret" not in json.dumps(events(api)) and "password-alice" not in json.dumps(events(api))


def _admin_principal(api: Any) -> Principal:
    with api.app.extensions["boms_db"].read() as session:
        admin = session.query(User).filter(User.username == "admin").one()
        return Principal.of(admin)


def test_admin_changes_are_logged_with_the_client(api: Any) -> None:
    from server.services import people

    api.user("alice", groups=("employees",))
    who = _admin_principal(api)
    db = api.app.extensions["boms_db"]
    with db.read() as session:
        alice_id = session.query(User.id).filter(User.username == "alice").scalar()
    with api.app.test_request_context("/admin/", **CLIENT):
        with db.write() as session:
            people.set_password(session, who, alice_id, "brand-new-password")
        with db.write() as session:
            people.update_user(session, who, alice_id, display_name="", email="", active=True,
                               roles=["staff", "auditor"], groups="employees, finance", manager="")
        with db.write() as session:
            secret = people.issue_token(session, who, alice_id, "laptop")
        with db.read() as session:
            token_id = session.query(ApiToken.id).filter(ApiToken.name == "laptop").scalar()
        with db.write() as session:
            people.revoke_token(session, who, token_id)
    logged = {kind: (actor, data) for kind, actor, data in events(api)}
    for kind in ("user.password_set", "user.roles_changed", "user.groups_changed", "token.created", "token.revoked"):
        actor, data = logged[kind]
        assert actor == "admin", kind
        _client_fields(data)
        assert data["username"] == "alice"
    assert logged["user.roles_changed"][1]["old"] == ["staff"]
    assert logged["user.roles_changed"][1]["new"] == ["auditor", "staff"]
    assert logged["user.groups_changed"][1]["new"] == ["employees", "finance"]
    text = json.dumps(events(api))
    assert secret not in text and "brand-new-password" not in text


def test_audit_exports_are_logged_and_auth_events_filter_by_prefix(api: Any, browser: Any) -> None:
    api.user("alice")
    browser("alice")
    auditor = browser("auditor")
    assert auditor.client.get("/admin/audit/export.csv?kind=auth.", **CLIENT).status_code == 200
    assert auditor.client.get("/admin/audit/export.json", **CLIENT).status_code == 200
    exports = events(api, "audit.exported")
    assert [(actor, data["format"], data["filters"]) for _, actor, data in exports] == [
        ("auditor", "csv", {"kind": "auth."}), ("auditor", "json", {})]
    _client_fields(exports[0][2])
    page = auditor.get("/admin/audit/?kind=auth.").get_data(as_text=True)
    shown = set(re.findall(r"<td>([a-z_]+\.[a-z_]+)</td>", page))
    assert '<option value="auth." selected>auth.* (all)</option>' in page and shown == {"auth.login"}
