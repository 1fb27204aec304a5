"""Every user-facing string, in one place. Plain text (no parse mode), so names and
reasons that contain < > & * _ are shown literally and can never inject formatting."""

from __future__ import annotations

from collections.abc import Iterable

from core.roster import UNIT_WIDE

PRIVATE_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "开始 / 绑定账号"),
    ("whoami", "我的信息"),
    ("help", "使用说明"),
)
GROUP_COMMANDS: tuple[tuple[str, str], ...] = (
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

HELP = "平时考核助手\n/whoami 我的信息\n/help 使用说明\n绑定账号：向考核办索取邀请码，发给我即可。"

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
