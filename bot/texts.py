"""Every user-facing string, in one place. Plain text (no parse mode), so names and
reasons that contain < > & * _ are shown literally and can never inject formatting.

Style guide (issue 22) — follow it for every text here and in the handlers:

Terms: 日报 / 周报; 填报 (not 报送), 填报率 (not 报送率); 按时 / 迟报 / 补报 / 缺报;
  请假 / 出差 / 培训 are the kinds of leave (登记, not 请假 for all three); 点赞; 错情 and
  严重错情; 通报; 加分 / 扣分; 负面清单; 已阅 and 批复 (a leader's reading of and reply to
  a report); 实绩申报; 自评; 多主体评价 / 评分; 等次 (好、较好、一般、较差); 考核办.
  No developer words in chat: no 回显 (say 同步到本群), 实例, 批次, 记录行, English names.
Dates: 6月1日 (no year unless it differs); a range 6月1日—6月5日 (em dash, month repeated);
  a week is its working days (6月1日—6月5日) unless the calendar week is meant; a date
  the user types is shown as 6-1 in examples. Times 20:00.
Numbers: 第N条 / 第N项 / 第N步 without spaces (第2条, 第2/3步); counts may be spaced for
  reading (共 3 条, 5 人); scores with two decimals where they are results (88.50分),
  plain otherwise (+1, -1); minus is ASCII 「-」, as in /policy and the workbook; figures
  say what they count: 「应报 20 人天，实报 14」, 「已验收 3 项」, 「计入日期：6月24日」.
Signs: ✅ done/recorded; ⏰ reminder or late; 📌 补报 / task; 👍 点赞; ⚠️ 错情 (and
  warnings); 👀 已阅; 💬 批复; ❌ only for 未报 in /status and for a refused import;
  📢 通报 / 公示; 🔒 closed.
  No 🏖 (leave is not a holiday).
Tone: a 机关 notice — polite, short, complete sentences, 「请…」 for requests; no slang
  (明天再来吧, 看不懂), no blame; name the person concerned (「你本人」 for the reader).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from core.roster import UNIT_WIDE

PRIVATE_COMMANDS: tuple[tuple[str, str], ...] = (
    ("daily", "填日报（补报：/daily 11-20 内容）"),
    ("weekly", "填周报 / 生成周报草稿"),
    ("status", "本周填报情况（含已阅、批复）"),
    ("leave", "请假、出差、培训登记与撤销"),
    ("declare", "季度实绩申报"),
    ("ratings", "季度评分：待评项目"),
    ("me", "我的本季度得分"),
    ("records", "点赞与错情记录"),
    ("stats", "填报率与审阅率（领导）"),
    ("tasks", "我的任务（承办 / 交办）"),
    ("indicators", "我的指标（一人一表）"),
    ("task", "交办任务（领导）"),
    ("rank", "排名（领导）"),
    ("talk", "反馈谈话（领导）"),
    ("policy", "考核方案"),
    ("calendar", "本月和下月的放假、调休"),
    ("export", "导出考核结果（考核办）"),
    ("bonus", "加分 / 扣分（考核办）"),
    ("veto", "负面清单（考核办）"),
    ("talks", "谈话进度（考核办）"),
    ("whoami", "我的信息"),
    ("console", "网页控制台登录链接"),
    ("start", "开始 / 绑定账号"),
    ("help", "使用说明"),
)
GROUP_COMMANDS: tuple[tuple[str, str], ...] = (
    ("daily", "填日报"),
    ("task", "交办任务：/task @某人 内容 截止 12-05"),
    ("weekly", "填周报"),
    ("rank", "本部门排名"),
    ("calendar", "本月和下月的放假、调休"),
    ("bindgroup", "绑定本群到部门（考核办）"),
    ("help", "使用说明"),
)

NOT_BOUND = "你还没有绑定账号。请向考核办索取邀请码，然后发给我（或发送 /start 邀请码）。"
ASK_CODE = "你好！我是平时考核助手。请发送考核办给你的 8 位邀请码，完成绑定。"
INACTIVE = "你的账号已停用。如有疑问，请联系考核办。"
CODE_UNKNOWN = "邀请码有误，请核对后重新发送（8 位字母数字）。"
CODE_USED = "这个邀请码已经用过了。如需换绑，请联系考核办。"
CODE_INACTIVE = "这个邀请码对应的人员已停用，请联系考核办。"
ACCOUNT_TAKEN = "这个 Telegram 账号已绑定为 {name}，不能再绑定别人。如需换绑，请联系考核办。"

HELP = (
    "平时考核助手\n"
    "📝 直接发文字给我就是今天的日报，可以分几条发；图片、文件请加文字说明。\n"
    "/daily 11-20 内容 —— 补报前几天的日报\n"
    "/weekly —— 填周报（可用本周日报生成草稿）\n"
    "/status —— 本周填报情况，领导已阅和批复\n"
    "/leave 11-24 11-26 事由 —— 登记请假、出差、培训，这些日子无需填报日报\n"
    "/me —— 我的本季度得分和明细\n"
    "/records —— 点赞与错情记录\n"
    "/declare —— 季度实绩申报（申报期内）；/ratings —— 季度评分待评项目\n"
    "领导：回复日报「点赞 理由」或「错情 理由」，/stats 看填报率，/rank 看排名\n"
    "/whoami —— 我的信息\n"
    "在部门群里也可以发「#日报 内容」。"
)

BINDGROUP_USAGE = "用法：/bindgroup 部门名，或 /bindgroup " + UNIT_WIDE
BINDGROUP_PRIVATE = "请在要绑定的群里发送 /bindgroup 部门名。"
BINDGROUP_DENIED = "只有考核办可以绑定群。"
PRIVACY_HINT = (
    "提示：本群里我只能看到命令和回复我的消息。如需识别 #日报 等普通消息，请把我设为群管理员。"
)


def bound(name: str, department: str) -> str:
    """Confirmation after binding."""
    return f"绑定成功！你好，{name}（{department}）。发送 /help 查看可用功能。"


def already_bound(name: str, department: str) -> str:
    """/start from someone who is already bound."""
    return f"你已绑定为 {name}（{department}）。发送 /help 查看可用功能。"


def whoami(
    *,
    name: str,
    department: str,
    category: str,
    roles: str,
    employee_id: str | None,
    supervises: Iterable[str],
) -> str:
    """The /whoami card."""
    lines = [f"👤 {name}", f"部门：{department}", f"类别：{category}", f"角色：{roles}"]
    overseen = "、".join(supervises)
    if overseen:
        lines.append(f"分管：{overseen}")
    if employee_id:
        lines.append(f"工号：{employee_id}")
    return "\n".join(lines)


def bindgroup_unknown(name: str, departments: Iterable[str]) -> str:
    """/bindgroup with a department name the roster does not have."""
    choices = "、".join([*departments, UNIT_WIDE])
    return f"没有找到部门「{name}」。可选：{choices}"


def group_bound(target: str) -> str:
    """/bindgroup succeeded."""
    if target == UNIT_WIDE:
        return "本群已绑定为全单位群。排名、通报将发到这里。"
    return f"本群已绑定到「{target}」。该部门日报将同步到本群，点赞、错情也在本群进行。"


ADDED_TO_GROUP = (
    "大家好，我是平时考核助手。"
    "请考核办在本群发送 /bindgroup 部门名（或 /bindgroup 全单位）完成绑定。"
)


def calendar_fallback(year: int) -> str:
    """Told to admins once when the official holiday data lacks a year."""
    return (
        f"⚠️ 还没有 {year} 年的放假安排，暂按法定节假日和周末计算，调休上班日未知。"
        f"国务院通知发布后请导入：kaohe calendar import 通知.txt，或在私聊发 /calendar import。"
    )


# ---- reports ---------------------------------------------------------------------------

REPORT_HINT_MEDIA = "🙂 贴纸、语音、视频不能作为日报。请发文字，或给图片加上文字说明。"
REPORT_HINT_CAPTION = "请给图片或文件加上文字说明（写在说明栏里）再发一次，才能记为日报。"
REPORT_EMPTY = "内容是空的。直接发文字即可，例如：完成了年度总结初稿"
DAILY_USAGE = "请在 /daily 后面写上内容，例如：/daily 完成了年度总结初稿\n补报：/daily 11-20 内容"
REPORT_TOO_LONG = "内容过长：一条最多 4096 字，请分几条发送。"
REPORT_FUTURE = "不能提前填报以后的日报。"
UNKNOWN_COMMAND = "暂不支持该命令，请发送 /help 查看可用命令。"
REVIEW_BUTTON = "👀 已阅"
REVIEW_DENIED = "只有本部门负责人、分管领导或主要领导可以审阅。"
REVIEW_SELF = "不能审阅自己的报告。"
REVIEW_DONE = "已标记为已阅 ✅"
REVIEW_AGAIN = "你已经审阅过了。"
REVIEW_GONE = "找不到这份报告。"
WEEKLY_SUBMIT = "✅ 提交草稿"
WEEKLY_OWN = "✍️ 自己写"
WEEKLY_ASK = "请发送你的周报内容（一条消息）。"
WEEKLY_GROUP_HINT = "请在 #周报 后面写上内容，或私聊我发送 /weekly 生成草稿。"
NOT_BOUND_GROUP = "你还没有绑定账号，请私聊我发送考核办给你的邀请码。"
REPORT_ECHO_FAILED = "（未能同步到部门群，请联系考核办检查群绑定。）"

KIND_LABELS = {"daily": "日报", "weekly": "周报"}
STATUS_ICONS = {"on_time": "✅", "late": "⏰", "backfill": "📌", "voluntary": "🌟"}


def bad_date(text: str) -> str:
    """A date that could not be read."""
    return f"日期「{text}」无法识别，请按 11-20 的格式填写。"


def backfill_too_old(limit: int) -> str:
    """Backfill outside the policy's window."""
    return f"只能补报 {limit} 天内的日报。更早的请联系考核办。"


def filed(
    *, day: str, kind: str, status: str, count: int, weekly: bool = False, name: str | None = None
) -> str:
    """Acknowledgement of a filing: date, status, item count; in a group (`name`), whose."""
    label = KIND_LABELS[kind]
    if name is not None:
        if weekly:
            return f"✅ {name} {label}已记录（截止 {day}，{status}）"
        part = f"第{count}条" if count > 1 else ""
        return f"✅ {name} {day}{label}{part}已记录（{status}）"
    if weekly:
        return f"✅ 已记录 {label}（截止 {day}，{status}）。"
    return f"✅ 已记录 {day} {label}（{status}），共 {count} 条。"


def edited(*, day: str, kind: str, seq: int) -> str:
    """An edited message updated its item."""
    return f"✏️ 已更新 {day} {KIND_LABELS[kind]}第{seq}条，原文已留存。"


def echo(*, name: str, day: str, kind: str, status: str, seq: int, text: str) -> str:
    """The report as shown in the department group."""
    part = f" 第{seq}条" if seq > 1 else ""
    return f"📝 {name}｜{day} {KIND_LABELS[kind]}{part}（{status}）\n{text}"


def reviewed_button(names: list[str]) -> str:
    """The 「已阅」 button after leaders pressed it."""
    return "✅ 已阅：" + "、".join(names)


def reply_to_author(*, leader: str, day: str, kind: str, text: str) -> str:
    """A 批复, sent privately to the report's author."""
    return f"💬 {leader} 批复了你 {day} 的{KIND_LABELS[kind]}：\n{text}"


