"""One vocabulary: every run state and role has its label in both languages, defined once beside
its owner, and the pages, messages and command line read that one table."""
from __future__ import annotations

from dividends.actors import ROLE_LABELS, ROLES
from dividends.policy import RUN_STATE_LABELS, RUN_STATES
from dividends.web import i18n
from schemes.i18n import Msg


def test_every_run_state_and_role_has_a_label_in_both_languages() -> None:
    assert set(RUN_STATE_LABELS) == set(RUN_STATES)
    assert set(ROLE_LABELS) == set(ROLES)
    for zh, en in (*RUN_STATE_LABELS.values(), *ROLE_LABELS.values()):
        assert zh.strip() and en.strip() and zh != en


def test_pages_and_messages_name_a_state_with_the_same_words() -> None:
    assert i18n.STATE_NAMES is RUN_STATE_LABELS and i18n.ROLE_NAMES is ROLE_LABELS
    for state, (zh, en) in RUN_STATE_LABELS.items():
        assert Msg(f"state.{state}").text("zh") == zh
        assert Msg(f"state.{state}").text("en") == en


def test_objection_states_languages_and_fields_are_defined_beside_their_owners() -> None:
    """The pages' tables are the owners' tables (one definition), complete, in both languages."""
    import inspect

    from dividends.policy import OBJECTION_STATE_LABELS, OBJECTION_STATES
    from dividends.registry.columns import FIELD_LABELS, HOUSEHOLD_COLUMNS
    from dividends.store import models
    from schemes.i18n import LANGS, LANGUAGE_LABELS
    assert i18n.OBJECTION_NAMES is OBJECTION_STATE_LABELS and i18n.LANGUAGE_NAMES is LANGUAGE_LABELS
    assert i18n.FIELD_NAMES is FIELD_LABELS and i18n.LANGS is LANGS
    assert set(OBJECTION_STATE_LABELS) == set(OBJECTION_STATES)
    assert models.Objection._meta.fields_map["status"].default in OBJECTION_STATES
    assert "open" in OBJECTION_STATES and "resolved" in OBJECTION_STATES
    assert set(LANGUAGE_LABELS) == set(LANGS)
    assert {c.name for c in HOUSEHOLD_COLUMNS} <= set(FIELD_LABELS) | {"persons"}, \
        {c.name for c in HOUSEHOLD_COLUMNS} - set(FIELD_LABELS)
    for zh, en in (*OBJECTION_STATE_LABELS.values(), *LANGUAGE_LABELS.values(), *FIELD_LABELS.values()):
        assert zh.strip() and en.strip() and zh != en
    for state, (zh, en) in OBJECTION_STATE_LABELS.items():
        assert Msg(f"objection.state.{state}").text("zh") == zh
        assert Msg(f"objection.state.{state}").text("en") == en
