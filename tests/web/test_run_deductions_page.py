"""The new-run page takes the run's deductions file (issue 10, item 3): a wrong file is refused
with its row and column, a good one becomes the run's recorded input."""
from __future__ import annotations

import pytest

from dividends import runs
from tests.web.flows import registry_files, run_id_of, upload
from tests.web.support import browser

pytestmark = pytest.mark.db


async def test_the_new_run_form_takes_a_deductions_file(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    household = reg.households.read_text(encoding="utf-8-sig").splitlines()[1].split(",")[0]
    async with browser(app, "acc1") as acc:
        assert (await acc.get("/villages/V0001/runs/new?period=2024&scheme=shareholding")).status_code in (200, 400)
        assert (await acc.post("/villages/V0001/registry", {"period": "2024"}, files=upload(reg))).status_code == 200
        assert (await acc.post("/villages/V0001/returns", {"period": "2024", "amount": "50000", "asset": "光伏电站"})
                ).status_code == 303
        form = {"period": "2024", "scheme": "shareholding"}
        page = (await acc.get("/villages/V0001/runs/new?period=2024&scheme=shareholding&lang=en")).text
        assert 'name="deductions"' in page and 'enctype="multipart/form-data"' in page
        bad = await acc.post("/villages/V0001/runs?lang=en", form, files={
            "deductions": ("debts.csv", f"户编号,扣款金额,扣款原因,收款账户\n{household},abc,借款,collective\n".encode(), "text/csv")})
        assert bad.status_code >= 400 and "debts.csv" in bad.text and "abc" in bad.text, bad.text[-2000:]
        created = await acc.post("/villages/V0001/runs", form, files={
            "deductions": ("debts.csv", f"户编号,扣款金额,扣款原因,收款账户\n{household},10,借款,collective\n".encode(), "text/csv")})
        assert created.status_code == 303, created.text[-2000:]
    run = await runs.get_run(run_id_of(created.headers["location"]))
    assert run.deductions_file