def reply_delivered(name: str) -> str:
    """Confirmation under a 批复 in the group."""
    return f"✅ 批复已送达 {name}"


def weekly_draft_offer(draft: str) -> str:
    """The weekly draft with its two buttons."""
    return f"根据本周日报生成的周报草稿：\n\n{draft}\n\n可以直接提交，或者自己写。"


def calendar_day(day: str, weekday: str) -> str:
    """周一 11月16日."""
    return f"周{weekday} {day}"


# ---- leave -----------------------------------------------------------------------------

LEAVE_USAGE = (
    "用法：/leave 11-24 11-26 事由（一天可只写一个日期）\n"
    "考核办代登记：/leave @用户名 11-24 11-26 事由\n"
    "只发 /leave 查看和撤销自己的请假。"
)
LEAVE_REASON = "请写上事由，例如：/leave 11-24 11-26 出差"
LEAVE_PERIOD = "日期有误：结束日期要在开始日期之后，一次最多 92 天。"
LEAVE_NOBODY = "你还没有登记请假、出差或培训。\n" + LEAVE_USAGE
LEAVE_LIST_HEAD = "你登记的请假、出差、培训："
LEAVE_ONLY_ADMIN = "只有考核办可以为他人登记请假。"
LEAVE_CANCEL_DENIED = "只能撤销自己的请假（考核办可撤销任何人的）。"
LEAVE_GONE = "这条请假已经撤销或不存在。"
LEAVE_PRIVATE = "请私聊我登记请假。"


def leave_range(start: str, end: str) -> str:
    """11月24日—11月26日, or one day."""
    return start if start == end else f"{start}—{end}"


def leave_what(kind: str, detail: str) -> str:
    """出差（省局培训）, or the kind alone."""
    return f"{kind}（{detail}）" if detail and detail != kind else kind


def leave_recorded(
    *, name: str | None, period: str, kind: str, detail: str, workdays: int, days: int
) -> str:
    """Leave (请假, 出差 or 培训) was stored; `name` when registered for someone else."""
    who = f"{name} " if name else ""
    if workdays == 0:
        tail = "其间没有工作日"
    elif days == 1:
        tail = "当天无需填报日报"
    elif workdays == days:
        tail = f"这 {workdays} 个工作日无需填报日报"
    else:
        tail = f"其中 {workdays} 个工作日无需填报日报"
    return f"✅ 已登记 {who}{period} {leave_what(kind, detail)}，{tail}。"


def leave_too_early(limit: int) -> str:
    """Leave dated too far back."""
    return f"只能登记 {limit} 天内或以后的请假；更早的请联系考核办。"


def leave_overlap(period: str) -> str:
    """Leave overlapping an existing one."""
    return f"这段时间已有登记（{period}），如需修改请先撤销。"


def who_unknown(ref: str) -> str:
    """A name, @username or 工号 that matched nobody."""
    return f"没有找到「{ref}」。请用 @用户名、姓名或工号。"


def who_ambiguous(ref: str, count: int) -> str:
    """Several people share the name."""
    return f"「{ref}」有 {count} 人同名，请改用 @用户名 或工号。"


def leave_cancelled(period: str) -> str:
    """A leave period was cancelled."""
    return f"已撤销 {period} 的请假。"


# ---- status and stats -----------------------------------------------------------------

STATS_DENIED = "只有部门负责人、分管领导、主要领导和考核办可以查看统计。"


def status_header(name: str, period: str) -> str:
    """First line of /status: the week as its working days."""
    return f"📋 {name} 本周（{period}）"


def status_feedback(readers: Sequence[str], replies: Sequence[tuple[str, str]]) -> list[str]:
    """/status, under a report: who marked it 已阅 and each 批复 (shortened)."""
    lines = [f"　👀 已阅：{NAME_SEPARATOR.join(readers)}"] if readers else []
    for leader, text in replies:
        short = text.replace("\n", " ")
        short = short if len(short) <= 40 else short[:40] + "…"
        lines.append(f"　💬 {leader}批复：{short}")
    return lines


def status_leave(kind: str) -> str:
    """/status: a day excused by leave, named by its kind (请假, 出差, 培训)."""
    return f"{kind}（无需填报）"


STATS_PRIVATE = "请私聊我查看统计。"


# ---- likes and error notices ------------------------------------------------------------

ACTION_NO_TARGET = "请回复要点赞（或指出错情）的人的消息，或写成：点赞 @姓名 理由"
ACTION_NOT_IN_ROSTER = "你不在考核名单里，不能点赞或指出错情。"
ACTION_SELF = "不能给自己点赞或记错情。"
ACTION_TARGET_UNKNOWN = "对方不在考核名单里，或还没有绑定账号。"
ACTION_ALREADY_LIKED = "今天已为 {name} 点过赞，同一人每天限点赞一次。"
ACTION_PICK_GONE = "这个选择已经过期，请重新发送。"
ACTION_PICK_NOT_YOURS = "此操作仅限发起人本人使用。"
UNDO_NOTHING = "没有可以撤销的记录（只能撤销自己 24 小时内发出的点赞或错情）。"
UNDO_NOT_YOURS = "只能撤销自己发出的点赞或错情。"
UNDO_TOO_LATE = "只能撤销 24 小时内的记录，更早的请联系考核办。"
UNDO_ALREADY = "这条记录已经撤销过了。"
VOID_DENIED = "只有考核办可以作废记录。"
VOID_USAGE = "用法：回复机器人的确认消息发送 /void 理由，或 /void 记录编号 理由"
VOID_NOT_FOUND = "没有找到这条记录。"
RECORDS_PRIVATE = "请私聊我查看记录。"
RECORDS_DENIED = "只能查看自己，或你所负责部门人员的记录。"

ACTION_VERBS = {"like": "点赞", "error": "指出错情"}


def action_reason_missing(kind: str) -> str:
    """A like or error without a reason."""
    example = "点赞 材料写得又快又好" if kind == "like" else "错情 报表数据有误"
    return f"请写上理由，例如：{example}（被点赞、被指出的原因要公开）"


def action_no_authority(name: str, kind: str) -> str:
    """The leader has no authority over the person."""
    return f"你不是 {name} 的部门负责人、分管领导或主要领导，不能{ACTION_VERBS[kind]}。"


def action_target_inactive(name: str) -> str:
    """The person is not bound or no longer active."""
    return f"{name} 还没有绑定账号或已停用，暂时不能记录。"


def action_daily_cap(cap: int) -> str:
    """The leader's daily cap."""
    return f"今天你已发出 {cap} 次点赞或错情，已达每日上限，请明日再操作。"


def action_points_bounds(low: float, high: float) -> str:
    """An explicit error weight outside the policy."""
    return f"错情分值要在 {low:g} 到 {high:g} 之间，例如：错情 -2 理由"


def action_who(ref: str) -> str:
    """An @name that matched nobody."""
    return f"没有找到「{ref}」。请用 @用户名 或 @姓名。"


def action_pick(name: str, count: int) -> str:
    """Several people share a name: pick one."""
    return f"有 {count} 位「{name}」，请选择："


def severity_label(kind: str, severity: str | None) -> str:
    """点赞 / 错情 / 严重错情."""
    if kind == "like":
        return "点赞"
    if kind in OTHER_RECORD_LABELS:
        return OTHER_RECORD_LABELS[kind]
    return "严重错情" if severity == "serious" else "错情"


OTHER_RECORD_LABELS = {"notice": "通报", "missed": "缺报", "bonus": "加分", "veto": "一票否决"}


def action_confirm(*, kind: str, name: str, points: str, reason: str, issuer: str,
                   severity: str | None) -> str:  # fmt: skip
    """The confirmation in the chat where the leader acted."""
    if kind == "like":
        return f"👍 {name} {points}：{reason} —— {issuer}"
    return f"⚠️ {name} {points}（{severity_label(kind, severity)}）：{reason} —— {issuer}"


def action_notice(*, kind: str, issuer: str, points: str, reason: str,
                  severity: str | None, record_id: int | None = None,
                  objection_days: int = 3) -> str:  # fmt: skip
    """The private notice to the person."""
    if kind == "like":
        return f"👍 {issuer} 给你点赞 {points}：{reason}"
    label = severity_label(kind, severity)
    text = f"⚠️ {issuer} 给你记{label} {points}：{reason}"
    if record_id is None:
        return text + "\n如有异议，可向考核办反映。"
    return text + "\n" + objection_hint(record_id, objection_days)


def undone(*, name: str, label: str, points: str, reason: str) -> str:
    """An undo or a void succeeded."""
    return f"↩️ 已撤销：{name} {label} {points}（{reason}）"


def undone_notice(*, by: str, label: str, points: str, reason: str) -> str:
    """Tell the person a record about them was reversed."""
    return f"↩️ {by} 撤销了对你的{label} {points}（{reason}）"


def records_header(*, name: str, quarter: str, likes: int, errors: int, total: str) -> str:
    """Top line of /records."""
    return f"📒 {name} {quarter}：点赞 {likes} 次，错情 {errors} 次，合计 {total} 分"


# ---- scheduled jobs (reminders, lists, notices, digests) ------------------------------

JOB_LABELS: dict[str, str] = {
    "remind": "日报提醒",
    "missing": "缺报名单",
    "escalate": "连续缺报通报",
    "weekly_remind": "周报提醒",
    "digest": "部门周报摘要",
    "month_end": "月末补报提醒",
    "leaderboard": "每周排行榜",
    "declare_open": "实绩申报开始",
    "declare_remind": "实绩申报提醒",
    "declare_close": "实绩申报截止",
    "ratings_open": "季度评分开始",
    "ratings_remind": "季度评分提醒",
    "ratings_close": "季度评分截止",
    "quarter_close": "季度结果公布",
    "talk_remind": "反馈谈话提醒",
    "results_final": "公示结束，结果确定",
    "annual_close": "年度考核结果",
    "appeal_remind": "复核决定到期提醒",
    "task_due": "任务到期提醒",
    "task_overdue": "任务逾期预警",
    "calendar_check": "明年放假安排提醒",
}
JOB_AUDIENCE: dict[str, str] = {
    "remind": "当天未报日报、未请假的人（私聊）",
    "missing": "部门负责人：前一工作日的缺报名单（私聊）",
    "escalate": "部门群通报并扣分，同时告知本人",
    "weekly_remind": "本周未交周报的人（私聊）",
    "digest": "全单位群：各部门本周摘要",
    "month_end": "本月有缺报的人（私聊）",
    "leaderboard": "各部门群：本部门排行榜；全单位群：部门排名和填报率",
    "declare_open": "全体人员：可以申报本季度实绩（私聊）",
    "declare_remind": "尚未申报实绩的人（私聊）",
    "declare_close": "申报截止，告知未申报的人（私聊）",
    "ratings_open": "各评分人：待评名单（私聊）",
    "ratings_remind": "尚有未评分的评分人（私聊）",
    "ratings_close": "评分截止，锁定评分（私聊告知）",
    "quarter_close": "全单位群：季度结果；本人：结果明细（私聊）",
    "talk_remind": "部门负责人：未完成的反馈谈话（私聊）",
    "results_final": "本人：公示结束后的最终结果（私聊）",
    "annual_close": "第四季度结果确定后：全单位群年度等次分布；本人年度结果（私聊）",
    "appeal_remind": "考核办：即将到期或已逾期的复核申请（私聊）",
    "task_due": "任务承办人：即将到期的任务（私聊）",
    "task_overdue": "承办人和交办领导：逾期任务（私聊）",
    "calendar_check": "考核办：12 月起每周一次，明年的放假通知尚未导入时（私聊）",
}
NAME_SEPARATOR = "、"


