"""Facts for the scoring core, gathered by SQL from what people actually did in chat."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from core.calendar import WorkCalendar
from core.policy import Severity
from storage import people as people_store
from storage.facts import gather
from tests.conftest import Chat, Office, Roster, local
from tests.factories import make_message

MON, FRI = date(2026, 11, 16), date(2026, 11, 20)


async def facts(session: AsyncSession, start: date = MON, end: date = FRI):  # type: ignore[no-untyped-def]
    unit = await people_store.get_unit(session)
    assert unit is not None and unit.id is not None
    return await gather(session, unit_id=unit.id, start=start, end=end, calendar=WorkCalendar())


async def test_filing_counts_on_time_late_backfill_and_leave(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession
) -> None:
    member = office.member
    await chat.feed(make_message("周一", user=member, date=local(11, 16, 10)))  # on time
    await chat.feed(make_message("周二", user=member, date=local(11, 17, 21)))  # late
    await chat.feed(
        make_message("/daily 11-17 补", user=member, date=local(11, 18, 9))
    )  # same day
    await chat.feed(make_message("/daily 11-18 补周三", user=member, date=local(11, 19, 9)))
    await chat.feed(make_message("周四", user=member, date=local(11, 19, 10)))
    # leave added afterwards for Thursday: that report no longer counts, nor the day
    await chat.feed(make_message("/leave 11-19 11-20 培训", user=member, date=local(11, 19, 12)))
    await chat.feed(make_message("周六加班", user=member, date=local(11, 21, 10)))  # voluntary
    gathered = await facts(session, MON, date(2026, 11, 22))
    person_id = (await roster.person("杨帆")).id
    filing = next(f for f in gathered.facts.filing if f.person_id == person_id)
    assert (filing.required_days, filing.on_time_days, filing.late_days) == (3, 1, 2)
    assert filing.missed_days == 0
    zhao = (await roster.person("赵丽")).id
    other = next(f for f in gathered.facts.filing if f.person_id == zhao)
    assert (other.required_days, other.on_time_days, other.late_days) == (5, 0, 0)


async def test_reviews_belong_to_heads_and_supervisors_not_to_their_own_reports(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession, clock
) -> None:  # type: ignore[no-untyped-def]
    for user in (office.member, office.other, office.head):
        await chat.feed(make_message("工作", user=user, date=local(11, 16, 10)))
    echoes = [
        r for r in chat.fake.results if getattr(r, "chat", None) and r.chat.id == office.group.id
    ]
    from tests.factories import make_callback

    clock.at = local(11, 16, 12)
    await chat.feed(make_callback(echoes[0].reply_markup.inline_keyboard[0][0].callback_data,
                                  user=office.head, message=echoes[0]))  # fmt: skip
    gathered = await facts(session)
    reviews = {r.person_id: (r.reports, r.reviewed) for r in gathered.facts.reviews}
    head = (await roster.person("陈静")).id
    supervisor = (await roster.person("李红梅")).id
    assert reviews[head] == (2, 1)  # 杨帆's and 赵丽's; 陈静's own report is not hers to review
    assert reviews[supervisor] == (3, 1)  # all three of 办公室 (she oversees it)


async def test_records_are_summed_and_undone_ones_left_out(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession
) -> None:
    from tests.conftest import OFFICE_GROUP
    from tests.factories import make_group

    group = make_group(OFFICE_GROUP, "办公室群")
    noon = local(11, 18, 12)
    for text in ("点赞 @杨帆 一", "错情 重 @杨帆 二", "错情 @杨帆 三", "错情 @赵丽 四"):
        await chat.feed(make_message(text, user=office.head, chat=group, date=noon))
    await chat.feed(make_message("/undo", user=office.head, chat=group, date=noon))  # 赵丽's
    await chat.feed(make_message("点赞 @杨帆 五", user=office.supervisor, chat=group, date=noon))
    gathered = await facts(session)
    yang = (await roster.person("杨帆")).id
    likes = {t.person_id: (t.count, t.points) for t in gathered.facts.likes}
    errors = {(t.person_id, t.severity): (t.count, t.points) for t in gathered.facts.errors}
    assert likes == {yang: (2, 2.0)}
    assert errors == {(yang, Severity.SERIOUS): (1, -3.0), (yang, Severity.NORMAL): (1, -1.0)}


async def test_the_period_can_be_empty_and_people_are_in_roster_order(
    roster: Roster, session: AsyncSession
) -> None:
    gathered = await facts(session, date(2026, 11, 21), date(2026, 11, 22))  # a weekend
    assert gathered.facts.filing == ()
    names = [p.name for p in gathered.people]
    assert names[:3] == ["王建国", "李红梅", "张伟"] and len(names) == 42
    assert gathered.facts.roster_order == tuple(p.id for p in gathered.people)
