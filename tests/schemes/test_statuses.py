"""The household statuses and their labels are defined once (schemes/statuses.py); pages,
scheme descriptions and notices show those labels, nothing else."""
from __future__ import annotations

from dividends.files.notice import statuses as notice_statuses
from dividends.web.i18n import STATUS_NAMES, named
from schemes import describe, statuses


def test_every_user_of_status_labels_reads_the_one_table() -> None:
    assert STATUS_NAMES is statuses.LABELS and describe._STATUS is statuses.LABELS
    assert notice_statuses is statuses
    for s in statuses.STATUSES:
        assert named(STATUS_NAMES, s.name, "zh") == s.zh and named(STATUS_NAMES, s.name, "en") == s.en


def test_each_status_has_distinct_labels_in_both_languages() -> None:
    for lang in ("zh", "en"):
        labels = [s.label(lang) for s in statuses.STATUSES]
        assert len(set(labels)) == len(labels) and all(labels)
