"""The gettext message catalogs (``<package>/locale/<lang>/LC_MESSAGES/<domain>.po``): every
message is in both languages, with the same placeholders, and the code's catalogs are read
from them."""
from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from schemes import i18n

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = sorted({po.parent.parent.parent / po.stem for po in ROOT.glob("*/locale/*/LC_MESSAGES/*.po")})


def _read(locale_dir: Path, domain: str, lang: str):
    with (locale_dir / lang / "LC_MESSAGES" / f"{domain}.po").open("rb") as fp:
        return read_po(fp)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# placeholders a translation leaves out on purpose (the Chinese says "条件字段" for both scopes)
OMITTED = {("zh", "filter.unknown_field"): {"scope"}}


def test_there_are_catalogs():
    domains = {path.name for path in CATALOGS}
    assert {"schemes", "dividends", "notify"} <= domains


@pytest.mark.parametrize("base", CATALOGS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_message_is_missing_in_either_language(base):
    locale_dir, domain = base.parent, base.name
    by_lang = {lang: {(m.context, m.id): m for m in _read(locale_dir, domain, lang) if m.id}
               for lang in i18n.LANGS}
    keys = {lang: set(messages) for lang, messages in by_lang.items()}
    assert keys["zh"] == keys["en"], "a message is in one language only"
    for lang, messages in by_lang.items():
        for (context, english), message in messages.items():
            assert context, f"{lang}: {english!r} has no msgctxt (the message key)"
            assert message.string, f"{lang}: {context} has no translation"
            assert not message.fuzzy, f"{lang}: {context} is fuzzy"
            omitted = OMITTED.get((lang, context), set())
            assert _fields(message.string) | omitted == _fields(english), f"{lang}: {context} has other placeholders"
    contexts = [context for context, _ in by_lang["en"]]
    assert len(contexts) == len(set(contexts)), "a key with two English texts"


def test_the_english_text_is_the_message_id():
    for base in CATALOGS:
        for message in _read(base.parent, base.name, "en"):
            if message.id:
                assert message.string == message.id, message.context


def test_messages_render_from_the_catalogs(tmp_path):
    po = tmp_path / "zh" / "LC_MESSAGES" / "probe.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgctxt "probe.hello"\nmsgid "hello {name}"\nmsgstr "你好 {name}"\n', encoding="utf-8")
    en = tmp_path / "en" / "LC_MESSAGES" / "probe.po"
    en.parent.mkdir(parents=True)
    en.write_text('msgctxt "probe.hello"\nmsgid "hello {name}"\nmsgstr "hello {name}"\n', encoding="utf-8")
    i18n.load_catalog(tmp_path, "probe")
    assert i18n.t("probe.hello", "zh", name="李") == "你好 李"
    assert i18n.t("probe.hello", "en", name="Li") == "hello Li"
    assert (po.with_suffix(".mo")).exists()  # compiled when it was missing


def test_a_catalog_being_read_by_one_thread_is_waited_for_by_another(tmp_path, monkeypatch):
    # `dividends compute` renders messages on two threads (the bundle's refusal, the reading
    # report): the second must not find the catalog taken off the pending list and still unread
    import threading
    import time

    for lang, text in (("zh", "你好"), ("en", "hello")):
        po = tmp_path / lang / "LC_MESSAGES" / "race.po"
        po.parent.mkdir(parents=True)
        po.write_text(f'msgctxt "race.hello"\nmsgid "hello"\nmsgstr "{text}"\n', encoding="utf-8")
    entries = i18n.catalog_entries
    started = threading.Event()

    def slow(*args, **kwargs):
        started.set()
        time.sleep(0.2)
        return entries(*args, **kwargs)

    monkeypatch.setattr(i18n, "catalog_entries", slow)
    i18n.load_catalog(tmp_path, "race")
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(i18n.t("race.hello", "en")))
    reader.start()
    assert started.wait(10)
    assert i18n.t("race.hello", "zh") == "你好"  # while the other thread reads the catalog
    reader.join()
    assert first == ["hello"]


def test_a_stale_mo_is_compiled_again(tmp_path):
    po = tmp_path / "a.po"
    po.write_text('msgctxt "k"\nmsgid "one"\nmsgstr "一"\n', encoding="utf-8")
    locale = tmp_path / "zh" / "LC_MESSAGES"
    locale.mkdir(parents=True)
    (locale / "d.po").write_text(po.read_text(encoding="utf-8"), encoding="utf-8")
    first = dict((k, t) for k, _, t in i18n.entries(i18n.translations(tmp_path, "d", "zh")))
    assert first == {"k": "一"}
    import os
    mo = locale / "d.mo"
    os.utime(mo, (1, 1))  # older than the .po
    (locale / "d.po").write_text('msgctxt "k"\nmsgid "one"\nmsgstr "壹"\n', encoding="utf-8")
    again = dict((k, t) for k, _, t in i18n.entries(i18n.translations(tmp_path, "d", "zh")))
    assert again == {"k": "壹"}


def test_every_catalog_is_announced_by_the_code():
    import importlib
    import pkgutil

    import dividends
    import notify
    import schemes
    for package in (schemes, dividends, notify):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)
    known = i18n.catalog()
    for base in CATALOGS:
        for message in _read(base.parent, base.name, "zh"):
            if message.id:
                assert known[message.context] == {"zh": message.string, "en": message.id}


def test_the_standard_library_reads_every_catalog_as_babel_does(tmp_path):
    # messages are read with gettext (no Babel import) when the .mo is up to date
    from pathlib import Path
    roots = [Path(__file__).resolve().parents[1] / name / "locale" for name in ("dividends", "schemes", "notify")]
    seen = 0
    for root in roots:
        for po in root.glob("*/LC_MESSAGES/*.po"):
            lang, domain = po.parent.parent.name, po.stem
            assert i18n.compiled_catalog(root, domain, lang) == dict(i18n.translations(root, domain, lang)._catalog)
            seen += 1
    assert seen >= 6
    # a stale .mo is compiled again through the same function
    locale = tmp_path / "zh" / "LC_MESSAGES"
    locale.mkdir(parents=True)
    (locale / "d.po").write_text('msgctxt "k"\nmsgid "one"\nmsgstr "一"\n', encoding="utf-8")
    assert [(k, t) for k, _, t in i18n.catalog_entries(i18n.compiled_catalog(tmp_path, "d", "zh"))] == [("k", "一")]
    import os
    os.utime(locale / "d.mo", (1, 1))
    (locale / "d.po").write_text('msgctxt "k"\nmsgid "one"\nmsgstr "壹"\n', encoding="utf-8")
    assert [(k, t) for k, _, t in i18n.catalog_entries(i18n.compiled_catalog(tmp_path, "d", "zh"))] == [("k", "壹")]
