"""Every page a person opens, per role, in the small county world of :mod:`tests.web.world`:
the walk the layout, vocabulary and accessibility tests share."""
from __future__ import annotations

from tests.web.world import World

PUBLIC = ["/login"]


def pages_for(world: World) -> dict[str, list[str]]:
    """Signed-in user -> the GET pages that user works with."""
    run, snap = world.runs["V0001"], world.snapshots["V0001"]
    village = ["/villages/V0001", f"/runs/{run}", f"/runs/{run}/lines", f"/runs/{run}/notice",
               f"/runs/{run}/notices", "/account/tokens"]
    return {
        "acc1": [*village, "/villages/V0001/registry", f"/villages/V0001/registry/{snap}", "/villages/V0001/returns",
                 "/villages/V0001/runs/new?period=2024", "/villages/V0001/runs/new?period=2024&scheme=shareholding",
                 "/villages/V0001/runs/new?period=2024&scheme=shareholding&compare=tourism-cooperative"],
        "com1": ["/villages/V0001", f"/runs/{run}", f"/runs/{run}/lines"],
        "acc2": [f"/runs/{world.runs['V0002']}"],  # a run in its notice period
        "aud1": ["/county", "/county/runs", "/county/villages/V0001", "/county/villages/V0001/verify",
                 f"/runs/{run}", f"/runs/{run}/verify", "/county/anomalies", "/county/schemes",
                 "/county/schemes/shareholding/diff", "/runs/999999"],
        "adm1": ["/admin/users", "/admin/villages"],
    }
