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

from dividends.files.banks import bank_file_name, load_formats, write_bank_csv, write_bank_xlsx
from dividends.files.formats import BankColumn, BankFormat, SummaryRow
from dividends.files.masking import mask_id_number, mask_person_name
from dividends.files.notice import (
    NoticeAccount,
    NoticeData,
    NoticeHousehold,
    NoticeStep,
    Objection,
    check_notice,
    notice_steps,
    render_notice,
    scheme_paragraph,
    write_notice,
)
from dividends.files.output import FileInfo
from dividends.files.payrows import BatchMeta

__all__ = [
    "BankColumn", "BankFormat", "BatchMeta", "FileInfo", "NoticeAccount", "NoticeData", "NoticeHousehold",
    "NoticeStep", "Objection", "SummaryRow", "bank_file_name", "check_notice", "load_formats", "mask_id_number",
    "mask_person_name", "notice_steps", "render_notice", "scheme_paragraph", "write_bank_csv", "write_bank_xlsx",
    "write_notice",
]
