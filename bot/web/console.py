"""The web console's aiohttp application (issue 23): the bot's data and rules in a browser.

Every page is computed by the functions the chat commands use — /stats
(`stats_scope`, `stats_figures`), /me (`quarter_results`, `explain`), /records (the same
authority: oneself, whoever one leads, admins everyone), /void (`void_refusal`, `reverse`:
the same rule and audit) and /export (`figures.export`, built in a worker) — on the same database.
"""

from __future__ import annotations

import asyncio
import calendar as month_calendar
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import figures, texts
from bot.handlers.appeals import period_label
from bot.handlers.likes import reverse, tell_undone, void_refusal
from bot.handlers.objections import record_label
from bot.handlers.status import stats_figures, stats_scope
from bot.scores import counted_until, period_start, quarter_results, scored_quarter
from bot.web import auth
from bot.web.templates import CSS, render
from core import people as cp
from core.appeals import may_see_appeal, may_see_objection
from core.calendar import WorkCalendar
from core.grades import Grade
from core.people import Role, can_lead, decode_roles, roles_label
from core.policy import Policy
from core.quarter import Quarter
from core.quarter_end import window
from core.records import KIND_LABELS, RecordKind, signed
from core.reports import STATUS_LABELS, FilingStatus, percent, short_date
from core.scoring import explain
from core.tasks import TaskStatus
from storage import declarations as declared_store
from storage import people as people_store
from storage import records as record_store
from storage import reports as report_store
from storage import results as published_store
from storage import tasks as task_store
from storage import web as store
from storage.tables import Person, Record, Report, WebExport, utcnow

log = logging.getLogger(__name__)
PREFIX = auth.PREFIX
Clock = Callable[[], datetime]
SEARCH_WORDS = 5


@dataclass
class Console:
    """What the console needs: the bot's database, policy and calendar, and two clocks —
    `clock` for the unit's "now" (the demo fixes it), `wall` for links and sessions."""

    sessionmaker: async_sessionmaker[AsyncSession]
    policy: Policy
    calendar: WorkCalendar
    zone: ZoneInfo
    bot_token: str
    base_url: str
    bot: Bot | None = None  # tells a person their record was voided, as /void does
    clock: Clock = utcnow
    wall: Clock = utcnow
    timings: dict[str, list[float]] = field(default_factory=dict)
    building: set[asyncio.Task[None]] = field(default_factory=set)  # workbooks (导出)

    @property
    def secure(self) -> bool:
        """Cookies are Secure when the console is reached over https."""
        return urlsplit(self.base_url).scheme == "https"

    def now(self) -> datetime:
        """The unit's "now", in its time zone."""
        return self.clock().astimezone(self.zone)


# ---- who is looking ---------------------------------------------------------------------------


@dataclass
class Viewer:
    """The signed-in person and what the chat lets them see."""

    person: Person
    core: cp.Person
    csrf: str
    departments: list[int]  # whose figures and people they see (as /stats)

    @property
    def roles(self) -> frozenset[Role]:
        return self.core.roles

    @property
    def admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def all_seeing(self) -> bool:
        """Chief and admin see the whole unit."""
        return bool(self.roles & {Role.ADMIN, Role.CHIEF})

    @property
    def leader(self) -> bool:
        return bool(self.departments)

    @property
    def roles_label(self) -> str:
        return roles_label(self.roles)

    def may_see(self, target: Person) -> bool:
        """/records' rule: oneself, anyone one leads (can_lead), and admins everyone."""
        if target.unit_id != self.person.unit_id:
            return False
        if target.id == self.person.id or self.admin:
            return True
        return can_lead(self.core, _core_person(target))

    def person_ids_filter(self) -> list[int] | None:
        """None: everyone; else only these (a member: themselves)."""
        return None if self.all_seeing else [self.person.id or 0]

    @property
    def menu(self) -> list[tuple[str, str, str]]:
        items = []
        if self.leader:
            items.append(("overview", "总览", f"{PREFIX}/"))
            items.append(("people", "人员", f"{PREFIX}/people"))
        else:
            items.append(("people", "我的", person_url(self.person)))
        items += [
            ("reports", "日报", f"{PREFIX}/reports"),
            ("records", "点赞/错情", f"{PREFIX}/records"),
        ]
        if self.all_seeing:
            items += [
                ("results", "季度结果", f"{PREFIX}/results"),
                ("audit", "审计日志", f"{PREFIX}/audit"),
            ]
        if self.admin:
            items.append(("export", "导出", f"{PREFIX}/export"))
        return items


def _core_person(person: Person) -> cp.Person:
    return cp.Person(
        id=person.id or 0,
        name=person.name,
        department_id=person.department_id,
        category=person.category,
        roles=decode_roles(person.roles),
        active=person.active,
    )


def person_url(person: Person) -> str:
    """A person's page."""
    return f"{PREFIX}/people/{person.id}"


# per-request storage keys (aiohttp >= 3.12 prefers typed keys; plain strings before)
VIEWER: Any = web.RequestKey("viewer", object) if hasattr(web, "RequestKey") else "viewer"
SESSION: Any = web.RequestKey("session", object) if hasattr(web, "RequestKey") else "session"


class Refused(Exception):
    """The page is not for this viewer: a 403 in Chinese."""


# ---- the application --------------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC = {f"{PREFIX}/login", f"{PREFIX}/app", f"{PREFIX}/webapp", f"{PREFIX}/static/console.css"}


