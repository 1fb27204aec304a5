"""Every user-facing string, in one place. Plain text (no parse mode), so names and
reasons that contain < > & * _ are shown literally and can never inject formatting."""

from __future__ import annotations

from collections.abc import Iterable

from core.roster import UNIT_WIDE

PRIVATE_COMMANDS: tuple[tuple[str, str], ...] = (
    ("daily", "填日报（补报：/daily 11-20 内容）"),
    ("weekly", "填周报 / 生成周报草稿"),
    ("status", "本周填报情况"),
    ("leave", "请假登记与撤销"),
    ("me", "我的本季度得分"),
    ("records", "点赞与错情记录"),
    ("stats", "填报率与审阅率（领导）"),
    ("rank", "排名（领导）"),
    ("whoami", "我的信息"),
    ("start", "开始 / 绑定账号"),
    ("help", "使用说明"),
)
GROUP_COMMANDS: tuple[tuple[str, str], ...] = (
    ("daily", "填日报"),
    ("weekly", "填周报"),
    ("rank", "本部门排名"),
    ("bindgroup", "绑定本群到部门（考核办）"),
    ("help", "使用说明"),
)

NOT_BOUND = "你还没有绑定账号。请向考核办索取邀请码，然后发给我（或发送 /start 邀请码）。"
ASK_CODE = "你好！我是平时考核助手。请发送考核办给你的 8 位邀请码，完成绑定。"
INACTIVE = "你的账号已停用。如有疑问，请联系考核办。"
CODE_UNKNOWN = "邀请码不对，请核对后重发（8 位字母数字）。"
CODE_USED = "这个邀请码已经用过了。如需换绑，请联系考核办。"
CODE_INACTIVE = "这个邀请码对应的人员已停用，请联系考核办。"
ACCOUNT_TAKEN = "这个 Telegram 账号已绑定为 {name}，不能再绑定别人。如需换绑，请联系考核办。"

HELP = (
    "平时考核助手\n"
    "📝 直接发文字给我就是今天的日报，可以分几条发；图片、文件请加文字说明。\n"
    "/daily 11-20 内容 —— 补报前几天的日报\n"
    "/weekly —— 填周报（可用本周日报生成草稿）\n"
    "/status —— 本周填报情况\n"
    "/leave 11-24 11-26 事由 —— 请假，请假日不用填日报\n"
    "/me —— 我的本季度得分和明细\n"
    "/records —— 点赞与错情记录\n"
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
    return f"本群已绑定到「{target}」。该部门的日报回显、点赞、错情将在这里进行。"


ADDED_TO_GROUP = (
    "大家好，我是平时考核助手。"
    "请考核办在本群发送 /bindgroup 部门名（或 /bindgroup 全单位）完成绑定。"
)


def calendar_fallback(year: int) -> str:
    """Told to admins once when the official holiday data lacks a year."""
    return (
        f"⚠️ 官方节假日数据里还没有 {year} 年，暂按周一至周五计算工作日。"
        "请升级 chinesecalendar，或在考核方案的 [calendar] 里补充节假日和调休。"
    )


# ---- reports ---------------------------------------------------------------------------

REPORT_HINT_MEDIA = "🙂 贴纸、语音、视频不能作为日报。请发文字，或给图片加上文字说明。"
REPORT_HINT_CAPTION = "请给图片或文件加上文字说明（写在说明栏里）再发一次，才能记为日报。"
REPORT_EMPTY = "内容是空的。直接发文字即可，例如：完成了年度总结初稿"
DAILY_USAGE = "请在 /daily 后面写上内容，例如：/daily 完成了年度总结初稿\n补报：/daily 11-20 内容"
REPORT_TOO_LONG = "太长了：一条最多 4096 字，请分几条发。"
REPORT_FUTURE = "不能提前填报以后的日报。"
UNKNOWN_COMMAND = "不认识这个命令。发送 /help 查看可用命令。"
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
    return f"看不懂日期「{text}」，请写成 11-20 这样的格式。"


def backfill_too_old(limit: int) -> str:
    """Backfill outside the policy's window."""
    return f"只能补报 {limit} 天内的日报。更早的请联系考核办。"


def filed(*, day: str, kind: str, status: str, count: int, weekly: bool = False) -> str:
    """Acknowledgement of a filing: date, status, item count."""
    label = KIND_LABELS[kind]
    if weekly:
        return f"✅ 已记录 {label}（截止 {day}，{status}）。"
    return f"✅ 已记录 {day} {label}（{status}），共 {count} 条。"


def edited(*, day: str, kind: str, seq: int) -> str:
    """An edited message updated its item."""
    return f"✏️ 已更新 {day} {KIND_LABELS[kind]} 第 {seq} 条，原文已留存。"


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
LEAVE_PERIOD = "日期不对：结束日期要在开始日期之后，一次最多 92 天。"
LEAVE_NOBODY = "你还没有登记请假。\n" + LEAVE_USAGE
LEAVE_ONLY_ADMIN = "只有考核办可以为他人登记请假。"
LEAVE_CANCEL_DENIED = "只能撤销自己的请假（考核办可撤销任何人的）。"
LEAVE_GONE = "这条请假已经撤销或不存在。"
LEAVE_PRIVATE = "请私聊我登记请假。"


def leave_range(start: str, end: str) -> str:
    """11月24日—11月26日, or one day."""
    return start if start == end else f"{start}—{end}"


def leave_recorded(*, name: str, period: str, reason: str, workdays: int) -> str:
    """Leave was stored."""
    return f"🏖 已登记 {name} {period} 请假：{reason}。其中 {workdays} 个工作日不用填日报。"


def leave_too_early(limit: int) -> str:
    """Leave dated too far back."""
    return f"只能登记 {limit} 天内或以后的请假；更早的请联系考核办。"


def leave_overlap(period: str) -> str:
    """Leave overlapping an existing one."""
    return f"这段时间已有请假（{period}），如需修改请先撤销。"


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
STATS_PRIVATE = "请私聊我查看统计。"


# ---- likes and error notices ------------------------------------------------------------

ACTION_NO_TARGET = "请回复要点赞（或指出错情）的人的消息，或写成：点赞 @姓名 理由"
ACTION_NOT_IN_ROSTER = "你不在考核名单里，不能点赞或指出错情。"
ACTION_SELF = "不能给自己点赞或记错情。"
ACTION_TARGET_UNKNOWN = "对方不在考核名单里，或还没有绑定账号。"
ACTION_ALREADY_LIKED = "今天已经给 {name} 点过赞了，明天再来吧。"
ACTION_PICK_GONE = "这个选择已经过期，请重新发送。"
ACTION_PICK_NOT_YOURS = "这不是你的操作。"
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
    return f"今天你已发出 {cap} 次点赞或错情，已达上限，明天再来。"


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
    return "严重错情" if severity == "serious" else "错情"


def action_confirm(*, kind: str, name: str, points: str, reason: str, issuer: str,
                   severity: str | None) -> str:  # fmt: skip
    """The confirmation in the chat where the leader acted."""
    if kind == "like":
        return f"👍 {name} {points}：{reason} —— {issuer}"
    return f"⚠️ {name} {points}（{severity_label(kind, severity)}）：{reason} —— {issuer}"


def action_notice(*, kind: str, issuer: str, points: str, reason: str,
                  severity: str | None) -> str:  # fmt: skip
    """The private notice to the person."""
    if kind == "like":
        return f"👍 {issuer} 给你点赞 {points}：{reason}"
    label = severity_label(kind, severity)
    return f"⚠️ {issuer} 给你记{label} {points}：{reason}\n如有异议，可向考核办反映。"


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
    "task_due": "任务到期提醒",
    "task_overdue": "任务逾期预警",
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
    "task_due": "任务承办人：即将到期的任务（私聊）",
    "task_overdue": "承办人和交办领导：逾期任务（私聊）",
}
NAME_SEPARATOR = "、"


