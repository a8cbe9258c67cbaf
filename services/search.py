"""Search of boards: `q` holds terms separated by whitespace; a board matches when every term
occurs in its title or its content, case-insensitively, as a substring. Every character of a term
is literal: no operator of the databases' query languages gets through.

How each term is served (measured in docs/performance.md):
- SQLite: terms of three characters or more go to the FTS5 trigram index (models/board_search.py),
  each as a quoted phrase (a phrase of trigrams is a substring). The trigram index holds nothing
  for shorter terms, so those are LIKE conditions on the board's own columns: beside a longer
  term they only check the few boards the index found; a query of short terms alone reads every
  board (its COUNT does, its page stops at the page's last match). LIKE folds ASCII letters only.
- MariaDB: every term goes to the Mroonga bigram index as a phrase in Groonga's query syntax,
  whose bigram index answers one-character terms too, by the prefix of its bigrams.

The functions build statements with bind parameters, once per `shape` (how many terms of each
kind), and `params` holds the values: the list query stays one statement per page and one for
its count, whatever the terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.mysql import match

from models import Board
from models.board_search import board_fts, board_search

# The trigram tokenizer indexes runs of three characters: nothing shorter is in its index.
TRIGRAM = 3
ESCAPE = "\\"


@dataclass(frozen=True)
class Search:
    """A parsed `q`: `shape` decides the statement, `params` fills in its bind parameters."""

    shape: tuple[str, int, int]  # (dialect, terms through the index, terms checked with LIKE)
    params: dict[str, Any]


def terms_of(q: str) -> list[str]:
    """The terms of `q`: split on any Unicode whitespace, repeated terms once."""
    return list(dict.fromkeys(q.split()))


def prepare(q: str, dialect: str) -> Search:
    terms = terms_of(q)
    if dialect == "sqlite":
        indexed = [term for term in terms if len(term) >= TRIGRAM]
        scanned = [term for term in terms if len(term) < TRIGRAM]
        params: dict[str, Any] = {}
        if indexed:
            phrases = " ".join(_fts_phrase(term) for term in indexed)
            params["search_match"] = phrases
            # Column filter: the boards whose title alone holds every indexed term (sort=relevance).
            params["search_title_match"] = f"{{title}} : ({phrases})"
        params |= {f"search_like_{n}": _like_pattern(term) for n, term in enumerate(scanned)}
        return Search(("sqlite", len(indexed), len(scanned)), params)
    # Each term a quoted phrase, `\` and `"` escaped; `restrict` puts the query together.
    params = {"search_match": " ".join(_groonga_phrase(term) for term in terms)}
    # sort=relevance checks the titles with LIKE (the index covers title and content together).
    params |= {f"search_like_{n}": _like_pattern(term) for n, term in enumerate(terms)}
    return Search((dialect, len(terms), 0), params)


def restrict(
    statement: Select[Any], shape: tuple[str, int, int], drive: bool = False, before: bool = False
) -> Select[Any]:
    """`statement` (a select from `boards`) keeping only the boards that hold every term.

    drive: on SQLite, join the index and let it lead, newest first (`NEWEST_FIRST`): FTS5 walks
    its matches by descending rowid and the page stops at its last row, where an IN list would
    collect every match first (a common term: 10,000 at 100,000 boards). Only for a page newest
    first without `author_id`: given an author, SQLite would rather read the author's boards and
    run the whole MATCH once for each of them. `before` (with drive): the keyset bound goes to
    the index too, so that it starts there instead of at the newest match.
    """
    dialect, indexed, scanned = shape
    if dialect != "sqlite":
        # `*D+` makes AND the default operator. LOWER(): the index holds the text lower-cased by
        # the server (models/board_search.py), so the terms are lower-cased by the same rules.
        query = func.concat(literal("*D+ "), func.lower(bindparam("search_match")))
        found = select(board_search.c.id).where(
            match(board_search.c.title, board_search.c.content, against=query).in_boolean_mode()
        )
        return statement.where(Board.id.in_(found))
    if indexed and drive:
        statement = statement.join(board_fts, board_fts.c.rowid == Board.id).where(_fts_match("search_match"))
        if before:
            statement = statement.where(board_fts.c.rowid < bindparam("before"))
    elif indexed:
        statement = statement.where(Board.id.in_(_fts_rowids("search_match")))
    for n in range(scanned):
        pattern = bindparam(f"search_like_{n}")
        statement = statement.where(
            or_(Board.title.like(pattern, escape=ESCAPE), Board.content.like(pattern, escape=ESCAPE))
        )
    return statement


def drives(shape: tuple[str, int, int]) -> bool:
    """Whether `restrict(drive=True)` joins the index (SQLite, with a term of three characters)."""
    return shape[0] == "sqlite" and shape[1] > 0


# The order of a page that the index drives: the same as newest first, since rowid is the board's id.
NEWEST_FIRST = (board_fts.c.rowid.desc(),)


def count(shape: tuple[str, int, int]) -> Select[Any] | None:
    """The number of boards holding every term, straight from the index, when nothing but the
    index decides (SQLite, no short term): FTS5 counts its matches without reading a board.
    The index has exactly one row per board (its triggers run in the writer's transaction)."""
    dialect, indexed, scanned = shape
    if dialect != "sqlite" or not indexed or scanned:
        return None
    return select(func.count()).select_from(board_fts).where(_fts_match("search_match"))


def title_first(shape: tuple[str, int, int]) -> ColumnElement[int]:
    """sort=relevance's first key: 0 for a board whose title holds every term, else 1."""
    dialect, indexed, scanned = shape
    in_title: list[ColumnElement[bool]] = []
    if dialect == "sqlite" and indexed:
        in_title.append(Board.id.in_(_fts_rowids("search_title_match")))
    likes = scanned if dialect == "sqlite" else indexed
    in_title += [Board.title.like(bindparam(f"search_like_{n}"), escape=ESCAPE) for n in range(likes)]
    return case((and_(*in_title), 0), else_=1)


def _fts_match(parameter: str) -> ColumnElement[bool]:
    return literal_column(board_fts.name).op("MATCH")(bindparam(parameter))


def _fts_rowids(parameter: str) -> Select[Any]:
    return select(board_fts.c.rowid).where(_fts_match(parameter))


def _fts_phrase(term: str) -> str:
    # Inside an FTS5 string only `"` is special, written twice.
    return '"' + term.replace('"', '""') + '"'


def _groonga_phrase(term: str) -> str:
    return '"' + term.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _like_pattern(term: str) -> str:
    escaped = term.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{escaped}%"
