"""Message catalog of the payout files and the public notice (zh + en).

Every fixed text of the notice template is here too, so a Chinese and an English notice say
the same things.
"""
from __future__ import annotations

import schemes.messages  # noqa: F401  (yaml.* and file.* messages used by the format loader)
from schemes.i18n import register

# --------------------------------------------------------------------------- bank formats (YAML)
register({
    "files.bankfmt.need_mapping": {"zh": "应为“键: 值”的映射，实际为 {found}",
                             "en": "expected a mapping of key: value, found {found}"},
    "files.bankfmt.need_list": {"zh": "应为列表，实际为 {found}", "en": "expected a list, found {found}"},
    "files.bankfmt.need_formats": {"zh": "文件应以 formats: 开头，下面列出各银行格式", "en": "expected a top-level 'formats:' list of bank formats"},
    "files.bankfmt.unknown_key": {"zh": "未知的键“{name}”{hint}；可用：{expected}",
                            "en": "unknown key '{name}'{hint}; expected one of: {expected}"},
    "files.bankfmt.missing_key": {"zh": "缺少必填的键“{name}”", "en": "required key '{name}' is missing"},
    "files.bankfmt.need_text": {"zh": "应为非空文字，实际为 {found}", "en": "expected non-empty text, found {found}"},
    "files.bankfmt.need_id": {"zh": "应为小写英文字母开头的标识（a-z、0-9、_、-），实际为 {found}",
                        "en": "expected an id (lower-case letters, digits, _ or -; starting with a letter), found {found}"},
    "files.bankfmt.need_name": {"zh": "应为名称文字，或 {{zh: ..., en: ...}}，实际为 {found}",
                          "en": "expected a name: text, or {{zh: ..., en: ...}}, found {found}"},
    "files.bankfmt.need_choice": {"zh": "应为以下之一：{expected}，实际为 {found}{hint}",
                            "en": "expected one of: {expected}; found {found}{hint}"},
    "files.bankfmt.need_positive": {"zh": "应为正整数，实际为 {found}", "en": "expected a whole number of at least 1, found {found}"},
    "files.bankfmt.need_columns": {"zh": "应列出至少一列，实际为 {found}", "en": "expected a list of at least one column, found {found}"},
    "files.bankfmt.field_or_value": {"zh": "每一列要么给出 field（取哪项数据），要么给出 value（固定内容），二者选一",
                               "en": "give each column either a field (which data it holds) or a fixed value, not both and not neither"},
    "files.bankfmt.duplicate_id": {"zh": "格式标识“{id}”已在 {where} 中使用；自定义格式请另取一个标识（如 {id}_county）",
                             "en": "format id '{id}' is already used in {where}; give a site format an id of its own (e.g. {id}_county)"},
    "files.bankfmt.duplicate_header": {"zh": "列名“{header}”出现了两次", "en": "column header '{header}' appears twice"},
    "files.bankfmt.no_match_column": {
        "zh": "格式中没有 household_id（户编号）或 seq（序号）列，银行回单将无法逐户对回",
        "en": "the format has no household_id or seq column: a bank's returned file could not be matched back to households",
    },
    "files.bankfmt.no_required_column": {"zh": "格式中缺少 {field} 列（银行付款必需）",
                                   "en": "the format has no {field} column (the bank needs it to pay)"},
    "files.bankfmt.bad_placeholder": {"zh": "模板中的占位符 {{{name}}} 不可用；可用：{expected}",
                                "en": "placeholder {{{name}}} is not available here; expected one of: {expected}"},
    "files.bankfmt.bad_template": {"zh": "模板写法有误（花括号不成对？要写花括号本身请用 {{{{ 和 }}}}）：{detail}",
                             "en": "the template is malformed (unbalanced braces? write {{{{ and }}}} for literal braces): {detail}"},
    "files.bankfmt.bad_filename": {"zh": "文件名模板不能含有路径分隔符或 {chars} 这些字符，实际为 {found}",
                             "en": "a file name pattern cannot hold a path separator or any of {chars}, found {found}"},
    "files.bankfmt.bad_sheet": {"zh": "工作表名最多 31 个字符，且不能含有 {chars}，实际为 {found}",
                          "en": "a sheet name has at most 31 characters and none of {chars}, found {found}"},
    "files.bankfmt.summary_too_wide": {"zh": "汇总行有 {count} 格，多于格式的 {columns} 列",
                                 "en": "the summary row has {count} cells, more than the format's {columns} columns"},
    "files.bankfmt.not_utf8": {"zh": "文件不是 UTF-8 编码", "en": "the file is not UTF-8 text"},
})

