"""What a list service takes and returns: which page is wanted, and the page found.

The resource layer turns a `Page` into the response: its items as the JSON array, its total and
`next_before` into the X-Pagination and Link headers. Services never see the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PageRequest:
    """`page` and `page_size` (offset paging), or `before` (keyset paging: ids below it)."""

    page: int = 1
    page_size: int = 20
    before: int | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass
class Page:
    """One page of a list: its items (each a named mapping in its response shape), the total of
    the whole list (None on a keyset page, which has none), and the id to pass as `before` for
    the next page when there is one."""

    items: list[dict[str, Any]] = field(default_factory=list)
    total: int | None = None
    next_before: int | None = None