def add_console(app: web.Application, console: Console) -> None:
    """Mount the console under /console on an aiohttp app (its own, or the webhook's)."""
    pages = Pages(console)
    routes = [
        web.get(f"{PREFIX}/static/console.css", pages.css),
        web.get(f"{PREFIX}/login", pages.login),
        web.get(f"{PREFIX}/app", pages.app),
        web.post(f"{PREFIX}/webapp", pages.webapp),
        web.post(f"{PREFIX}/logout", pages.logout),
        web.get(PREFIX, pages.to_overview),
        web.get(f"{PREFIX}/", pages.overview),
        web.get(f"{PREFIX}/people", pages.people),
        web.get(f"{PREFIX}/people/{{pid}}", pages.person),
        web.get(f"{PREFIX}/reports", pages.reports),
        web.get(f"{PREFIX}/records", pages.records),
        web.post(f"{PREFIX}/records/{{rid}}/void", pages.void),
        web.get(f"{PREFIX}/results", pages.results),
        web.get(f"{PREFIX}/audit", pages.audit),
        web.get(f"{PREFIX}/export", pages.export),
        web.post(f"{PREFIX}/export", pages.start_export),
        web.get(f"{PREFIX}/export/file/{{token}}", pages.download),
    ]
    app.add_routes(routes)
    app.middlewares.append(pages.middleware)

    async def stop_building(_: web.Application) -> None:
        building = list(console.building)
        for task in building:
            task.cancel()
        await asyncio.gather(*building, return_exceptions=True)

    app.on_shutdown.append(stop_building)


def make_console_app(console: Console) -> web.Application:
    """The console on its own (polling mode, `kaohe demo --serve`)."""
    app = web.Application()
    add_console(app, console)
    return app


def _headers(response: web.StreamResponse, *, script: bool = False) -> None:
    response.headers.setdefault("Referrer-Policy", "same-origin")  # no token leaves the site
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Cache-Control", "no-store")
    scripts = "'unsafe-inline'" if script else "'none'"
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; script-src {scripts}; form-action 'self'; base-uri 'none'",
    )


def _same_origin(request: web.Request) -> bool:
    """A browser's Origin header, when it sends one, names this host."""
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