def remind_daily(day: str, deadline: str, *, late: bool = False) -> str:
    """The afternoon reminder to someone who has not filed (late: sent after the deadline)."""
    if late:
        return f"⏰ {day}的日报还没填，已过 {deadline} 截止时间，请尽快补上。"
    return f"⏰ {day}的日报还没填，{deadline} 截止。直接发送文字即可。"


def remind_weekly(deadline: str) -> str:
    """Reminder to file the weekly report on the week's last working day."""
    return (
        f"📅 今天是本周最后一个工作日，请在 {deadline} 前交周报。"
        "发送 /weekly 可用本周日报生成草稿。"
    )


def missing_list(day: str, names: list[str], unbound: list[str], *, own: str | None = None) -> str:
    """A head's morning list of who did not file; `own` (as 6-1) when the head is on it
    (told apart: 「你本人…」, not their own name among the others)."""
    lines = []
    if own is not None:
        lines.append(f"📋 你本人{day}未报日报，请发送 /daily {own} 内容 补报。")
    if names or unbound:
        count = len(names) + len(unbound)
        others = "其他" if own is not None else ""
        lines += [f"📋 {day}{others}未报日报（{count}人）：", NAME_SEPARATOR.join(names)]
        if unbound:
            lines.append(f"未绑定账号：{NAME_SEPARATOR.join(unbound)}")
        lines.append("可提醒本人补报：/daily 月-日 内容")
    return "\n".join(line for line in lines if line)


def notice_reason(days: list[str]) -> str:
    """The reason stored with an automatic 通报."""
    return f"连续{len(days)}个工作日未报日报（{NAME_SEPARATOR.join(days)}）"


def _points(points: float) -> str:
    return f"{abs(points):g}"


def notice_group(name: str, days: list[str], points: float) -> str:
    """The 通报 posted in the department group."""
    deduction = f"，扣 {_points(points)} 分" if points else ""
    return f"📢 通报：{name} {notice_reason(days)}{deduction}。"


def notice_private(days: list[str], points: float) -> str:
    """The same 通报, told to the person."""
    deduction = f"，按规定扣 {_points(points)} 分" if points else ""
    return f"📢 你{notice_reason(days)}{deduction}。如有请假未登记，请联系考核办。"


def month_end(month: int, days: list[str], backfill_days: int) -> str:
    """Month-end reminder with the missing days."""
    shown = NAME_SEPARATOR.join(days[:10]) + ("等" if len(days) > 10 else "")
    return (
        f"🗓 {month}月还有 {len(days)} 天日报未报：{shown}。\n"
        f"{backfill_days} 天内的可发 /daily 月-日 内容 补报，更早的请联系考核办。"
    )


def unreachable(name: str) -> str:
    """Told to a head: a member blocked the bot."""
    return f"⚠️ {name} 屏蔽了考核助手，收不到提醒。请其在 Telegram 里解除屏蔽并发送 /start。"


def digest(
    *,
    department: str,
    period: str,
    filed: int,
    required: int,
    weekly: int,
    members: int,
    missing: list[str],
    no_weekly: list[str],
    highlights: list[tuple[str, str]],
    likes: list[tuple[str, str]],
    errors: list[tuple[str, str]],
) -> str:
    """A department's weekly digest for the unit group."""
    lines = [
        f"📰 {department} 本周（{period}）",
        f"日报应报 {required} 人天，实报 {filed}；周报应交 {members} 人，已交 {weekly}",
    ]
    if missing:
        lines.append(f"缺报：{NAME_SEPARATOR.join(missing)}")
    if no_weekly:
        lines.append(f"周报未交：{NAME_SEPARATOR.join(no_weekly)}")
    if highlights:
        lines.append("重点工作：")
        lines += [f"· {name}：{text}" for name, text in highlights[:6]]
    for icon, label, rows in (("👍", "点赞", likes), ("⚠️", "错情", errors)):
        if rows:
            shown = "；".join(f"{name}（{reason[:20]}）" for name, reason in rows[:3])
            more = f" 等{len(rows)}次" if len(rows) > 3 else ""
            lines.append(f"{icon} {label} {len(rows)}：{shown}{more}")
    return "\n".join(lines)


def job_trigger_daily(at: str) -> str:
    """A job's trigger, for `kaohe jobs list`."""
    return f"每个工作日 {at}"


def job_trigger_week(at: str) -> str:
    """A weekly job's trigger."""
    return f"每周最后一个工作日 {at}"


def job_trigger_quarter(at: str) -> str:
    """A quarter-end job's trigger."""
    return f"季末按考核日程 {at}"


def job_trigger_month(days: int, at: str) -> str:
    """The month-end job's trigger."""
    return f"每月最后 {days} 个工作日 {at}"


# ---- scores -------------------------------------------------------------------------------

RANK_DENIED = "只有部门负责人、分管领导、主要领导和考核办可以查看排名。"
NO_SCORE_YET = "本季度还没有可计算的数据。"


def me_header(*, quarter: str, until: str, provisional: bool) -> str:
    """First line of /me."""
    state = "，暂定" if provisional else ""
    return f"📈 {quarter}（截至 {until}{state}）"


DETAIL_BUTTON = "查看明细"
DETAIL_NOT_YOURS = "只能查看本人的考核明细。"
DETAIL_GONE = "暂无可查看的明细。"


def rank_header(*, title: str, quarter: str, until: str) -> str:
    """First line of /rank."""
    return f"🏆 {title} {quarter} 排名（截至 {until}）"


def rank_caption(*, title: str, quarter: str, until: str, top: str, by_group: bool = False) -> str:
    """Caption under a ranking picture: the period and the top three (or, on a board of
    several ranking groups, each group's first)."""
    lead = f"\n{'各类别第一' if by_group else '前三'}：{top}" if top else ""
    return f"🏆 {title} {quarter} 排名（截至 {until}）{lead}"


def rank_board_withheld() -> str:
    """/rank in the group of a department of 班子成员 only, when the policy posts no such board."""
    return "本部门为班子成员，按考核方案不在群内发布排行榜。"


def filing_caption(week: str) -> str:
    """Caption of the weekly filing-rate chart."""
    return f"📊 各部门日报填报率：本周（{week}）与上周对比"


# ---- 实绩申报 and ratings (issue 8) ----------------------------------------------------------

DECLARE_ADD = "➕ 添加一项"
DECLARE_SUBMIT = "✅ 提交"
DECLARE_CANCEL = "取消"
DECLARE_KEEP = "不改内容"
DECLARE_ASK_RATING = "请选择本项自评等次："
DECLARE_CLOSED_SHORT = "实绩申报已截止。"
DECLARE_GONE = "这一项已不存在，请发送 /declare 查看。"
DECLARE_STALE = "这个按钮已过期，请发送 /declare 继续。"
DECLARE_EMPTY = "还没有申报内容，请先添加一项。"


def declare_closed(
    *, last_quarter: str, last_close: str, next_quarter: str, next_open: str, next_close: str
) -> str:
    """/declare outside the window: when it closed and when it opens."""
    return (
        f"实绩申报现在没有开放。\n{last_quarter}的申报已于{last_close}截止；"
        f"{next_quarter}的申报{next_open}开放，{next_close}截止。"
    )


def declare_item(*, n: int, text: str, source: str, rating: str) -> str:
    """One line of the declaration list."""
    return f"{n}. [{source}·自评{rating}] {text}"


def declare_overview(
    *, quarter: str, close: str, items: list[str], submitted: bool, limit: int
) -> str:
    """The declaration so far."""
    head = f"📝 {quarter}实绩申报（最多{limit}项，{close}截止）"
    if not items:
        return f"{head}\n还没有内容。"
    state = "已提交，截止前仍可修改。" if submitted else "尚未提交：填好后点「提交」。"
    return "\n".join([head, *items, state])


def declare_ask_text(n: int, limit: int) -> str:
    """Prompt for a new item's text."""
    return f"请发送第{n}项实绩（共可填{limit}项），一两句话写清做了什么、成效如何。"


def declare_ask_edit(n: int) -> str:
    """Prompt for an edited item's text."""
    return f"请发送第{n}项的新内容；只改来源或自评请点「不改内容」。"


def declare_ask_source(text: str) -> str:
    """Prompt for the task source, quoting the text."""
    return f"「{text}」\n这项工作的任务来源是："


def declare_bad_text(limit: int) -> str:
    """An empty or too long item."""
    return f"请发送文字内容，不超过{limit}字。"


def declare_full(limit: int) -> str:
    """No room for another item."""
    return f"最多申报{limit}项。可以修改或删除已有的项。"


def declare_saved(*, n: int, source: str, rating: str, text: str) -> str:
    """An item was stored."""
    return f"✅ 已保存第{n}项（{source}，自评{rating}）：{text}"


def declare_deleted(n: int) -> str:
    """An item was removed."""
    return f"🗑 已删除第{n}项。"


def declare_edit_button(n: int) -> str:
    """Button: edit item n."""
    return f"✏️ 改第{n}项"


def declare_delete_button(n: int) -> str:
    """Button: delete item n."""
    return f"🗑 删第{n}项"


def declare_submitted(*, quarter: str, count: int, close: str) -> str:
    """The declaration was submitted."""
    return f"📨 {quarter}实绩申报已提交，共{count}项。{close}截止前发送 /declare 仍可修改。"


def declare_open_notice(*, quarter: str, close: str, limit: int) -> str:
    """declare_open: the window is open."""
    return (
        f"📝 {quarter}实绩申报已开放，{close}截止。\n"
        f"发送 /declare，按提示填写最多{limit}项实绩（内容、任务来源、自评），几分钟即可完成。"
    )


def declare_remind_notice(*, quarter: str, close: str, started: bool) -> str:
    """declare_remind: not submitted yet."""
    what = "已填写但还没有提交" if started else "还没有申报"
    return f"⏰ 你的{quarter}实绩{what}，{close}截止。发送 /declare 继续。"


def declare_close_notice(*, quarter: str) -> str:
    """declare_close: to those who did not declare."""
    return f"🔒 {quarter}实绩申报已截止，你本季度没有申报实绩。如有疑问请联系考核办。"


RATE_CLOSED = "评分已截止（或尚未开始），这次评分没有记录。"
RATE_GONE = "这项评分已不存在。"
RATE_NOT_YOURS = "这项评分不是发给你的。"
RATE_BAD_NUMBER = "请回复 0—100 之间的分数，例如 88。"
RATE_NOTHING = "你目前没有待评分的项目。"
RATE_ANONYMOUS = "（匿名：被评人看不到谁打了多少分）"


def rate_request(*, name: str, kind: str, quarter: str, anonymous: bool, own: bool = False) -> str:
    """A rating request for one ratee (`own`: the rater's 自评)."""
    note = f"\n{RATE_ANONYMOUS}" if anonymous else ""
    ask = "请为自己本季度表现打分" if own else f"请为 {name} 评分"
    return f"⭐ {quarter}{kind}：{ask}。\n点下面的等次，或回复本条消息一个 0—100 的分数。{note}"


def rate_done(*, name: str, kind: str, score: str, anonymous: bool, own: bool = False) -> str:
    """A rating was stored (the request message is edited to say so)."""
    note = f"\n{RATE_ANONYMOUS}" if anonymous else ""
    whom = "" if own else f"{name} "
    return f"✅ {kind}：{whom}{score}分。截止前可重新选择。{note}"


