"""The import page: templates to download, what the reader did and warns about, the mapping step
for headers nothing recognised (remembered for the county), a refused scheme in the user's words,
and withdrawing an import."""
from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from dividends.store.models import County, RegistryImport
from tests.web.flows import registry_files
from tests.web.support import browser

pytestmark = pytest.mark.db


def _shares_renamed(tmp_path: Path) -> Path:
    """The sample households file with its 股数 column headed 股份数目 (a county form's word)."""
    reg = registry_files(tmp_path)
    frame = pl.read_csv(reg.households, infer_schema=False).rename({"shares": "股份数目"})
    path = tmp_path / "户信息.csv"
    frame.write_csv(path)
    return path


async def test_the_templates_download_from_the_import_page(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "acc1") as acc:
        page = await acc.get("/villages/V0001/registry")
        assert "/villages/V0001/registry/template?kind=workbook" in page.text
        workbook = await acc.get("/villages/V0001/registry/template?kind=workbook")
        assert workbook.status_code == 200 and "attachment" in workbook.headers["content-disposition"]
        book = openpyxl.load_workbook(io.BytesIO(workbook.content))
        assert book.sheetnames[0] == "填表说明"
        csv = await acc.get("/villages/V0001/registry/template?kind=posts")
        assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
        wrong = await acc.get("/villages/V0001/registry/template?kind=secrets")
        assert wrong.status_code == 400


async def test_unknown_headers_are_warned_and_offered_in_the_mapping_step(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = _shares_renamed(tmp_path)
    async with browser(app, "acc1") as acc:
        first = await acc.post("/villages/V0001/registry", {"period": "2024"},
                               files={"households": (path.name, path.read_bytes(), "text/csv")})
        assert first.status_code == 200, first.text[-1500:]
        assert "股份数目" in first.text and "列映射" in first.text  # the warning, in the user's words
        # the mapping step is filled in: the header and its closest column chosen
        assert re.search(r'name="map_header_0" value="股份数目"', first.text)
        assert re.search(r'<option value="households:shares" selected>', first.text)
        assert "--columns" not in first.text and "--" + "sheet" not in first.text
        # a scheme paying by shares is refused on this version, naming the column and the header
        await acc.post("/villages/V0001/returns", {"period": "2024", "amount": "1000", "asset": "光伏电站"})
        refused = await acc.post("/villages/V0001/runs", {"period": "2024", "scheme": "shareholding"})
        assert refused.status_code in (400, 409) and "股份数目" in refused.text and "股数" in refused.text
        assert "--" + "columns" not in refused.text
        # the accountant maps it and imports again: a new version, the shares read, mapping remembered
        second = await acc.post("/villages/V0001/registry", {"period": "2024", "map_header_0": "股份数目",
                                                              "map_column_0": "households:shares"},
                                files={"households": (path.name, path.read_bytes(), "text/csv")})
        assert second.status_code == 200 and "第 2 版" in second.text, second.text[-1500:]
        assert "股份数目 → shares" in second.text
    assert (await County.get(villages__code="V0001")).column_mapping == {"households": {"股份数目": "shares"}}
    assert (await RegistryImport.all().order_by("-id").first()).columns == {"households": {"股份数目": "shares"}}  # type: ignore[union-attr]
    async with browser(app, "acc1") as acc:
        created = await acc.post("/villages/V0001/runs", {"period": "2024", "scheme": "shareholding"})
        assert created.status_code == 303, created.text[-1500:]


async def test_a_mapping_to_no_column_is_refused_in_the_users_words(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = _shares_renamed(tmp_path)
    async with browser(app, "acc1") as acc:
        response = await acc.post("/villages/V0001/registry", {"period": "2024", "map_header_0": "股份数目",
                                                                "map_column_0": "households:salary"},
                                  files={"households": (path.name, path.read_bytes(), "text/csv")})
    assert response.status_code == 400 and "对应的列" in response.text and "map_column" not in response.text.split(
        "<form")[0]


async def test_an_import_no_run_uses_is_withdrawn_from_its_version_page(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc:
        first = await acc.post("/villages/V0001/registry", {"period": "2024"},
                               files={"households": (reg.households.name, reg.households.read_bytes(), "text/csv")})
        assert first.status_code == 200 and "撤回本次导入" in first.text
        sid = int(re.search(r'/villages/V0001/registry/(\d+)/withdraw', first.text).group(1))  # type: ignore[union-attr]
        done = await acc.post(f"/villages/V0001/registry/{sid}/withdraw", {"reason": "选错了文件"})
        assert done.status_code == 303
        page = await acc.get(f"/villages/V0001/registry/{sid}")
        assert "已撤回" in page.text and "选错了文件" in page.text
        home = await acc.get("/villages/V0001")
        assert "已撤回" in home.text
    async with browser(app, "com1") as com:
        refused = await com.post(f"/villages/V0001/registry/{sid}/withdraw", {"reason": "x"})
        assert refused.status_code == 403
