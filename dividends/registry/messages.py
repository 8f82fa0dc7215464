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
            "zh": "应为中国大陆手机号（以 13–19 开头的 11 位数字，可带 +86），实际为“{value}”",
            "en": "expected a mainland China mobile number (11 digits starting 13-19, "
            "optionally with +86), found '{value}'",
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
            "zh": "应为以下类别之一：贫困户、脱贫户、监测户、一般户（或 poor、exited、monitored、"
            "non_poor），实际为“{value}”",
            "en": "expected one of poor, exited, monitored, non_poor (贫困户, 脱贫户, 监测户, "
            "一般户), found '{value}'",
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