RATE_OWN_BUTTON = "本人自评"
RATE_PAGE_PREVIOUS = "◀ 上一页"
RATE_PAGE_NEXT = "下一页 ▶"
RATE_PICK = "点下面的姓名逐项评分（✅ 为已评，可重新评）。"


def rate_button(label: str, *, done: bool) -> str:
    """A person's button in the list: ✅ once rated."""
    return f"✅ {label}" if done else label


def rate_whom(rows: Sequence[tuple[str, str]]) -> list[str]:
    """Whom the rater is to rate, one line per kind: (kind label, name or "" for 自评)."""
    by_kind: dict[str, list[str]] = {}
    for kind, name in rows:
        by_kind.setdefault(kind, []).append(name or "本人")
    return [f"· {kind}：{NAME_SEPARATOR.join(names)}" for kind, names in by_kind.items()]


def rate_page(page: int, pages: int) -> str:
    """The page indicator of a long list of people to rate."""
    return f"{page}/{pages}"


def ratings_open_notice(*, quarter: str, count: int, close: str) -> str:
    """ratings_open: the head of the one message listing whom to rate."""
    return f"⭐ {quarter}多主体评价开始，{close}截止。你有{count}项评分："


def ratings_remind_notice(*, quarter: str, count: int, close: str) -> str:
    """ratings_remind: outstanding ratings."""
    return f"⏰ {quarter}评分你还有{count}项未完成，{close}截止。"


def ratings_close_notice(*, quarter: str, missing: int) -> str:
    """ratings_close: to raters."""
    if missing:
        return f"🔒 {quarter}评分已截止，你有{missing}项未评，已不能再评。"
    return f"🔒 {quarter}评分已截止，感谢你完成全部评分。"


def ratings_pending(*, quarter: str, count: int, close: str) -> str:
    """/ratings header."""
    return f"⭐ {quarter}评分：还有{count}项待评，{close}截止："


def ratings_list(head: str, whom: Sequence[str], *, buttons: bool) -> str:
    """The one message listing whom to rate: a head line, the people, how to rate."""
    tail = [RATE_PICK] if buttons else ["发送 /ratings 逐项评分。"]
    return "\n".join([head, *whom, *tail])


def score_number(value: float) -> str:
    """A score without a needless .0."""
    return f"{value:g}"


# ---- results, talks, export, corrections (issue 8) -------------------------------------------

RESULTS_NO_UNIT_GROUP = "（没有绑定全单位群，结果只私聊发给个人。）"


def results_grades_caption(*, quarter: str, counts: Iterable[tuple[str, int]]) -> str:
    """Caption of the published grade distribution."""
    shown = "，".join(f"{label} {n} 人" for label, n in counts)
    return f"📊 {quarter} 平时考核结果公布：各部门等次分布\n{shown}"


def results_honours(
    *, quarter: str, stars: Iterable[tuple[str, str, str, str]], flags: Iterable[tuple[str, str]]
) -> str:
    """绩效之星 per ranking group and 流动红旗: (group, name, department, score), (name, score)."""
    lines = [f"🌟 {quarter} 绩效之星"]
    star_lines = [f"· {group}：{name}（{dept}）{score}分" for group, name, dept, score in stars]
    lines += star_lines or ["· 本季度无人获评"]
    flag_lines = [f"{name}（{score}分）" for name, score in flags]
    lines.append(f"🚩 流动红旗：{NAME_SEPARATOR.join(flag_lines) or '暂无'}")
    return "\n".join(lines)


def showcase_header(quarter: str, part: int, parts: int) -> str:
    """First line of a 实绩公示 message."""
    more = f"（{part}/{parts}）" if parts > 1 else ""
    return f"🏅 {quarter} 实绩公示{more}\n等次为“好”的同志申报的工作实绩："


def showcase_person(name: str, department: str, items: Iterable[tuple[str, str]]) -> str:
    """One person's block of the 实绩公示: (text, source label) per item."""
    lines = [f"【{name} · {department}】"]
    numbered = [f"{i}. {text}（{source}）" for i, (text, source) in enumerate(items, start=1)]
    return "\n".join(lines + numbered)


def showcase_silent(names: Iterable[str]) -> str:
    """The last line of the 实绩公示: people graded 好 who declared nothing."""
    return f"未申报实绩：{NAME_SEPARATOR.join(names)}"


SHOWCASE_NOBODY = "本季度没有等次为“好”的人员。"


def result_private(*, quarter: str, lines: Iterable[str], needs_talk: bool) -> str:
    """Each person's own published result, with the breakdown."""
    text = f"📋 你的{quarter}平时考核结果：\n" + "\n".join(lines)
    if needs_talk:
        text += "\n按规定，负责人将与你进行一次反馈谈话。"
    return text


def result_detail(*, quarter: str, lines: Iterable[str]) -> str:
    """「查看明细」 under the private result: the full explanation."""
    return f"📋 {quarter}平时考核明细：\n" + "\n".join(lines)


TALK_NOT_LEADER = "只有部门负责人、分管领导和主要领导可以记录反馈谈话。"
TALK_NO_RESULTS = "还没有公布的季度结果。结果公布后再记录反馈谈话。"
TALK_PRIVATE = "反馈谈话请在与我的私聊中记录。"
TALK_NOBODY = "没有你可以谈话的人员。"
TALK_EMPTY = "请用文字回答（发送 /cancel 取消）。"
TALK_CANCELLED = "已取消，谈话未记录。"
TALK_GONE = "这个选择已失效，请重新发送 /talk。"
TALK_ASK_SHORTCOMINGS = "第2/3步：存在的主要不足？"
TALK_ASK_PLAN = "第3/3步：改进计划？"
TALK_TOO_LONG = "内容过长，请控制在 1000 字以内。"


def talk_pick(quarter: str, mandatory: int) -> str:
    """The question above the people buttons."""
    must = f"\n❗ 为必谈（等次一般或较差），还有 {mandatory} 人未谈" if mandatory else ""
    return f"📝 {quarter} 反馈谈话：请选择谈话对象。{must}\n✅ 为已谈"


def talk_not_yours(name: str) -> str:
    """The leader has no authority over that person."""
    return f"你不能记录与 {name} 的谈话：只能与你负责的人员谈话。"


def talk_not_scored(name: str, quarter: str) -> str:
    """The person has no published result."""
    return f"{name} 不在 {quarter} 的考核结果中。"


def talk_already(name: str, leader: str, day: str) -> str:
    """The talk is on record already."""
    return f"与 {name} 的反馈谈话已由 {leader} 于 {day} 记录，不能重复记录。"


def talk_ask_strengths(*, name: str, quarter: str, grade: str, mandatory: bool) -> str:
    """First step of the talk."""
    must = "，必谈" if mandatory else ""
    return (
        f"📝 与 {name} 的反馈谈话（{quarter}，等次：{grade}{must}）\n"
        "第1/3步：主要优点？\n（随时发送 /cancel 取消）"
    )


def talk_saved(name: str) -> str:
    """The talk is stored."""
    return f"✅ 已记录与 {name} 的反馈谈话，并已告知本人。"


def talk_notice(*, leader: str, quarter: str, strengths: str, shortcomings: str, plan: str) -> str:
    """What the person is told: the whole record of their talk."""
    return (
        f"📝 {leader} 记录了与你的{quarter}反馈谈话：\n"
        f"优点：{strengths}\n不足：{shortcomings}\n改进计划：{plan}\n"
        "如有不同意见，可以联系考核办。"
    )


def talk_remind(*, quarter: str, due: str, names: Iterable[str], overdue: bool) -> str:
    """A leader's reminder of mandatory talks not yet recorded."""
    when = f"已过截止日（{due}）" if overdue else f"截止 {due}"
    return (
        f"⏰ {quarter} 反馈谈话提醒：以下人员等次为一般或较差，必须谈话，{when}：\n"
        f"{NAME_SEPARATOR.join(names)}\n发送 /talk 记录。"
    )


TALKS_DENIED = "只有考核办可以查看反馈谈话进度。"


def talks_overview(
    *, quarter: str, due: str, rows: Iterable[tuple[str, list[str], list[str], int]]
) -> str:
    """/talks: per department (name, outstanding mandatory, done mandatory, optional done)."""
    lines = [f"📝 {quarter} 反馈谈话进度（必谈截止 {due}）"]
    for name, outstanding, done, optional in rows:
        head = f"【{name}】必谈 {len(done)}/{len(done) + len(outstanding)}"
        lines.append(head + (f"，另谈 {optional} 人" if optional else ""))
        if outstanding:
            lines.append(f"  未谈：{NAME_SEPARATOR.join(outstanding)}")
        if done:
            lines.append(f"  已谈：{NAME_SEPARATOR.join(done)}")
    return "\n".join(lines)


EXPORT_DENIED = "只有考核办可以导出考核结果。"
EXPORT_PRIVATE = "导出请在与我的私聊中进行。"
EXPORT_USAGE = "用法：/export 2026Q4（不写季度则导出本季度）"
EXPORT_NO_UNIT = "还没有名单，无法导出。"


def export_caption(quarter: str, published: bool) -> str:
    """Caption of the exported workbook."""
    source = "已公布的结果" if published else "实时计算，暂定"
    return f"📎 {quarter} 平时考核结果（{source}）"


def export_title(
    *, unit: str, quarter: str, sheet: str, published: str | None, until: str, provisional: bool
) -> str:
    """The title row of each sheet: where the figures come from."""
    if published:
        source = f"已公布结果（{published} 公布）"
    else:
        source = f"实时计算，截至 {until}" + ("，暂定" if provisional else "，尚未公布")
    return f"{unit} {quarter} 平时考核 · {sheet} —— {source}"


EXPORT_SHEETS = {
    "people": "个人结果",
    "departments": "部门结果",
    "records": "明细",
    "filing": "填报情况",
    "audit": "审计日志",
}
EXPORT_FILING_STATUS = {
    "on_time": "按时",
    "late": "迟报",
    "backfill": "补报",
    "missed": "缺报",
    "leave": "请假",
    "rest": "非工作日",
    "before": "未开始",
    "future": "",
}

CORRECTION_DENIED = "只有考核办可以加分、扣分或记负面清单。"
CORRECTION_PRIVATE = "加分、扣分和负面清单请在与我的私聊中操作。"
BONUS_USAGE = (
    "用法：/bonus 姓名 [日期] 分值 原因\n例：/bonus 杨帆 2 获市级表彰\n"
    "扣分写负数：/bonus 杨帆 -1 原因；补记上季度：/bonus 杨帆 6-30 2 原因"
)
VETO_USAGE = "用法：/veto 姓名 [日期] 类别 原因\n例：/veto 杨帆 违纪违法 受到党纪处分"
CORRECTION_CANCELLED = "已取消，未记录。"
CORRECTION_GONE = "这个确认已失效，请重新发送命令。"
BUTTON_CONFIRM = "✅ 确认"
BUTTON_CANCEL = "✖️ 取消"


def bonus_points_bad(text: str, low: str) -> str:
    """The points are not a usable number."""
    return f"分值「{text}」有误：请写不为 0 的数字，如 2 或 -1.5（扣分最多 {low} 分）。"


def bonus_over_cap(*, name: str, cap: str, used: str, left: str) -> str:
    """A bonus beyond the quarter's cap."""
    return f"本季度加分上限 {cap} 分，{name} 已加 {used} 分，最多还能加 {left} 分。"


