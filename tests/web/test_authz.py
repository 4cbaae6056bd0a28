"""Every route x every role (and anonymous): the role check answers before anything else."""

from __future__ import annotations

import pytest
from starlette.routing import Mount

from pipeline import review
from tests.factories import T0

REVIEW = {"reviewer", "lead"}
ALL = {"reviewer", "lead", "auditor", "admin", "employee"}
REPORTS = {"auditor", "lead", "admin"}
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/docs"),
    ("GET", "/lang/{lang}"),
    ("GET", "/fr"),
    ("GET", "/en"),
}
# (method, path) -> roles allowed. Written out here, independent of the app's own declarations.
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("GET", "/"): ALL,
    ("POST", "/logout"): ALL,
    ("GET", "/selfcheck"): ALL,
    ("POST", "/selfcheck"): ALL,
    ("GET", "/api/me"): ALL,
    ("POST", "/api/selfcheck"): ALL,
    ("GET", "/queue"): REVIEW,
    ("POST", "/queue/claim"): REVIEW,
    ("GET", "/flags/{flag_id}"): REVIEW,
    ("POST", "/flags/{flag_id}/decide"): REVIEW,
    ("POST", "/flags/{flag_id}/release"): REVIEW,
    ("POST", "/flags/{flag_id}/undo"): REVIEW,
    ("GET", "/api/queue/stats"): REVIEW,
    ("GET", "/api/queue/mine"): REVIEW,
    ("POST", "/api/queue/claim"): REVIEW,
    ("GET", "/api/flags/{flag_id}"): REVIEW,
    ("POST", "/api/flags/{flag_id}/decide"): REVIEW,
    ("POST", "/api/flags/{flag_id}/release"): REVIEW,
    ("POST", "/api/flags/{flag_id}/undo"): REVIEW,
    ("GET", "/escalations"): {"lead"},
    ("POST", "/flags/{flag_id}/close"): {"lead"},
    ("POST", "/flags/{flag_id}/reopen"): {"lead"},
    ("POST", "/flags/{flag_id}/reveal"): {"lead"},
    ("GET", "/api/escalations"): {"lead"},
    ("POST", "/api/flags/{flag_id}/close"): {"lead"},
    ("POST", "/api/flags/{flag_id}/reopen"): {"lead"},
    ("POST", "/api/flags/{flag_id}/reveal"): {"lead"},
    ("GET", "/audit"): {"auditor"},
    ("GET", "/audit/export"): {"auditor"},
    ("GET", "/api/audit"): {"auditor"},
    ("GET", "/reports"): REPORTS,
    ("GET", "/reports/{name}"): REPORTS,
    ("GET", "/reports/{name}.csv"): REPORTS,
    ("GET", "/reports/model-cards/{version:path}"): REPORTS,
    ("GET", "/api/reports"): REPORTS,
    ("GET", "/api/reports/{name}"): REPORTS,
    ("GET", "/admin/users"): {"admin"},
    ("POST", "/admin/users"): {"admin"},
    ("POST", "/admin/people/{person_id}"): {"admin"},
    ("POST", "/admin/people/{person_id}/retire"): {"admin"},
    ("POST", "/admin/users/{user_id}/deactivate"): {"admin"},
    ("POST", "/admin/users/{user_id}/role"): {"admin"},
    ("POST", "/admin/users/{user_id}/password"): {"admin"},
    ("POST", "/admin/users/{user_id}/unlock"): {"admin"},
    ("GET", "/me/flags"): {"employee"},
    ("POST", "/me/flags/{flag_id}/respond"): {"employee"},
    ("GET", "/api/me/flags"): {"employee"},
    ("POST", "/api/me/flags/{flag_id}/respond"): {"employee"},
}
BODIES = {
    "decide": {"decision": "advise", "clause": "partisan", "rationale": "r"},
    "close": {"decision": "refer", "clause": "partisan", "rationale": "r"},
    "reopen": {"rationale": "r"},
    "respond": {"kind": "comment", "body": "my side"},
    # an empty draft: the role check answers first, and no model is loaded here
    "selfcheck": {"text": ""},
    "login": {"email": "x@example.org", "password": "y"},
    "role": {"role": "lead"},
    "password": {"password": "a new passphrase for them"},
    "users": {"email": "new@example.org", "role": "auditor", "password": "a new passphrase"},
    "{person_id}": {"name": "New Name"},
}


def test_every_route_of_the_app_is_in_the_matrix(web_app) -> None:
    routes = {
        (m, r.path)
        for r in web_app.routes
        if not isinstance(r, Mount)
        for m in r.methods - {"HEAD"}
    }
    assert routes == set(EXPECTED) | PUBLIC


@pytest.mark.parametrize("role", ["anonymous", *sorted(ALL)])
def test_each_role_reaches_only_its_routes(role, db, make, browser, clock) -> None:
    employee_person = make.person("Em Ployee")
    users = {r: make.user(r, person=employee_person if r == "employee" else None) for r in ALL}
    target = make.user("reviewer", person=make.person("Tar Get"))  # of the admin's actions
    flag = make.flag(make.post(make.account(employee_person), "post"), created_at=T0)
    db.commit()
    review.claim_next(db, users["reviewer"])
    db.commit()
    client = browser()
    if role == "anonymous":
        client.refresh_csrf()
    else:
        assert client.login(users[role].email).status_code == 303
    failures = []
    for (method, path), allowed in sorted(EXPECTED.items()):
        url = (
            path.replace("{flag_id}", str(flag.id))
            .replace("{name}", "queue_backlog")
            .replace("{user_id}", str(target.id))
            .replace("{person_id}", str(target.person_id))
            .replace("{version:path}", "live")
        )
        body = BODIES.get(path.rsplit("/", 1)[-1], {})
        if method == "GET":
            response = client.client.get(url)
        elif path.startswith("/api/"):
            response = client.api(url, body)
        else:
            response = client.form(url, **body)
        denied_by_role = response.status_code == 403 and "for the role" in response.text
        if role == "anonymous":
            ok = response.status_code == 401 or (
                method == "GET"
                and not path.startswith("/api/")
                and response.status_code == 303
                and response.headers["location"] == "/login"
            )
        elif role in allowed:
            ok = response.status_code not in (401, 500) and not denied_by_role
        else:
            ok = denied_by_role
        if not ok:
            failures.append((method, path, response.status_code, response.text[:120]))
        if path == "/logout" and role != "anonymous" and response.status_code == 303:
            client.login(users[role].email)
    assert failures == []


def test_public_routes_answer_without_a_session(browser) -> None:
    client = browser()
    assert client.client.get("/healthz").json() == {"status": "ok"}
    assert client.client.get("/login").status_code == 200
    schema = client.client.get("/api/openapi.json").json()
    assert "/api/queue/claim" in schema["paths"]
    docs = client.client.get("/api/docs")
    assert "/api/flags/{flag_id}/decide" in docs.text and "cdn" not in docs.text.lower()
