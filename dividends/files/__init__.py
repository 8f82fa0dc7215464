"""Files a run produces for people outside the program: bank payout files and the public notice.

=================================  ===========================================================
``dividends.files.banks``          ``load_formats``, ``write_bank_csv``, ``write_bank_xlsx``,
                                   ``bank_file_name``; formats in ``banks.yaml`` (examples to
                                   adapt, not official bank templates)
``dividends.files.formats``        ``BankFormat``/``BankColumn``/``SummaryRow`` and the YAML
                                   reader with located errors
``dividends.files.payrows``        ``BatchMeta``, checking payment items, laying out the cells
``dividends.files.output``         ``FileInfo``, writing a file whole or not at all
``dividends.files.notice``         ``NoticeData``, ``render_notice``, ``write_notice`` (公示,
                                   printable HTML)
``dividends.files.masking``        ``mask_person_name``, ``mask_id_number``
=================================  ===========================================================

The audit pack and the reader of a bank's returned file live elsewhere.
"""
from __future__ import annotations

import importlib
from typing import Any

# Each name is imported from its module when first asked for (module ``__getattr__``): reading a
# registry imports dividends.files.limits, which must not load the notice's templates (jinja2),
# the bank formats or phonenumbers through this package.
_WHERE = {
    "bank_file_name": "banks", "load_formats": "banks", "write_bank_csv": "banks", "write_bank_xlsx": "banks",
    "BankColumn": "formats", "BankFormat": "formats", "SummaryRow": "formats",
    "mask_id_number": "masking", "mask_person_name": "masking",
    "NoticeAccount": "notice", "NoticeData": "notice", "NoticeHousehold": "notice", "NoticeStep": "notice",
    "Objection": "notice", "check_notice": "notice", "notice_steps": "notice", "render_notice": "notice",
    "scheme_paragraph": "notice", "write_notice": "notice",
    "FileInfo": "output", "BatchMeta": "payrows",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "BankColumn", "BankFormat", "BatchMeta", "FileInfo", "NoticeAccount", "NoticeData", "NoticeHousehold",
    "NoticeStep", "Objection", "SummaryRow", "bank_file_name", "check_notice", "load_formats", "mask_id_number",
    "mask_person_name", "notice_steps", "render_notice", "scheme_paragraph", "write_bank_csv", "write_bank_xlsx",
    "write_notice",
]