def veto_kind_unknown(kind: str, kinds: Iterable[str]) -> str:
    """The 类别 is not in the policy's 负面清单."""
    listed = "\n".join(f"· {k}" for k in kinds)
    return f"类别「{kind}」不在负面清单中。可选：\n{listed}"


def bonus_confirm(*, name: str, department: str, points: str, reason: str, day: str) -> str:
    """Asked before a bonus or deduction is stored."""
    what = "加分" if not points.startswith("-") else "扣分"
    return f"请确认：{name}（{department}）{what} {points}：{reason}\n计入日期：{day}"


def veto_confirm(
    *, name: str, department: str, kind: str, reason: str, effect: str, day: str
) -> str:
    """Asked before a 负面清单 event is stored."""
    what = f"请确认：{name}（{department}）记入负面清单「{kind}」：{reason}"
    return f"{what}\n{effect}\n计入日期：{day}"


def correction_day_bad(word: str) -> str:
    """A correction date that cannot be used."""
    return f"日期「{word}」有误：只能是今天或更早、本季度或上季度的日期，如 6-30。"


def correction_published(quarter: str) -> str:
    """A correction for a quarter whose results are out."""
    return f"{quarter}结果已公布，不能再补记。如需更正，请按程序重新审定。"


def veto_effect(grade: str | None) -> str:
    """What a 负面清单 kind does to the grade."""
    if grade is None:
        return "一票否决：本季度等次为较差。"
    return f"本季度等次最高为{grade}。"


def correction_done(*, record_id: int, text: str) -> str:
    """The correction is stored."""
    return f"✅ 已记录 #{record_id}：{text}\n如需撤销：/void {record_id} 理由"


def bonus_line(name: str, points: str, reason: str) -> str:
    """'杨帆 加分 +2：理由'."""
    what = "扣分" if points.startswith("-") else "加分"
    return f"{name} {what} {points}：{reason}"


def veto_line(name: str, kind: str, reason: str) -> str:
    """'杨帆 负面清单「违纪违法」：理由'."""
    return f"{name} 负面清单「{kind}」：{reason}"


def bonus_notice(*, by: str, points: str, reason: str) -> str:
    """The person is told of a bonus or deduction."""
    what = "扣分" if points.startswith("-") else "加分"
    return f"{'➖' if what == '扣分' else '➕'} {by}（考核办）给你{what} {points}：{reason}"


def veto_notice(*, kind: str, reason: str, effect: str, record_id: int, days: int) -> str:
    """The person is told of a 负面清单 event (by the unit: the clerk is not named)."""
    hint = objection_hint(record_id, days)
    return f"⛔ 你被记入负面清单「{kind}」：{reason}\n{effect}\n{hint}"


def objection_hint(record_id: int, days: int) -> str:
    """How to object (申辩) to a 错情 or veto."""
    return f"如有异议，可在{days}个工作日内回复「申辩 理由」，或发送 /object {record_id} 理由。"


def policy_summary(
    *,
    title: str,
    components: Iterable[tuple[str, str]],
    raters: Iterable[tuple[str, str]],
    grades: Iterable[str],
    adjustments: Iterable[str],
    vetoes: Iterable[str],
) -> str:
    """/policy: the active scheme in short."""
    lines = [f"📐 考核方案：{title}", "得分 = Σ 权重 × 分项 + 加减分"]
    lines.append("分项：" + "，".join(f"{label} {w}" for label, w in components))
    rater_text = "，".join(f"{label} {w}" for label, w in raters)
    if rater_text:
        lines.append("评价：" + rater_text)
    lines.append("等次：" + "；".join(grades))
    lines.append("加减分：" + "；".join(adjustments))
    lines.append("负面清单：" + "；".join(vetoes))
    return "\n".join(lines)


def policy_grades_forced(
    *, by_category: bool, good: float, fairly_good: float, average: float, poor: float
) -> list[str]:
    """/policy's grade rules under a forced distribution (shares per grade)."""
    group = "按类别" if by_category else "全单位"
    return [
        f"{group}强制分布：好 {good:.0%}、较好 {fairly_good:.0%}、"
        f"一般 {average:.0%}、较差 {poor:.0%}"
    ]


def policy_grades_quota(
    *, by_category: bool, good_ratio: float, good_min: float, fair_below: float, poor_below: float
) -> list[str]:
    """/policy's grade rules under a quota for 好 and score thresholds."""
    group = "按类别" if by_category else "全单位"
    return [
        f"{group}排名，好 不超过 {good_ratio:.0%} 且 ≥{good_min:g} 分",
        f"一般 <{fair_below:g} 分",
        f"较差 <{poor_below:g} 分或负面清单",
    ]


def policy_shortlist(ratio: float) -> str:
    """/policy: 好 comes only from the top share of the ranking."""
    return f"好 只从前 {ratio:.0%} 中产生"


def policy_adjustments(
    *,
    like: float,
    like_cap: float,
    error: float,
    serious_error: float,
    notice: float,
    bonus_cap: float,
    missed_day: float,
) -> list[str]:
    """/policy's points for likes, errors, notices, bonuses and (if any) missed days."""
    lines = [
        f"点赞 {like:+g}（每季最多 {like_cap:g} 分）",
        f"错情 {error:+g}，严重 {serious_error:+g}",
        f"通报 {notice:+g}",
        f"加分每季最多 {bonus_cap:g} 分",
    ]
    if missed_day:
        lines.append(f"缺报每天 {missed_day:+g}")
    return lines


def policy_vetoes(kinds: Iterable[str], caps: Iterable[tuple[str, str]]) -> list[str]:
    """/policy's 负面清单: 一票否决 kinds, then capping kinds as (kind, best grade)."""
    vetoes = [f"{k}（等次较差）" for k in kinds]
    vetoes += [f"{k}（最高{grade}）" for k, grade in caps]
    return vetoes or ["无"]


TALK_CANCEL_WORDS = frozenset({"取消", "算了"})


def talk_choice(name: str, *, done: bool, mandatory: bool) -> str:
    """A person's button in /talk: ✅ talked, ❗ mandatory and not yet talked."""
    mark = "✅ " if done else ("❗ " if mandatory else "")
    return f"{mark}{name}"


def talk_taken(name: str) -> str:
    """The talk was recorded by someone else while this one was being typed."""
    return talk_already(name, "他人", "此前")


# ---- indicators and tasks (issue 9) ----------------------------------------------------------

TASK_USAGE = (
    "交办任务：/task @用户名或姓名 内容 截止 12-05\n"
    "也可以回复某人的消息：/task 内容 截止 12-05\n"
    "关联指标：在截止前加「指标 编号」。"
)


def task_denied(name: str) -> str:
    """The leader may not assign tasks to `name`."""
    return f"你不是 {name} 的部门负责人、分管领导或主要领导，不能向其交办任务。"


TASK_DUE_PAST = "截止日期已经过去了，请重新设定。"
TASK_NOT_IN_ROSTER = "你还没有绑定账号，不能交办任务。"
TASK_TARGET_UNKNOWN = "未能确定交办对象：请回复此人的消息，或写 @用户名、姓名。"
TASK_UNKNOWN = "找不到这项任务。请回复任务消息，或写任务编号，如 /progress 12 进展。"
TASK_NOT_ASSIGNEE = "只有任务承办人可以汇报进度或标记完成。"
TASK_NOT_ASSIGNER = "只有交办这项任务的领导可以验收或退回。"
TASK_ALREADY_ACCEPTED = "这项任务已经验收，不能再修改。"
TASK_NOT_DONE = "这项任务还没有标记完成，暂不能验收。"
TASK_PROGRESS_USAGE = "汇报进度：回复任务消息写进展，或 /progress 任务编号 进展。"
TASK_ACCEPT_USAGE = "验收：/accept 任务编号 优|良|中|差；退回：/return 任务编号 理由。"
TASK_NONE = "你目前没有待办或待验收的任务。"
INDICATORS_NONE = "还没有导入你的指标。指标表由考核办导入（kaohe import-indicators）。"


def task_due_label(due: str, workday: str | None) -> str:
    """The due date, and the working day it moves to when it is not one."""
    return f"{due}（非工作日，顺延至{workday}）" if workday else due


def task_assigned(number: int, name: str, text: str, due: str, indicator: str | None) -> str:
    """The confirmation in the chat where the task was assigned."""
    link = f"\n关联指标：{indicator}" if indicator else ""
    return f"📌 已交办 {name}：{text}\n截止：{due}（任务 #{number}）{link}"


def task_notice(number: int, leader: str, text: str, due: str, indicator: str | None) -> str:
    """The private message to the assignee."""
    link = f"\n关联指标：{indicator}" if indicator else ""
    return (
        f"📌 {leader} 交办任务 #{number}：{text}\n截止：{due}{link}\n"
        f"回复本消息即可汇报进度；完成后发送 /done {number}"
    )


def task_progress_saved(number: int) -> str:
    """The assignee's progress report was stored."""
    return f"✅ 已记录任务 #{number} 的进展，已转告交办领导。"


def task_progress_to_leader(number: int, name: str, text: str) -> str:
    """A progress report, forwarded to the assigning leader."""
    return f"📈 {name} 汇报任务 #{number} 进展：{text}"


def task_done_saved(number: int, on_time: bool) -> str:
    """The assignee marked the task done."""
    when = "按时" if on_time else "逾期"
    return f"✅ 任务 #{number} 已标记完成（{when}），等待交办领导验收。"


def task_done_to_leader(number: int, name: str, text: str, note: str, on_time: bool) -> str:
    """The leader is asked to accept a done task."""
    when = "按时完成" if on_time else "逾期完成"
    extra = f"\n说明：{note}" if note else ""
    return f"🔔 {name} 已完成任务 #{number}（{when}）：{text}{extra}\n请评定质量验收，或退回。"


def task_accepted(number: int, name: str, quality: str) -> str:
    """The leader's confirmation of an acceptance."""
    return f"👌 已验收 {name} 的任务 #{number}，质量：{quality}"


def task_accepted_to_assignee(number: int, leader: str, quality: str) -> str:
    """The assignee is told the task was accepted."""
    return f"🎉 {leader} 已验收你的任务 #{number}，质量评定：{quality}"


def task_returned(number: int, name: str) -> str:
    """The leader's confirmation of sending a task back."""
    return f"↩️ 已退回 {name} 的任务 #{number}。"


def task_returned_to_assignee(number: int, leader: str, reason: str) -> str:
    """The assignee is told the task was sent back."""
    why = f"：{reason}" if reason else ""
    return f"↩️ {leader} 退回了任务 #{number}{why}\n请继续办理，完成后再发送 /done {number}"


def task_line(number: int, text: str, due: str, status: str, extra: str = "") -> str:
    """One task in a list."""
    return f"#{number} {text}（截止 {due}，{status}{extra}）"


def task_due_reminder(lines: list[str]) -> str:
    """task_due: the assignee's tasks due soon."""
    return "⏰ 以下任务即将到期：\n" + "\n".join(lines) + "\n完成后发送 /done 任务编号"


def task_overdue_assignee(lines: list[str]) -> str:
    """task_overdue: the assignee's overdue tasks."""
    return "⚠️ 以下任务已逾期，请尽快办理：\n" + "\n".join(lines)


def task_overdue_leader(lines: list[str]) -> str:
    """task_overdue: overdue tasks a leader assigned."""
    return "⚠️ 你交办的以下任务已逾期：\n" + "\n".join(lines)