class Pages:
    """The request handlers, sharing the console's dependencies."""

    def __init__(self, console: Console) -> None:
        self.c = console

    # -- plumbing --

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(PREFIX):
            return await handler(request)
        started = time.perf_counter()
        try:
            return await self._answer(request, handler)
        finally:  # redirects (raised) included
            route = request.match_info.route.resource
            name = route.canonical if route else request.path
            self.c.timings.setdefault(name, []).append(time.perf_counter() - started)

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            if request.method == "POST" and not _same_origin(request):
                raise Refused  # a form posted from another site (the CSRF token aside)
            if request.path in PUBLIC:
                response = await handler(request)
            else:
                async with self.c.sessionmaker() as session:
                    viewer = await self._viewer(session, request)
                    if viewer is None:
                        response = self._page(
                            None, "message", status=401, title="请登录", heading="请登录",
                            text=texts.WEB_SIGN_IN, hint=texts.WEB_SIGN_IN_HINT, error=False,
                        )  # fmt: skip
                    else:
                        request[VIEWER], request[SESSION] = viewer, session
                        response = await handler(request)
        except Refused:
            response = self._page(
                request.get(VIEWER), "message", status=403, title="无权查看",
                heading="无权查看", text=texts.WEB_FORBIDDEN, hint="", error=True,
            )  # fmt: skip
        _headers(response, script=request.path == f"{PREFIX}/app")
        return response

    async def _viewer(self, session: AsyncSession, request: web.Request) -> Viewer | None:
        secret = request.cookies.get(auth.COOKIE, "")
        if not secret:
            return None
        found = await store.session_person(session, secret=secret, now=self.c.wall())
        if found is None:
            return None
        token, person = found
        core = await people_store.to_core(session, person)
        departments = await stats_scope(session, person)
        return Viewer(person, core, token.csrf, departments)

    def _page(
        self, viewer: Viewer | None, template: str, *, status: int = 200, **context: Any
    ) -> web.Response:
        html = render(
            template,
            prefix=PREFIX,
            viewer=viewer,
            unit=context.pop("unit", ""),
            page=context.pop("page", ""),
            **context,
        )
        return web.Response(text=html, content_type="text/html", charset="utf-8", status=status)

    async def _unit(self, session: AsyncSession) -> str:
        unit = await people_store.get_unit(session)
        return unit.name if unit else ""

    def _check_csrf(self, viewer: Viewer, form: Any) -> None:
        if not auth.csrf_ok(viewer.csrf, str(form.get("csrf", ""))):
            raise Refused

    async def _signed_in(self, session: AsyncSession, person_id: int, via: str) -> web.Response:
        secret, _ = store.issue_token(
            session, person_id=person_id, kind=store.SESSION, via=via, now=self.c.wall(),
            ttl=auth.SESSION_TTL,
        )  # fmt: skip
        await store.prune_tokens(session, before=self.c.wall() - timedelta(days=1))
        await session.commit()
        response = web.Response(status=303, headers={"Location": f"{PREFIX}/"})
        response.set_cookie(
            auth.COOKIE, secret, max_age=int(auth.SESSION_TTL.total_seconds()), path=PREFIX,
            httponly=True, samesite="Lax", secure=self.c.secure,
        )  # fmt: skip
        return response

    # -- sign-in and out --

    async def css(self, request: web.Request) -> web.Response:
        response = web.Response(text=CSS, content_type="text/css", charset="utf-8")
        response.headers["Cache-Control"] = "max-age=3600"
        return response

    async def login(self, request: web.Request) -> web.StreamResponse:
        """A one-time link: start a session and redirect (the token leaves the address bar)."""
        secret = request.query.get("t", "")
        async with self.c.sessionmaker() as session:
            person_id = (
                await store.use_login(session, secret=secret, now=self.c.wall())
                if secret
                else None
            )
            if person_id is not None:
                person = await session.get(Person, person_id)
                if person is not None and person.active:
                    return await self._signed_in(session, person_id, "link")
            await session.rollback()
        return self._page(
            None, "message", status=403, title="链接无效", heading="登录链接无效",
            text=texts.WEB_LINK_BAD, hint=texts.WEB_SIGN_IN_HINT, error=True,
        )  # fmt: skip

    async def app(self, request: web.Request) -> web.Response:
        """The Mini App's entry: a few lines send Telegram's initData to /webapp."""
        return self._page(None, "webapp", title="登录")

    async def webapp(self, request: web.Request) -> web.StreamResponse:
        """Sign in with a Mini App's initData (checked as Telegram specifies)."""
        form = await request.post()
        try:
            user = auth.webapp_user(
                str(form.get("init_data", "")), bot_token=self.c.bot_token, now=self.c.wall()
            )
        except auth.BadInitData as exc:
            log.info("Mini App sign-in refused: %s", exc)
            user = None
        if user is not None:
            async with self.c.sessionmaker() as session:
                person = await people_store.person_by_tg(session, tg_user_id=user.id)
                if person is not None and person.active and person.id is not None:
                    return await self._signed_in(session, person.id, "webapp")
        return self._page(
            None, "message", status=403, title="无法登录", heading="无法登录",
            text=texts.WEB_WEBAPP_BAD, hint=texts.WEB_SIGN_IN_HINT, error=True,
        )  # fmt: skip

    async def logout(self, request: web.Request) -> web.Response:
        viewer: Viewer = request[VIEWER]
        session: AsyncSession = request[SESSION]
        self._check_csrf(viewer, await request.post())
        await store.end_session(
            session, secret=request.cookies.get(auth.COOKIE, ""), now=self.c.wall()
        )
        await session.commit()
        response = self._page(
            None, "message", title="已退出", heading="已退出", text=texts.WEB_SIGNED_OUT,
            hint=texts.WEB_SIGN_IN_HINT, error=False,
        )  # fmt: skip
        response.del_cookie(auth.COOKIE, path=PREFIX)
        return response

    # -- pages --

    async def to_overview(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"{PREFIX}/")

    async def overview(self, request: web.Request) -> web.StreamResponse:
        """总览: /stats' figures (plus today), who has not filed today, overdue tasks,
        the next holidays and 调休 days, the open 申辩 and 复核 the viewer may see."""
        viewer: Viewer = request[VIEWER]
        session: AsyncSession = request[SESSION]
        if not viewer.leader:
            raise web.HTTPFound(person_url(viewer.person))
        now = self.c.now()
        today = now.date()
        policy, cal = self.c.policy, self.c.calendar
        stats = await stats_figures(
            session, unit_id=viewer.person.unit_id, wanted=viewer.departments, policy=policy,
            calendar=cal, now=now,
        )  # fmt: skip
        members = await people_store.members_of(
            session, unit_id=viewer.person.unit_id, department_ids=viewer.departments
        )
        names = await people_store.department_names(session, unit_id=viewer.person.unit_id)
        ids = [p.id for p in members if p.id is not None]
        filed, _ = await report_store.filed_days(session, person_ids=ids, start=today, end=today)
        leave = await report_store.leaves(session, person_ids=ids, start=today, end=today)
        started = await period_start(session, today) <= today
        required = cal.is_workday(today) and started
        missing = [
            (p, names.get(p.department_id, ""))
            for p in members
            if required
            and (p.id or 0, today) not in filed
            and cal.required_days(today, today, leave.get(p.id or 0, ()))
        ]
        wanted = set(viewer.departments)
        overdue = [
            (task, who)
            for task, who in await task_store.overdue_rows(
                session, unit_id=viewer.person.unit_id, today=today
            )
            if who.department_id in wanted
        ]
        return self._page(
            viewer, "overview", page="overview", title="总览", unit=await self._unit(session),
            today_label=f"{short_date(today)} 周{'一二三四五六日'[today.weekday()]}",
            stats_until=short_date(stats.end), stats=stats.lines, pct=percent,
            missing=missing, today_required=required,
            before_deadline=now.time() < policy.schedule.deadline,
            deadline=f"{policy.schedule.deadline:%H:%M}", overdue=overdue, short=short_date,
            holidays=upcoming_days_off(cal, today), person_url=person_url,
            requests=await open_items(session, viewer, today=today, zone=self.c.zone),
            requests_none=texts.WEB_REQUESTS_NONE,
        )  # fmt: skip

    async def people(self, request: web.Request) -> web.Response:
        """人员: search by name, 工号 or department, within what the viewer sees."""
        viewer: Viewer = request[VIEWER]
        session: AsyncSession = request[SESSION]
        q = request.query.get("q", "").strip()[:50]
        departments = None if viewer.all_seeing else viewer.departments
        rows = await store.search_people(
            session, unit_id=viewer.person.unit_id, text=q, department_ids=departments
        )
        shown = [
            (p, dept, roles_label(decode_roles(p.roles))) for p, dept in rows if viewer.may_see(p)
        ]
        mine = any(p.id == viewer.person.id for p, _, _ in shown)
        if not viewer.all_seeing and not mine and (not q or q in viewer.person.name):
            names = await people_store.department_names(session, unit_id=viewer.person.unit_id)
            me = viewer.person
            shown.insert(0, (me, names.get(me.department_id, ""), viewer.roles_label))
        return self._page(
            viewer, "people", page="people", title="人员", unit=await self._unit(session),
            q=q, rows=shown, person_url=person_url,
        )  # fmt: skip

    async def person(self, request: web.Request) -> web.Response:
        """A person: the /me breakdown, the month's filing calendar, records, tasks,
        declarations, their open 申辩 / 复核 the viewer may see. Unknown and forbidden ids
        get the same 403."""
        viewer: Viewer = request[VIEWER]
        session: AsyncSession = request[SESSION]
        pid = request.match_info["pid"]
        target = await session.get(Person, int(pid)) if pid.isdigit() and len(pid) < 10 else None
        if target is None or not viewer.may_see(target):
            raise Refused
        assert target.id is not None
        now = self.c.now()
        today = now.date()
        policy, cal = self.c.policy, self.c.calendar
        quarter = scored_quarter(policy, cal, today)
        result, gathered = await quarter_results(
            session, policy=policy, calendar=cal, quarter=quarter, now=now
        )
        mine = [p for p in result.people if p.person_id == target.id]
        lines: list[str] = []
        header = ""
        if mine and gathered.end >= gathered.start:
            header = texts.me_header(
                quarter=quarter.label,
                until=short_date(gathered.end),
                provisional=result.provisional,
            )
            lines = explain(mine[0])
        month = _month(request.query.get("m", ""), today)
        cells = await filing_calendar(
            session, person=target, month=month, calendar=cal, policy=policy, now=now
        )
        rows = await record_store.records_of(
            session, person_id=target.id, start=quarter.start, end=quarter.end
        )
        records = [(r, target.name, by) for r, by in rows]
        tasks = await task_store.tasks_of(session, assignee_id=target.id)
        declared = (
            await declared_store.declared_items(
                session, unit_id=target.unit_id, quarter=quarter, person_ids=[target.id]
            )
        ).get(target.id, [])
        names = await people_store.department_names(session, unit_id=target.unit_id)
        previous = (month.replace(day=1) - timedelta(days=1)).replace(day=1)
        following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        return self._page(
            viewer, "person", page="people",
            title=target.name, unit=await self._unit(session), person=target,
            dept=names.get(target.department_id, ""), quarter_label=quarter.label,
            header=header, lines=lines, cells=cells, legend=LEGEND,
            month_label=f"{month.year}年{month.month}月", month_value=f"{month:%Y-%m}",
            prev_month=f"{previous:%Y-%m}", next_month=f"{following:%Y-%m}",
            records=records, can_void=False, more=False, back="", short=short_date,
            signed=signed, kind_label=kind_label, tasks=tasks, task_status=task_status,
            declared=declared, may_search=True,
            requests=await open_items(
                session, viewer, today=today, zone=self.c.zone, person_id=target.id
            ),
        )  # fmt: skip

    async def reports(self, request: web.Request) -> web.Response:
        """日报: search texts (and earlier revisions) by words, person, department, dates."""
        viewer: Viewer = request[VIEWER]
        session: AsyncSession = request[SESSION]
        query = request.query
        q = query.get("q", "").strip()[:100]
        person_ref = query.get("person", "").strip()[:50]
        start, end, error = _dates(query)
        departments = (
            list(
                (
                    await people_store.department_names(session, unit_id=viewer.person.unit_id)
                ).items()
            )
            if viewer.all_seeing
            else [
                (d, n)
                for d, n in (
                    await people_store.department_names(session, unit_id=viewer.person.unit_id)
                ).items()
                if d in viewer.departments
            ]
        )
        dept = int(query["dept"]) if query.get("dept", "").isdigit() else None
        if dept is not None and dept not in {d for d, _ in departments}:
            dept = None
        person_ids = await self._visible_ids(session, viewer, person_ref)
        found, more = await store.search_reports(
            session, unit_id=viewer.person.unit_id, words=q.split()[:SEARCH_WORDS],
            person_ids=person_ids, department_id=dept, start=start, end=end,
        )  # fmt: skip
        return self._page(
            viewer, "reports", page="reports", title="日报", unit=await self._unit(session),
            q=q, person=person_ref, departments=departments, dept=dept,
            start=query.get("from", ""), end=query.get("to", ""), error=error, found=found,
            more=more, kind_word=_kind_word, status_word=_status_word,
        )  # fmt: skip

    async def _visible_ids(
        self, session: AsyncSession, viewer: Viewer, ref: str
    ) -> list[int] | None:
        """Whose things the viewer may list: None for everyone; narrowed to `ref` (a part
        of a name or a 工号) when given."""
        if viewer.all_seeing and not ref:
            return None
        departments = None if viewer.all_seeing else viewer.departments
        rows = await store.search_people(
            session, unit_id=viewer.person.unit_id, text="", department_ids=departments
        )
        people = [p for p, _ in rows if viewer.may_see(p)]
        if not any(p.id == viewer.person.id for p in people):
            people.append(viewer.person)
        if ref:
            people = [p for p in people if ref in p.name or ref == (p.employee_id or "")]
        return [p.id for p in people if p.id is not None]

    async def records(self, request: web.Request) -> web.Response:
        """点赞/错情 and the other records, filtered; admins can void one."""
        viewer: Viewer = request[VIEWER]
        session: AsyncSession = request[SESSION]
        query = request.query
        # the outcome of a void, by code: the address never carries text to show
        voided, refused = query.get("voided", ""), query.get("refused", "")
        notice = texts.web_voided(int(voided)) if voided.isdigit() and len(voided) < 10 else ""
        error = refused in VOID_REFUSALS
        notice = VOID_REFUSALS[refused] if error else notice
        person_ref = query.get("person", "").strip()[:50]
        kind = query.get("kind", "")
        kinds = [kind] if kind in {k.value for k in RecordKind} else [k.value for k in RecordKind]
        leader = int(query["leader"]) if query.get("leader", "").isdigit() else None
        start, end, _ = _dates(query)
        person_ids = await self._visible_ids(session, viewer, person_ref)
        rows, more = await store.find_records(
            session, unit_id=viewer.person.unit_id, person_ids=person_ids, issuer_id=leader,
            kinds=kinds, start=start, end=end,
        )  # fmt: skip
        leaders = (
            await store.issuers(session, unit_id=viewer.person.unit_id) if viewer.leader else []
        )
        kept = {k: v for k, v in query.items() if k not in {"voided", "refused"}}
        back = f"{request.path}?{urlencode(kept)}" if kept else request.path
        return self._page(
            viewer, "records", page="records", title="点赞/错情", unit=await self._unit(session),
            records=rows, more=more, can_void=viewer.admin, back=back, leaders=leaders,
            leader=leader, person=person_ref, kinds=[(k.value, v) for k, v in KIND_LABELS.items()],
            kind=kind, start=query.get("from", ""), end=query.get("to", ""), short=short_date,
            signed=signed, kind_label=kind_label, notice=notice, notice_error=error,
        )  # fmt: skip

    async def void(self, request: web.Request) -> web.StreamResponse:
        """An admin voids a record with a reason: /void's rule, audit and notice."""
        viewer: Viewer = request[VIEWER]
        session: AsyncSession = request[SESSION]
        form = await request.post()
        self._check_csrf(viewer, form)
        if not viewer.admin:
            raise Refused
        rid = request.match_info["rid"]
        record = await session.get(Record, int(rid)) if rid.isdigit() and len(rid) < 10 else None
        reason = str(form.get("reason", "")).strip()[:200]
        refusal = void_refusal(viewer.person, record, reason)
        if refusal == texts.VOID_USAGE:
            refusal = texts.WEB_VOID_REASON
        if refusal is None and record is not None:
            target = await reverse(session, record, viewer.person, reason, "record_void")
            if self.c.bot is not None:
                await tell_undone(self.c.bot, target, record, viewer.person)
            outcome = f"voided={record.id}"
        else:
            code = next((k for k, v in VOID_REFUSALS.items() if v == refusal), "missing")
            outcome = f"refused={code}"
        back = str(form.get("back", ""))
        if not back.startswith(f"{PREFIX}/records"):
            back = f"{PREFIX}/records"
        sep = "&" if "?" in back else "?"
        raise web.HTTPSeeOther(f"{back}{sep}{outcome}")

    async def results(self, request: web.Request) -> web.Response:
        """季度结果 (校准): per ranking group the distribution, the 好 quota line and who is
        next to it, vetoes, those a small change would move; proposed vs published."""
        viewer: Viewer = request[VIEWER]
        session: AsyncSession = request[SESSION]
        if not viewer.all_seeing:
            raise Refused
        now = self.c.now()
        policy, cal = self.c.policy, self.c.calendar
        quarter, error = _quarter(
            request.query.get("q", ""), scored_quarter(policy, cal, now.date())
        )
        result, gathered = await quarter_results(
            session, policy=policy, calendar=cal, quarter=quarter, now=now
        )
        snapshot = await published_store.published(
            session, unit_id=viewer.person.unit_id, quarter=quarter
        )
        groups = calibration(result, gathered.departments, policy, snapshot)
        publicity = (
            texts.web_publicity(
                until=short_date(window(policy, cal, quarter).publicity_end),
                final=snapshot.final,
            )
            if snapshot is not None
            else ""
        )
        g = policy.grades
        rules = texts.web_rules(
            good_ratio=g.good_ratio, good_min=g.good_min, fair_below=g.fair_below,
            poor_below=g.poor_below, forced=g.mode.value == "forced",
        )  # fmt: skip
        return self._page(
            viewer, "results", page="results", title="季度结果", unit=await self._unit(session),
            quarter=str(quarter), quarter_label=quarter.label, provisional=result.provisional,
            until=short_date(gathered.end), groups=groups, published=snapshot is not None,
            final=snapshot is not None and snapshot.final, publicity=publicity, rules=rules,
            error=error,
        )  # fmt: skip

    async def audit(self, request: web.Request) -> web.Response:
        """审计日志, filtered by actor, action and dates (chief and admins)."""
        viewer: Viewer = request[VIEWER]
        session: AsyncSession = request[SESSION]
        if not viewer.all_seeing:
            raise Refused
        query = request.query
        actor = query.get("actor", "").strip()[:50]
        action = query.get("action", "").strip()[:64]
        start, end, _ = _dates(query)
        entries, more = await store.find_audit(
            session, unit_id=viewer.person.unit_id, actor=actor, action=action, start=start,
            end=end, zone=self.c.zone,
        )  # fmt: skip
        actions = await store.audit_actions(session, unit_id=viewer.person.unit_id)
        zone = self.c.zone
        return self._page(
            viewer, "audit", page="audit", title="审计日志", unit=await self._unit(session),
            entries=entries, more=more, actions=actions, actor=actor, action=action,
            start=query.get("from", ""), end=query.get("to", ""),
            action_label=lambda a: texts.WEB_AUDIT_ACTIONS.get(a, a),
            local=lambda at: f"{at.astimezone(zone):%Y-%m-%d %H:%M}",
            detail=lambda d: json.dumps(d, ensure_ascii=False)[:300],
        )  # fmt: skip

    async def export(self, request: web.Request) -> web.Response:
        """导出: ask for a quarter's workbook, and the ones asked for today with their state
        (the page refreshes itself while one is being built)."""
        viewer: Viewer = request[VIEWER]
        session: AsyncSession = request[SESSION]
        if not viewer.admin:
            raise Refused
        quarter = scored_quarter(self.c.policy, self.c.calendar, self.c.now().date())
        now = self.c.wall()
        rows = await store.recent_exports(
            session, person_id=viewer.person.id or 0, since=now - store.EXPORT_KEPT
        )
        exports = [_export_line(row, now, self.c.zone) for row in rows]
        return self._page(
            viewer, "export", page="export", title="导出", unit=await self._unit(session),
            quarter=request.query.get("q", str(quarter)), error=request.query.get("error", ""),
            exports=exports, refresh=any(line.building for line in exports),
        )  # fmt: skip

    async def start_export(self, request: web.Request) -> web.StreamResponse:
        """An admin asks for a quarter's workbook: built in the background (a figures
        worker; seconds for a large unit), so that no page waits for it."""
        viewer: Viewer = request[VIEWER]
        session: AsyncSession = request[SESSION]
        form = await request.post()
        self._check_csrf(viewer, form)
        if not viewer.admin:
            raise Refused
        asked = str(form.get("q", "")).strip()[:20]
        try:
            quarter = Quarter.parse(asked)
        except ValueError:
            raise web.HTTPSeeOther(
                f"{PREFIX}/export?{urlencode({'q': asked, 'error': texts.WEB_QUARTER_BAD})}"
            ) from None
        now = self.c.wall()
        person_id = viewer.person.id or 0
        rows = await store.recent_exports(session, person_id=person_id, since=now - EXPORT_STALE)
        if not any(r.status == store.BUILDING and r.quarter == str(quarter) for r in rows):
            # a second click while the same quarter is being built does not start another
            await store.prune_exports(session, before=now - store.EXPORT_KEPT)
            row = store.start_export(session, person_id=person_id, quarter=str(quarter), now=now)
            await session.commit()
            question = figures.ask(session, self.c.policy, self.c.calendar, self.c.now())
            task = asyncio.create_task(self._build(row.id or 0, question, quarter))
            self.c.building.add(task)
            task.add_done_callback(self.c.building.discard)
        raise web.HTTPSeeOther(f"{PREFIX}/export?q={quarter}")

    async def _build(self, export_id: int, question: figures.Ask, quarter: Quarter) -> None:
        """Build the workbook in a worker and store it (or why it failed) on its row."""
        filename, data, error = "", None, ""
        try:
            built = await figures.export(question, quarter)
            filename, data = built.filename, built.data
        except LookupError:
            error = texts.EXPORT_NO_UNIT
        except asyncio.CancelledError:  # the process stops: say so on the row, then stop
            await self._end_build(export_id, "", None, texts.WEB_EXPORT_LOST)
            raise
        except Exception:
            log.exception("building the console's workbook %s failed", quarter)
            error = texts.WEB_EXPORT_FAILED
        await self._end_build(export_id, filename, data, error)

    async def _end_build(
        self, export_id: int, filename: str, data: bytes | None, error: str
    ) -> None:
        async with self.c.sessionmaker() as session:
            await store.end_export(
                session, export_id=export_id, now=self.c.wall(), filename=filename, data=data,
                error=error,
            )  # fmt: skip
            await session.commit()

    async def download(self, request: web.Request) -> web.StreamResponse:
        """A workbook the signed-in admin asked for, once built (only for them, for a day)."""
        viewer: Viewer = request[VIEWER]
        session: AsyncSession = request[SESSION]
        if not viewer.admin:
            raise Refused
        token = request.match_info["token"]
        found = (
            await store.export_file(
                session,
                token=token,
                person_id=viewer.person.id or 0,
                since=self.c.wall() - store.EXPORT_KEPT,
            )  # fmt: skip
            if len(token) <= 64
            else None
        )
        if found is None or found.data is None:
            raise Refused
        response = web.Response(
            body=found.data,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response.headers["Content-Disposition"] = (
            f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(found.filename)}"
        )
        return response


