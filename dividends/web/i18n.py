"""Page texts in Chinese (the default) and English, and the choice of language per request.

``?lang=en`` (or ``zh``) on any page switches the language and keeps it in the session; without
a choice the site's ``DIVIDENDS_LANG`` applies. Every text of the pages is a message of
:mod:`schemes.i18n`, registered here.
"""
from __future__ import annotations

from starlette.requests import Request

from dividends.actors import ROLE_LABELS
from dividends.policy import RUN_STATE_LABELS
from schemes.i18n import Msg, register
from schemes.statuses import LABELS

LANGS = ("zh", "en")

STATE_NAMES = RUN_STATE_LABELS  # defined once, beside the states (dividends/policy.py)
ROLE_NAMES = ROLE_LABELS  # defined once, beside the roles (dividends/actors.py)
OBJECTION_NAMES = {"open": ("待处理", "open"), "resolved": ("已处理", "resolved")}
LANGUAGE_NAMES = {"zh": ("中文", "Chinese"), "en": ("英文", "English")}
FIELD_NAMES = {  # registry fields, as the registry template names them
    "household_id": ("户编号", "household id"), "village_id": ("村编码", "village code"),
    "head_name": ("户主姓名", "head of household"), "id_number": ("身份证号", "ID number"), "phone": ("手机号", "phone"),
    "members": ("人口数", "members"), "able_members": ("劳动力人数", "members able to work"), "status": ("类别", "status"),
    "shares": ("股数", "shares"), "capital_yuan": ("入股金额（元）", "capital (yuan)"), "account_no": ("银行账号", "account number"),
    "bank": ("开户行", "bank"), "language": ("短信语言", "SMS language"),
}
STATUS_NAMES = LABELS  # the household statuses, defined once (schemes/statuses.py)