def digest_overdue(lines: list[str]) -> str:
    """The overdue tasks of a department, appended to its weekly digest."""
    return "逾期任务：" + "；".join(lines) if lines else ""


def stats_tasks(total: int, accepted: int, awaiting: int, overdue: int, rate: str) -> str:
    """Task figures of a department in /stats."""
    return (
        f"  本季度任务 {total} 项：已验收 {accepted} 项（{rate}），"
        f"待验收 {awaiting} 项，逾期 {overdue} 项"
    )


def indicator_line(title: str, weight: str, target: str, actual: str, version: int) -> str:
    """One indicator of a table."""
    revised = f"，第{version}版" if version > 1 else ""
    return f"· {title}：目标 {target}，完成 {actual}，权重 {weight}{revised}"


BUTTON_TASK_RETURN = "退回"
TASKS_MINE = "📌 我承办的任务："
TASKS_GIVEN = "📋 我交办的任务："
TASK_STATUS_OVERDUE = "已逾期"
STATS_TASKS_HEADER = "📌 任务（动态指标 / 督办）"


def task_line_assignee(name: str) -> str:
    """The assignee's name after a task's status in /tasks (tasks I assigned)."""
    return f"，{name}"


def task_job_line(number: int, text: str, due: str, assignee: str | None = None) -> str:
    """One task in a due or overdue reminder; a leader's also names the assignee."""
    who = f"，承办人{assignee}" if assignee is not None else ""
    return f"#{number} {text}（截止 {due}{who}）"


def digest_overdue_line(name: str, text: str, due: str) -> str:
    """One overdue task in a department's weekly digest."""
    return f"{name}「{text}」（截止 {due}）"


INDICATOR_NOT_REPORTED = "未报"
INDICATORS_OWN_NONE = "（本人暂无指标）"
INDICATOR_OF_DEPARTMENT = "部门"


def indicator_actual(actual: str, done: str) -> str:
    """An indicator's reported value and its completion percentage."""
    return f"{actual}（{done}%）"


def indicators_header(name: str, year: int) -> str:
    """First line of /indicators."""
    return f"📋 {name} {year}年指标（一人一表）"


def indicators_department(name: str) -> str:
    """The heading of a department's indicators in /indicators."""
    return f"🏢 {name}"


# ---- production runtime (issue 10) -----------------------------------------------------------

# faults (issue 10, part 1): never a false "saved"
DB_UNAVAILABLE = "⚠️ 系统暂时连不上数据库，刚才这条没有保存。请稍后再发一次。"
SOMETHING_FAILED = "抱歉，处理时出了问题，请稍后再试。"

# echo batching at peak (issue 10, part 2)
REVIEW_ALL_BUTTON = "👀 全部已阅"


def echo_batch_header(count: int) -> str:
    """First line of a batched echo: several reports in one group message."""
    return f"📋 日报汇总（{count}条），请逐条审阅："


def echo_batch_entry(*, n: int, echo: str) -> str:
    """One report in a batched echo, numbered like its button."""
    return f"{n}. {echo}"


def echo_batch_button(*, n: int, name: str, reviewers: list[str]) -> str:
    """The per-report button under a batched echo."""
    return f"✅ {n}.{name}" if reviewers else f"👀 {n}.{name}"


def reviewed_many(count: int) -> str:
    """Answer to 「全部已阅」."""
    return f"已标记 {count} 份为已阅 ✅"


STALE_BUTTON = "这个按钮已失效。"


# guard rails (issue 24): a manual job run cannot speak for the future; first-day figures
def job_future(*, day: str, today: str, name: str) -> str:
    """`kaohe jobs run … --date D` with D after today: refused, nothing sent or stored."""
    when = f"（今天是 {today}）" if today else ""
    return (
        f"{day} 还没到{when}，不能提前运行 {name}：没有发送、也没有记录任何东西。"
        "想先看看会发什么，请加 --dry-run。"
    )


def job_future_dry_run(*, day: str, today: str) -> str:
    """The warning on top of a dry run for a day after today."""
    return f"注意：{day} 还没到（今天是 {today}），真的运行会被拒绝。"


def job_next_due(day: str) -> str:
    """Appended to 「…不是…的运行日」: the job's next day on or after the one asked."""
    return f"下一个运行日：{day}。"


def job_republish(reason: str, *, audited: bool) -> str:
    """First line of a `--republish` run."""
    return f"重新发布，之前发过的也再发一次（理由：{reason}" + (
        "；已记入审计日志）" if audited else "）"
    )


JOB_REASON_NEEDED = "--republish 要写明理由，例如：--republish --reason 全单位群重建，重新发布"
JOB_REASON_ALONE = "--reason 只和 --republish 一起用。"


def first_day_me(*, deadline: str, likes: int, errors: int) -> str:
    """/me before the first deadline: nothing is counted yet, but today's likes are in."""
    parts = [f"今天的日报截止 {deadline}，得分从今晚开始计算"]
    if likes:
        parts.append(f"今日已获点赞 {likes} 次")
    if errors:
        parts.append(f"今日错情 {errors} 次")
    return "；".join(parts) + "。"


def me_starts_on(day: str) -> str:
    """/me before the unit starts assessing with kaohe."""
    return f"考核从{day}开始，得分从那天的日报截止后开始计算。"


def score_nothing_counted(*, start: str, deadline: str) -> str:
    """`kaohe score`'s period when no deadline has passed since the period began."""
    return f"尚未开始计算（{start} 的日报 {deadline} 截止后开始）"


def score_no_data(*, current: str, latest: str) -> str:
    """`kaohe score` without --quarter when nobody filed a report this quarter yet."""
    return f"{current}还没有人报送日报，以下是最近有日报的{latest}（可用 --quarter 指定季度）。"


SCORE_EXPLAIN_EMPTY = "--explain 后面请写姓名或工号，如 --explain 杨帆。"


def score_explain_missing(ref: str) -> str:
    """`kaohe score --explain` for nobody in the results."""
    return f"没有找到「{ref}」（按姓名或工号查找，只算在职人员）。"


def score_explain_namesakes(count: int, listed: str) -> str:
    """`kaohe score --explain` for a name several people share."""
    return f"有 {count} 人同名：{listed}，逐一列出如下。"


# ---- calendar: holiday notices, /calendar (issue 17) ----------------------------------

CALENDAR_SOURCES = {
    "notice": "已导入的国务院通知",
    "package": "内置的官方节假日数据",
    "statutory": "法定节假日推算（调休上班日未知）",
    "policy": "考核方案",
}
CALENDAR_IMPORT_DENIED = "只有考核办可以导入放假通知。"
CALENDAR_IMPORT_PRIVATE = "请在私聊里导入放假通知。"
CALENDAR_IMPORT_USAGE = (
    "用法：/calendar import 后面（换行）粘贴国务院办公厅的放假通知全文，"
    "例如「国务院办公厅关于2027年部分节假日安排的通知 … 一、元旦：1月1日放假……」"
)
CALENDAR_IMPORT_GONE = "这个确认已失效，请重新发送 /calendar import。"
CALENDAR_IMPORT_CANCELLED = "已取消，放假安排没有改变。"


WEEKDAY_NAMES = "一二三四五六日"


def _weekday(day: date) -> str:
    return WEEKDAY_NAMES[day.weekday()]


def cn_day(day: date) -> str:
    """「1月26日（周日）」."""
    return f"{day.month}月{day.day}日（周{_weekday(day)}）"


