"""The ledger's messages, in Chinese and English.

Every message names the village and the entry (``#seq``), says what was expected and what was
found, and, where it helps, what probably happened (an edited, deleted or reordered entry).
"""
from __future__ import annotations

from schemes.i18n import register

register({
    # ------------------------------------------------------------------ verify (LedgerError)
    "ledger.unbalanced": {
        "zh": "村 {village} 第 {seq} 号分录借贷不平：各笔金额之和应为 0，实际为 {found} 元",
        "en": "village {village}, entry #{seq}: the postings should sum to 0, they sum to {found} yuan",
    },
    "ledger.empty": {
        "zh": "村 {village} 第 {seq} 号分录没有任何记账行（应至少有两行）",
        "en": "village {village}, entry #{seq}: expected at least two postings, found none",
    },
    "ledger.amount_type": {
        "zh": "村 {village} 第 {seq} 号分录的 {column} 列应为 {expected}，实际为 {found}",
        "en": "village {village}, entry #{seq}: column {column} should be {expected}, found {found}",
    },
    "ledger.amount_null": {
        "zh": "村 {village} 第 {seq} 号分录有 {count} 行的 {column} 为空值",
        "en": "village {village}, entry #{seq}: {count} posting(s) have no {column}",
    },
    "ledger.account_name": {
        "zh": "村 {village} 第 {seq} 号分录的科目名不合规（Beancount 不接受）：{found}",
        "en": "village {village}, entry #{seq}: account name(s) Beancount would reject: {found}",
    },
    "ledger.village_mismatch": {
        "zh": "村 {village} 的账链中第 {seq} 号分录属于村 {found}",
        "en": "village {village}'s chain holds entry #{seq} of village {found}",
    },
    "ledger.first_seq": {
        "zh": "村 {village} 的账链应从第 1 号分录开始，实际从第 {found} 号开始（前面的分录被删除？）",
        "en": "village {village}: the chain should start at entry #1, it starts at #{found} "
              "(were the entries before it deleted?)",
    },
    "ledger.seq_gap": {
        "zh": "村 {village}：第 {previous} 号分录之后应为第 {expected} 号，实际为第 {found} 号"
              "（分录被删除或顺序被调换？）",
        "en": "village {village}: after entry #{previous} expected entry #{expected}, found #{found} "
              "(a deleted or reordered entry?)",
    },
    "ledger.first_prev_hash": {
        "zh": "村 {village} 第 {seq} 号分录是账链的第一条，其前一哈希应为 64 个 0，实际为 {found}",
        "en": "village {village}, entry #{seq}: the first entry's prev_hash should be 64 zeros, found {found}",
    },
    "ledger.prev_hash": {
        "zh": "村 {village} 第 {seq} 号分录记录的前一哈希为 {found}，但它前面的第 {previous} 号分录的哈希为 "
              "{expected}（其间的分录被删除、调换顺序或改动？）",
        "en": "village {village}, entry #{seq}: prev_hash is {found}, but the entry before it (#{previous}) "
              "has hash {expected} (an entry deleted, reordered or edited?)",
    },
    "ledger.hash": {
        "zh": "村 {village} 第 {seq} 号分录记录的哈希为 {found}，按其内容重新计算为 {expected}"
              "（分录或其记账行被改动？）",
        "en": "village {village}, entry #{seq}: the stored hash is {found}, its content hashes to "
              "{expected} (the entry or one of its postings was edited?)",
    },
    "ledger.head": {
        "zh": "村 {village} 的账链止于第 {found_seq} 号分录（哈希 {found}），但记录的链头为第 {expected_seq} 号"
              "（哈希 {expected}）：末尾的分录被删除，或账链被改写？",
        "en": "village {village}: the chain ends at entry #{found_seq} (hash {found}), but the recorded head "
              "is entry #{expected_seq} (hash {expected}): entries at the end deleted, or the chain rewritten?",
    },
    "ledger.head_missing": {
        "zh": "村 {village} 有记录的链头（第 {expected_seq} 号分录），但账链中没有任何分录",
        "en": "village {village} has a recorded head (entry #{expected_seq}) but no entries",
    },
    # ------------------------------------------------------------------ drafting (DraftError)
    "ledger.draft.conservation": {
        "zh": "村 {village} 运行 {run}：各分配行合计 {found} 元，应等于可分配金额 {expected} 元",
        "en": "village {village}, run {run}: the lines sum to {found} yuan, expected the pool, {expected} yuan",
    },
    "ledger.draft.negative": {
        "zh": "村 {village} 运行 {run}：金额应为非负整数（分），{count} 行为负数，例如 {example}",
        "en": "village {village}, run {run}: amounts should be non-negative fen, {count} are negative, e.g. {example}",
    },
    "ledger.draft.nulls": {
        "zh": "村 {village} 运行 {run}：{count} 行缺少受益方或金额",
        "en": "village {village}, run {run}: {count} line(s) have no recipient or no amount",
    },
    "ledger.draft.amount_type": {
        "zh": "{what} 的 amount_fen 列应为整数（分），实际为 {found}",
        "en": "{what}: amount_fen should be integer fen, found {found}",
    },
    "ledger.draft.kind": {
        "zh": "村 {village} 运行 {run}：受益方类别应为 household 或 account，实际有 {found}",
        "en": "village {village}, run {run}: recipient_kind should be household or account, found {found}",
    },
    "ledger.draft.duplicate": {
        "zh": "村 {village} 运行 {run}：同一受益方出现多次（重复支付？）：{found}",
        "en": "village {village}, run {run}: recipients listed more than once (a double payment?): {found}",
    },
    "ledger.draft.nothing_paid": {
        "zh": "村 {village} 运行 {run}：回单 {ref} 中没有任何已付金额，无需记账",
        "en": "village {village}, run {run}: bank result {ref} pays nothing; there is nothing to post",
    },
    "ledger.draft.columns": {
        "zh": "{what} 应有列 {expected}，实际为 {found}",
        "en": "{what} should have the columns {expected}, found {found}",
    },
    "ledger.draft.mixed_villages": {
        "zh": "一条账链只能包含一个村的分录，实际有 {found}",
        "en": "a chain holds the entries of one village, found {found}",
    },
    "ledger.draft.invalid": {
        "zh": "分录草稿未通过检查：{details}",
        "en": "the drafts failed the ledger checks: {details}",
    },
    "ledger.draft.date": {
        "zh": "记账日期应为日期（date），实际为 {found}",
        "en": "the posting date should be a date, found {found}",
    },
    # ------------------------------------------------------------------ narrations (stored, hashed)
    "ledger.narration.return": {
        "zh": "运行 {run} 的资产收益 {amount} 元入账",
        "en": "asset return of run {run}: {amount} yuan received",
    },
    "ledger.narration.brought_forward": {
        "zh": "运行 {run} 承接上期结转 {amount} 元（自 {accounts}）并入可分配金额",
        "en": "run {run}: {amount} yuan brought forward from last period ({accounts}) joins the distributable amount",
    },
    "ledger.narration.debt": {
        "zh": "运行 {run} 记录 {households} 户欠款共 {amount} 元（应收款）",
        "en": "run {run}: debts of {households} household(s) recorded, {amount} yuan receivable",
    },
    "ledger.draft.recovery": {
        "zh": "村 {village} 运行 {run} 的扣款对不上：从农户扣回 {households} 元，转入账户 {accounts} 元{detail}",
        "en": "village {village}, run {run}: deductions do not agree: {households} yuan taken from households, "
              "{accounts} yuan to accounts{detail}",
    },
    "ledger.narration.accrual": {
        "zh": "运行 {run} 批准：可分配 {amount} 元，应付 {households} 户，转入 {accounts} 个集体及基金账户",
        "en": "run {run} approved: {amount} yuan distributable, payable to {households} household(s), "
              "{accounts} collective/fund account(s)",
    },
    "ledger.narration.settlement": {
        "zh": "运行 {run} 银行回单 {ref}：已付 {households} 户，共 {amount} 元",
        "en": "run {run}, bank result {ref}: {households} household(s) paid, {amount} yuan",
    },
    "ledger.narration.reversal": {
        "zh": "冲销第 {seq} 号分录（{hash}…，{ref}）：{narration}",
        "en": "reversal of entry #{seq} ({hash}..., {ref}): {narration}",
    },
    # ------------------------------------------------------------------ checkpoints
    "ledger.checkpoint.unreadable": {
        "zh": "检查点文件 {file} 无法读取：{detail}",
        "en": "checkpoint file {file} cannot be read: {detail}",
    },
    "ledger.checkpoint.format": {
        "zh": "检查点文件 {file} 的格式为 {found}，应为 {expected}",
        "en": "checkpoint file {file} has format {found}, expected {expected}",
    },
    "ledger.checkpoint.signature": {
        "zh": "检查点文件 {file} 的签名不符：文件被改动过，或 LEDGER_CHECKPOINT_KEY 不是签发时的密钥",
        "en": "checkpoint file {file}: the signature does not match: the file was changed, or "
              "LEDGER_CHECKPOINT_KEY is not the key it was signed with",
    },
    "ledger.checkpoint.missing": {
        "zh": "村 {village}：检查点记录了第 {seq} 号分录，但账链只到第 {found_seq} 号：分录被删除或账链被改写？",
        "en": "village {village}: the checkpoint records entry #{seq}, but the chain ends at entry #{found_seq}: "
              "entries deleted, or the chain rewritten?",
    },
    "ledger.checkpoint.differs": {
        "zh": "村 {village} 第 {seq} 号分录的哈希为 {found}，检查点记录为 {expected}：该分录或其之前的分录被改写（连同链头）",
        "en": "village {village}, entry #{seq}: hash {found}, but the checkpoint records {expected}: this entry "
              "or an earlier one was rewritten (together with the head)",
    },
    "ledger.checkpoint.no_key": {
        "zh": "未设置 LEDGER_CHECKPOINT_KEY（县里保管的签名密钥，至少 16 个字符）",
        "en": "LEDGER_CHECKPOINT_KEY is not set (the signing key the county keeps, at least 16 characters)",
    },
})
