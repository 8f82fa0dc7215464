"""What a computed run says about policy (issue 10, items 7 and 8): which rules of the policy
profiles that apply to it pass or fail, and which numbers of its scheme cite no source.

A profile applies to a run when its ``applies_to`` names the run's asset or its scheme
(:meth:`schemes.policy.Profile.applies`). The report is plain JSON (both languages), fixed at
compute time in the run's manifest (``policy``) for the run page, and written again into the
audit pack (``run/policy.json``) from the pack's own recomputation:

>>> from schemes.presets import load_preset
>>> r = report(load_preset("photovoltaic"), None, "pv")
>>> [p["id"] for p in r["profiles"]]
['national-pv-2020']
>>> [(rule["id"], rule["status"]) for rule in r["profiles"][0]["rules"]][:2]  # the scheme alone (no allocation)
[('posts_and_public_works_80', 'undecided'), ('rest_for_small_projects_and_rewards', 'fail')]
>>> report(load_preset("shareholding"), None, "kiwi")["profiles"]
[]
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from schemes.i18n import LANGS
from schemes.policy import evaluate, load_profile, profile_names

if TYPE_CHECKING:
    from schemes.engine import Allocation
    from schemes.model import Scheme

VERSION = 1


def _both(text: Any) -> dict[str, str]:
    return {lang: text.text(lang) for lang in LANGS}


def report(scheme: Scheme, allocation: Allocation | None, asset: str) -> dict[str, Any]:
    """Every applying profile's rules with their status and why, and the unsourced numbers."""
    profiles = []
    for name in profile_names():
        profile = load_profile(name)
        if not profile.applies(scheme.id, asset):
            continue
        rules = [{"id": r.rule.id, "title": _both(r.rule.title), "status": r.status, "message": _both(r.msg),
                  "source": r.rule.source, "date": r.rule.date}
                 for r in evaluate(profile, scheme, allocation)]
        profiles.append({"id": profile.id, "title": _both(profile.title), "rules": rules})
    named = [replace(w, file=f"scheme {scheme.id} v{scheme.version}") for w in scheme.warnings]  # type: ignore[type-var]
    unsourced = [{"where": w.where("en"), "message": _both(w)} for w in named]  # by the scheme, not its temp file
    return {"version": VERSION, "profiles": profiles, "unsourced": unsourced}


def failed(policy: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The failed rules of a report, each with its profile's id."""
    return [{**rule, "profile": p["id"]} for p in (policy or {}).get("profiles", []) for rule in p["rules"]
            if rule["status"] == "fail"]