def calendar_days(days: Sequence[date]) -> str:
    """Days as runs: 「2月5日（周五）至2月11日（周四）」, 「、」 between runs."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return "、".join(
        cn_day(run[0]) if len(run) == 1 else f"{cn_day(run[0])}至{cn_day(run[-1])}" for run in runs
    )


def notice_understood(
    year: int, items: Sequence[tuple[str, Sequence[date], Sequence[date]]]
) -> str:
    """What the parser read from a notice, item by item."""
    lines = [f"📅 {year} 年放假安排（读到 {len(items)} 项）："]
    for name, days_off, workdays in items:
        line = f"• {name}：{calendar_days(days_off)}放假，共{len(days_off)}天"
        if workdays:
            line += f"；{'、'.join(cn_day(d) for d in workdays)}上班"
        lines.append(line)
    return "\n".join(lines)


def notice_replaces(year: int, by: str, at: str) -> str:
    """Said before confirming when the year already has a notice."""
    return f"将替换 {at} 由 {by} 导入的 {year} 年通知。"


def notice_refused(reason: str) -> str:
    """A notice the parser could not fully read: nothing stored."""
    return f"❌ 没有导入：{reason}\n请粘贴通知原文（每项一行，如「一、元旦：1月1日放假1天。」）。"


def notice_ask(text: str) -> str:
    """Before the confirm buttons."""
    return f"{text}\n\n确认按此导入吗？导入后立即生效。"


def notice_saved(year: int) -> str:
    """After the import."""
    return f"✅ 已导入 {year} 年放假安排，立即生效。"


def calendar_month_lines(
    title: str, days_off: Sequence[date], workdays: Sequence[date], source: str
) -> list[str]:
    """One month of /calendar."""
    lines = [f"【{title}】"]
    lines.append(f"放假：{calendar_days(days_off)}" if days_off else "放假：无（只有周末）")
    if workdays:
        lines.append(f"调休上班：{'、'.join(cn_day(d) for d in workdays)}")
    lines.append(f"依据：{source}")
    return lines


def calendar_overview(blocks: Sequence[Sequence[str]], unknown_year: int | None) -> str:
    """/calendar: this month and next."""
    text = "\n\n".join("\n".join(block) for block in blocks)
    if unknown_year is not None:
        text += f"\n\n⚠️ {unknown_year} 年的调休上班日还不知道，考核办导入国务院放假通知后会更新。"
    return text


def calendar_next_year_missing(year: int) -> str:
    """Weekly from 1 December while next year has no notice (to admins)."""
    return (
        f"📅 还没有导入 {year} 年的放假安排：现在按法定节假日和周末计算，调休上班日未知。\n"
        f"国务院办公厅的通知发布后，请导入：\n"
        f"kaohe calendar import 通知.txt\n"
        f"或在这里发送 /calendar import 并粘贴通知全文。"
    )


# ---- crashes and take-over (issue 16) --------------------------------------------------

JOBS_TAKE_OVER_HINT = "如确认另一处运行的 kaohe 已停止，可加 --take-over 立即接手。"

# ---- text nobody can see (issue 16) ----------------------------------------------------

REPORT_INVISIBLE = "内容只有看不见的字符，没有记录。请写上文字，例如：完成了年度总结初稿"
TEXT_UNSAVABLE = "消息里有无法保存的控制字符（NUL），没有记录。请删掉后再发。"


# ---- printable exports: 汇总表, 登记表, 日报档案, year, CLI (issue 20) ------------------------

SUMMARY_TITLE = "平时考核结果汇总表"
REGISTER_TITLE = "平时考核登记表"
ARCHIVE_TITLE = "日报档案"
YEAR_TITLE = "年度汇总"
EXPORT_FORM_SHEETS = {
    "summary": "汇总表",
    "register": "登记表",
    "archive": "日报档案",
    "year": "年度汇总",
}
SUMMARY_HEADERS = ("序号", "姓名", "工号", "部门", "职务", "类别", "得分", "排名", "等次", "备注")
SUMMARY_STATS_HEADERS = (
    "排名组",
    "人数",
    "好",
    "好占比",
    "好上限",
    "较好",
    "一般",
    "较差",
    "核对",
)
SUMMARY_OPINION = "考核委员会（领导小组）意见："
SUMMARY_SIGNATURES = (
    "制表人：",
    "审核人：",
    "主要负责人（签字）：",
    "日期：      年    月    日",
)
SUMMARY_SEAL = "（单位盖章）"
REGISTER_SIGNATURES = (
    "本人签字：",
    "日期：      年    月    日",
    "部门负责人签字：",
    "日期：      年    月    日",
)
RED_FLAG_TEXT = "流动红旗"
STAR_TEXT = "绩效之星"
NOT_ASSESSED = "未考核"
EXPORT_REPORT_STATUS = {
    "on_time": "按时",
    "late": "迟报",
    "backfill": "补报",
    "voluntary": "非工作日填报",
}
EXPORT_REPORT_KIND = {"daily": "日报", "weekly": "周报"}
FILING_CODES = {
    "on_time": "√",
    "late": "迟",
    "backfill": "补",
    "missed": "缺",
    "leave": "假",
    "rest": "休",
    "before": "—",
    "future": "",
}
FILING_LEGEND = "图例：√ 按时　迟 迟报　补 补报　缺 缺报　假 请假　休 非工作日　— 未开始"


def long_date(day: date) -> str:
    """2026年6月1日."""
    return f"{day.year}年{day.month}月{day.day}日"


def period_text(start: date, end: date) -> str:
    """考核期间: 2026年6月1日至6月30日 (the year once, when both fall in it)."""
    if start.year == end.year:
        return f"{long_date(start)}至{end.month}月{end.day}日"
    return f"{long_date(start)}至{long_date(end)}"


def summary_state(*, published: date | None, provisional: bool, until: date) -> str:
    """Where the figures come from, as the 汇总表 prints it."""
    if published is not None:
        return f"已公布结果（{long_date(published)}公布）"
    if provisional:
        return f"实时计算（截至{long_date(until)}），暂定，未公布"
    return "实时计算，尚未公布"


def summary_publicity(*, start: date, end: date, final: bool) -> str:
    """The 公示 line of the 汇总表: 公示期：2026年7月2日至7月8日（公示中）."""
    days = long_date(start) if start >= end else period_text(start, end)
    return f"公示期：{days}（{'已结束，结果已确定' if final else '公示中'}）"


# 备注 of a person's 复核 (汇总表, 登记表, 年度考核): {due} / {day} as 7月8日.
REMARK_APPEAL_OPEN = "已申请复核，待答复（{due}前）"
REMARK_APPEAL_UPHELD = "复核维持原等次（{day}）"
REMARK_APPEAL_CHANGED = "复核变更：原{old}→现{new}（{day}）"
REMARK_UNDETERMINED = "不定等次"


def quota_check(*, good: int, cap: int, ratio: float) -> str:
    """The 核对 cell of a ranking group: 好 within the cap or not."""
    verdict = "符合" if good <= cap else "超出上限"
    return f"好≤{ratio:.0%}（{cap}人），{verdict}"


AUDIT_ACTIONS = {
    "roster_import": "导入名单",
    "assessment_start": "设定考核起始日",
    "bind": "绑定账号",
    "unbind": "解除绑定",
    "group_bind": "绑定群组",
    "group_migrate": "群组迁移",
    "leave_add": "登记请假",
    "leave_cancel": "取消请假",
    "record_like": "点赞",
    "record_error": "错情",
    "record_undo": "撤回",
    "record_void": "作废记录",
    "record_bonus": "加分/扣分",
    "record_veto": "负面清单",
    "auto_notice": "自动通报",
    "unreachable": "消息无法送达",
    "results_publish": "公布季度结果",
    "indicators_import": "导入指标",
    "task_assign": "交办任务",
    "task_progress": "任务进展",
    "task_done": "任务完成",
    "task_returned": "任务退回",
    "task_accepted": "任务验收",
    "record_notice": "通报",
    "record_missed": "缺报扣分",
    "results_final": "季度结果确定（公示结束）",
    "job_republish": "重新发布",
    "calendar_import": "导入放假安排",
    "standing_mark": "登记年度考核情形",
    "standing_clear": "取消年度考核情形",
    "appeal_file": "申请复核",
    "appeal_decide": "复核决定",
    "appeal_petition": "登记申诉",
    "objection_file": "提出申辩",
    "objection_decide": "申辩决定",
    "objection_void": "申辩成立，撤销记录",
}
AUDIT_ACTORS = {
    "cli": "考核办（命令行）",
    "bot": "系统",
    "demo": "演示",
    "quarter_close": "系统（季度结果公布）",
    "results_final": "系统（公示结束）",
    "test": "测试",
}
AUDIT_KEYS = {
    "people": "人数",
    "added": "新增",
    "updated": "更新",
    "unchanged": "未变",
    "deactivated": "停用",
    "reactivated": "恢复",
    "departments_added": "新部门",
    "revised": "修订",
    "tg_user_id": "Telegram账号",
    "how": "方式",
    "record_id": "记录编号",
    "person_id": "人员",
    "kind": "类型",
    "points": "分值",
    "veto_kind": "负面清单类别",
    "reason": "原因",
    "day": "日期",
    "origin": "来源",
    "chat_id": "群",
    "title": "群名",
    "previous_department_id": "原部门",
    "from": "原群",
    "to": "新群",
    "start": "开始",
    "end": "结束",
    "leave_id": "请假编号",
    "task_id": "任务编号",
    "due": "截止",
    "quality": "质量",
    "error": "错误",
    "policy": "方案",
}
AUDIT_HOW = {"username": "用户名匹配", "code": "邀请码", "test": "测试", "admin": "考核办"}

EXPORT_OUTPUT_SUFFIX = "导出文件名须以 .xlsx 结尾：{path}"
EXPORT_OUTPUT_FOLDER = "「{path}」是一个文件夹，请写出文件名，例如 {example}"
EXPORT_OUTPUT_NO_FOLDER = "文件夹不存在：{folder}"
EXPORT_OUTPUT_EXISTS = "文件已存在：{path}（要覆盖请加 --force）"
EXPORT_PERIOD_BOTH = "--quarter 和 --year 只能选一个。"
EXPORT_YEAR_EMPTY = "{year}年没有考核数据（kaohe 从 {start} 开始考核）。"
EXPORT_REPORTS_DONE = "已导出日报档案 {period}（{count} 份）：{path}"
EXPORT_YEAR_DONE = "已导出 {year}年度汇总：{path}"


# ---- 年度考核 and the incentive pool (issue 19) -----------------------------------------------

POOL_ROUNDING = (
    "取整规则：金额以“分”为单位计算。先按部门得分×人数（或部门得分）在部门间分配，"
    "再在部门内按“等次系数×得分”分配；每一步先向下取整到分，剩余的分按余数从大到小"
    "逐分补足（余数相同先补得分高者）。各项金额相加恰好等于资金总额。"
)


def pool_line(
    *, base: str, coefficient: str, score: str, whole: str, amount: str, unit_pot: bool
) -> str:
    """How one person's amount was computed."""
    pot = "全单位资金" if unit_pot else "部门金额"
    return f"{pot}{base}元 × {coefficient}×{score} ÷ {whole} ≈ {amount}元（按分取整）"


POOL_DENIED = "只有考核办可以分配激励资金。"
POOL_PRIVATE = "请私聊机器人分配激励资金。"
POOL_USAGE = "用法：/pool 年份 金额 [季度]，如 /pool 2026 500000 或 /pool 2026 80000 2026Q4"


def pool_caption(*, label: str, pool: str, total: str, people: int) -> str:
    """The 分配表 sent by /pool."""
    return f"💰 {label} 激励资金分配表：资金总额 {pool} 元，{people}人合计 {total} 元。"


POOL_BAD_AMOUNT = "金额有误：请写元为单位的正数，最多两位小数，如 500000 或 12345.67。"
POOL_NOBODY = "没有可分配的人员（该期间没有考核结果）。"
ANNUAL_NO_QUARTER = "{year}年还没有结束的季度，暂无年度考核结果。"
ANNUAL_INCOMPLETE = "（{missing}尚未结束，年度结果暂定）"
ANNUAL_NOT_FOUND = "没有找到「{name}」的{year}年度考核结果。"


def annual_header(*, year: int, complete: bool, missing: str) -> str:
    """The head of the year's results."""
    state = "" if complete else ANNUAL_INCOMPLETE.format(missing=missing)
    return f"📘 {year}年度考核{state}"


def annual_private(*, year: int, lines: list[str]) -> str:
    """annual_close: a person's annual result, privately."""
    body = "\n".join(lines)
    return f"📘 你的{year}年度考核结果：\n{body}\n如对等次有异议，可向考核办申请复核。"


def annual_unit_post(*, year: int, counts: list[tuple[str, int]], ungraded: int) -> str:
    """annual_close: the distribution of annual grades, to the unit group."""
    shown = "，".join(f"{label} {n}人" for label, n in counts)
    aside = f"，不定等次/不参加 {ungraded}人" if ungraded else ""
    return f"📘 {year}年度考核结果：{shown}{aside}。各人结果已私聊发送。"


STANDING_USAGE = (
    "用法：/mark 姓名 试用期|立案|长期病事假 [年份] [备注]\n"
    "解除：/unmark 姓名 试用期|立案|长期病事假 [年份]\n"
    "查看：/mark 姓名"
)
STANDING_WORDS = {
    "试用期": "probation",
    "立案": "investigation",
    "立案审查": "investigation",
    "立案审查调查": "investigation",
    "长期病事假": "long_leave",
    "病事假": "long_leave",
}


def standing_marked(*, name: str, label: str, year: int) -> str:
    """An admin marked a fact."""
    return f"✅ 已标记：{name} {year}年 {label}。年度考核将按规定处理。"


def standing_cleared(*, name: str, label: str, year: int) -> str:
    """An admin cleared a fact."""
    return f"✅ 已解除：{name} {year}年 {label}。"


def standing_unchanged(*, name: str, label: str, year: int, marked: bool) -> str:
    """Nothing to do."""
    state = "已有此标记" if marked else "没有此标记"
    return f"{name} {year}年{state}：{label}。"


def standing_lines(rows: list[tuple[int, str, str, bool]]) -> list[str]:
    """A person's marked facts: (year, label, note, cleared)."""
    if not rows:
        return ["年度考核标记：无"]
    out = ["年度考核标记："]
    for year, label, note, cleared in rows:
        state = "（已解除）" if cleared else ""
        extra = f"：{note}" if note else ""
        out.append(f"· {year}年 {label}{state}{extra}")
    return out


# ---- 公示 (issue 19) --------------------------------------------------------------------------


def publicity_private(*, until: str) -> str:
    """The line under a person's result while it is in 公示."""
    return f"📢 以上结果公示中（至{until}）。如有异议，请在公示期内发送 /appeal 理由 申请复核。"


def publicity_unit(*, quarter: str, until: str) -> str:
    """To the unit group with the results: the 公示 and how to object."""
    return (
        f"📢 {quarter}平时考核结果公示至{until}。公示期内，本人对等次有异议的，"
        "可私聊机器人发送 /appeal 理由 申请复核；公示期满后结果确定。"
    )


def result_final_private(*, quarter: str, lines: Iterable[str], revised: Any = None) -> str:
    """results_final: the person's final result."""
    text = f"✅ {quarter}平时考核结果公示期满，结果已确定：\n" + "\n".join(lines)
    if revised:
        text += f"\n（已经复核变更：{revised.get('reason', '')}）"
    return text


