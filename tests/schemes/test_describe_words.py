"""The scheme's steps in the words the public notice prints (schemes/describe.py): what a
villager reads on the board, in Chinese punctuation, and the English beside it."""
from __future__ import annotations

from schemes.describe import describe
from schemes.presets import load_preset


def test_post_subsidy_grades_read_as_grades_and_yuan_not_as_a_mapping() -> None:
    """The notice said "等级年补贴 1: 360.00, 2: 560.00, …": English colons and commas, no unit."""
    zh = describe(load_preset("photovoltaic"), "zh")[0].sentence
    assert "按等级每年 1 级 360.00 元、2 级 560.00 元、3 级 760.00 元、4 级 960.00 元，按服务月数/12 折算" in zh
    assert "1: 360" not in zh
    en = describe(load_preset("photovoltaic"), "en")[0].sentence
    assert "a year (grade 1: 360.00 yuan, grade 2: 560.00 yuan, grade 3: 760.00 yuan, grade 4: 960.00 yuan)" in en


def test_status_bonuses_are_listed_with_the_chinese_enumeration_comma() -> None:
    zh = describe(load_preset("shareholding"), "zh")[2].sentence
    assert "（加送：贫困户 2、监测户 1）" in zh
    assert "poor 2, monitored 1" in describe(load_preset("shareholding"), "en")[2].sentence.replace("registered poor", "poor")