# a workbook still `building` after this was lost with its instance (a restart, a crash)
EXPORT_STALE = timedelta(minutes=10)


@dataclass(frozen=True)
class ExportLine:
    """One asked-for workbook as the 导出 page shows it."""

    quarter: str
    asked: str  # HH:MM
    state: str  # what the page says of it
    href: str  # the download, once built
    building: bool
    failed: bool


def _export_line(row: WebExport, now: datetime, zone: ZoneInfo) -> ExportLine:
    asked = f"{row.created_at.astimezone(zone):%H:%M}"
    building = row.status == store.BUILDING
    if building and now - row.created_at > EXPORT_STALE:
        return ExportLine(row.quarter, asked, texts.WEB_EXPORT_LOST, "", False, True)
    if building:
        return ExportLine(row.quarter, asked, texts.WEB_EXPORT_BUILDING, "", True, False)
    if row.status == store.DONE:
        href = f"{PREFIX}/export/file/{row.token}"
        return ExportLine(row.quarter, asked, row.filename, href, False, False)
    return ExportLine(row.quarter, asked, row.error or texts.WEB_EXPORT_FAILED, "", False, True)


VOID_REFUSALS = {
    "denied": texts.VOID_DENIED,
    "missing": texts.VOID_NOT_FOUND,
    "reason": texts.WEB_VOID_REASON,
    "already": texts.UNDO_ALREADY,
}

