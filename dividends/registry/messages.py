"""The registry readers' messages, in Chinese and English.

Each message says what was expected and what was found; where (file, row, column) is carried by
the :class:`~schemes.problems.Problem` that holds the message.
"""

from __future__ import annotations

from schemes.i18n import register

register(
    {
        # ------------------------------------------------------------------ file level
        "registry.file_not_found": {
            "zh": "找不到该文件",
            "en": "file not found",
        },
        "registry.file_unreadable": {
            "zh": "无法读取该文件：{reason}",
            "en": "could not read the file: {reason}",
        },
        "registry.encoding": {
            "zh": "无法识别文件的文字编码：已尝试 UTF-8（含或不含 BOM）和 GBK/GB18030；"
            "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx",
            "en": "could not read the text: tried UTF-8 (with or without BOM) and GBK/GB18030; "
            "save the file from Excel as 'CSV UTF-8 (Comma delimited)' or as .xlsx",
        },
        "registry.utf16": {
            "zh": "该文件是 UTF-16 文本（Excel 的“Unicode 文本”）；请另存为“CSV UTF-8（逗号分隔）”或 .xlsx",
            "en": "the file is UTF-16 text (Excel's 'Unicode Text'); save it as "
            "'CSV UTF-8 (Comma delimited)' or as .xlsx",
        },
        "registry.not_text": {
            "zh": "应为 CSV 文本文件或 Excel 工作簿（.xlsx），实际为无法识别的二进制文件",
            "en": "expected a CSV text file or an Excel workbook (.xlsx), found a binary file",
        },
        "registry.bad_excel": {
            "zh": "无法打开该 Excel 工作簿：{reason}",
            "en": "could not open the Excel workbook: {reason}",
        },
        "registry.bad_csv": {
            "zh": "无法解析该 CSV 文件：{reason}",
            "en": "could not parse the CSV file: {reason}",
        },
        "registry.empty_file": {
            "zh": "文件为空；应有一行表头和至少一行数据",
            "en": "the file is empty; expected a header row and at least one data row",
        },
        "registry.no_data_rows": {
            "zh": "文件只有表头，没有数据行；应至少有一行数据",
            "en": "the file has a header row but no data rows; expected at least one data row",
        },
        "registry.missing_column": {
            "zh": "缺少必填列：应有“{zh}”列（英文表头 {name}）；文件中的表头为：{found}",
            "en": "missing required column: expected a column '{name}' (Chinese header “{zh}”); "
            "the file's headers are: {found}",
        },
        "registry.missing_column_unknown": {
            "zh": "缺少必填列：应有“{zh}”列（英文表头 {name}）；文件中的表头为：{found}；"
            "未识别的表头：{unknown}（可用列映射指定某个表头对应哪一列）",
            "en": "missing required column: expected a column '{name}' (Chinese header “{zh}”); "
            "the file's headers are: {found}; headers not recognised: {unknown} (a column "
            "mapping can say which column a header means)",
        },
        "registry.not_a_workbook": {
            "zh": "{name} 不是 Excel 工作簿（扩展名是 Excel，内容却不是）",
            "en": "{name} is not an Excel workbook",
        },
        "registry.is_directory": {"zh": "这是一个文件夹，不是文件", "en": "is a directory"},
        "registry.sheet_in_csv": {
            "zh": "指定了工作表“{sheet}”，但该文件是 CSV 文本，没有工作表",
            "en": "a sheet '{sheet}' was asked for, but the file is CSV text, which has no sheets",
        },
        "registry.no_such_sheet": {
            "zh": "工作簿中没有名为“{sheet}”的工作表；工作表有：{sheets}",
            "en": "the workbook has no sheet named '{sheet}'; its sheets are: {sheets}",
        },
        "registry.no_data_sheet": {
            "zh": "工作簿只有说明页，没有数据表；工作表有：{sheets}",
            "en": "the workbook has only instruction sheets and no data sheet; its sheets are: "
            "{sheets}",
        },
        "registry.sheet_skipped": {
            "zh": "已跳过说明页“{sheet}”",
            "en": "skipped the instructions sheet '{sheet}'",
        },
        "registry.sheet_read": {
            "zh": "已读取工作表“{sheet}”（工作簿中的工作表：{sheets}）",
            "en": "read the sheet '{sheet}' (the workbook's sheets: {sheets})",
        },
        "registry.no_sheet_with_header": {
            "zh": "没有一个工作表含有全部必填列；以下问题针对第一个工作表“{sheet}”（工作表有：{sheets}）",
            "en": "no sheet holds every required column; the problems below are about the "
            "first sheet, '{sheet}' (the sheets are: {sheets})",
        },
        "registry.two_row_header": {
            "zh": "表头占两行（第 {first}–{last} 行），合并的分组单元格已按其下方的列名读取",
            "en": "the header spans two rows ({first}-{last}); merged group cells were read by "
            "the column names below them",
        },
        "registry.totals_rows": {
            "zh": "合计/小计行（第 {rows} 行）不作为户读取，已与各列之和核对",
            "en": "totals rows ({rows}) were not read as households; they were checked against "
            "the column sums",
        },
        "registry.footer_rows": {
            "zh": "签字、盖章、日期或备注行（第 {rows} 行）不作为户读取",
            "en": "signature, stamp, date or note rows ({rows}) were not read as households",
        },
        "registry.total": {"zh": "合计行", "en": "the totals row"},
        "registry.subtotal": {"zh": "小计行", "en": "the subtotal row"},
        "registry.totals_mismatch": {
            "zh": "{label}写的是 {found}，但其上方数据行之和为 {expected}；请核对是否漏行、重行或改过数据，"
            "改正后再导入（或删去合计行）",
            "en": "{label} says {found}, but the data rows it sums add up to {expected}; check "
            "for a missing, doubled or changed row and import again once fixed (or remove the "
            "totals row)",
        },
        "registry.unknown_headers": {
            "zh": "未识别的列已忽略：{headers}；如果其中有需要的数据，请用列映射指定其对应的列",
            "en": "columns not recognised were ignored: {headers}; if one of them holds data "
            "that is needed, map it to its column with a column mapping",
        },
        "registry.duplicate_column": {
            "zh": "“{first}”列和“{second}”列表示同一项（{name}）；请只保留一列",
            "en": "columns '{first}' and '{second}' both mean '{name}'; keep only one of them",
        },
        # ------------------------------------------------------------------ row level: shape
        "registry.ragged_row": {
            "zh": "此行有 {found} 个单元格，但表头有 {expected} 列",
            "en": "this row has {found} cells but the header row has {expected}",
        },
        "registry.required": {
            "zh": "此项必填，但单元格为空",
            "en": "a value is required here, but the cell is empty",
        },
        # ------------------------------------------------------------------ households
        "registry.id_number": {
            "zh": "应为 18 位身份证号且校验位正确（GB 11643），实际为“{value}”",
            "en": "expected an 18-character ID number with a valid GB 11643 check digit, "
            "found '{value}'",
        },
        "registry.id_number_lost_digits": {
            "zh": "应为 18 位身份证号且校验位正确（GB 11643），实际为“{value}”；"
            "Excel 把身份证号存成了数字，只保留 15 位有效数字：请在 Excel 中把该列设置为“文本”格式后重新录入",
            "en": "expected an 18-character ID number with a valid GB 11643 check digit, "
            "found '{value}'; Excel stored the ID number as a number and kept only 15 digits: "
            "format the column as text in Excel and enter the numbers again",
        },
        "registry.id_number_birth_date": {
            "zh": "身份证号第 7–14 位应为真实的出生日期（YYYYMMDD，1900 年以后且不晚于 {reference}），"
            "实际为“{value}”",
            "en": "expected an ID number whose characters 7-14 are a real birth date (YYYYMMDD, "
            "from 1900 and not after {reference}), found '{value}'",
        },
        "registry.duplicate_household_id": {
            "zh": "户编号“{value}”重复：第 {rows} 行也使用了它",
            "en": "household id '{value}' appears more than once: also in row {rows}",
        },
        "registry.duplicate_id_number": {
            "zh": "身份证号“{value}”已被其他户使用：第 {rows} 行（户编号 {others}）",
            "en": "ID number '{value}' is also used by another household: row {rows} "
            "(household {others})",
        },
        "registry.phone": {
            "zh": "应为中国大陆手机号（11 位数字，可带 +86）或带区号的固定电话，实际为“{value}”",
            "en": "expected a mainland China mobile number (11 digits, optionally with +86) or a "
            "landline with its area code, found '{value}'",
        },
        "registry.phone_lost_digits": {
            "zh": "应为 11 位手机号，实际为“{value}”；Excel 把电话号码存成了数字（科学计数法），"
            "丢失了位数：请在 Excel 中把该列设置为“文本”格式后重新录入",
            "en": "expected an 11-digit mobile number, found '{value}'; Excel stored the phone "
            "number as a number in scientific notation and lost digits: format the column as "
            "text in Excel and enter the numbers again",
        },
        "registry.phone_landline": {
            "zh": "“{value}”是固定电话，已接受；但短信发不到固定电话，该户收不到短信通知",
            "en": "'{value}' is a landline: accepted, but no SMS can reach it, so this household "
            "will get no SMS notice",
        },
        "registry.id_number_rounded": {
            "zh": "身份证号“{value}”以 000 结尾；该文件中以 000 结尾的身份证号过多（偶然出现的约为千分之一），"
            "很可能是 Excel 把身份证号存成数字后舍入了末几位：请在 Excel 中把该列设置为“文本”格式后重新录入",
            "en": "ID number '{value}' ends in 000, and too many ID numbers of this file do (by "
            "chance about 1 in 1,000 would): Excel probably stored them as numbers and rounded "
            "their last digits; format the column as text in Excel and enter the numbers again",
        },
        "registry.id_number_15": {
            "zh": "应为 18 位身份证号，实际为 15 位的第一代身份证号“{value}”；请换成 18 位号码"
            "（以户主现在的身份证为准）",
            "en": "expected an 18-character ID number, found the first-generation 15-digit "
            "number '{value}'; replace it with the 18-character number (as on the person's "
            "current ID card)",
        },
        "registry.invisible_character": {
            "zh": "含有看不见的字符 {character}（常由复制粘贴带入），会使看起来相同的编号或姓名不同；"
            "请删去后重新录入：“{value}”",
            "en": "holds an invisible character, {character} (often brought in by copy and "
            "paste), which makes ids or names that look the same differ; delete it and type "
            "the value again: '{value}'",
        },
        "registry.formula_text": {
            "zh": "编号和姓名不能以 = + - @ 或制表符开头（电子表格会把它当作公式执行），实际为“{value}”",
            "en": "ids and names may not start with = + - @ or a tab (a spreadsheet would run "
            "them as a formula), found '{value}'",
        },
        "registry.integer": {
            "zh": "应为不小于 {minimum} 的整数，实际为“{value}”",
            "en": "expected a whole number of at least {minimum}, found '{value}'",
        },
        "registry.able_exceeds_members": {
            "zh": "有劳动能力人数（{able}）大于人口数（{members}）",
            "en": "the number of members able to work ({able}) is larger than the number of "
            "members ({members})",
        },
        "registry.status": {
            "zh": "应为以下类别之一：贫困户、脱贫户（已脱贫户）、监测户（脱贫不稳定户、边缘易致贫户、"
            "突发严重困难户）、一般户，或县里类别词表中的词，实际为“{value}”",
            "en": "expected one of poor, exited, monitored, non_poor (贫困户, 脱贫户/已脱贫户, "
            "监测户/脱贫不稳定户/边缘易致贫户/突发严重困难户, 一般户) or a word of the county's "
            "status vocabulary, found '{value}'",
        },
        "registry.status_decide": {
            "zh": "“{value}”是社会救助类别，不是贫困状态：请在此列填写该户的贫困状态（贫困户、脱贫户、"
            "监测户或一般户），或由县里在类别词表文件中写明它对应哪一类（例如 monitored: [{value}]）",
            "en": "'{value}' is a social-assistance category, not a poverty status: write the "
            "household's poverty status here (poor, exited, monitored or non_poor), or have "
            "the county say in its status vocabulary file which status it means (for example "
            "monitored: [{value}])",
        },
        "registry.money": {
            "zh": "应为不为负数、最多两位小数的元金额（如 1234.50 或 1,234.50），实际为“{value}”",
            "en": "expected an amount in yuan, not negative, with at most 2 decimals "
            "(such as 1234.50 or 1,234.50), found '{value}'",
        },
        "registry.account_no": {
            "zh": "应为 6 到 32 位数字的银行账号（可含空格），实际为“{value}”",
            "en": "expected a bank account number of 6 to 32 digits (spaces allowed), "
            "found '{value}'",
        },
        "registry.account_no_lost_digits": {
            "zh": "应为 6 到 32 位数字的银行账号（可含空格），实际为“{value}”；Excel 把账号存成了数字"
            "（科学计数法），丢失了位数：请在 Excel 中把该列设置为“文本”格式后重新录入",
            "en": "expected a bank account number of 6 to 32 digits (spaces allowed), "
            "found '{value}'; Excel stored the account number as a number in scientific "
            "notation and lost digits: format the column as text in Excel and enter the "
            "numbers again",
        },
        "registry.language": {
            "zh": "应为 中文 或 英文（zh 或 en），实际为“{value}”",
            "en": "expected zh or en (中文 or 英文), found '{value}'",
        },
        "registry.member_count": {
            "zh": "人口数为 {expected}，但成员文件 {file} 中该户有 {found} 行",
            "en": "the households file gives {expected} as the number of members, but the "
            "members file {file} has {found} rows for this household",
        },
        "registry.able_count": {
            "zh": "有劳动能力人数为 {expected}，但成员文件 {file} 中该户有 {found} 人标为有劳动能力",
            "en": "the households file gives {expected} as the number of members able to work, "
            "but the members file {file} marks {found} of this household as able to work",
        },
        # ------------------------------------------------------------------ members, posts
        "registry.unknown_household": {
            "zh": "户编号“{value}”不在户信息文件 {file} 中",
            "en": "household id '{value}' is not in the households file {file}",
        },
        "registry.date": {
            "zh": "应为日期，如 1980-03-01、1980/3/1 或 19800301，实际为“{value}”",
            "en": "expected a date such as 1980-03-01, 1980/3/1 or 19800301, found '{value}'",
        },
        "registry.birth_date_range": {
            "zh": "出生日期应在 {earliest} 至 {reference} 之间，实际为 {value}",
            "en": "expected a birth date from {earliest} to {reference}, found {value}",
        },
        "registry.boolean": {
            "zh": "应为 是/否（或 1/0、yes/no、true/false、Y/N），实际为“{value}”",
            "en": "expected yes/no (是/否, 1/0, true/false, Y/N), found '{value}'",
        },
        "registry.duplicate_member": {
            "zh": "同一户中姓名和出生日期相同的成员重复：第 {rows} 行",
            "en": "the same member (household, name and birth date) appears again in row {rows}",
        },
        "registry.months_served": {
            "zh": "应为 0 到 12 的整数月数，实际为“{value}”",
            "en": "expected a whole number of months from 0 to 12, found '{value}'",
        },
        "registry.duplicate_post": {
            "zh": "同一户同一人的同一岗位类型重复：第 {rows} 行",
            "en": "the same household, person and post type appears again in row {rows}",
        },
        "registry.post_person_unknown": {
            "zh": "“{person}”不是成员文件 {file} 中户“{household}”的成员",
            "en": "'{person}' is not a member of household '{household}' "
            "in the members file {file}",
        },
        # ------------------------------------------------------------------ returns
        "registry.duplicate_village": {
            "zh": "村编码“{value}”重复：第 {rows} 行也有该村的收益",
            "en": "village '{value}' appears more than once: also in row {rows}",
        },
        # ------------------------------------------------------------------ commands
        "cli.compute.warnings": {
            "zh": "{count} 条提醒（已接受，但请留意）：",
            "en": "{count} warning(s) (accepted, but worth a look):",
        },
        "cli.compute.no_sms": {
            "zh": "{count} 户没有手机号（或只有固定电话），收不到短信通知：{households}",
            "en": "{count} household(s) have no mobile number (or only a landline) and no SMS "
            "can reach them: {households}",
        },
        # ------------------------------------------------------------------ exclusions
        "registry.excluded_with_household": {
            "zh": "已排除：所属户“{household}”（{file} 第 {rows} 行）有问题，已被排除",
            "en": "excluded because its household '{household}' (row {rows} of {file}) has "
            "problems and is excluded",
        },
        "registry.excluded_for_members": {
            "zh": "已排除该户：其在成员文件 {file} 中的第 {rows} 行有问题",
            "en": "household excluded because its rows {rows} in the members file {file} have "
            "problems",
        },
    }
)
