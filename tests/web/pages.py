"""Every page a person opens, per role, in the small county world of :mod:`tests.web.world`:
the walk the layout, vocabulary and accessibility tests share.

One person of each role, each with every page of its work in the state the world leaves it in:

- ``acc1`` accountant of V0001 (a paid run, one household refused by the bank: the failed list,
  the payee-account correction, the cash receipt list and the close form with an unpaid line);
- ``acc2`` accountant of V0002 (a run whose notice period has ended);
- ``com1`` committee of V0001 (the paid run), ``com2`` committee of V0002 (approve, return);
- ``town1`` the township's reviewer (乡镇农经站) over V0002 (review the plan);
- ``aud1`` the county auditor, ``adm1`` the county administrator;
- nobody signed in: the sign-in page.

The printable public notice households read is on every village person's list.
"""
from __future__ import annotations

from tests.web.world import World

PUBLIC = ["/login"]

MISSING = "/runs/999999"  # the error page: a run that does not exist (or is out of the person's sight)


def _village_pages(code: str, run: int, snap: int) -> list[str]:
    """What anyone of the village reads: its home, the run and its household table, the public
    notice, the texts, the registry version, the asset returns, the person's own tokens."""
    return [f"/villages/{code}", f"/runs/{run}", f"/runs/{run}/lines", f"/runs/{run}/lines?q=1",
            f"/runs/{run}/notice", f"/runs/{run}/notices", f"/villages/{code}/registry/{snap}",
            f"/villages/{code}/returns", "/account/tokens"]


def pages_for(world: World) -> dict[str, list[str]]:
    """Signed-in user -> the GET pages that user works with."""
    run, snap = world.runs["V0001"], world.snapshots["V0001"]
    run2, snap2 = world.runs["V0002"], world.snapshots["V0002"]
    return {
        "acc1": [*_village_pages("V0001", run, snap), "/villages/V0001/registry", f"/runs/{run}/cash-list",
                 "/villages/V0001/runs/new?period=2024", "/villages/V0001/runs/new?period=2024&scheme=shareholding",
                 "/villages/V0001/runs/new?period=2024&scheme=shareholding&compare=tourism-cooperative", MISSING],
        "acc2": [*_village_pages("V0002", run2, snap2), "/villages/V0002/registry"],  # a run past its notice period
        "com1": _village_pages("V0001", run, snap),
        "com2": ["/villages/V0002", f"/runs/{run2}", f"/runs/{run2}/lines", f"/runs/{run2}/notice"],  # approve here
        "town1": ["/", "/villages/V0002", f"/runs/{run2}", f"/runs/{run2}/lines", f"/runs/{run2}/notice",
                  "/account/tokens"],
        "aud1": ["/county", "/county/runs", "/county/runs?state=paid", "/county/villages/V0001",
                 "/county/villages/V0001/verify", f"/runs/{run}", f"/runs/{run}/lines", f"/runs/{run}/verify",
                 f"/runs/{run}/notices", "/county/anomalies", "/county/schemes", "/county/schemes/shareholding/diff",
                 "/villages/V0001", f"/villages/V0001/registry/{snap}", "/account/tokens", MISSING],
        "adm1": ["/admin/users", "/admin/villages", "/county", "/county/runs", "/county/anomalies", "/villages/V0001",
                 f"/runs/{run}", "/account/tokens"],
    }



Form = tuple[str, dict[str, str], dict[str, tuple[str, bytes]], str, str]


def forms_for(world: World) -> dict[str, list[Form]]:
    """Pages a form leads to, per signed-in user: (page, fields to fill {selector: value}, files
    {selector: (file name, content)}, the submit button, a text the answer shows). Mistakes show
    beside the field with the form kept, or list the file's problems under its own name."""
    return {
        "acc1": [
            ("/villages/V0001/returns", {"#asset": "光伏电站", "#amount": "12.345"}, {},
             "form[action='/villages/V0001/returns'] button[type=submit]", 'role="alert"'),
            ("/villages/V0001/registry", {"#period": "2025"},
             {"#households": ("户信息.csv", "户编号,户主姓名\nV0001-00001,张三\n".encode("utf-8"))},
             "form[action='/villages/V0001/registry'] button[type=submit]", "户信息.csv"),
            ("/villages/V0001/registry", {"#period": "2025"}, {"#households": ("户信息.csv", world.registry)},
             "form[action='/villages/V0001/registry'] button[type=submit]", "与上一版名册相比没有变化"),  # imported again: the report
        ],
        "aud1": [  # the auditor verifies the run's audit pack it downloaded
            ("/county/villages/V0001", {}, {"#pack": (f"audit-pack-run-{world.runs['V0001']}.zip", world.pack)},
             "#verify-pack", "核验通过"),
        ],
    }