# ---- pieces of pages --------------------------------------------------------------------------

LEGEND = [
    ("on_time", "按时"),
    ("late", "迟报"),
    ("backfill", "补报"),
    ("missing", "缺报"),
    ("leave", "请假"),
    ("rest", "非工作日"),
    ("voluntary", "自愿"),
]


@dataclass(frozen=True, slots=True)
class Cell:
    """A day of the filing calendar."""

    day: date
    state: str  # a LEGEND key, or "open" (not due yet) / "before" (before assessment)
    label: str


async def filing_calendar(
    session: AsyncSession,
    *,
    person: Person,
    month: date,
    calendar: WorkCalendar,
    policy: Policy,
    now: datetime,
) -> list[Cell | None]:
    """The month as grid cells from Monday (None pads the first week), each day coloured
    as /status would call it: filed (按时/迟报/补报/自愿), 请假, 非工作日, 缺报 — or not due."""
    assert person.id is not None
    first = month.replace(day=1)
    last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
    statuses, _ = await report_store.filed_days(
        session, person_ids=[person.id], start=first, end=last
    )
    leave = (
        await report_store.leaves(session, person_ids=[person.id], start=first, end=last)
    ).get(person.id, [])
    begins = await period_start(session, first)
    counted = counted_until(policy, now)
    cells: list[Cell | None] = [None] * first.weekday()
    day = first
    while day <= last:
        status = statuses.get((person.id, day))
        workday = calendar.is_workday(day)
        if status is not None:
            state, label = status.value, STATUS_LABELS[status]
        elif not workday:
            state, label = "rest", "休"
        elif any(p.covers(day) for p in leave):
            state, label = "leave", "请假"
        elif day < begins:
            state, label = "before", ""
        elif day > counted:
            state, label = "open", ""
        else:
            state, label = "missing", "缺报"
        cells.append(Cell(day, state, label))
        day += timedelta(days=1)
    return cells


