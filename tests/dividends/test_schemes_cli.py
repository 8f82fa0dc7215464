"""``dividends schemes validate --strict / --profile`` and ``schemes show`` for the new shapes."""
from __future__ import annotations

from pathlib import Path

from tests.dividends.support import run_cli

ROOT = Path(__file__).resolve().parents[2]
CAP = ROOT / "tests" / "schemes" / "scenarios" / "schemes" / "cap.yaml"
PV = ROOT / "schemes" / "examples" / "pv-public-welfare-2020.yaml"


def test_validate_warns_of_numbers_without_source_and_refuses_them_with_strict() -> None:
    warned = run_cli("schemes", "validate", CAP)
    assert warned.returncode == 0, warned.stderr
    assert "3 warning(s) (numbers without a source)" in warned.stdout + warned.stderr
    assert "line 15, key steps[1].limit.amount: this number has no source" in warned.stdout + warned.stderr
    strict = run_cli("schemes", "validate", "--strict", CAP)
    assert strict.returncode == 2
    assert "invalid (--strict: 3 number(s) without a source)" in strict.stdout + strict.stderr


def test_validate_with_a_profile_shows_each_rule_and_fails_on_a_broken_one() -> None:
    ok = run_cli("schemes", "validate", "--profile", "national-pv-2020", PV)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.count("[pass]") == 4
    yinan = run_cli("schemes", "validate", "--profile", "national-pv-2020", ROOT / "schemes" / "presets" / "photovoltaic.yaml",
                    lang="zh")
    assert yinan.returncode == 1
    assert "[不符合] 其余用于小型公益事业和奖励补助" in yinan.stdout
    assert "[待计算后判定]" in yinan.stdout


def test_show_describes_a_claim_group_and_the_rules_outside_the_steps() -> None:
    shown = run_cli("schemes", "show", "golden-chicken-pro-rata")
    assert shown.returncode == 0, shown.stderr
    assert "settled together with 'collective income' as 'the promises': if short, every claim is cut by the same" in shown.stdout
    assert "source of steps[0].claims[1].amount: seed: 100,000 yuan per year for the village" in shown.stdout
    months = run_cli("schemes", "show", ROOT / "schemes" / "examples" / "per-person-months.yaml", lang="zh")
    assert "按当年符合条件的月数折算（变动次月起生效）" in months.stdout
    assert "扣款（欠款、多付追回）在分配后从农户所得中扣回" in months.stdout
