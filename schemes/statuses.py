"""The four household statuses, defined once, with their labels in both languages.

Scheme filters, weights and the registry's status vocabulary all use these names. Other words
found on county forms (脱贫不稳定户, 已脱贫户...) are mapped onto them by the registry's
vocabulary file, never added here.

>>> [s.name for s in STATUSES]
['poor', 'exited', 'monitored', 'non_poor']
>>> label("monitored", "zh"), label("non_poor", "en")
('监测户', 'non-poor')
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    name: str
    zh: str
    en: str

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


STATUSES: tuple[Status, ...] = (
    Status("poor", "贫困户", "registered poor"),
    Status("exited", "脱贫户", "exited poverty"),
    Status("monitored", "监测户", "monitored"),
    Status("non_poor", "一般户", "non-poor"),
)
STATUS_NAMES: tuple[str, ...] = tuple(s.name for s in STATUSES)
BY_NAME = {s.name: s for s in STATUSES}
#: name -> (zh, en): the form the pages, descriptions and notices look labels up in.
LABELS: dict[str, tuple[str, str]] = {s.name: (s.zh, s.en) for s in STATUSES}


def label(name: str, lang: str) -> str:
    return BY_NAME[name].label(lang)