_TEXTS: dict[str, tuple[str, str]] = {
    # layout
    "site": ("资产收益分红系统", "Asset-return dividends"),
    "skip": ("跳到正文", "Skip to content"),
    "nav.home": ("首页", "Home"),
    "nav.county": ("全县概览", "County overview"),
    "nav.runs": ("分配批次", "Runs"),
    "nav.anomalies": ("异常", "Anomalies"),
    "nav.schemes": ("方案版本", "Scheme versions"),
    "nav.users": ("用户", "Users"),
    "nav.villages": ("村", "Villages"),
    "nav.tokens": ("API 令牌", "API tokens"),
    "nav.logout": ("退出", "Sign out"),
    "nav.language": ("English", "中文"),
    "signed_in": ("{name}（{role}）", "{name} ({role})"),
    # login
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.failed": ("用户名或密码不正确", "Wrong username or password"),
    "login.throttled": ("登录失败次数过多，请 {minutes} 分钟后再试", "Too many failed sign-ins; try again in {minutes} minute(s)"),
    "logout.done": ("已退出", "Signed out"),
    # errors
    "error.title": ("出错了", "Something went wrong"),
    "error.404": ("找不到这个页面，或您无权查看", "This page does not exist, or it is not yours to see"),
    "error.403": ("您的角色不能进行此操作", "Your role may not do this"),
    "error.csrf": ("表单已过期或来源不明，请返回刷新页面后重试", "The form expired or did not come from this site; go back, reload and try again"),
    "error.400": ("请求有误", "Bad request"),
    "error.500": ("内部错误，未做任何改动", "Internal error; nothing was changed"),
    "error.problems": ("发现 {count} 个问题：", "{count} problem(s) found:"),
    "error.back": ("返回", "Back"),
    "error.unavailable": ("此功能尚未安装：{what}", "Not available in this installation yet: {what}"),
    # common
    "col.village": ("村", "Village"),
    "col.county": ("县", "County"),
    "col.period": ("年度", "Period"),
    "col.state": ("状态", "State"),
    "col.scheme": ("方案", "Scheme"),
    "col.amount": ("金额（元）", "Amount (yuan)"),
    "col.households": ("户数", "Households"),
    "col.runs": ("批次数", "Runs"),
    "col.run": ("批次", "Run"),
    "col.posted": ("已审批金额（元）", "Posted (yuan)"),
    "col.issued": ("已交银行（元）", "Sent to bank (yuan)"),
    "col.created": ("创建", "Created"),
    "col.age": ("已过天数", "Age (days)"),
    "col.idle": ("停留天数", "Idle (days)"),
    "col.household": ("户编号", "Household"),
    "col.head": ("户主", "Head"),
    "col.status": ("类别", "Status"),
    "col.members": ("人口", "Members"),
    "col.total": ("合计（元）", "Total (yuan)"),
    "col.kind": ("类型", "Kind"),
    "col.action": ("操作", "Action"),
    "col.user": ("用户", "User"),
    "col.role": ("角色", "Role"),
    "col.active": ("启用", "Active"),
    "col.name": ("名称", "Name"),
    "col.code": ("编码", "Code"),
    "col.asset": ("资产", "Asset"),
    "col.version": ("版本", "Version"),
    "col.added": ("新增", "Added"),
    "col.removed": ("减少", "Removed"),
    "col.changed": ("变更", "Changed"),
    "col.field": ("字段", "Field"),
    "col.before": ("原值", "Before"),
    "col.after": ("新值", "After"),
    "col.text": ("内容", "Text"),
    "col.when": ("时间", "When"),
    "col.file": ("文件", "File"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "none": ("暂无", "none yet"),
    "table.scroll": ("表格（较宽时可左右滑动）", "Table (scrolls sideways when wide)"),
    "search": ("搜索", "Search"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "page_of": ("第 {page} / {pages} 页，共 {total} 条", "page {page} of {pages}, {total} in all"),
    "yuan": ("{amount} 元", "{amount} yuan"),
    "download": ("下载", "Download"),
    "print": ("打印", "Print"),
    "open": ("打开", "Open"),
    # village
    "village.title": ("{name}（{code}）", "{name} ({code})"),
    "village.registry": ("农户名册", "Household registry"),
    "village.returns": ("资产收益", "Asset returns"),
    "village.runs": ("分配批次", "Payout runs"),
    "village.new_run": ("新建分配批次", "New payout run"),
    "village.snapshots": ("已导入的名册", "Imported registries"),
    "registry.title": ("导入农户名册", "Import the household registry"),
    "registry.kind.households": ("农户表", "households"),
    "registry.kind.members": ("家庭成员表", "members"),
    "registry.kind.posts": ("公益岗位表", "posts"),
    "registry.mapping.title": ("列映射（表头对应的列）", "Column mapping (which column a header means)"),
    "registry.mapping.help": ("表格里有本系统不认识的表头时，在这里指定它对应哪一列，然后重新选择文件导入。"
                              "映射会记在本县，县内各村下次导入时自动使用，并随名册版本一同保存。",
                              "When a file has headers this system does not know, say here which column each one "
                              "means, then choose the files again and import. The mapping is remembered for the "
                              "county (its villages share a form) and saved with the registry version."),
    "registry.mapping.header": ("表格中的表头", "Header in the file"),
    "registry.mapping.column": ("对应的列", "Column it means"),
    "registry.mapping.none": ("（不映射）", "(no mapping)"),
    "registry.mapping.remembered": ("本县已记住的映射", "Mapping remembered for the county"),
    "registry.template": ("空白模板", "Blank template"),
    "registry.template.workbook": ("Excel 模板（含填表说明）", "Excel template (with instructions)"),
    "registry.template.households": ("农户表 CSV", "households CSV"),
    "registry.template.members": ("家庭成员表 CSV", "members CSV"),
    "registry.template.posts": ("公益岗位表 CSV", "posts CSV"),
    "registry.notes": ("读取说明", "How the files were read"),
    "registry.warnings": ("请注意", "Please check"),
    "registry.withdraw": ("撤回本次导入", "Withdraw this import"),
    "registry.withdraw.reason": ("撤回原因", "Why it is withdrawn"),
    "registry.withdraw.help": ("尚未被任何发放批次使用的导入可以撤回：记录保留，本村恢复为此前的版本。",
                               "An import no payout run uses can be withdrawn: it is kept on record and the "
                               "village's previous version is current again."),
    "registry.withdrawn": ("已撤回", "withdrawn"),
    "registry.households": ("农户表（CSV 或 XLSX，必填）", "Households (CSV or XLSX, required)"),
    "registry.members": ("家庭成员表（可选）", "Members (optional)"),
    "registry.posts": ("公益岗位表（可选）", "Public-welfare posts (optional)"),
    "registry.submit": ("导入并核对", "Import and check"),
    "registry.imported": ("已导入 {period} 年度名册第 {version} 版：{households} 户（新增 {added}，减少 {removed}，变更 {changed}）",
                          "Imported the {period} registry, version {version}: {households} households ({added} added, {removed} removed, {changed} changed)"),
    "registry.unchanged": ("名册与已导入的第 {version} 版相同，未做改动", "The registry is the same as version {version}; nothing changed"),
    "registry.diff": ("与上一版相比的变化", "Changes against the previous version"),
    "registry.first": ("这是本村第一份名册：全部为新增", "This is the village's first registry: every household is new"),
    "change.added": ("新增", "added"),
    "change.removed": ("减少", "removed"),
    "change.changed": ("变更", "changed"),
    "returns.title": ("资产收益", "Asset returns"),
    "returns.record": ("登记收益", "Record a return"),
    "returns.asset": ("资产名称", "Asset"),
    "returns.amount": ("金额（元）", "Amount (yuan)"),
    "returns.note": ("备注", "Note"),
    "returns.default_asset": ("村集体资产", "village collective asset"),
    "returns.asset_hint": ("例如：村光伏电站", "for example: the village PV station"),
    "returns.recorded": ("已登记 {period} 年度收益 {amount} 元", "Recorded the {period} return of {amount} yuan"),
    # runs
    "run.title": ("分配批次 {id}：{village} {period} 年度", "Run {id}: {village}, {period}"),
    "run.new": ("新建分配批次", "New payout run"),
    "run.pick_scheme": ("选择分配方案", "Pick a scheme"),
    "run.preview": ("在本村预览", "Preview on this village"),
    "run.preview_title": ("方案“{scheme}”在本村的预览（不保存）", "Preview of '{scheme}' on this village (nothing is stored)"),
    "run.preview_summary": ("{households} 户中 {paid} 户分得共 {amount} 元", "{paid} of {households} households receive {amount} yuan in all"),
    "run.create": ("用此方案新建批次", "Create the run with this scheme"),
    "run.steps": ("方案步骤", "Scheme steps"),
    "run.wizard": ("步骤", "Steps"),
    "step.import": ("导入名册", "Import the registry"),
    "step.return": ("登记收益", "Record the return"),
    "step.create": ("选择方案并新建", "Pick a scheme, create"),
    "step.compute": ("计算", "Compute"),
    "step.publicize": ("公示", "Publicize"),
    "step.approve": ("审批", "Approve"),
    "step.pay": ("生成银行文件", "Bank file"),
    "step.result": ("导入银行回单", "Bank result"),
    "step.notify": ("发送短信通知", "Send SMS notices"),
    "run.compute": ("计算分配", "Compute the split"),
    "run.computed": ("已计算：{lines} 行，校验码 {hash}", "Computed: {lines} lines, check code {hash}"),
    "run.lines": ("分配明细", "Allocation lines"),
    "run.notice": ("打印公示", "Print the public notice"),
    "run.publicize": ("开始公示", "Start the notice period"),
    "run.notice_start": ("公示开始", "Notice starts"),
    "run.notice_end": ("公示结束（含当天）", "Notice ends (inclusive)"),
    "run.notice_period": ("公示期：{start} 至 {end}", "Notice period: {start} to {end}"),
    "run.objections": ("异议", "Objections"),
    "run.object": ("登记异议", "Record an objection"),
    "run.resolve": ("处理", "Resolve"),
    "run.resolution": ("处理意见", "Resolution"),
    "run.approve": ("审批通过", "Approve"),
    "run.approve_hint": ("审批人不能是编制人（{user}）；公示期结束且无未处理异议后才能审批",
                         "The approver cannot be the preparer ({user}); approval needs the notice period over and no open objection"),
    "run.pay": ("生成银行代发文件", "Create the bank payout file"),
    "run.bank_format": ("银行格式", "Bank format"),
    "run.batches": ("代发批次", "Payout batches"),
    "run.batch": ("第 {number} 批：{items} 户，{amount} 元", "Batch {number}: {items} households, {amount} yuan"),
    "run.bank_result": ("导入银行回单", "Import the bank's result"),
    "run.result_file": ("回单文件（CSV 或 XLSX）", "Result file (CSV or XLSX)"),
    "run.result_done": ("回单已导入：成功 {paid} 户，失败 {failed} 户", "Result imported: {paid} paid, {failed} failed"),
    "run.close": ("结束批次", "Close the run"),
    "run.cancel": ("撤销批次（未入账）", "Cancel the run (nothing posted)"),
    "run.cancel_reason": ("撤销原因", "Reason"),
    "run.notices": ("短信通知", "SMS notices"),
    "run.prepared_by": ("编制：{user}", "Prepared by {user}"),
    "run.approved_by": ("审批：{user}", "Approved by {user}"),
    "run.total": ("可分配金额：{amount} 元", "Distributable: {amount} yuan"),
    "run.accounts": ("集体账户", "Village accounts"),
    "run.breakdown": ("构成", "Breakdown"),
    "run.verify": ("核验", "Verify"),
    "run.audit_pack": ("下载审计包", "Download the audit pack"),
    "run.readonly": ("您只能查看此批次", "You can only view this run"),
    # what is being approved
    "summary.title": ("审批要点：本批次分什么、分给谁", "What is being approved"),
    "summary.households": ("共 {households} 户：{paid} 户分得金额，{nothing} 户本次不分", "{households} households: {paid} receive an amount, {nothing} receive nothing this time"),
    "summary.by_step": ("按方案步骤", "By scheme step"),
    "summary.to_households": ("分给农户合计", "To households in all"),
    "summary.total": ("可分配金额合计", "Distributable in all"),
    "summary.last_year": ("与 {period} 年度相比", "Against {period}"),
    "summary.change": ("增减", "Change"),
    "summary.pool": ("可分配金额（元）", "Distributable (yuan)"),
    "summary.paid_households": ("分得金额的户数", "Households receiving an amount"),
    "summary.open_last_year": ("查看 {period} 年度的分配批次", "Open the {period} run"),
    "summary.no_last_year": ("本村没有上一年度的分配批次可比较", "The village has no earlier run to compare with"),
    "summary.not_paid": ("未到账：{count} 户", "Not paid: {count} household(s)"),
    "summary.pending": ("{count} 户已交银行，尚未导入回单", "{count} household(s) sent to the bank, no result imported yet"),
    "summary.no_reason": ("银行未说明原因", "the bank gave no reason"),
    "summary.nothing": ("本次不分的 {count} 户（可按姓名查找）", "The {count} household(s) receiving nothing (look them up by name)"),
    # county
    "county.title": ("全县概览", "County overview"),
    "county.period": ("年度", "Period"),
    "county.totals": ("{villages} 个村，{households} 户；已审批 {posted} 元，已交银行 {issued} 元",
                      "{villages} villages, {households} households; {posted} yuan posted, {issued} yuan sent to the bank"),
    "county.by_village": ("各村", "Villages"),
    "county.by_scheme": ("各方案", "Schemes"),
    "county.states": ("批次状态", "Run states"),
    "county.chart_villages": ("已审批金额最多的 {count} 个村（元）", "The {count} villages with the most posted (yuan)"),
    "county.chart_households": ("户分得金额的分布（户数）", "Distribution of household amounts (households)"),
    "county.unit_yuan": ("单位：元", "amounts in yuan"),
    "county.axis_amount": ("横轴：每户分得金额（元，每格下限）", "across: amount per household (yuan, lower bound of each bar)"),
    "county.axis_households": ("纵轴：户数", "up: households"),
    "county.nothing": ("不分", "none"),
    "county.runs": ("各村分配批次", "Runs across villages"),
    "county.village": ("{name}（{code}）的账目", "Books of {name} ({code})"),
    "county.verify": ("核验账目", "Verify the books"),
    "county.verified": ("核验通过：账目链 {entries} 条记录完整，{runs} 个批次重新计算结果一致",
                        "Verified: the ledger chain of {entries} entries is intact and {runs} run(s) recompute exactly"),
    "county.not_verified": ("核验未通过", "Verification failed"),
    "county.pack_ok": ("审计包完整，重新计算一致", "audit pack intact, recomputes exactly"),
    "county.ledger_errors": ("账目问题", "Ledger problems"),
    "county.run_checks": ("批次重新计算", "Run recomputation"),
    "anomalies.title": ("异常", "Anomalies"),
    "anomalies.double": ("同一身份证号在两个村领款", "One ID number paid in two villages"),
    "anomalies.phone": ("一个手机号对应多户（≥{threshold}）", "One phone for many households (≥{threshold})"),
    "anomalies.late": ("逾期发放（年度次年 {month} 月 {day} 日后）", "Paid late (after {month}/{day} of the next year)"),
    "anomalies.parked": ("结转未分配资金：合计 {amount} 元", "Money parked in carry-over: {amount} yuan in all"),
    "anomalies.none": ("未发现", "none found"),
    "anomalies.double_booking": ("同一笔资产收益被两个有效批次入账（同一批农户会被重复支付）",
                                 "One asset return booked by two live runs (the same households paid twice)"),
    "anomalies.double_next": ("下一步：打开每个批次的明细核对这户，确认是否同一人、是否应在两个村领取。",
                              "Next: open each run's lines for the household and check whether it is one person who may be paid in both villages."),
    "anomalies.phone_next": ("下一步：打开该村的名册，核对这些户的手机号是否录错或为代管人号码。",
                             "Next: open the village's registry and check whether these phones are typing errors or a caretaker's number."),
    "anomalies.late_next": ("下一步：打开批次，查看停在哪一步（审批、银行文件或回单）及原因。",
                            "Next: open the run and see at which step it waits (approval, bank file or result) and why."),
    "anomalies.parked_next": ("下一步：打开批次，核对结转资金是否按方案规定留存，并在下一年度分配。",
                              "Next: open the run and check that the carried-over money is kept as the scheme says and paid out next year."),
    "col.id_number": ("身份证号", "ID number"),
    "col.phone": ("手机号", "Phone"),
    "col.deadline": ("期限", "Deadline"),
    "col.paid_on": ("发放日", "Paid on"),
    "col.days_late": ("逾期天数", "Days late"),
    "col.account": ("账户", "Account"),
    "schemes.title": ("方案版本", "Scheme versions"),
    "schemes.diff": ("比较", "Compare"),
    "schemes.diff_title": ("{scheme}：第 {a} 版与第 {b} 版的差别", "{scheme}: version {a} against version {b}"),
    "schemes.old": ("旧版", "Old"),
    "schemes.new": ("新版", "New"),
    # admin
    "admin.users": ("用户", "Users"),
    "admin.add_user": ("新增用户", "Add a user"),
    "admin.display_name": ("姓名", "Full name"),
    "admin.village_code": ("村编码（会计、村务监督委员会成员）", "Village code (accountant, committee member)"),
    "admin.county_code": ("县编码（审计员、管理员）", "County code (auditor, administrator)"),
    "admin.deactivate": ("停用", "Deactivate"),
    "admin.activate": ("启用", "Activate"),
    "admin.created": ("已创建用户 {username}", "Created the user {username}"),
    "admin.villages": ("村", "Villages"),
    "admin.add_village": ("新增村", "Add a village"),
    "admin.contact_name": ("异议联系人", "Objection contact"),
    "admin.save": ("保存", "Save"),
    "admin.contact": ("异议联系电话（村务监督委员会）", "Objection contact phone (committee)"),
    "admin.office": ("村委会地址", "Village office address"),
    "admin.county_name": ("县名称", "County name"),
    "tokens.title": ("API 令牌", "API tokens"),
    "tokens.create": ("新建令牌", "Create a token"),
    "tokens.created": ("新令牌（只显示这一次，请立即保存）：", "New token (shown only this once; save it now):"),
    "tokens.revoke": ("吊销", "Revoke"),
    "tokens.revoked": ("已吊销", "revoked"),
    "tokens.last_used": ("最近使用", "Last used"),
    "settings.secret_key": ("至少 16 个随机字符（例如 python3 -c 'import secrets; print(secrets.token_hex(32))' 的输出）",
                            "at least 16 random characters (e.g. the output of python3 -c 'import secrets; print(secrets.token_hex(32))')"),
    "form.int": ("“{field}”应为整数，实际为“{found}”", "'{field}' must be a whole number, found '{found}'"),
    "form.date": ("“{field}”应为日期（年-月-日），实际为“{found}”", "'{field}' must be a date (YYYY-MM-DD), found '{found}'"),
    "form.required": ("请填写“{field}”", "'{field}' is required"),
    "form.file": ("请选择文件：“{field}”", "choose a file for '{field}'"),
    "form.choice": ("“{field}”应为 {expected} 之一，实际为“{found}”", "'{field}' must be one of {expected}, found '{found}'"),
    "sms.estimate": ("发送前估算", "Estimate before sending"),
    "sms.to_send": ("待发送短信", "Texts to send"),
    "sms.segments": ("计费条数（分段）", "Billed segments"),
    "sms.cost": ("估算费用（元，每段 {price} 分）", "Estimated cost (yuan, {price} fen a segment)"),
    "sms.encoding": ("GSM-7 / UCS-2 编码", "GSM-7 / UCS-2 texts"),
    "sms.done": ("已处理", "Already handled"),
    "sms.over_limit": ("{count} 条短信超过 {max} 段", "{count} text(s) exceed {max} segments"),
    "sms.send": ("发送 {count} 条短信（约 {cost} 元）", "Send {count} texts (about {cost} yuan)"),
    "sms.sending": ("正在发送：{done} / {total}", "Sending: {done} / {total}"),
    "sms.finished": ("发送完毕：{done} / {total}", "Sending finished: {done} / {total}"),
    "sms.queue": ("待发送 {queued}，发送中 {sending}，已交服务商 {done}", "queued {queued}, sending {sending}, with the provider {done}"),
    "sms.no_worker": ("本网站未运行短信发送服务：请确认 dividends notify worker 正在运行",
                      "No SMS worker runs in this web process: make sure dividends notify worker is running"),
    "sms.samples": ("短信原文示例（按语言和服务商）", "Exact sample texts (per language and provider)"),
    "sms.sample_provider": ("{provider}（{lang}，{segments} 段）", "{provider} ({lang}, {segments} segment(s))"),
    "sms.configured": ("当前使用", "in use"),
    "sms.unreachable": ("短信无法送达、需另行告知的户（无手机号或已退订）", "Households SMS will not reach (no phone or opted out): tell them another way"),
    "sms.allow_long": ("我确认发送超长短信（每段单独计费）", "I confirm sending the long texts (each segment is paid)"),
    "sms.oneway": ("当前短信服务（{provider}）收不到回复：短信请农户到村委会或致电村委会登记异议，异议须由会计在本系统中登记。",
                   "The SMS provider ({provider}) carries no replies: texts send households to the village office or its phone, and the accountant must record objections here."),
    "sms.delivery": ("送达情况", "Delivery"),
    "sms.totals": ("已发 {segments} 段，约 {cost} 元", "{segments} segments sent, about {cost} yuan"),
    "sms.failed": ("失败或未送达：{count}", "Failed or undelivered: {count}"),
    "sms.reason": ("原因", "Reason"),
    "sms.resend": ("重发失败的“{kind}”短信", "Resend the failed '{kind}' texts"),
    "pack.verify": ("核验审计包", "Verify an audit pack"),
    "pack.file": ("审计包文件（.zip）", "Audit pack file (.zip)"),
    "pack.verified": ("核验通过：第 {run} 号批次（{village}，{period} 年度）的审计包完整，重新计算结果完全一致",
                      "Verified: the audit pack of run {run} ({village}, {period}) is intact and recomputes exactly"),
}

register({f"web.{k}": {"zh": zh, "en": en} for k, (zh, en) in _TEXTS.items()})


def language(request: Request) -> str:
    """The page language: ``?lang=`` (remembered in the session), else the session's, else the
    site's default."""
    asked = request.query_params.get("lang")
    session = request.scope.get("session")
    if asked in LANGS:
        if session is not None and session.get("lang") != asked:
            session["lang"] = asked
        return asked
    if session is not None and session.get("lang") in LANGS:
        return str(session["lang"])
    return str(request.app.state.settings.lang)


def t(lang: str, key: str, /, **params: object) -> str:
    return Msg(f"web.{key}", **params).text(lang)


def field_value(field: str, value: object, lang: str) -> str:
    """A registry field's value as people read it: statuses and languages by their label."""
    if value is None:
        return ""
    if field == "status":
        return named(STATUS_NAMES, str(value), lang)
    if field == "language":
        return named(LANGUAGE_NAMES, str(value), lang)
    return str(value)


def named(table: dict[str, tuple[str, str]], value: str | None, lang: str) -> str:
    if value is None:
        return ""
    pair = table.get(value)
    return (pair[0] if lang == "zh" else pair[1]) if pair else value
