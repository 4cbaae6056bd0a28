"""The admin's Users page: the accounts, and deactivate, change role, reset password, unlock.

Each action is a CSRF-checked form that calls the same function as ``impartial users``, so the
rules (a reviewer or lead is a registered person or marked external, the last active admin
stays, the password policy) and the audit event are the same from either place.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.review import users
from pipeline.vocabulary import ROLES
from pipeline.web.deps import Admin, CsrfChecked, DbSession
from pipeline.web.rendering import render

router = APIRouter(include_in_schema=False)

BACK = "/admin/users"


def _by(user: Admin) -> dict[str, Any]:
    return {"actor": f"user:{user.email}", "actor_user_id": user.id}


@router.get("/admin/users")
def users_page(request: Request, user: Admin, db: DbSession) -> Response:
    accounts = users.list_users(db, **_by(user))
    db.commit()
    return render(request, "users.html", user, users=accounts, roles=ROLES)


@router.post("/admin/users/{user_id}/deactivate", dependencies=[CsrfChecked])
def deactivate(user_id: int, user: Admin, db: DbSession) -> RedirectResponse:
    users.deactivate(db, users.user_by_id(db, user_id), **_by(user))
    db.commit()
    return RedirectResponse(BACK, status_code=303)


@router.post("/admin/users/{user_id}/role", dependencies=[CsrfChecked])
def set_role(
    user_id: int,
    user: Admin,
    db: DbSession,
    role: Annotated[str, Form(max_length=20)],
    person: Annotated[str, Form(max_length=320)] = "",
    external: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    users.set_role(
        db,
        users.user_by_id(db, user_id),
        role,
        person_email=person.strip() or None,
        external=external.strip() or None,
        **_by(user),
    )
    db.commit()
    return RedirectResponse(BACK, status_code=303)


@router.post("/admin/users/{user_id}/password", dependencies=[CsrfChecked])
def reset_password(
    user_id: int,
    user: Admin,
    db: DbSession,
    password: Annotated[str, Form(max_length=1024)],
) -> RedirectResponse:
    users.reset_password(db, users.user_by_id(db, user_id), password, **_by(user))
    db.commit()
    return RedirectResponse(BACK, status_code=303)


@router.post("/admin/users/{user_id}/unlock", dependencies=[CsrfChecked])
def unlock(user_id: int, user: Admin, db: DbSession) -> RedirectResponse:
    users.unlock(db, users.user_by_id(db, user_id), **_by(user))
    db.commit()
    return RedirectResponse(BACK, status_code=303)
