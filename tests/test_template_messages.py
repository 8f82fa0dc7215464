"""Jinja templates translated through ``jinja2.ext.i18n``: every ``{% trans "key" %}English{% endtrans %}``
(and ``pgettext``/``_`` call) names a message of the catalogs with that English text, so
``pybabel extract`` of the templates and the ``.po`` files agree, and the Chinese page shows the
catalog's Chinese."""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import jinja2
import jinja2.ext
import pytest

from schemes.i18n import catalog, gettext_callables

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted(ROOT.glob("*/**/templates/*.html"))


@pytest.fixture(scope="module")
def known() -> dict:
    import dividends
    import notify
    import schemes
    for package in (schemes, dividends, notify):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)
    return dict(catalog())


def _extracted(path: Path) -> list[tuple[int, str, object]]:
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    return [(line, function, strings) for line, function, strings
            in jinja2.ext.extract_from_ast(env.parse(path.read_text(encoding="utf-8")))]


def test_some_template_is_translated_through_the_extension():
    assert any(function == "pgettext" for path in TEMPLATES for _, function, _ in _extracted(path))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_translated_text_is_in_the_catalogs(path: Path, known: dict):
    for line, function, strings in _extracted(path):
        if function == "pgettext":
            key, english = strings[:2]  # then None for each keyword argument (the text's placeholders)
            assert key in known, f"{path.name}:{line}: no message {key!r}"
            assert known[key]["en"] == english, f"{path.name}:{line}: {key!r} is {known[key]['en']!r} in the catalogs"
        elif function in ("_", "gettext"):
            english = strings if isinstance(strings, str) else strings[0]
            assert any(texts["en"] == english for texts in known.values()), f"{path.name}:{line}: {strings!r}"


def test_a_trans_block_renders_the_catalog_text(known: dict):
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    template = env.from_string('{% trans "files.notice.facts" %}' + known["files.notice.facts"]["en"] + '{% endtrans %}')
    assert template.render(**gettext_callables("zh")) == known["files.notice.facts"]["zh"]
    assert template.render(**gettext_callables("en")) == known["files.notice.facts"]["en"]
    assert known["files.notice.facts"]["zh"] != known["files.notice.facts"]["en"]


WEB_TEMPLATES = sorted((ROOT / "dividends" / "web" / "templates").glob("*.html"))


def _calls(path: Path, name: str) -> list[jinja2.nodes.Call]:
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    return [call for call in env.parse(path.read_text(encoding="utf-8")).find_all(jinja2.nodes.Call)
            if isinstance(call.node, jinja2.nodes.Name) and call.node.name == name]


@pytest.mark.parametrize("path", WEB_TEMPLATES, ids=lambda p: p.name)
def test_the_pages_name_their_texts_through_the_extension(path: Path):
    """A page's text is a ``pgettext("web.<key>", "English")`` call that ``pybabel extract`` sees:
    ``t(key)`` remains only for keys computed at render time (``t("step." ~ key)``)."""
    literal = [call.lineno for call in _calls(path, "t") if call.args and isinstance(call.args[0], jinja2.nodes.Const)]
    assert literal == [], f"{path.name}: t('literal key') on lines {literal}: use pgettext('web.<key>', 'English')"


def test_pybabel_extract_finds_the_page_texts(tmp_path: Path, known: dict):
    """``pybabel extract -F babel.cfg`` (the documented extraction) sees every page text with its
    key and English text, and each is a message of the catalogs."""
    import subprocess
    import sys

    from babel.messages.pofile import read_po
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-o", str(pot), "."], cwd=ROOT, check=True)
    with pot.open("rb") as fp:
        extracted = {(m.context, m.id) for m in read_po(fp) if m.id}
    in_templates = {(call.args[0].value, call.args[1].value) for path in WEB_TEMPLATES for call in _calls(path, "pgettext")}
    assert len(in_templates) > 300
    assert in_templates <= extracted
    for key, english in {(k, e) for k, e in extracted if k and k.startswith("web.")}:
        assert key in known and known[key]["en"] == english, (key, english)