# --------------------------------------------------------------------------- bank files (items)
register({
    "files.bankfile.who": {"zh": "{household}（{name}）", "en": "{household} ({name})"},
    "files.bankfile.no_household_id": {"zh": "第 {row} 条付款记录没有户编号", "en": "payment item {row} has no household id"},
    "files.bankfile.duplicate_household": {
        "zh": "农户 {household} 在付款清单中出现 {count} 次；同一批次每户最多付款一次",
        "en": "household {household} appears {count} times in the payment items; a batch pays a household at most once",
    },
    "files.bankfile.no_account": {
        "zh": "农户 {household} 没有银行账号；请先在名册中补全账号，再生成付款文件",
        "en": "household {household} has no bank account number; fix the registry before paying",
    },
    "files.bankfile.bad_account": {
        "zh": "农户 {household}的银行账号应为 6 到 32 位数字，实际为 {found}",
        "en": "household {household}: expected a bank account number of 6 to 32 digits, found {found}",
    },
    "files.bankfile.bad_amount": {
        "zh": "农户 {household}的付款金额应大于 0，实际为 {found} 元；金额为 0 的农户不应列入付款文件",
        "en": "household {household}: the amount must be more than 0, found {found} yuan; leave zero amounts out of the bank file",
    },
    "files.bankfile.no_amount": {"zh": "农户 {household} 没有付款金额", "en": "household {household} has no amount"},
    "files.bankfile.no_value": {"zh": "农户 {household}：{column}为空，但银行格式“{format}”需要它",
                          "en": "household {household}: {column} is empty, but the bank format '{format}' needs it"},
    "files.bankfile.too_long": {"zh": "农户 {household}：“{header}”最多 {limit} 个字，实际 {length} 个字：{found}",
                          "en": "household {household}: '{header}' takes at most {limit} characters, found {length}: {found}"},
    "files.bankfile.bad_text": {
        "zh": "农户 {household}：{column}含有换行、制表符或以 = + - @ 开头（表格软件会当作公式），请在名册中更正：{found}",
        "en": "household {household}: {column} holds a line break or tab, or starts with = + - @ (spreadsheets run it as a formula); fix the registry: {found}",
    },
    "files.bankfile.template_too_long": {"zh": "“{header}”最多 {limit} 个字，生成的内容有 {length} 个字：{found}；请缩短银行格式中的模板",
                                   "en": "'{header}' takes at most {limit} characters, the text made from the template has {length}: {found}; shorten the template in the bank format"},
    "files.bankfile.empty": {"zh": "没有要付款的农户，不生成付款文件", "en": "no household to pay: no bank file written"},
    "files.bankfile.col.household_id": {"zh": "户编号", "en": "household id"},
    "files.bankfile.col.payee_name": {"zh": "收款人姓名", "en": "payee name"},
    "files.bankfile.col.id_number": {"zh": "身份证号", "en": "ID number"},
    "files.bankfile.col.account_no": {"zh": "银行账号", "en": "account number"},
    "files.bankfile.col.bank": {"zh": "开户行", "en": "bank"},
})