def remind_daily(day: str, deadline: str, *, late: bool = False) -> str:
    """The afternoon reminder to someone who has not filed (late: sent after the deadline)."""
    if late:
        return f"⏰ {day}的日报还没填，已过 {deadline} 截止时间，请尽快补上。"
    return f"⏰ {day}的日报还没填，{deadline} 截止。直接发文字给我就行。"


def remind_weekly(deadline: str) -> str:
    """Reminder to file the weekly report on the week's last working day."""
    return (
        f"📅 今天是本周最后一个工作日，请在 {deadline} 前交周报。"
        "发送 /weekly 可用本周日报生成草稿。"
    )


def missing_list(day: str, names: list[str], unbound: list[str]) -> str:
    """A head's morning list of who did not file."""
    lines = [f"📋 {day} 未报日报（{len(names) + len(unbound)}人）：", NAME_SEPARATOR.join(names)]
    if unbound:
        lines.append(f"未绑定账号：{NAME_SEPARATOR.join(unbound)}")
    lines.append("可提醒补报：/daily 月-日 内容")
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
        f"日报 {filed}/{required} 天，周报 {weekly}/{members} 人",
    ]
    if missing:
        lines.append(f"缺报：{NAME_SEPARATOR.join(missing)}")
    if no_weekly:
        lines.append(f"周报未交：{NAME_SEPARATOR.join(no_weekly)}")
    if highlights:
        lines.append("重点工作：")
        lines += [f"· {name}：{text}" for name, text in highlights[:6]]
    for icon, label, rows in (("👍", "点赞", likes), ("❌", "错情", errors)):
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


def rank_header(*, title: str, quarter: str, until: str) -> str:
    """First line of /rank."""
    return f"🏆 {title} {quarter} 排名（截至 {until}）"


def rank_caption(*, title: str, quarter: str, until: str, top: str) -> str:
    """Caption under a ranking picture: the period and the top three."""
    lead = f"\n前三：{top}" if top else ""
    return f"🏆 {title} {quarter}（截至 {until}）{lead}"


def filing_caption(week: str) -> str:
    """Caption of the weekly filing-rate chart."""
    return f"📊 各部门日报填报率：本周（{week}）与上周对比"


# ---- 实绩申报 and ratings (issue 8) ----------------------------------------------------------


# ---- results, talks, export, corrections (issue 8) -------------------------------------------


# ---- indicators and tasks (issue 9) ----------------------------------------------------------


# ---- production runtime (issue 10) -----------------------------------------------------------