def upcoming_days_off(calendar: WorkCalendar, today: date, days: int = 60) -> list[str]:
    """The next holidays on weekdays and 调休 working weekends, as runs of days."""
    runs: list[tuple[str, date, date]] = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        weekday = day.weekday() < 5
        workday = calendar.is_workday(day)
        kind = "放假" if weekday and not workday else "调休上班" if workday and not weekday else ""
        if not kind:
            continue
        if runs and runs[-1][0] == kind and runs[-1][2] == day - timedelta(days=1):
            runs[-1] = (kind, runs[-1][1], day)
        elif (
            runs
            and kind == "放假"
            and runs[-1][0] == kind
            and not any(
                calendar.is_workday(runs[-1][2] + timedelta(days=k))
                for k in range(1, (day - runs[-1][2]).days)
            )
        ):
            runs[-1] = (kind, runs[-1][1], day)  # a holiday spanning a weekend
        else:
            runs.append((kind, day, day))
    return [
        f"{short_date(a)}{'' if a == b else '—' + short_date(b)} {kind}" for kind, a, b in runs
    ]


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An open 申辩 or 复核 as the panel lists it."""

    name: str
    dept: str
    url: str  # the person's page, "" when the viewer may not open it
    what: str  # 申辩 错情 #12 / 复核 2026年第2季度等次
    filed: str
    due: str  # 复核: the day it must be decided by; "" for a 申辩
    overdue: bool


async def open_items(
    session: AsyncSession,
    viewer: Viewer,
    *,
    today: date,
    zone: ZoneInfo,
    person_id: int | None = None,
) -> list[OpenItem]:
    """The open 申辩 and 复核 the viewer may see — as in chat: the person their own, a
    record's issuer the 申辩 of it, admins all — optionally of one person only."""
    me = viewer.person.id
    items = []
    for row in await store.open_requests(session, unit_id=viewer.person.unit_id):
        pid = row.person.id or 0
        if person_id is not None and pid != person_id:
            continue
        if row.source == "objection":
            if not may_see_objection(
                viewer_id=me, admin=viewer.admin, person_id=pid, issuer_id=row.issuer_id
            ):
                continue
            what = texts.web_objection(record_label(row.record_kind or "", row.record_id or 0))
        else:
            if not may_see_appeal(viewer_id=me, admin=viewer.admin, person_id=pid):
                continue
            what = texts.web_appeal(period_label(row.kind or "", row.period or ""))
        due = row.decide_by
        items.append(
            OpenItem(
                name=row.person.name, dept=row.department,
                url=person_url(row.person) if viewer.may_see(row.person) else "", what=what,
                filed=short_date(row.filed_at.astimezone(zone).date()),
                due=short_date(due) if due is not None else "",
                overdue=due is not None and today > due,
            )
        )  # fmt: skip
    return items


