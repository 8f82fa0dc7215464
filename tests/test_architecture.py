"""The import rules of STYLE.md/ARCHITECTURE.md, checked on the source (not on memory)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(package: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        out[str(path.relative_to(ROOT))] = names
    return out


def test_the_computation_core_is_pure() -> None:
    forbidden = {"dividends", "notify", "tortoise", "starlette", "twilio", "jinja2", "httpx", "uvicorn",
                 "aiosqlite", "asyncpg", "sqlite3", "socket", "requests"}
    for module, names in _imports("schemes").items():
        assert not names & forbidden, f"{module} imports {names & forbidden}"


#: Each outside SMS service has one module that imports its SDK, and no other module does.
SDK_OWNERS = {
    "twilio": "notify/twilio_sender.py",
    "alibabacloud_dysmsapi20170525": "notify/aliyun_sender.py",
    "alibabacloud_tea_openapi": "notify/aliyun_sender.py",
    "darabonba": "notify/aliyun_sender.py",
    "Tea": "notify/aliyun_sender.py",
    "tencentcloud": "notify/tencent_sender.py",
}


def test_notify_knows_nothing_of_runs_and_each_sms_sdk_has_one_module() -> None:
    for module, names in _imports("notify").items():
        assert "dividends" not in names, module
        assert not names & {"tortoise", "starlette"}, module
        for sdk in names & set(SDK_OWNERS):
            assert module == SDK_OWNERS[sdk], f"{module} imports {sdk}"
    for package in ("dividends", "schemes", "support", "bench"):
        for module, names in _imports(package).items():
            assert not names & set(SDK_OWNERS), f"{module} imports {names & set(SDK_OWNERS)}"


def test_orm_and_web_stay_at_the_edge() -> None:
    for module, names in _imports("dividends").items():
        if "tortoise" in names:
            assert module.startswith("dividends/store/"), f"{module} imports tortoise"
        if "starlette" in names:
            assert module.startswith("dividends/web/"), f"{module} imports starlette"
        assert "twilio" not in names, module


def test_product_code_never_imports_the_support_package() -> None:
    """Fakes of outside services and sample data serve tests, benchmarks and the demo only."""
    allowed = {"dividends/cli/demo.py"}
    for package in ("schemes", "notify", "dividends"):
        for module, names in _imports(package).items():
            if module not in allowed:
                assert "support" not in names, f"{module} imports the support package"


def _module_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


#: The SMS side of the store boundary (issue 14, item 2): these modules reach the database only
#: through repositories in dividends/store/ (the rest of the product follows with the core work).
SMS_MODULES = [*sorted((ROOT / "dividends" / "outbox").glob("*.py")), ROOT / "dividends/cli/notifying.py",
               ROOT / "dividends/web/webhooks.py", ROOT / "dividends/web/sending.py",
               ROOT / "dividends/web/routes/notices.py"]


def test_the_outbox_reaches_the_database_only_through_the_store() -> None:
    import re

    sql = re.compile(r"\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b[^\n]*\b(FROM|SET|WHERE|VALUES)\b")
    for path in SMS_MODULES:
        names = _module_imports(path)
        module = str(path.relative_to(ROOT))
        assert not any(n == "tortoise" or n.startswith("tortoise.") for n in names), f"{module} imports tortoise"
        assert not any(n.startswith("dividends.store.models") for n in names), f"{module} imports ORM models"
        assert not any(n.startswith(("dividends.store.bulk", "dividends.store.queries")) for n in names), module
        assert not sql.search(path.read_text(encoding="utf-8")), f"{module} writes SQL"


#: Modules that once held ORM queries and now ask repositories in dividends/store/ instead.
NO_ORM_MODELS = ("dividends/access.py", "dividends/web/auth.py", "dividends/web/app.py", "dividends/web/security.py")


def _runtime_imports(path: Path) -> set[str]:
    """Imported module names, leaving out ``if TYPE_CHECKING:`` blocks (annotations only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and
               isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING" for n in ast.walk(node)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_access_and_web_auth_ask_the_store_instead_of_the_orm() -> None:
    for module in NO_ORM_MODELS:
        names = _runtime_imports(ROOT / module)
        assert not any(n == "dividends.store.models" or n.startswith(("dividends.store.models.", "tortoise"))
                       for n in names), f"{module} imports ORM models"


#: The registry's side of the store boundary: importing and withdrawing reach the database only
#: through dividends/store/registry.py; the county pages and the anomalies list through
#: dividends/store/county.py; backups through dividends/store/backup.py.
REGISTRY_MODULES = [ROOT / "dividends/imports.py", ROOT / "dividends/usecases/registry.py",
                    ROOT / "dividends/overview.py", ROOT / "dividends/anomalies.py",
                    ROOT / "dividends/usecases/backups.py", ROOT / "dividends/cli/backing.py"]


def test_the_registry_import_reaches_the_database_only_through_the_store() -> None:
    import re

    sql = re.compile(r"\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b[^\n]*\b(FROM|SET|WHERE|VALUES)\b")
    for path in REGISTRY_MODULES:
        names = _runtime_imports(path)  # annotations under TYPE_CHECKING may name the models
        module = str(path.relative_to(ROOT))
        assert not any(n == "tortoise" or n.startswith("tortoise.") for n in names), f"{module} imports tortoise"
        assert not any(n.startswith("dividends.store.models") for n in names), f"{module} imports ORM models"
        assert not any(n.startswith(("dividends.store.bulk", "dividends.store.queries")) for n in names), module
        assert not sql.search(path.read_text(encoding="utf-8")), f"{module} writes SQL"


#: Modules that look for digits to hide them (masking): any script's digits count there.
DIGIT_MASKERS = {"notify/privacy.py", "dividends/files/notice.py", "notify/phones.py", "notify/catalog.py"}


def test_input_is_parsed_with_ascii_digits_only() -> None:
    r"""In Python and polars, ``\d`` and ``str.isdigit`` accept Arabic-Indic and other digits
    (``int("١٢")`` is 12): a parser of amounts, counts, dates, accounts or IDs uses ``[0-9]``
    or checks ``isascii()`` too; full-width digits are normalised in one place
    (:func:`schemes.money.half_width`)."""
    found = []
    for package in ("schemes", "notify", "dividends"):
        for path in (ROOT / package).rglob("*.py"):
            module = str(path.relative_to(ROOT))
            if module in DIGIT_MASKERS:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.strip()
                if code.startswith("#"):
                    continue
                if "\\d" in code:
                    found.append(f"{module}:{number}: {line.strip()}")
                for m in re.finditer(r"(\w+(?:\([^()]*\))?)\.isdigit\(\)", code):
                    if f"{m[1]}.isascii() and" not in code:
                        found.append(f"{module}:{number}: {line.strip()}")
    assert found == [], "\n".join(found)


#: Issue 14 item 2, the whole rule: outside dividends/store/ no module imports the ORM models,
#: tortoise or the store's raw-SQL helpers (``queries.fetch``, ``bulk``) at runtime (``if TYPE_CHECKING:`` annotations are
#: allowed), and none writes SQL. No module is exempt (runs.py and payouts.py, the last ones,
#: reach the database through dividends/store/runs.py and dividends/store/payouts.py).
_SQL = re.compile(r"\b(SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM)\b[^\n]*\b(FROM|SET|WHERE|VALUES)\b")


def _breaks_the_store_boundary(path: Path) -> list[str]:
    names = _runtime_imports(path)
    broken = [n for n in sorted(names) if n == "tortoise" or n.startswith("tortoise.")
              or n == "dividends.store.models" or n.startswith("dividends.store.models.")
              or n.startswith("dividends.store.bulk.") or n == "dividends.store.queries.fetch"]
    strings = [node.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    joined = [s for s in strings if _SQL.search(s)]
    return broken + [f"SQL: {s[:60]}" for s in joined]


def test_no_module_outside_the_store_touches_the_orm_or_writes_sql() -> None:
    for path in sorted((ROOT / "dividends").rglob("*.py")):
        module = str(path.relative_to(ROOT))
        if module.startswith("dividends/store/"):
            continue
        assert _breaks_the_store_boundary(path) == [], module


def test_the_store_boundary_check_catches_what_it_must(tmp_path: Path) -> None:
    cases = {
        "from dividends.store.models import Run\n": True,
        "import tortoise\n": True,
        "from dividends.store.queries import fetch\n": True,
        "x = 'SELECT id FROM run WHERE state = ?'\n": True,
        "x = \"UPDATE run SET state = 'paid'\"\n": True,
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from dividends.store.models import Run\n": False,
        "from dividends.store import registry\nx = 'select a run to update'\n": False,
    }
    for k, (source, bad) in enumerate(cases.items()):
        path = tmp_path / f"m{k}.py"
        path.write_text(source, encoding="utf-8")
        assert bool(_breaks_the_store_boundary(path)) is bad, source
