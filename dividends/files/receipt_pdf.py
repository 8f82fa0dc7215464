"""The cash receipt list (签字领取表) as an A4 PDF (fpdf2, with a CJK font from the system:
Debian's fonts-noto-cjk). The only module that imports fpdf."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from schemes.money import format_yuan

#: where Debian (fonts-noto-cjk) and others put a simplified-Chinese font, with its index in a collection
FONTS = ((Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),  # JP, KR, SC, TC: SC is 2
         (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"), 2),
         (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0))


def font() -> tuple[Path, int] | None:
    """The first CJK font present, or None (the page then offers the print view only)."""
    return next(((p, i) for p, i in FONTS if p.exists()), None)


def available() -> bool:
    try:
        import fpdf  # noqa: F401
    except ImportError:
        return False
    return font() is not None


#: column titles and widths in mm (A4 portrait: 180 mm between 15 mm margins)
def receipt_list(title: str, headers: Sequence[str], rows: Sequence[dict[str, object]], total_label: str) -> bytes:
    """``rows`` carry household_id, name, id_number (already masked) and amount_fen (integer)."""
    from fpdf import FPDF
    found = font()
    if found is None:
        raise RuntimeError("no CJK font (install fonts-noto-cjk)")
    widths = (30, 22, 42, 26, 36, 24)
    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15)
    pdf.add_font("cjk", fname=str(found[0]), collection_font_number=found[1])
    pdf.set_font("cjk", size=10)

    def header() -> None:
        for w, h in zip(widths, headers, strict=True):
            pdf.cell(w, 9, h, border=1, align="C")
        pdf.ln()

    pdf.add_page()
    pdf.set_font("cjk", size=14)
    pdf.cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    header()
    total = 0
    for r in rows:
        if pdf.will_page_break(12):
            pdf.add_page()
            header()
        amount = int(r["amount_fen"])  # type: ignore[call-overload]
        total += amount
        for w, text, align in zip(widths, (str(r["household_id"]), str(r["name"]), str(r["id_number"]),
                                           format_yuan(amount), "", ""), "LLLRLL", strict=True):
            pdf.cell(w, 12, text, border=1, align=align)
        pdf.ln()
    pdf.cell(sum(widths[:3]), 9, total_label, border=1)
    pdf.cell(widths[3], 9, format_yuan(total), border=1, align="R")
    pdf.cell(sum(widths[4:]), 9, "", border=1)
    return bytes(pdf.output())
