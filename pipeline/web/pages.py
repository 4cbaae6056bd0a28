"""All server-rendered pages, one router."""

from __future__ import annotations

from fastapi import APIRouter

from pipeline.web import pages_auth, pages_people, pages_reports, pages_review

router = APIRouter()
router.include_router(pages_auth.router)
router.include_router(pages_review.router)
router.include_router(pages_people.router)
router.include_router(pages_reports.router)