def me_publicity(*, quarter: str, score: str, grade: str, until: str, revised: bool) -> str:
    """/me: the published quarter still in 公示."""
    change = "，复核已变更" if revised else ""
    return f"📢 {quarter}结果：{score}分，{grade} —— 公示中（至{until}）{change}"


# ---- 复核 (issue 19) --------------------------------------------------------------------------

APPEAL_USAGE = (
    "用法：/appeal 理由 —— 对公示中的季度等次申请复核\n"
    "/appeal 年度 理由 —— 对年度考核等次申请复核（收到结果30日内）\n"
    "可附照片或文件：发送时在说明里写 /appeal 理由"
)
APPEAL_PRIVATE = "请私聊机器人申请复核。"
APPEAL_NO_REASON = "请写明申请复核的理由，如：/appeal 第三季度承担专项任务未计入"
APPEAL_NOTHING = "现在没有公示中的季度结果可以申请复核。"
APPEAL_NOT_SCORED = "你不在该期考核结果中，无需复核。"
APPEAL_UNGRADED = "你的年度考核为不定等次或不参加，没有等次可复核；如有异议请联系考核办。"
APPEAL_DENIED = "只有考核办可以处理复核。"
APPEALS_NONE = "目前没有待处理的复核申请。"
DECIDE_USAGE = (
    "用法：/decide 编号 维持 理由\n"
    "/decide 编号 变更 新等次 [新分数] 理由（如：/decide 3 变更 好 88.5 申报实绩漏计）"
)
DECIDE_WORSE = "复核不得作出更不利的变更：新等次不能低于、新分数不能低于原结果。未作变更。"
PETITION_USAGE = "用法：/petition 编号 [备注] —— 记录本人已向上一级机关提出申诉"


def appeal_too_long(limit: int) -> str:
    """The reason is over the limit."""
    return f"理由过长，请控制在{limit}字以内。"


def appeal_too_late(until: str) -> str:
    """Past the deadline of a 复核 request."""
    return f"已超过复核申请期限（{until}截止），不能再申请。如有疑问请联系考核办。"


def appeal_not_final(year: int) -> str:
    """No annual result yet."""
    return f"{year}年度考核结果尚未确定，确定后30日内可申请复核。"


def appeal_duplicate(appeal_id: int, due: str) -> str:
    """An open request already exists."""
    return f"你已申请复核（编号{appeal_id}），考核办将于{due}前作出决定。"


def appeal_filed(*, appeal_id: int, period: str, due: str, attachments: int) -> str:
    """To the person: received."""
    files = f"，附件{attachments}个" if attachments else ""
    return (
        f"📨 已收到你对{period}考核结果的复核申请（编号{appeal_id}{files}）。"
        f"考核办将于{due}前作出书面决定；决定作出前，原结果继续有效。"
    )


def appeal_to_office(
    *, appeal_id: int, name: str, department: str, period: str, reason: str, due: str,
    lines: list[str], attachments: int,
) -> str:  # fmt: skip
    """To the 考核办: a new request with the person's breakdown."""
    files = f"\n附件：{attachments}个（另行发送）" if attachments else ""
    return (
        f"📨 复核申请 #{appeal_id}：{name}（{department}）对{period}结果\n理由：{reason}{files}\n"
        f"决定期限：{due}\n—— 本人结果明细 ——\n" + "\n".join(lines) + "\n"
        f"处理：/decide {appeal_id} 维持 理由 或 /decide {appeal_id} 变更 新等次 [新分数] 理由"
    )


def appeals_list(rows: list[tuple[int, str, str, str, bool]]) -> str:
    """/appeals: (id, name, period, due, overdue)."""
    lines = ["📋 待处理的复核申请："]
    for appeal_id, name, period, due, overdue in rows:
        late = "（已逾期）" if overdue else ""
        lines.append(f"#{appeal_id} {name} {period}，{due}前决定{late}")
    return "\n".join(lines)


def decision_letter(
    *, appeal_id: int, name: str, period: str, changed: bool, old: str, new: str, reason: str,
    day: str, petition_until: str | None,
) -> str:  # fmt: skip
    """The written decision the person receives (it can be forwarded or printed)."""
    verdict = f"变更：{old} → {new}" if changed else f"维持原结果：{old}"
    text = (
        f"📄 复核决定书（编号{appeal_id}）\n申请人：{name}\n复核事项：{period}考核结果\n"
        f"决定：{verdict}\n理由：{reason}\n决定日期：{day}"
    )
    if petition_until:
        text += f"\n如对本决定不服，可于{petition_until}前向上一级机关提出申诉。"
    return text


def decided_to_office(*, appeal_id: int, changed: bool, warning: str | None) -> str:
    """To the deciding admin."""
    text = f"✅ 复核 #{appeal_id} 已{'变更' if changed else '维持'}，已书面告知本人。"
    return text + (f"\n{warning}" if warning else "")


def quota_warning(*, group: str, label: str, count: int, quota: int) -> str:
    """A 变更 breaks the group's quota."""
    return f"⚠️ 变更后{group}“{label}”等次 {count} 人，超过名额 {quota} 人，请复核名额。"


def appeal_already_decided(appeal_id: int) -> str:
    """A decision was made before."""
    return f"复核 #{appeal_id} 已经作出决定。"


def appeal_unknown(appeal_id: str) -> str:
    """No such request."""
    return f"没有编号为 {appeal_id} 的复核申请。"


def petition_recorded(appeal_id: int) -> str:
    """An admin recorded a 申诉."""
    return f"✅ 已记录：复核 #{appeal_id} 的申请人已提出申诉。"


PETITION_NOT_UPHELD = "只有维持原结果的复核决定之后才有申诉。"


def appeal_remind(rows: list[tuple[int, str, str, bool]]) -> str:
    """appeal_remind: (id, name, due, overdue)."""
    lines = ["⏰ 复核决定即将到期："]
    for appeal_id, name, due, overdue in rows:
        lines.append(f"#{appeal_id} {name}，{due}{'已逾期' if overdue else '前决定'}")
    return "\n".join(lines)


# ---- 申辩 (issue 19) --------------------------------------------------------------------------

OBJECT_USAGE = "用法：/object 编号 理由（编号见错情或负面清单通知），或回复通知「申辩 理由」"
OBJECT_NOT_YOURS = "只能对记给自己的错情或负面清单申辩。"
OBJECT_KIND = "只有错情和负面清单可以申辩。"
OBJECT_VOIDED = "这条记录已经撤销，无需申辩。"
OBJECTION_DENIED = "只有记录的开具人或考核办可以处理申辩。"
OBJECTION_USAGE = "用法：/objection 编号 维持|撤销 理由"


def object_too_late(until: str) -> str:
    """Past the 申辩 window."""
    return f"已超过申辩期限（{until}截止）。如有疑问请联系考核办。"


def object_duplicate(objection_id: int) -> str:
    """An open 申辩 already exists."""
    return f"你已对这条记录申辩（编号{objection_id}），正在处理中。"


def object_filed(*, objection_id: int, label: str) -> str:
    """To the person: received."""
    return f"📨 已收到你对{label}的申辩（编号{objection_id}），处理结果会告知你。"


def object_to_deciders(
    *, objection_id: int, name: str, label: str, reason: str, record_reason: str
) -> str:
    """To the issuer and the 考核办."""
    return (
        f"📨 申辩 #{objection_id}：{name} 对{label}（{record_reason}）提出申辩\n理由：{reason}\n"
        f"处理：/objection {objection_id} 维持 理由 或 /objection {objection_id} 撤销 理由"
    )


def objection_decided(*, objection_id: int, voided: bool) -> str:
    """To the decider."""
    return f"✅ 申辩 #{objection_id} 已{'撤销原记录' if voided else '维持原记录'}，已告知本人。"


def objection_letter(*, label: str, voided: bool, reason: str) -> str:
    """To the person."""
    verdict = "撤销原记录（不再计分）" if voided else "维持原记录"
    return f"📄 你对{label}的申辩已处理：{verdict}。\n理由：{reason}"


def objection_unknown(ref: str) -> str:
    """No such 申辩."""
    return f"没有编号为 {ref} 的申辩。"


def objection_already(objection_id: int) -> str:
    """Decided before."""
    return f"申辩 #{objection_id} 已经处理。"


def objections_open(quarter: str, rows: list[str]) -> str:
    """quarter_close, to the 考核办: open 申辩 at 公示."""
    return f"📋 {quarter}结果公示：以下申辩尚未处理\n" + "\n".join(rows)


# ---- web console (issue 23) -------------------------------------------------------------

WEB_SIGN_IN = "请先登录网页控制台。"
WEB_SIGN_IN_HINT = (
    "在与机器人的私聊中发送 /console，点开收到的登录链接（10 分钟内有效，只能用一次）。"
)
WEB_LINK_BAD = "这个登录链接无效、已过期或已经用过。"
WEB_WEBAPP_BAD = "无法验证 Telegram 小程序的登录信息，或这个账号还没有绑定名单。"
WEB_SIGNED_OUT = "已退出网页控制台。"
WEB_FORBIDDEN = "你没有权限查看这个页面，或者它不存在。"
WEB_VOID_REASON = "请填写作废理由。"
WEB_DATE_BAD = "日期格式不对，应为 2026-06-01。"
WEB_QUARTER_BAD = "季度格式不对，应为 2026Q2。"
WEB_EXPORT_BUILDING = "正在生成，请稍候（本页自动刷新）"
WEB_EXPORT_FAILED = "生成失败，请稍后重试。"
WEB_EXPORT_LOST = "生成中断（服务重启），请重新生成。"
CONSOLE_OFF = "网页控制台没有开启（管理员需设置 WEB_URL）。"
CONSOLE_PRIVATE = "请私聊我获取网页控制台的登录链接。"
CONSOLE_BUTTON = "打开控制台"
WEB_AUDIT_ACTIONS = AUDIT_ACTIONS  # the console's 审计日志 names actions as the workbook


def console_link(url: str, minutes: int) -> str:
    """/console's answer."""
    return f"🖥 网页控制台登录链接（{minutes} 分钟内有效，只能使用一次，请勿转发）：\n{url}"


def web_voided(record_id: int) -> str:
    """The console's confirmation of a void."""
    return f"记录 #{record_id} 已作废，已记入审计日志并通知本人。"


def web_rules(
    *, good_ratio: float, good_min: float, fair_below: float, poor_below: float, forced: bool
) -> str:
    """The grading rules in one line, above the calibration."""
    if forced:
        return "按比例强制分布（见 /policy）"
    return (
        f"好 不超过 {good_ratio:.0%} 且不低于 {good_min:g} 分；"
        f"低于 {fair_below:g} 分为一般，低于 {poor_below:g} 分或被否决为较差"
    )


WEB_REQUESTS_NONE = "暂无待处理的申辩、复核。"


def web_objection(label: str) -> str:
    """An open 申辩 in the console: what it contests."""
    return f"申辩 {label}"


def web_appeal(period: str) -> str:
    """An open 复核 in the console: what it contests."""
    return f"复核 {period}等次"


def web_publicity(*, until: str, final: bool) -> str:
    """季度结果: where the published results stand, and what their column shows."""
    if final:
        return "已确定；「确定」列为确定的等次"
    return f"公示中，至{until}；「公示」列为公示的等次"
