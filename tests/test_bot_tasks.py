"""Tasks (动态指标 / 督办) through the real dispatcher: assign, progress, done, accept."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import User
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import AuditEntry, Task, TaskEvent
from tests.conftest import OFFICE_GROUP, Chat, Office, local
from tests.factories import make_callback, make_group, make_message

NOON = local(11, 23, 12)
GROUP = make_group(OFFICE_GROUP, "办公室群")


async def say(chat: Chat, user: User, text: str, *, group: bool = False, reply_to=None, at=NOON):  # type: ignore[no-untyped-def]
    return await chat.feed(
        make_message(text, user=user, chat=GROUP if group else None, reply_to=reply_to, date=at)
    )


async def tasks(session: AsyncSession) -> list[Task]:
    session.expire_all()
    return list((await session.exec(select(Task).order_by(col(Task.id)))).all())


async def assign(chat: Chat, office: Office) -> Task:
    """陈静 (head) assigns a task to 杨帆 in the office group."""
    await say(chat, office.head, "/task 杨帆 整理迎检材料 截止 12-05", group=True)
    return chat.fake.last_message(office.member.id)  # type: ignore[return-value]


async def test_a_head_assigns_in_the_group_and_the_assignee_is_told_privately(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    sent = await say(chat, office.head, "/task 杨帆 整理迎检材料 截止 12-05", group=True)
    confirm = next(m for m in sent if m.chat_id == OFFICE_GROUP)
    assert (
        confirm.text
        == "📌 已交办 杨帆：整理迎检材料\n截止：12月5日（非工作日，顺延至12月7日）（任务 #1）"
    )
    notice = next(m for m in sent if m.chat_id == office.member.id)
    assert notice.text.startswith("📌 陈静 交办任务 #1：整理迎检材料\n截止：12月5日")
    (task,) = await tasks(session)
    assert task.status == "open" and str(task.due) == "2026-12-05"
    assert str(task.due_workday) == "2026-12-07"  # a Saturday: due the next working day
    assert task.notice_message_id is not None and task.confirm_message_id is not None


async def test_a_task_by_replying_to_a_message(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    original = make_message("我来负责台账", user=office.member, chat=GROUP, date=NOON)
    await chat.feed(original)
    assert original.message is not None
    sent = await say(chat, office.head, "/task 核对台账 截止 11-27", group=True,
                     reply_to=original.message)  # fmt: skip
    assert any(m.chat_id == office.member.id for m in sent)
    (task,) = await tasks(session)
    assert task.text == "核对台账"


async def test_someone_without_authority_cannot_assign(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    sent = await say(chat, office.other, "/task 杨帆 整理材料 截止 12-05", group=True)
    assert [m.text for m in sent] == [
        "你不是 杨帆 的部门负责人、分管领导或主要领导，不能向其交办任务。"
    ]
    assert await tasks(session) == []
    sent = await say(chat, office.head, "/task 杨帆 整理材料", group=True)
    assert sent[0].text.startswith("交办任务：/task")
    assert await tasks(session) == []


async def test_progress_by_reply_reaches_the_leader_and_others_are_refused(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    notice = await assign(chat, office)
    sent = await say(chat, office.member, "材料已收集一半", reply_to=notice)
    assert sent[0].text == "✅ 已记录任务 #1 的进展，已转告交办领导。"
    to_leader = next(m for m in sent if m.chat_id == office.head.id)
    assert to_leader.text == "📈 杨帆 汇报任务 #1 进展：材料已收集一半"
    sent = await say(chat, office.other, "/progress 1 我也帮忙了")
    assert [m.text for m in sent] == ["只有任务承办人可以汇报进度或标记完成。"]
    events = (await session.exec(select(TaskEvent.kind, TaskEvent.text))).all()
    assert [tuple(e) for e in events] == [("progress", "材料已收集一半")]
    # a reply to the task notice is not filed as a 日报
    assert not any("日报" in m.text for m in sent)


async def test_done_then_accepted_with_a_rating(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    await assign(chat, office)
    sent = await say(chat, office.member, "/done 1 已报送", at=local(12, 4, 15))
    assert sent[0].text == "✅ 任务 #1 已标记完成（按时），等待交办领导验收。"
    ask = next(m for m in sent if m.chat_id == office.head.id)
    assert "请评定质量验收" in ask.text and ask.reply_markup is not None
    button_message = chat.fake.last_message(office.head.id)
    # only the assigning leader may rate
    await chat.feed(
        make_callback("tk:1:excellent", user=office.supervisor, message=button_message)
    )
    assert chat.fake.sent(AnswerCallbackQuery)[-1].text == "只有交办这项任务的领导可以验收或退回。"
    await chat.feed(make_callback("tk:1:good", user=office.head, message=button_message))
    assert chat.fake.sent(AnswerCallbackQuery)[-1].text == "👌 已验收 杨帆 的任务 #1，质量：良"
    assert (
        chat.fake.last_message(office.member.id).text == "🎉 陈静 已验收你的任务 #1，质量评定：良"
    )
    (task,) = await tasks(session)
    assert (task.status, task.quality, task.on_time) == ("accepted", "good", True)
    actions = (await session.exec(select(AuditEntry.action))).all()
    assert "task_assign" in actions and "task_accepted" in actions


async def test_sent_back_then_done_late_then_accepted_by_command(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    await assign(chat, office)
    await say(chat, office.member, "/done 1", at=local(12, 4, 15))
    sent = await say(chat, office.head, "/return 1 缺少附件", at=local(12, 4, 16))
    assert next(m for m in sent if m.chat_id == office.head.id).text == "↩️ 已退回 杨帆 的任务 #1。"
    told = next(m for m in sent if m.chat_id == office.member.id)
    assert told.text.startswith("↩️ 陈静 退回了任务 #1：缺少附件")
    sent = await say(chat, office.head, "/accept 1 优", at=local(12, 4, 17))
    assert sent[0].text == "这项任务还没有标记完成，暂不能验收。"
    sent = await say(chat, office.member, "/done 1 已补附件", at=local(12, 8, 9))
    assert "（逾期）" in sent[0].text
    sent = await say(chat, office.head, "/accept 1 中", at=local(12, 8, 10))
    assert sent[-1].text == "👌 已验收 杨帆 的任务 #1，质量：中"
    (task,) = await tasks(session)
    assert (task.status, task.quality, task.on_time) == ("accepted", "fair", False)


async def test_my_tasks_lists_both_sides(chat: Chat, office: Office) -> None:
    await assign(chat, office)
    sent = await say(chat, office.member, "/tasks")
    assert (
        sent[0].text
        == "📌 我承办的任务：\n#1 整理迎检材料（截止 12月5日（非工作日，顺延至12月7日），办理中）"
    )
    sent = await say(chat, office.head, "/tasks", at=local(12, 8, 9))
    assert "📋 我交办的任务：\n#1 整理迎检材料" in sent[0].text and "已逾期，杨帆" in sent[0].text


async def test_a_repeated_update_assigns_once(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    update = make_message(
        "/task 杨帆 整理材料 截止 12-05", user=office.head, chat=GROUP, date=NOON
    )
    await chat.feed(update)
    await chat.feed(update)
    assert len(await tasks(session)) == 1
    assert len([m for m in chat.fake.sent(SendMessage) if m.chat_id == office.member.id]) == 1


async def test_stats_show_task_completion_and_overdue_per_department(
    chat: Chat, office: Office
) -> None:
    await assign(chat, office)
    await say(chat, office.head, "/task 赵丽 归档 截止 11-24", group=True)
    await say(chat, office.other, "/done 2", at=local(11, 24, 9))
    await say(chat, office.head, "/accept 2 优", at=local(11, 24, 10))
    sent = await say(chat, office.head, "/stats", at=local(12, 8, 10))
    assert (
        "📌 任务（动态指标 / 督办）\n办公室\n"
        "  本季度任务 2 项：已验收 1 项（50%），待验收 0 项，逾期 1 项" in (sent[0].text)
    )


async def test_accepted_and_overdue_tasks_make_the_indicator_component(
    chat: Chat, office: Office, session: AsyncSession, dp
) -> None:  # type: ignore[no-untyped-def]
    from datetime import date, datetime

    from bot.scores import quarter_results
    from core.quarter import Quarter
    from core.scoring import explain
    from tests.conftest import SHANGHAI

    await assign(chat, office)  # #1 due 12-05 → 12-07
    await say(chat, office.head, "/task 杨帆 报送信息 截止 11-24", group=True)  # #2, left overdue
    await say(chat, office.member, "/done 1", at=local(12, 4, 15))
    await say(chat, office.head, "/accept 1 良", at=local(12, 4, 16))
    now = datetime(2026, 12, 8, 21, tzinfo=SHANGHAI)
    result, _ = await quarter_results(session, policy=dp["policy"], calendar=dp["calendar"],
                                      quarter=Quarter.of(date(2026, 12, 8)), now=now)  # fmt: skip
    (yang,) = [p for p in result.people if p.name == "杨帆"]
    lines = explain(yang)
    assert any(line.startswith("· 指标完成 42.50 ") for line in lines), lines  # (85 + 0) / 2
    assert "    – 任务·按时完成·良 85（占50%）  [1项]" in lines
    assert "    – 任务·逾期未完成 0（占50%）  [1项]" in lines


async def test_indicators_show_my_table_and_a_heads_department(
    chat: Chat, office: Office, session: AsyncSession, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from bot.cli_indicators import import_indicators

    path = tmp_path / "指标.csv"
    path.write_text("编号,部门,姓名,指标,权重,目标值,单位,完成值\n"
                    "D1,办公室,,公文办理,1,300,件,120\n"
                    "K01,办公室,杨帆,公文起草,2,100,件,90\n", encoding="utf-8")  # fmt: skip
    await import_indicators(session, path=path, year=2026, actor="考核办")
    sent = await say(chat, office.member, "/indicators")
    assert sent[0].text == (
        "📋 杨帆 2026年指标（一人一表）\n· 公文起草：目标 100件，完成 90件（90%），权重 2"
    )
    sent = await say(chat, office.head, "/indicators")
    assert (
        "（本人暂无指标）\n🏢 办公室\n部门 · 公文办理：目标 300件，完成 120件（40%）"
        in sent[0].text
    )
    assert "杨帆 · 公文起草" in sent[0].text
    sent = await say(chat, office.other, "/indicators")
    assert sent[0].text.startswith("还没有导入你的指标")