# --------------------------------------------------------------------------- notice data
register({
    "files.notice.totals_differ": {
        "zh": "公示金额对不上：农户合计 {households} 元 + 集体及基金账户 {accounts} 元 = {sum} 元，而收益金额为 {expected} 元",
        "en": "the notice does not add up: households {households} yuan + accounts {accounts} yuan = {sum} yuan, but the return is {expected} yuan",
    },
    "files.notice.unknown_step": {"zh": "农户 {household} 的金额引用了未列出的步骤“{step}”",
                            "en": "household {household} has an amount for step '{step}', which is not among the notice's steps"},
    "files.notice.duplicate_household": {"zh": "农户 {household} 在公示名单中出现了两次",
                                   "en": "household {household} appears twice in the notice"},
    "files.notice.bad_period": {"zh": "公示开始日期 {start} 晚于结束日期 {end}", "en": "the publicity period starts ({start}) after it ends ({end})"},
    "files.notice.negative": {"zh": "{what} 的金额不能为负数：{found} 元", "en": "{what} has a negative amount: {found} yuan"},
    "files.notice.unmasked": {"zh": "公示中出现了未隐藏的号码（{kind}），已拒绝生成", "en": "the notice would show an unmasked number ({kind}); refused"},
})

# --------------------------------------------------------------------------- notice texts
register({
    "files.notice.title": {"zh": "{village}{period}年度{scheme}公示", "en": "{village}: public notice of the {period} payout, {scheme}"},
    "files.notice.place": {"zh": "{county}{village}", "en": "{village}, {county}"},
    "files.notice.intro": {
        "zh": "根据《{scheme}》，本村{asset}{period}年度收益共 {amount} 元，现将分配方案及各户拟分配金额公示如下，接受全体村民监督。",
        "en": "Under the scheme “{scheme}”, the {period} return of {asset} is {amount} yuan. The proposed payout to every household is posted below for all villagers to check.",
    },
    "files.notice.how_split": {"zh": "分配办法", "en": "How the return is split"},
    "files.notice.facts": {"zh": "基本情况", "en": "Key facts"},
    "files.notice.fact.asset": {"zh": "收益资产", "en": "Asset"},
    "files.notice.fact.return": {"zh": "{period}年度收益", "en": "Return for {period}"},
    "files.notice.fact.households": {"zh": "分配农户", "en": "Households"},
    "files.notice.fact.households_value": {"zh": "{count} 户，共 {amount} 元", "en": "{count}, {amount} yuan in all"},
    "files.notice.yuan": {"zh": "{amount} 元", "en": "{amount} yuan"},
    "files.notice.fact.accounts": {"zh": "集体及基金", "en": "Collective and funds"},
    "files.notice.fact.period": {"zh": "公示期", "en": "Publicity period"},
    "files.notice.fact.period_value": {"zh": "{start}至{end}（共 {days} 天）", "en": "{start} to {end} ({days} days)"},
    "files.notice.fact.deadline": {"zh": "异议截止", "en": "Objections until"},
    "files.notice.fact.deadline_value": {"zh": "{end}（含当日）", "en": "{end} (inclusive)"},
    "files.notice.households": {"zh": "一、农户分配名单", "en": "1. Households"},
    "files.notice.accounts": {"zh": "二、集体及基金账户", "en": "2. Collective and fund accounts"},
    "files.notice.check": {"zh": "三、合计核对", "en": "3. Totals"},
    "files.notice.fact.brought_forward": {"zh": "{period}年度结转转入", "en": "Brought forward from {period}"},
    "files.notice.check_line_brought_forward": {
        "zh": "农户合计 {households} 元 + 集体及基金合计 {accounts} 元 = {total} 元，与{period}年度收益 {amount} 元加{from_period}年度结转 {carried} 元相符。",
        "en": "Households {households} yuan + collective and funds {accounts} yuan = {total} yuan, equal to the {period} return of {amount} yuan plus {carried} yuan brought forward from {from_period}.",
    },
    "files.notice.check_line": {
        "zh": "农户合计 {households} 元 + 集体及基金合计 {accounts} 元 = {total} 元，与{period}年度收益 {total} 元相符。",
        "en": "Households {households} yuan + collective and funds {accounts} yuan = {total} yuan, equal to the {period} return of {total} yuan.",
    },
    "files.notice.col.seq": {"zh": "序号", "en": "No."},
    "files.notice.col.household": {"zh": "户编号", "en": "Household"},
    "files.notice.col.head": {"zh": "户主", "en": "Head"},
    "files.notice.col.id": {"zh": "身份证号", "en": "ID number"},
    "files.notice.col.status": {"zh": "户类别", "en": "Status"},
    "files.notice.col.members": {"zh": "人口", "en": "Members"},
    "files.notice.col.total": {"zh": "合计（元）", "en": "Total (yuan)"},
    "files.notice.col.step": {"zh": "{label}（元）", "en": "{label} (yuan)"},
    "files.notice.col.account": {"zh": "账户", "en": "Account"},
    "files.notice.col.amount": {"zh": "金额（元）", "en": "Amount (yuan)"},
    "files.notice.row.total": {"zh": "合计", "en": "Total"},
    "files.notice.no_households": {"zh": "本次没有分配给农户的金额。", "en": "No household receives money in this payout."},
    "files.notice.no_accounts": {"zh": "本次没有记入集体或基金账户的金额。", "en": "Nothing goes to the collective or to funds in this payout."},
    "files.notice.object": {"zh": "四、异议方式", "en": "4. How to object"},
    "files.notice.object.intro": {
        "zh": "对名单、人口、户类别或金额有异议的，请在{end}前（含当日）通过以下任一方式提出：",
        "en": "If you think a name, a member count, a status or an amount is wrong, tell us by {end} (inclusive) in any of these ways:",
    },
    "files.notice.object.sms": {"zh": "回复公示短信“{keyword}+原因”，例如：“{keyword} 我家人口数不对”；",
                          "en": "reply to the notice SMS with “{keyword}” and your reason, e.g. “{keyword} wrong member count”;"},
    "files.notice.object.phone": {"zh": "联系{name}，电话 {phone}；", "en": "call {name}: {phone};"},
    "files.notice.object.visit": {"zh": "到{address}当面提出{hours}。", "en": "come in person to {address}{hours}."},
    "files.notice.object.hours": {"zh": "（{hours}）", "en": ", {hours}"},
    "files.notice.object.effect": {
        "zh": "公示期内提出的异议，在核实处理完毕前暂停审批发放；核实后如需更正，更正后的名单将重新公示。公示期满无异议的，按本名单发放。",
        "en": "An objection made during the publicity period stops approval until it has been checked and answered; if the list must change, the corrected list is posted again. If there is no objection by the deadline, the payout follows this list.",
    },
    "files.notice.sign": {"zh": "五、签章", "en": "5. Signatures"},
    "files.notice.seal": {"zh": "{committee}（盖章）", "en": "{committee} (seal)"},
    "files.notice.committee": {"zh": "{village}村民委员会", "en": "{village} Villagers’ Committee"},
    "files.notice.sign.secretary": {"zh": "村党组织书记", "en": "Party branch secretary"},
    "files.notice.sign.director": {"zh": "村民委员会主任", "en": "Committee director"},
    "files.notice.sign.supervisor": {"zh": "村务监督委员会主任", "en": "Chair of the village affairs supervision committee"},
    "files.notice.sign.accountant": {"zh": "村会计", "en": "Village accountant"},
    "files.notice.sign.line": {"zh": "{role}（签字）：", "en": "{role}:"},
    "files.notice.posted": {"zh": "张贴日期：{date}", "en": "Posted on {date}"},
    "files.notice.privacy": {"zh": "为保护个人信息，本公示中的姓名和身份证号已部分隐藏。",
                       "en": "To protect personal data, names and ID numbers on this notice are partly hidden."},
    "files.notice.reference": {"zh": "计算批次：{run}", "en": "Run: {run}"},
    "files.notice.reference_hash": {"zh": "计算批次：{run}（校验码 {hash}）", "en": "Run: {run} (check code {hash})"},
})
