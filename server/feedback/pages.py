"""Filled in by the feedback/performance work."""

from fastapi import APIRouter

router = APIRouter()
