"""What the end-to-end tests and their fixtures share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def is_local(url: str, origin: str) -> bool:
    """Served by the server under test, or made up inside the page."""
    return url == origin or url.startswith((f"{origin}/", "data:", "blob:"))


class RecordedPage:
    """A page, the server's origin, and every URL the page requested (documents, assets, fetch)."""

    def __init__(self, page: Any, origin: str, requested: list[str]) -> None:
        self.page = page
        self.origin = origin
        self.requested = requested

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requested if not is_local(url, self.origin)]
