"""The villagers' decision and both disclosures on the web: return a run (驳回), the township's
review and filing, the photo of the posted notice, the result notice after payment. Each route
calls one use-case (:mod:`dividends.usecases.runs`, :mod:`dividends.usecases.publicity`)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from dividends.access import Actor
from dividends.usecases import publicity as publicity_cases
from dividends.usecases import runs as run_cases
from dividends.usecases import scope
from dividends.web import forms
from dividends.web.auth import page
from dividends.web.i18n import language
from dividends.web.render import hashed_style_csp, redirect
from schemes.i18n import register

MAX_PHOTO = publicity_cases.MAX_EVIDENCE

_TEXTS = {
    "resolution": ("村民（代表）会议决议", "The villagers' (representatives') meeting resolution"),
    "resolution_hint": ("按“四议两公开”，审批须依据会议决议：到会人数须达到应到人数的 {quorum}，赞成票须超过实到人数的 {majority}。",
                        "Under 四议两公开 approval rests on the meeting's resolution: at least {quorum} of those entitled "
                        "present, more than {majority} of those present in favour."),
    "meeting_date": ("会议日期", "Meeting date"), "body": ("会议类型", "Meeting"),
    "body.representatives": ("村民代表会议", "villagers' representatives' meeting"),
    "body.members": ("村民会议（成员大会）", "villagers' (members') meeting"),
    "entitled": ("应到人数", "Members entitled"), "present": ("实到人数", "Members present"),
    "votes_for": ("赞成", "For"), "votes_against": ("反对", "Against"), "abstaining": ("弃权", "Abstaining"),
    "content": ("表决的方案内容哈希：{hash}", "Content hash voted on: {hash}"),
    "recorded": ("决议：{date} {body}，应到 {entitled}，实到 {present}，赞成 {votes_for}、反对 {votes_against}、弃权 {abstaining}（方案 {hash}）",
                 "Resolution: {date} {body}, {present} of {entitled} present, {votes_for} for, {votes_against} against, "
                 "{abstaining} abstaining (content {hash})"),
    "return": ("驳回（退回更正、重新计算）", "Return (to be corrected and recomputed)"),
    "return_reason": ("驳回理由", "Reason"),
    "review": ("乡镇农经站审核备案", "Township review and filing"),
    "review_required": ("本县要求审批前由乡镇农经站审核备案当前方案。", "This county requires the township's review and filing of the current plan before approval."),
    "reviewed": ("当前方案已由乡镇审核备案。", "The current plan has been reviewed and filed by the township."),
    "not_reviewed": ("当前方案尚未审核备案。", "The current plan has not been reviewed yet."),
    "filing_number": ("备案编号", "Filing number"), "note": ("审核意见", "Review note"),
    "decisions": ("审核与驳回记录", "Reviews and returns"),
    "decision.review": ("审核备案", "reviewed and filed"), "decision.return": ("驳回", "returned"),
    "evidence": ("公开证据", "Disclosure evidence"),
    "evidence_photo": ("公示张贴照片或扫描件（JPEG、PNG、PDF）", "Photo or scan of the posted notice (JPEG, PNG, PDF)"),
    "evidence_upload": ("上传", "Upload"),
    "kind.notice_photo": ("公示张贴照片", "photo of the posted notice"), "kind.result_notice": ("结果公开", "result notice"),
    "result_notice": ("生成并记录结果公开（第二次公开）", "Produce and record the result notice (the second disclosure)"),
}
register({f"web.decide.{k}": {"zh": zh, "en": en} for k, (zh, en) in _TEXTS.items()})


@page
async def return_run(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "run.return", run_id=run_id)
    form = await request.form()
    await run_cases.return_run(actor, run_id, forms.text(form, "reason"), request.app.state.clock)
    return redirect(f"/runs/{run_id}")


@page
async def review(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "run.review", run_id=run_id)
    form = await request.form()
    await run_cases.review(actor, run_id, filing_number=forms.text(form, "filing_number", required=False, limit=64),
                           note=forms.text(form, "note", required=False), clock=request.app.state.clock)
    return redirect(f"/runs/{run_id}#decision")


@page
async def evidence(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "publicity.evidence", run_id=run_id)  # before reading the upload
    form = await request.form(max_files=1, max_part_size=MAX_PHOTO + 1)
    try:
        upload = forms.upload(form, "photo")
        data = await upload.read()
        await publicity_cases.attach_evidence(actor, run_id, upload.filename, data, request.app.state.clock)
    finally:
        await form.close()
    return redirect(f"/runs/{run_id}#evidence")


@page
async def evidence_file(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    item, data = await publicity_cases.evidence_file(actor, run_id, request.path_params["sha"][:64])
    headers = {"content-disposition": f'inline; filename="{item["kind"]}-{item["sha256"][:12]}"',
               "x-content-type-options": "nosniff"}
    if item["media_type"] == "text/html":
        headers["content-security-policy"] = hashed_style_csp(data.decode("utf-8", "replace"))
    else:
        headers["content-security-policy"] = "default-src 'none'; img-src 'self'; frame-ancestors 'none'"
    return Response(data, media_type=item["media_type"], headers=headers)


@page
async def result_notice(request: Request, actor: Actor) -> Response:
    run_id = int(request.path_params["run_id"])
    await scope.precheck(actor, "publicity.result", run_id=run_id)
    html, _ = await publicity_cases.record_result_notice(actor, run_id, language(request), request.app.state.clock)
    return HTMLResponse(html, headers={"content-security-policy": hashed_style_csp(html)})


ROUTES = [
    Route("/runs/{run_id:int}/return", return_run, methods=["POST"]),
    Route("/runs/{run_id:int}/review", review, methods=["POST"]),
    Route("/runs/{run_id:int}/evidence", evidence, methods=["POST"]),
    Route("/runs/{run_id:int}/evidence/{sha}", evidence_file, methods=["GET"]),
    Route("/runs/{run_id:int}/result-notice", result_notice, methods=["POST"]),
]
