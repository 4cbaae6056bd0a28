"""The admin's Users page: accounts (add, change role, reset password, unlock, deactivate) and
the people they may be linked to (edit, retire).

Each action is a CSRF-checked form that calls the same function as ``impartial users`` and
``impartial people``, so the rules (a reviewer or lead is a registered person or marked
external, the last active admin stays, the password policy, what retiring does) and the audit
event are the same from either place. A refused form comes back with its message above it and
what was typed still in it (never a password).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline import i18n
from pipeline.errors import InputError
from pipeline.i18n import N_
from pipeline.privacy.retirement import retire_person
from pipeline.registry.people import edit_person, list_people, person_by_id
from pipeline.review import users
from pipeline.vocabulary import ROLES, SENIORITY_BANDS
from pipeline.web.deps import Admin, CsrfChecked, DbSession
from pipeline.web.language import request_lang
from pipeline.web.rendering import render

router = APIRouter(include_in_schema=False)

BACK = "/admin/users"
# what the page says after each action (``?done=``), in the page's language
DONE = {
    "added": N_("The user was added."),
    "role": N_("The role was changed; the user signs in again."),
    "password": N_("The password was reset; the user's sessions ended."),
    "unlocked": N_("The account was unlocked."),
    "deactivated": N_("The user was deactivated."),
    "edited": N_("The person's details were saved."),
    "retired": N_(
        "The person was retired: their consents are withdrawn, their personal accounts are no "
        "longer scanned, and their sign-in accounts are deactivated."
    ),
}
Line = Annotated[str, Form(max_length=320)]


def _by(user: Admin) -> dict[str, Any]:
    return {"actor": f"user:{user.email}", "actor_user_id": user.id}


def _page(
    request: Request, user: Admin, db: DbSession, status_code: int = 200, **context: Any
) -> Response:
    """The Users page; every look at it is audited (``user.list``)."""
    accounts = users.list_users(db, **_by(user))
    people = list_people(db)
    db.commit()
    return render(
        request,
        "users.html",
        user,
        status_code=status_code,
        users=accounts,
        people=people,
        emails={p.id: p.email for p in people},
        roles=ROLES,
        bands=SENIORITY_BANDS,
        **context,
    )


def _done(what: str) -> RedirectResponse:
    return RedirectResponse(f"{BACK}?done={what}", status_code=303)


def _refused(
    request: Request, user: Admin, db: DbSession, exc: InputError, **kept: Any
) -> Response:
    db.rollback()
    return _page(request, user, db, status_code=400, error=str(exc), **kept)


@router.get("/admin/users")
def users_page(request: Request, user: Admin, db: DbSession, done: str = "") -> Response:
    if done not in DONE:
        return _page(request, user, db)
    notice = i18n.gettext(DONE[done], request_lang(request, user))
    return _page(request, user, db, notice=notice, notice_role="success")


@router.post("/admin/users", dependencies=[CsrfChecked])
def add_user(
    request: Request,
    user: Admin,
    db: DbSession,
    email: Line,
    role: Annotated[str, Form(max_length=20)],
    password: Annotated[str, Form(max_length=1024)],
    person: Line = "",
    external: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        with i18n.use_lang(request_lang(request, user)):
            users.add_user(
                db,
                email,
                role=role,
                password=password,
                person_email=person.strip() or None,
                external=external.strip() or None,
                **_by(user),
            )
    except InputError as exc:
        kept = {"email": email, "role": role, "person": person, "external": external}
        return _refused(request, user, db, exc, new_user=kept)
    db.commit()
    return _done("added")


@router.post("/admin/users/{user_id}/deactivate", dependencies=[CsrfChecked])
def deactivate(request: Request, user_id: int, user: Admin, db: DbSession) -> Response:
    try:
        users.deactivate(db, users.user_by_id(db, user_id), **_by(user))
    except InputError as exc:
        return _refused(request, user, db, exc)
    db.commit()
    return _done("deactivated")


@router.post("/admin/users/{user_id}/role", dependencies=[CsrfChecked])
def set_role(
    request: Request,
    user_id: int,
    user: Admin,
    db: DbSession,
    role: Annotated[str, Form(max_length=20)],
    person: Line = "",
    external: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        users.set_role(
            db,
            users.user_by_id(db, user_id),
            role,
            person_email=person.strip() or None,
            external=external.strip() or None,
            **_by(user),
        )
    except InputError as exc:
        return _refused(request, user, db, exc)
    db.commit()
    return _done("role")


@router.post("/admin/users/{user_id}/password", dependencies=[CsrfChecked])
def reset_password(
    request: Request,
    user_id: int,
    user: Admin,
    db: DbSession,
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    try:
        users.reset_password(db, users.user_by_id(db, user_id), password, **_by(user))
    except InputError as exc:
        return _refused(request, user, db, exc)
    db.commit()
    return _done("password")


@router.post("/admin/users/{user_id}/unlock", dependencies=[CsrfChecked])
def unlock(user_id: int, user: Admin, db: DbSession) -> RedirectResponse:
    users.unlock(db, users.user_by_id(db, user_id), **_by(user))
    db.commit()
    return _done("unlocked")


@router.post("/admin/people/{person_id}", dependencies=[CsrfChecked])
def edit(
    request: Request,
    person_id: int,
    user: Admin,
    db: DbSession,
    name: Annotated[str, Form(max_length=200)] = "",
    email: Line = "",
    org_unit: Annotated[str, Form(max_length=200)] = "",
    seniority: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        with i18n.use_lang(request_lang(request, user)):
            person = person_by_id(db, person_id)
            edit_person(
                db,
                person.email,
                name=name,
                new_email=email,
                org_unit=org_unit,
                seniority=seniority,
                **_by(user),
            )
    except InputError as exc:
        kept = {"name": name, "email": email, "org_unit": org_unit, "seniority": seniority}
        return _refused(request, user, db, exc, editing=person_id, edited=kept)
    db.commit()
    return _done("edited")


@router.post("/admin/people/{person_id}/retire", dependencies=[CsrfChecked])
def retire(
    request: Request,
    person_id: int,
    user: Admin,
    db: DbSession,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        with i18n.use_lang(request_lang(request, user)):
            person = person_by_id(db, person_id)
            retire_person(db, person.email, reason=reason, **_by(user))
    except InputError as exc:
        return _refused(request, user, db, exc, editing=person_id)
    db.commit()
    return _done("retired")