def kind_label(record: Record) -> str:
    """点赞 / 错情 / 严重错情 / 加分 / 一票否决 …"""
    if record.kind in {RecordKind.LIKE.value, RecordKind.ERROR.value}:
        return texts.severity_label(record.kind, record.severity)
    label = KIND_LABELS.get(RecordKind(record.kind), record.kind)
    return (
        f"{label}（{record.severity}）"
        if record.kind == RecordKind.VETO.value and record.severity
        else label
    )


def task_status(task: Any) -> str:
    """A task's state in words."""
    return TaskStatus(task.status).label


def _kind_word(report: Report) -> str:
    return "周报" if report.kind == "weekly" else "日报"


def _status_word(report: Report) -> str:
    return STATUS_LABELS.get(FilingStatus(report.status), report.status)


def _month(text: str, today: date) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def _dates(query: Any) -> tuple[date | None, date | None, str]:
    """The from / to dates of a filter form; a wrong one is ignored and said."""
    found: list[date | None] = []
    error = ""
    for key in ("from", "to"):
        text = query.get(key, "").strip()
        try:
            found.append(date.fromisoformat(text) if text else None)
        except ValueError:
            found.append(None)
            error = texts.WEB_DATE_BAD
    return found[0], found[1], error


def _quarter(text: str, default: Quarter) -> tuple[Quarter, str]:
    text = text.strip()
    if not text:
        return default, ""
    try:
        return Quarter.parse(text), ""
    except ValueError:
        return default, texts.WEB_QUARTER_BAD


