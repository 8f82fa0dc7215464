"""Deterministic sample registries, for tests, benchmarks and the demo.

:func:`generate` builds households, persons, posts and per-village returns in the canonical
schema of :mod:`dividends.registry`, with whole-column polars expressions only (10,000,000
households take about 20 s on two cores). Randomness is a counter-based generator (the SplitMix64
finaliser over ``(seed, stream, row)`` in UInt64 arithmetic), so the same arguments give the
same frames on any machine, any thread count and any polars version.

What it looks like: villages ``V0001``…, households ``V0001-00001``…; a head, spouse, children
and sometimes elderly parents (some over 80; students aged 6-22); status about 20% poor, 30%
exited, 5% monitored, 45% non-poor; valid GB 11643 ID numbers with the head's birth date and a
county code of a real poverty-alleviation county; valid mobiles (about 2% without one);
cooperative shares and paid-in capital for about 60% of households, with extra shares given to
poor households; a bank and a 16-19 digit account number; public-welfare posts for about a third
of poor households that have an able member; a return of 10,000 to 500,000 yuan per village.

The writers turn the frames back into files as a village would keep them: English or Chinese
headers, UTF-8, UTF-8 with BOM or GBK CSV, or XLSX; files are written whole or not at all.
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import polars as pl

from dividends.store.snapshot_format import SPECS, Kind, canonical_frame, digits  # noqa: F401
from dividends.registry.idnumber import with_check_characters
from schemes.i18n import LANGUAGE_LABELS
from schemes.statuses import LABELS

SAMPLE_DATE = date(2025, 1, 1)
"""Every generated birth date is before this day."""

Headers = Literal["en", "zh"]
Encoding = Literal["utf-8", "utf-8-sig", "gbk"]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰萍红建国文辉林波宁丹海燕鹏飞斌宇浩凯秀云莲"
    "春梅金凤志新永福德全生利荣成庆祥喜旺兴贵富山水松柏晨阳雪琴慧颖佳欣怡嘉俊豪子涵梓轩雨泽"
)
REGIONS = (  # county codes: Yinan, Laishui, Cangxi, Wei County, and other former poverty counties
    "371321",
    "130623",
    "510824",
    "130533",
    "522422",
    "530627",
    "622421",
    "431226",
    "360730",
    "411523",
    "341522",
    "450821",
    "513226",
    "533325",
    "140927",
    "610928",
)
BANKS = (  # (bank, card prefix)
    ("中国农业银行", "622848"),
    ("中国邮政储蓄银行", "621799"),
    ("农村信用合作社", "622322"),
    ("中国工商银行", "622202"),
    ("中国建设银行", "621700"),
    ("中国银行", "621661"),
)
POST_TYPES = (
    "保洁员",
    "护林员",
    "道路养护",
    "水管员",
    "治安巡逻",
    "河道管护",
    "光伏电站管护",
    "护路员",
    "公共设施管护",
    "养老护理",
    "图书管理",
    "防疫员",
)
STATUS_ZH = {name: zh for name, (zh, _) in LABELS.items()}  # the statuses' own words (schemes/statuses.py)


@dataclass(frozen=True, eq=False)
class SampleData:
    households: pl.DataFrame
    persons: pl.DataFrame
    posts: pl.DataFrame
    returns: pl.DataFrame


# --------------------------------------------------------------------------- randomness

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB


def _finalise(x: pl.Series) -> pl.Series:
    """SplitMix64's output function on a UInt64 series (multiplication wraps).

    Each step runs on a materialised column: ``x ^ (x >> 30)`` names ``x`` twice, and one
    nested expression would evaluate the inner steps again for every mention.
    """
    c = pl.col("x")

    def u(value: int) -> pl.Expr:
        return pl.lit(value, pl.UInt64)

    return (
        x.to_frame("x")
        .with_columns((c ^ (c // u(1 << 30))) * u(_M1))
        .with_columns((c ^ (c // u(1 << 27))) * u(_M2))
        .select(c ^ (c // u(1 << 31)))
        .to_series()
    )


def _finalise_int(x: int) -> int:
    x &= _MASK
    x = ((x ^ (x >> 30)) * _M1) & _MASK
    x = ((x ^ (x >> 27)) * _M2) & _MASK
    return x ^ (x >> 31)


@dataclass(frozen=True)
class _Random:
    seed: int

    def _stream(self, stream: str, index: pl.Series) -> pl.Series:
        key = _finalise_int(self.seed * _GOLDEN + zlib.crc32(stream.encode()))
        counter = (
            index.cast(pl.UInt64)
            .to_frame("x")
            .select(pl.col("x") * pl.lit(_GOLDEN, pl.UInt64) + pl.lit(key, pl.UInt64))
        )
        return _finalise(counter.to_series())

    def bits(self, stream: str, index: pl.Expr) -> pl.Expr:
        """64 random bits per row, a function of (seed, stream, index) only."""
        return index.map_batches(
            lambda s: self._stream(stream, s), return_dtype=pl.UInt64, is_elementwise=True
        )

    def below(self, stream: str, index: pl.Expr, bound: int) -> pl.Expr:
        """Integers in ``0..bound-1`` (Int64)."""
        return (self.bits(stream, index) % pl.lit(bound, pl.UInt64)).cast(pl.Int64)

    def draws(
        self, frame: pl.DataFrame, stream: str, index: pl.Expr, bounds: Mapping[str, int]
    ) -> pl.DataFrame:
        """Add one Int64 column per ``name: bound`` (values ``0..bound-1``), all carved out of
        a single 64-bit draw per row (mixed radix), which is much cheaper than one draw each."""
        if math.prod(bounds.values()) > 1 << 56:
            raise ValueError("too many values for one 64-bit draw")
        frame = frame.with_columns(self.bits(stream, index).alias("_bits"))
        fields, radix = [], 1
        for name, bound in bounds.items():
            value = (pl.col("_bits") // pl.lit(radix, pl.UInt64)) % pl.lit(bound, pl.UInt64)
            fields.append(value.cast(pl.Int64).alias(name))
            radix *= bound
        return frame.with_columns(fields).drop("_bits")


def _pick(index: pl.Expr, values: Sequence[str]) -> pl.Expr:
    table = pl.Series(list(values), dtype=pl.String)
    return index.map_batches(lambda s: table.gather(s), return_dtype=pl.String, is_elementwise=True)


@functools.cache
def _full_names() -> pl.DataFrame:
    """Every surname + optional first given character + last given character, indexed by
    ``surname * (G + 1) * G + (first + 1) * G + last`` (``first = -1`` for a one-character given
    name), with each name's rank in sort order: one gather builds all names (much faster than
    concatenating strings per row), and persons sort on integers."""
    g = len(GIVEN)
    i = pl.col("i")
    surnames = pl.Series(list(SURNAMES), dtype=pl.String)
    firsts = pl.Series(["", *GIVEN], dtype=pl.String)
    lasts = pl.Series(list(GIVEN), dtype=pl.String)
    table = pl.int_range(len(SURNAMES) * (g + 1) * g, dtype=pl.Int64, eager=True).to_frame("i")
    names = table.select(
        pl.concat_str(
            (i // ((g + 1) * g)).map_batches(surnames.gather, return_dtype=pl.String),
            ((i // g) % (g + 1)).map_batches(firsts.gather, return_dtype=pl.String),
            (i % g).map_batches(lasts.gather, return_dtype=pl.String),
        ).alias("name")
    )
    return names.with_columns(pl.col("name").rank("ordinal").cast(pl.Int64).alias("rank"))


def _name_index(surname: pl.Expr, first: pl.Expr, last: pl.Expr) -> pl.Expr:
    g = len(GIVEN)
    return surname * ((g + 1) * g) + (first + 1) * g + last


def _bucket(value: pl.Expr, cumulative: Sequence[int]) -> pl.Expr:
    """0 where ``value < cumulative[0]``, 1 where below ``cumulative[1]``, ... (value in 0..99)."""
    expr: pl.Expr = pl.lit(len(cumulative), pl.Int64)
    for i in range(len(cumulative) - 1, -1, -1):
        expr = pl.when(value < cumulative[i]).then(pl.lit(i, pl.Int64)).otherwise(expr)
    return expr




# --------------------------------------------------------------------------- generation

_MEMBERS_CUMULATIVE = (10, 30, 52, 74, 88, 96)  # 1..7 members: 10/20/22/22/14/8/4 %
_STATUS_CUMULATIVE = (20, 50, 55)  # poor 20, exited 30, monitored 5, non_poor 45 %
STATUSES = ("poor", "exited", "monitored", "non_poor")


def generate(households: int, villages: int, seed: int = 0) -> SampleData:
    """A sample registry of ``households`` households in ``villages`` villages.

    >>> data = generate(1000, 10, seed=1)
    >>> data.households.height, data.returns.height
    (1000, 10)
    """
    if households < 1 or villages < 1 or villages > households:
        raise ValueError("need 1 <= villages <= households")
    if households >= 2**27:
        raise ValueError("at most 134,217,727 households")
    rnd = _Random(seed)
    n, v = households, villages
    village_width = max(4, len(str(v)))
    seq_width = max(5, len(str(-(-n // v))))

    chunks = [
        _chunk(rnd, start, min(start + CHUNK, n), n, v, village_width, seq_width)
        for start in range(0, n, CHUNK)
    ]
    households_frame = pl.concat([c[0] for c in chunks])
    ids = _id_numbers(households_frame, rnd)
    households_frame = households_frame.with_columns(ids).select(HOUSEHOLD_OUTPUT)
    returns = pl.select(pl.int_range(v, dtype=pl.Int64).alias("v")).select(
        pl.concat_str(pl.lit("V"), digits(pl.col("v") + 1, village_width)).alias("village_id"),
        (1_000_000 + rnd.below("return", pl.col("v"), 49_000_001)).alias("amount_fen"),
    )
    return SampleData(
        households_frame,
        pl.concat([c[1] for c in chunks]),
        pl.concat([c[2] for c in chunks]).sort("household_id", "person_name", "post_type"),
        returns,
    )


CHUNK = 500_000
"""Households generated at a time: the same frames whatever the chunk size (every random value
is a function of the seed and the row), but a small working set allocates far less memory."""

HOUSEHOLD_OUTPUT = (
    "household_id",
    "village_id",
    "head_name",
    "id_number",
    "phone",
    "members",
    "able_members",
    "status",
    "shares",
    "capital_fen",
    "account_no",
    "bank",
    "language",
)


def _chunk(
    rnd: _Random, start: int, end: int, n: int, v: int, village_width: int, seq_width: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Households ``start..end-1`` (without ID numbers, which need every household), their
    persons and their posts."""
    h = pl.col("h")
    base = pl.select(pl.int_range(start, end, dtype=pl.Int64).alias("h")).with_columns(
        ((h * v) // n).alias("v")
    )
    base = rnd.draws(
        base,
        "household",
        h,
        {
            "_members": 100,
            "_status": 100,
            "_head_age": 63,
            "_surname": len(SURNAMES),
            "_name_base": len(GIVEN),
            "_female": 2,
            "_cooperative": 100,
            "_shares": 10,
        },
    )
    base = base.with_columns(
        (h - (pl.col("v") * n + v - 1) // v + 1).alias("seq"),
        (_bucket(pl.col("_members"), _MEMBERS_CUMULATIVE) + 1).alias("members"),
        _pick(_bucket(pl.col("_status"), _STATUS_CUMULATIVE), STATUSES).alias("status"),
        (pl.col("_head_age") + 23).alias("_head_age"),
        pl.concat_str(pl.lit("V"), digits(pl.col("v") + 1, village_width)).alias("village_id"),
    ).with_columns(
        pl.concat_str(pl.col("village_id"), pl.lit("-"), digits(pl.col("seq"), seq_width)).alias(
            "household_id"
        ),
    )
    persons = _persons(base, rnd)
    # Persons come in household order (k = 0 is the head), so per-household values are
    # segment sums and the heads' rows, aligned with ``base`` without a join.
    ends = base.get_column("members").cum_sum() - 1
    able_so_far = persons.get_column("able_to_work").cast(pl.Int64).cum_sum().gather(ends)
    heads = persons.filter(pl.col("k") == 0)
    frame = base.with_columns(
        (able_so_far - able_so_far.shift(1, fill_value=0)).alias("able_members"),
        heads.get_column("name").alias("head_name"),
        heads.get_column("birth_date"),
    )
    households = _households(frame, rnd)
    posts = _posts(households, persons, rnd)
    household_ids = base.get_column("household_id")
    persons_out = (
        persons.sort("_order")
        .with_columns(
            (pl.col("h") - start)
            .map_batches(household_ids.gather, return_dtype=pl.String)
            .alias("household_id")
        )
        .select("household_id", "name", "birth_date", "able_to_work", "student")
    )
    return households, persons_out, posts


def _persons(base: pl.DataFrame, rnd: _Random) -> pl.DataFrame:
    """Head (k=0), spouse (k=1), then children or the head's parents."""
    k = pl.col("k")
    head_age = pl.col("_head_age")
    age = (
        pl.when(k == 0)
        .then(head_age)
        .when(k == 1)
        .then(pl.max_horizontal(pl.lit(18), head_age - 5 + pl.col("_spouse_age")))
        .when((pl.col("_relation") < 25) & (head_age <= 65))
        .then(head_age + 22 + pl.col("_parent_age"))
        .otherwise(pl.max_horizontal(pl.lit(0), head_age - 20 - pl.col("_child_age")))
    )
    surname = pl.when(k == 1).then(pl.col("_spouse_surname")).otherwise(pl.col("_surname"))
    first_given = pl.when(pl.col("_two_chars") == 0).then(pl.col("_given")).otherwise(-1)
    last_given = (pl.col("_name_base") + k) % len(GIVEN)  # differs within a household: unique names
    sample_day = (SAMPLE_DATE - date(1970, 1, 1)).days
    age_col = pl.col("age")
    table = _full_names()
    names, ranks = table.get_column("name"), table.get_column("rank")
    people = (
        base.select("h", "members", "_head_age", "_surname", "_name_base")
        .with_columns(pl.int_ranges(0, pl.col("members"), dtype=pl.Int64).alias("k"))
        .explode("k")
    )
    people = rnd.draws(
        people,
        "person",
        pl.col("h") * 8 + k,
        {
            "_relation": 100,
            "_spouse_age": 11,
            "_parent_age": 10,
            "_child_age": 18,
            "_spouse_surname": len(SURNAMES),
            "_two_chars": 2,
            "_given": len(GIVEN),
            "_student": 100,
            "_able": 100,
            "_birthday": 365,
        },
    )
    return (
        people.with_columns(
            age.alias("age"),
            surname.alias("_surname"),
            first_given.alias("_first"),
            last_given.alias("_last"),
        )
        .with_columns(
            _name_index(pl.col("_surname"), pl.col("_first"), pl.col("_last")).alias("_name"),
            (
                pl.lit(sample_day, pl.Int64)
                - age_col * 365
                - age_col // 4
                - 1
                - pl.col("_birthday")
            ).alias("_born"),
            (
                (age_col.is_between(6, 18) & (pl.col("_student") < 92))
                | (age_col.is_between(19, 22) & (pl.col("_student") < 45))
            ).alias("student"),
        )
        .with_columns(
            pl.col("_name")
            .map_batches(names.gather, return_dtype=pl.String, is_elementwise=True)
            .alias("name"),
            pl.col("_name")
            .map_batches(ranks.gather, return_dtype=pl.Int64, is_elementwise=True)
            .alias("_rank"),
            pl.col("_born").cast(pl.Int32).cast(pl.Date).alias("birth_date"),
            (age_col.is_between(16, 65) & ~pl.col("student") & (pl.col("_able") < 88)).alias(
                "able_to_work"
            ),
        )
        .with_columns(
            # (household, name, birth date) order as one integer: h < 2**27, rank < 2**20,
            # days since 1970 + 2**15 < 2**16.
            (pl.col("h") * 2**36 + pl.col("_rank") * 2**16 + pl.col("_born") + 2**15).alias(
                "_order"
            )
        )
        .select("h", "k", "name", "birth_date", "able_to_work", "student", "_order")
    )


def _id_numbers(frame: pl.DataFrame, rnd: _Random) -> pl.Series:
    """Valid, distinct GB 11643 numbers: the village's county, the head's birth date, and a
    sequence number (odd for men) counting the heads born on the same day in the same county."""
    region = rnd.below("region", pl.col("v"), len(REGIONS))
    region_codes = pl.Series([int(r) for r in REGIONS], dtype=pl.Int64)
    born = pl.col("birth_date")
    day_key = frame.select(
        pl.col("h"),
        (
            region.map_batches(region_codes.gather, return_dtype=pl.Int64) * 10**11
            + born.dt.year().cast(pl.Int64) * 10**7
            + born.dt.month().cast(pl.Int64) * 10**5
            + born.dt.day().cast(pl.Int64) * 10**3
        ).alias("key"),
        pl.col("_female"),
    )
    # Rank within (county, day) by a stable sort and a scan: no hash table over every row.
    ranked = (
        day_key.sort("key", maintain_order=True)  # stable: ties stay in household order
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("i"))
        .with_columns(
            pl.when(pl.col("key") != pl.col("key").shift(1).fill_null(-1))
            .then(pl.col("i"))
            .forward_fill()
            .alias("start")
        )
        .with_columns(
            (pl.col("key") + 2 * (pl.col("i") - pl.col("start")) + 1 + pl.col("_female")).alias(
                "first17"
            )
        )
    )
    if ranked.height and ranked.select((pl.col("i") - pl.col("start")).max()).item() > 498:
        raise RuntimeError("more than 499 heads born on one day in one county")  # pragma: no cover
    first17 = (
        ranked.get_column("first17")
        .clone()
        .scatter(ranked.get_column("h"), ranked.get_column("first17"))
    )
    return with_check_characters(first17).alias("id_number")


def _households(frame: pl.DataFrame, rnd: _Random) -> pl.DataFrame:
    h = pl.col("h")
    frame = rnd.draws(
        frame,
        "household-2",
        h,
        {
            "_gift": 4,
            "_bank": len(BANKS),
            "_has_account": 100,
            "_account_len": 4,
            "_mobile_prefix": 5,
            "_no_mobile": 100,
            "_language": 100,
        },
    )
    member = pl.col("_cooperative") < 60
    paid_shares = pl.when(member).then(1 + pl.col("_shares")).otherwise(0)
    given_shares = pl.when(pl.col("status") == "poor").then(2 + pl.col("_gift")).otherwise(0)
    has_account = pl.col("_has_account") >= 3
    account = pl.concat_str(
        _pick(pl.col("_bank"), [prefix for _, prefix in BANKS]),
        digits(rnd.below("account", h, 10**13), 13),
    ).str.slice(0, 16 + pl.col("_account_len"))
    phone = pl.concat_str(
        pl.lit("1"),
        # second and third digits of allocated mobile ranges (phonenumbers' CN metadata)
        _pick(pl.col("_mobile_prefix"), ("38", "50", "77", "86", "99")),
        digits(rnd.below("mobile", h, 10**8), 8),
    )
    return frame.select(
        "h",
        "v",
        "birth_date",
        "_female",
        "household_id",
        "village_id",
        "head_name",
        pl.when(pl.col("_no_mobile") < 2).then(pl.lit("")).otherwise(phone).alias("phone"),
        "members",
        "able_members",
        "status",
        (paid_shares + given_shares).cast(pl.Int64).alias("shares"),
        (paid_shares * 100_000).cast(pl.Int64).alias("capital_fen"),
        pl.when(has_account).then(account).otherwise(pl.lit("")).alias("account_no"),
        pl.when(has_account)
        .then(_pick(pl.col("_bank"), [name for name, _ in BANKS]))
        .otherwise(pl.lit(""))
        .alias("bank"),
        pl.when(pl.col("_language") < 2)
        .then(pl.lit("en"))
        .otherwise(pl.lit("zh"))
        .alias("language"),
    )


def _posts(households: pl.DataFrame, persons: pl.DataFrame, rnd: _Random) -> pl.DataFrame:
    """A post for about a third of poor households with an able member: their first able member."""
    chosen = households.select("h", "household_id", "status", "able_members")
    chosen = rnd.draws(
        chosen,
        "post",
        pl.col("h"),
        {"_post": 3, "_type": len(POST_TYPES), "_grade": 4, "_full": 100, "_months": 11},
    )
    chosen = chosen.filter(
        (pl.col("status") == "poor") & (pl.col("able_members") > 0) & (pl.col("_post") == 0)
    )
    holders = (
        persons.filter(pl.col("able_to_work"))
        .join(chosen, on="h", how="inner")
        .sort("h", "k")
        .filter(pl.col("h").is_first_distinct())
    )
    return holders.select(
        "household_id",
        pl.col("name").alias("person_name"),
        _pick(pl.col("_type"), POST_TYPES).alias("post_type"),
        (1 + pl.col("_grade")).cast(pl.String).alias("grade"),
        pl.when(pl.col("_full") < 70)
        .then(pl.lit(12, pl.Int64))
        .otherwise(1 + pl.col("_months"))
        .alias("months_served"),
    )


# --------------------------------------------------------------------------- writing files

_ZH_HEADERS = {"capital_yuan": "入股金额（元）", "amount_yuan": "收益金额(元)"}
FILE_NAMES = {
    "households": "households",
    "persons": "members",
    "posts": "posts",
    "returns": "returns",
}


def to_file_frame(kind: Kind, frame: pl.DataFrame, *, headers: Headers = "en") -> pl.DataFrame:
    """The canonical frame as the text a village's file holds (every column String): the stored
    snapshot format (:mod:`dividends.store.snapshot_format`), or with ``headers="zh"`` the same
    in Chinese words, as a village's own file would say it."""
    out = canonical_frame(kind, frame)
    if headers == "zh":
        if kind == "households":
            out = out.with_columns(pl.col("status").replace_strict(STATUS_ZH),
                                   pl.col("language").replace_strict({code: zh for code, (zh, _) in LANGUAGE_LABELS.items()}))
        elif kind == "persons":
            out = out.with_columns(pl.col("birth_date").str.replace_all("-", "/"),
                                   *(pl.col(c).replace_strict({"yes": "是", "no": "否"}) for c in ("able_to_work", "student")))
        names = {c.name: _ZH_HEADERS.get(c.name, c.zh) for c in SPECS[kind]}
        out = out.rename({c: names[c] for c in out.columns})
    return out


def _write_atomically(path: Path, content: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_frame_csv(
    kind: Kind,
    frame: pl.DataFrame,
    path: Path,
    *,
    headers: Headers = "en",
    encoding: Encoding = "utf-8",
) -> Path:
    """Write one canonical frame as CSV (GBK raises if a character has no GBK code)."""
    text = to_file_frame(kind, frame, headers=headers).write_csv(
        line_terminator="\r\n" if encoding != "utf-8" else "\n"
    )
    return _write_atomically(path, text.encode(encoding))


def write_frame_xlsx(
    kind: Kind, frame: pl.DataFrame, path: Path, *, headers: Headers = "en"
) -> Path:
    """Write one canonical frame as the first sheet of an XLSX workbook, every cell as text
    (as a careful village accountant formats ID and account columns)."""
    import io

    import xlsxwriter

    table = to_file_frame(kind, frame, headers=headers)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet("Sheet1")
    sheet.write_row(0, 0, table.columns)
    for r, row in enumerate(table.iter_rows(), start=1):
        for c, value in enumerate(row):
            if value is not None and value != "":
                sheet.write_string(r, c, value)
    workbook.close()
    return _write_atomically(path, buffer.getvalue())


def write_csv(
    data: SampleData,
    directory: Path,
    *,
    headers: Headers = "en",
    encoding: Encoding = "utf-8",
) -> dict[str, Path]:
    """Write ``households.csv``, ``members.csv``, ``posts.csv`` and ``returns.csv`` (UTF-8 with
    LF line ends; UTF-8 with BOM or GBK with CRLF, as Excel writes them) and return their paths
    by kind: ``households``, ``persons`` (the members file), ``posts``, ``returns``."""
    directory = Path(directory)
    return {
        kind: write_frame_csv(
            kind,
            getattr(data, kind),
            directory / f"{FILE_NAMES[kind]}.csv",
            headers=headers,
            encoding=encoding,
        )
        for kind in ("households", "persons", "posts", "returns")
    }


def write_xlsx(data: SampleData, directory: Path, *, headers: Headers = "en") -> dict[str, Path]:
    """Write ``households.xlsx``, ``members.xlsx``, ``posts.xlsx`` and ``returns.xlsx``; paths
    by kind as :func:`write_csv`. Cell by cell through xlsxwriter: for tests and the demo (about
    10 s per 100,000 rows), not for millions of rows."""
    directory = Path(directory)
    return {
        kind: write_frame_xlsx(
            kind, getattr(data, kind), directory / f"{FILE_NAMES[kind]}.xlsx", headers=headers
        )
        for kind in ("households", "persons", "posts", "returns")
    }
