"""Every page in Chinese speaks the users' words: no internal id (account, run state, status,
objection state, registry field, bank format, scheme, SMS provider, role, username) shows in the text people read.

The ids come from the program's own tables, so a new state or account is checked as soon as it
exists; ids inside attributes, URLs and form values are fine (people do not read them).
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from dividends.clock import FixedClock
from dividends.files import load_formats
from dividends.overview import scheme_choices
from notify.catalog import PROFILES
from dividends.web.i18n import FIELD_NAMES, OBJECTION_NAMES, ROLE_NAMES, STATE_NAMES, STATUS_NAMES
from tests.web.pages import PUBLIC, pages_for
from tests.web.support import ROLES_OF, browser
from tests.web.world import build_world

pytestmark = pytest.mark.db

_HIDDEN = re.compile(r"<(script|style|title)\b.*?</\1>|<!--.*?-->", re.S)
_TAG = re.compile(r"<[^>]+>")


def known_ids() -> set[str]:
    accounts = {a for c in scheme_choices() for a in c.scheme.accounts}
    schemes = {c.scheme.id for c in scheme_choices()}
    return (set(STATE_NAMES) | schemes | set(PROFILES) | set(ROLE_NAMES) | set(STATUS_NAMES) | set(OBJECTION_NAMES) | set(FIELD_NAMES)
            | accounts | set(load_formats()) | set(ROLES_OF) | {"town1", "com2"} | {"auditpack", "asset", "carry_over"})


def allowed(url: str) -> set[str]:
    """Ids a page may show: login names are the subject of the users page."""
    return set(ROLES_OF) | {"town1", "com2"} if url == "/admin/users" else set()


# a registry problem names the English header a file may use instead ("英文表头 members"): that
# is a header people can type, said to be one, not an id leaking
_ENGLISH_HEADER = re.compile(r"英文表头 [A-Za-z_]+")


def visible_text(page: str) -> str:
    """What a person reads: the text between tags, entities decoded (named English headers aside)."""
    return _ENGLISH_HEADER.sub(" ", html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", page))))


def raw_ids(text: str, ids: set[str]) -> list[str]:
    return sorted(i for i in ids if re.search(rf"(?<![A-Za-z0-9_]){re.escape(i)}(?![A-Za-z0-9_])", text))


def test_the_finder_sees_an_id_in_text_but_not_in_attributes() -> None:
    page = '<td data-state="paid"><a href="/x?s=carry_over">结转</a></td><td>carry_over</td><style>.paid{}</style>'
    assert raw_ids(visible_text(page), {"paid", "carry_over"}) == ["carry_over"]
    assert raw_ids(visible_text("<p>已发放 unpaid_x</p>"), {"paid"}) == []
    assert raw_ids(visible_text("<li>应有“户籍人口”列（英文表头 members）；表头为：members</li>"), {"members"}) == ["members"]
    assert raw_ids(visible_text("<li>应有“户籍人口”列（英文表头 members）</li>"), {"members"}) == []


async def test_every_page_in_chinese_shows_labels_not_internal_ids(app, clock: FixedClock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    world = await build_world(tmp_path, clock)
    ids = known_ids()
    found: dict[str, list[str]] = {}
    checked = 0
    async with browser(app) as anonymous:
        for url in PUBLIC:
            page = await anonymous.get(url + "?lang=zh")
            if hits := raw_ids(visible_text(page.text), ids):
                found[url] = hits
            checked += 1
    for username, urls in pages_for(world).items():
        async with browser(app, username) as b:
            for url in urls:
                page = await b.get(url + ("&" if "?" in url else "?") + "lang=zh")
                assert page.status_code in (200, 404), (url, page.status_code)
                text = visible_text(page.text)
                if hits := raw_ids(text, ids - allowed(url)):
                    found[f"{username} {url}"] = hits
                checked += 1
    assert checked > 25
    assert found == {}
