"""Messages of the SMS outbox, its webhooks and the ``dividends notify`` command (zh + en)."""
from __future__ import annotations

from schemes.i18n import Msg, register
from schemes.problems import InputError, Problem

register({
    # refusals
    "outbox.kind_unknown": {"zh": "没有“{kind}”这种通知；可选：{kinds}",
                            "en": "there is no notice kind '{kind}'; choose one of {kinds}"},
    "outbox.run_state": {"zh": "分配批次 {run} 当前为“{state}”，不能准备“{kind}”通知（需要：{needed}）",
                         "en": "run {run} is {state}; it cannot get '{kind}' notices (needs: {needed})"},
    "outbox.notice_over": {"zh": "分配批次 {run} 的公示期已于 {end} 结束，不再发送公示通知",
                           "en": "the notice period of run {run} ended on {end}; publicity notices are no longer sent"},
    "outbox.resend_concurrent": {"zh": "分配批次 {run} 的“{kind}”失败通知刚被他人重新排队；请查看 status",
                                 "en": "the failed '{kind}' notices of run {run} were just queued again by someone else; see status"},
    "outbox.nothing_to_resend": {"zh": "分配批次 {run} 没有发送失败的“{kind}”通知", "en": "run {run} has no failed '{kind}' notices"},
    # words inside texts
    "outbox.project.default": {"zh": "资产收益", "en": "asset income"},
    "outbox.channel.default": {"zh": "银行账户", "en": "bank account"},
    "outbox.reason.default": {"zh": "银行退回", "en": "returned by the bank"},
    "outbox.sender.generic": {"zh": "村委会", "en": "Village committee"},
    # the notify command
    "notify.prepared": {"zh": "分配批次 {run}：新建“{kind}”通知 {created} 条（待发送 {queued}，无手机号 {no_phone}，"
                              "已退订 {opted_out}，无法生成 {unrenderable}）；此前已有 {existing} 户",
                        "en": "run {run}: {created} new '{kind}' notice(s) ({queued} to send, {no_phone} without a phone, "
                              "{opted_out} opted out, {unrenderable} could not be written); {existing} household(s) had one already"},
    "notify.unrenderable": {"zh": "{household}：{reason}", "en": "{household}: {reason}"},
    "notify.estimate.title": {"zh": "分配批次 {run} 的“{kind}”短信费用估算", "en": "Cost estimate of the '{kind}' texts of run {run}"},
    "notify.estimate.not_prepared": {"zh": "（尚未准备：按当前数据估算）", "en": "(not prepared yet: estimated from the current data)"},
    "notify.col.item": {"zh": "项目", "en": "item"},
    "notify.col.value": {"zh": "数值", "en": "value"},
    "notify.row.to_send": {"zh": "待发送短信", "en": "texts to send"},
    "notify.row.segments": {"zh": "计费条数（分段）", "en": "segments"},
    "notify.row.cost": {"zh": "估算费用（元，每段 {price} 分）", "en": "estimated cost (yuan, {price} fen a segment)"},
    "notify.row.encoding": {"zh": "编码（GSM-7 / UCS-2）", "en": "encoding (GSM-7 / UCS-2)"},
    "notify.row.no_phone": {"zh": "无手机号（不发送）", "en": "no phone (not sent)"},
    "notify.row.opted_out": {"zh": "已退订（不发送）", "en": "opted out (not sent)"},
    "notify.row.unrenderable": {"zh": "无法生成文本", "en": "text could not be written"},
    "notify.row.done": {"zh": "已发送或已处理", "en": "already sent or handled"},
    "notify.over_limit": {"zh": "注意：{count} 条短信超过 {max} 段上限（每段单独计费）：{households}",
                          "en": "warning: {count} text(s) exceed the limit of {max} segments (each segment is paid): {households}"},
    "sms.refused_long": {"zh": "{count} 条短信超过 {max} 段上限，未发送：请缩短文字，或勾选确认后再发送",
                         "en": "{count} text(s) exceed the limit of {max} segments; nothing was queued: shorten them, "
                               "or tick the confirmation and send again"},
    "notify.refused_long": {"zh": "有短信超过分段上限，未发送。请缩短文字，或确认后加 --allow-long 重新运行。",
                            "en": "Some texts exceed the segment limit; nothing was queued. Shorten them, or run again "
                                  "with --allow-long to send them all the same."},
    "notify.released": {"zh": "已将 {count} 条通知交给发送服务（dividends notify worker）；用 status 查看进度",
                        "en": "{count} notice(s) queued for the worker (dividends notify worker); see status for progress"},
    "notify.worker.started": {"zh": "短信发送服务已启动（{provider}，每秒最多 {rate} 条）；SIGTERM 停止",
                              "en": "SMS worker started ({provider}, at most {rate}/s); SIGTERM stops it"},
    "notify.worker.stopped": {"zh": "短信发送服务已停止：发出 {sent}，失败 {failed}，查到已发 {recovered}，回执 {receipts}，回复 {replies}",
                              "en": "SMS worker stopped: sent {sent}, failed {failed}, found sent {recovered}, "
                                    "receipts {receipts}, replies {replies}"},
    "notify.confirm": {"zh": "以上短信将发出并产生费用。确认无误后请加 --yes 重新运行。",
                       "en": "These texts will be sent and paid for. Run again with --yes to send them."},
    "notify.dispatch.done": {"zh": "已发出 {sent} 条（其中查询后重发 {resent}），查到已发出 {recovered} 条，失败 {failed} 条，"
                                   "已退订 {opted_out} 条，安排重试 {retry} 次，结果未知待查 {doubt} 条；用时 {seconds} 秒（{rate} 条/秒）",
                             "en": "sent {sent} ({resent} of them after a look-up), found already sent {recovered}, failed {failed}, "
                                   "opted out {opted_out}, retries scheduled {retry}, outcome unknown {doubt}; {seconds} s ({rate}/s)"},
    "notify.dispatch.waiting": {"zh": "仍在队列：{queued} 条，待查询：{doubt} 条；最早 {at} 到期（再次运行 send 处理）",
                                "en": "still queued: {queued}, awaiting a look-up: {doubt}; the first is due at {at} (run send again)"},
    "notify.dispatch.stopped": {"zh": "发送已停止，短信服务配置有误：{reason}。未发出的通知保持待发送。",
                                "en": "sending stopped: the SMS service is misconfigured: {reason}. Notices not sent stay queued."},
    "notify.progress": {"zh": "发送中", "en": "sending"},
    "notify.report.title": {"zh": "分配批次 {run} 的短信送达情况", "en": "SMS delivery report of run {run}"},
    "notify.report.totals": {"zh": "已发出计费段数 {segments}，估算费用 {cost} 元；重发替代的旧通知 {superseded} 条",
                             "en": "segments sent {segments}, estimated cost {cost} yuan; {superseded} earlier notice(s) replaced by resends"},
    "notify.report.failed_title": {"zh": "未送达（共 {count} 户）", "en": "Not delivered ({count} in all)"},
    "notify.report.none_failed": {"zh": "没有未送达的通知。", "en": "No notice failed."},
    "notify.report.no_notices": {"zh": "分配批次 {run} 还没有短信通知。", "en": "run {run} has no SMS notices yet."},
    "notify.col.kind": {"zh": "通知", "en": "kind"},
    "notify.col.period": {"zh": "年度", "en": "period"},
    "notify.col.name": {"zh": "户主", "en": "head"},
    "notify.col.segments": {"zh": "条数", "en": "segments"},
    "notify.col.text": {"zh": "短信内容", "en": "text"},
    "notify.col.household": {"zh": "户编号", "en": "household"},
    "notify.col.phone": {"zh": "手机号", "en": "phone"},
    "notify.col.status": {"zh": "状态", "en": "status"},
    "notify.col.code": {"zh": "代码", "en": "code"},
    "notify.col.reason": {"zh": "原因", "en": "reason"},
    "notify.col.attempt": {"zh": "第几次", "en": "attempt"},
    "notify.col.total": {"zh": "合计", "en": "total"},
    "notify.resent": {"zh": "已为 {count} 户重新排队“{kind}”通知（新的一次尝试），运行 send 发送",
                      "en": "{count} '{kind}' notice(s) queued again as a new attempt; run send to send them"},
    "notify.status.queued": {"zh": "待发送", "en": "queued"},
    "notify.status.sending": {"zh": "发送中", "en": "sending"},
    "notify.status.sent": {"zh": "已发出", "en": "sent"},
    "notify.status.delivered": {"zh": "已送达", "en": "delivered"},
    "notify.status.undelivered": {"zh": "未送达", "en": "undelivered"},
    "notify.status.failed": {"zh": "失败", "en": "failed"},
    "notify.status.opted_out": {"zh": "已退订", "en": "opted out"},
    "notify.status.no_phone": {"zh": "无手机号", "en": "no phone"},
    "notify.kind.publicity": {"zh": "公示", "en": "publicity"},
    "notify.kind.payment_confirmation": {"zh": "发放成功", "en": "payment confirmation"},
    "notify.kind.payment_failed": {"zh": "发放失败", "en": "payment failed"},
    "notify.kind.period_statement": {"zh": "期间对账单", "en": "period statement"},
    # reasons by provider code, for reports
    "notify.code.21211": {"zh": "号码无效", "en": "invalid number"},
    "notify.code.21408": {"zh": "未开通该地区短信", "en": "region not enabled"},
    "notify.code.21608": {"zh": "试用账户未验证该号码", "en": "trial account: number not verified"},
    "notify.code.21610": {"zh": "用户已退订", "en": "recipient opted out"},
    "notify.code.21611": {"zh": "发送队列超过10小时", "en": "sender queue over 10 hours"},
    "notify.code.21614": {"zh": "不是手机号", "en": "not a mobile number"},
    "notify.code.21635": {"zh": "固定电话号码", "en": "landline number"},
    "notify.code.30001": {"zh": "队列溢出", "en": "queue overflow"},
    "notify.code.30003": {"zh": "手机无法接通", "en": "handset unreachable"},
    "notify.code.30005": {"zh": "号码不存在", "en": "unknown handset"},
    "notify.code.30006": {"zh": "固话或运营商不可达", "en": "landline or unreachable carrier"},
    "notify.code.30007": {"zh": "被运营商拦截", "en": "blocked by carrier filtering"},
    "notify.code.30008": {"zh": "未知错误", "en": "unknown error"},
    "notify.code.30036": {"zh": "超过有效期", "en": "validity period expired"},
    "notify.templates.title": {"zh": "短信模板（签名：{signature}；当前服务商：{provider}）",
                               "en": "SMS templates (signature: {signature}; provider now: {provider})"},
    "notify.templates.no_signature": {"zh": "未设置 SMS_SIGNATURE", "en": "SMS_SIGNATURE not set"},
    "notify.templates.col.template": {"zh": "模板", "en": "template"},
    "notify.templates.col.reply": {"zh": "回复", "en": "replies"},
    "notify.templates.reply": {"zh": "需双向通道", "en": "needs two-way"},
    "notify.templates.oneway": {"zh": "单向可用", "en": "one-way"},
    # webhooks
    "webhook.forbidden": {"zh": "签名无效", "en": "invalid signature"},
    "webhook.bad_request": {"zh": "请求缺少字段：{detail}", "en": "bad request: {detail}"},
    "webhook.too_large": {"zh": "请求内容超过 {limit} 字节", "en": "request body over {limit} bytes"},
})


def phrase(key: str, lang: str, /, **params: object) -> str:
    return Msg(key, **params).text(lang)


def refuse(key: str, /, **params: object) -> InputError:
    return InputError([Problem(Msg(key, **params))])