# ---- calibration ------------------------------------------------------------------------------

NEAR = Decimal("1")  # "a small change": within one point of a bar or of the quota line


@dataclass
class CalibrationRow:
    rank: int
    name: str
    dept: str
    score: Decimal
    grade: str
    grade_label: str
    reason: str
    url: str
    below_line: bool = False  # the first one outside the 好 quota
    near: bool = False
    published: str = ""
    published_grade: str = ""


@dataclass
class CalibrationGroup:
    name: str
    size: int
    quota: int
    counts: list[tuple[str, int]]
    rows: list[CalibrationRow]
    line: str
    vetoes: list[str]
    near: list[str]


def calibration(
    result: Any, departments: dict[int, str], policy: Policy, snapshot: Any
) -> list[CalibrationGroup]:
    """Per ranking group: the people by rank, the distribution, the 好 quota line (the last
    inside and the first outside), vetoes and caps, and who sits within a point of a bar."""
    grades = policy.grades
    bars = [
        (Decimal(str(grades.good_min)), "好 最低分"),
        (Decimal(str(grades.fair_below)), "一般线"),
        (Decimal(str(grades.poor_below)), "较差线"),
    ]
    groups = []
    for group in result.groups:
        members = sorted(
            (p for p in result.people if p.group == group.group), key=lambda p: p.rank
        )
        good = [p for p in members if p.grade is Grade.GOOD and not p.undetermined]
        rows = []
        for p in members:
            row = CalibrationRow(
                p.rank, p.name, departments.get(p.department_id, ""), p.score, p.grade.value,
                p.grade_label, p.grade_reason, f"{PREFIX}/people/{p.person_id}",
            )  # fmt: skip
            if snapshot is not None and (old := snapshot.person(p.person_id)) is not None:
                row.published, row.published_grade = old["grade_label"], old["grade"]
            rows.append(row)
        line = ""
        near: list[str] = []
        if good and len(good) < len(members):
            last = good[-1]
            following = members[members.index(last) + 1]
            rows[members.index(following)].below_line = True
            line = (
                f"{last.name} {last.score}（最后一个好）｜"
                f"{following.name} {following.score}（其后第一人）"
            )
            if last.score - following.score <= NEAR:
                rows[members.index(last)].near = rows[members.index(following)].near = True
                near.append(
                    f"{last.name}、{following.name} 相差 {last.score - following.score} 分"
                )
        for row, p in zip(rows, members, strict=True):
            for bar, label in bars:
                if abs(p.score - bar) <= NEAR and not p.vetoes:
                    row.near = True
                    near.append(f"{p.name} {p.score}（{label} {bar}）")
                    break
        vetoes = [
            f"{p.name}：{'、'.join(p.vetoes or p.caps)}" for p in members if p.vetoes or p.caps
        ]
        counts = [(grade.label, count) for grade, count in group.counts]
        groups.append(
            CalibrationGroup(
                group.group, group.size, group.good_quota, counts, rows, line, vetoes, near
            )
        )
    return groups


def timing_report(console: Console) -> dict[str, float]:
    """Median server time per route in milliseconds (for `bench/` and the report)."""
    import statistics

    return {route: statistics.median(v) * 1000 for route, v in console.timings.items() if v}
