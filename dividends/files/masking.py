"""Masking for the public notice: the same rules as the SMS texts (:mod:`notify.privacy`).

>>> [mask_person_name(n) for n in ("张", "张三", "张三明", "张王秀英", "欧阳明", "欧阳小明")]
['张*', '张*', '张*明', '张**英', '欧阳*', '欧阳*明']
>>> mask_id_number("11010519491231002x")
'110105********002X'
"""
from __future__ import annotations

from notify.privacy import mask_id_number, mask_name

__all__ = ["mask_id_number", "mask_person_name"]


def mask_person_name(name: str) -> str:
    """A head name on the notice board; an empty name (never valid in a registry) shows ``*``."""
    return mask_name(name) if name.strip() else "*"
