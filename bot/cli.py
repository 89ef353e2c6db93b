"""The `portage-bot` command: run the bot, migrate, invite families, set plans, check content."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, TypeVar

import httpx
import typer
import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import audit, logs
from bot.activities import Area, LibraryError, TargetContent, load_library
from bot.clock import SystemClock, as_utc, local_date
from bot.config import (
    MissingTokenError,
    MissingWebhookSettingsError,
    Settings,
    require_token,
    require_webhook,
)
from bot.content_check import check_content
from bot.data_export import export_for_service
from bot.db import make_engine, make_sessionmaker
from bot.enrolment import (
    EnrolmentError,
    add_staff,
    add_visitor,
    create_family,
    invite_link,
    issue_family_invite,
    issue_staff_invite,
)
from bot.groups import GroupError, add_families, create_group
from bot.leaving import erase_and_tell
from bot.migrate import upgrade_to_head
from bot.models import Family, Group, GroupMember, Staff
from bot.plans import PlanError, TargetSpec, plan_on, set_plan, specs_from_ids
from bot.staff import member_of
from bot.texts import CONTENT_DIR, Texts
from bot.visits import VisitError, add_holiday, holidays

app = typer.Typer(help="Portage companion bot.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
invite_app = typer.Typer(help="Invitation links.", no_args_is_help=True)
plan_app = typer.Typer(help="A child's plan of targets.", no_args_is_help=True)
visitor_app = typer.Typer(help="Home visitors.", no_args_is_help=True)
family_app = typer.Typer(help="A family's data: requests by letter or email.", no_args_is_help=True)
holiday_app = typer.Typer(help="School holidays repeating visits skip.", no_args_is_help=True)
content_app = typer.Typer(help="The activity library and message templates.", no_args_is_help=True)
group_app = typer.Typer(
    help="Groups families hear about (drop-ins, play groups).", no_args_is_help=True
)
for sub_app, name in (
    (db_app, "db"),
    (invite_app, "invite"),
    (plan_app, "plan"),
    (visitor_app, "visitor"),
    (holiday_app, "holiday"),
    (family_app, "family"),
    (content_app, "content"),
    (group_app, "group"),
):
    app.add_typer(sub_app, name=name)

T = TypeVar("T")
log = logging.getLogger(__name__)

# Between one getUpdates and the next. A lone update is not held up (the long poll answers the
# moment it arrives); in a busy minute each call brings several, so fewer calls are made and
# more goes into each batch (bot/batching.py). At 200 taps a second on SQLite, full size, two
# alternating pairs at f99199e: 0.55x the bot's CPU a tap (2.55 and 2.18 ms against 4.19 and
# 4.08), for a p50 of 17-20 ms against 9; p99 the same either way (31-33 ms against 26-32).
POLL_INTERVAL_SECONDS = 0.02


def _fail(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code=1)


def _with_session(work: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    """Migrate, run `work` in one transaction, and dispose of the engine."""
    settings = Settings()

    async def _run() -> T:
        engine = make_engine(settings.database_url)
        try:
            await upgrade_to_head(engine)
            async with make_sessionmaker(engine).begin() as session:
                return await work(session, settings)
        finally:
            await engine.dispose()

    return asyncio.run(_run())


@app.command()
def run(
    webhook: Annotated[
        bool,
        typer.Option(
            "--webhook",
            help="Receive updates by webhook (WEBHOOK_* settings) instead of long polling.",
        ),
    ] = False,
) -> None:
    """Run the bot (long polling, or --webhook). Applies database migrations first."""
    from bot.app import build_application
    from bot.webhook import ALLOWED_UPDATES, run_webhook

    try:
        settings = Settings()
    except ValidationError as error:
        # Field names and reasons only: the values may be the token or the secret.
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']).upper()}: "
            f"{problem['msg'].removeprefix('Value error, ')}"
            for problem in error.errors()
        )
        _fail(f"invalid settings: {problems}")
    logs.configure(settings.log_level)
    if webhook:
        try:
            require_token(settings)
            require_webhook(settings)
        except (MissingTokenError, MissingWebhookSettingsError) as error:
            _fail(str(error))
        set_start_up_aside()
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(run_webhook(settings))
        return
    try:
        application = build_application(settings)
    except MissingTokenError as error:
        _fail(str(error))
    # run_polling runs on the current event loop, so it is set first.
    asyncio.set_event_loop(new_event_loop())
    set_start_up_aside()
    application.run_polling(allowed_updates=ALLOWED_UPDATES, poll_interval=POLL_INTERVAL_SECONDS)


def set_start_up_aside() -> None:
    """Keep what start-up made (modules, classes, the handlers, the templates) out of the garbage
    collector's sight for the life of the process.

    Those 150,000-odd objects live as long as the bot does, yet every full collection walked
    them all: 75-200 ms with the event loop stopped, every second or so in a burst of taps.
    Frozen, they are never walked again; the objects each update makes still are. Called once,
    by the process that owns the heap (not by tests that build the bot inside theirs).
    """
    gc.collect()
    gc.freeze()
    log.info("start-up objects set aside from garbage collection: %d", gc.get_freeze_count())


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The bot's event loop: uvloop where it is installed (not on Windows), asyncio's own
    otherwise. The bot is mostly hand-offs (HTTP answers, SQLite's worker threads, timers), and
    on uvloop a tap on SQLite took about 30% less CPU; on PostgreSQL it made no difference
    (bench/RESULTS.md)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations."""
    settings = Settings()

    async def _upgrade() -> None:
        engine = make_engine(settings.database_url)
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()

    asyncio.run(_upgrade())
    typer.echo("Database is up to date.")


def _bot_username(settings: Settings) -> str:
    if settings.telegram_bot_username:
        return settings.telegram_bot_username.lstrip("@")
    token = require_token(settings)
    response = httpx.get(f"{settings.telegram_api_base_url.rstrip('/')}{token}/getMe", timeout=10)
    response.raise_for_status()
    return str(response.json()["result"]["username"])


@invite_app.command("family")
def invite_family(
    child: Annotated[str | None, typer.Option(help="The child's first name or nickname.")] = None,
    family: Annotated[
        int | None, typer.Option(help="Invite another carer to this existing family.")
    ] = None,
    visitor: Annotated[int | None, typer.Option(help="The home visitor's id.")] = None,
    timezone: Annotated[str | None, typer.Option(help="The family's time zone.")] = None,
    announcements_only: Annotated[
        bool,
        typer.Option(
            "--announcements-only",
            help="On the waiting list: news of groups only, until a visitor sets a plan.",
        ),
    ] = False,
) -> None:
    """Print a single-use invitation link for a parent or carer."""
    if (child is None) == (family is None):
        _fail("give either --child for a new family or --family for another carer")
    clock = SystemClock()
    try:
        username = _bot_username(Settings())
    except (MissingTokenError, httpx.HTTPError, KeyError) as error:
        _fail(f"cannot find the bot's username (set TELEGRAM_BOT_USERNAME): {error}")

    async def _invite(session: AsyncSession, settings: Settings) -> tuple[int, str, object]:
        family_id = family
        if family_id is None:
            assert child is not None
            created = await create_family(
                session,
                clock,
                child_name=child,
                visitor_id=visitor,
                timezone=timezone or settings.default_timezone,
                announcements_only=announcements_only,
            )
            family_id = created.id
        issued = await issue_family_invite(
            session, clock, family_id=family_id, ttl_days=settings.invite_ttl_days
        )
        await _record_cli(session, "invite_carer", family_id)
        return family_id, issued.code, issued.expires_at_utc

    try:
        family_id, code, expires = _with_session(_invite)
    except EnrolmentError as error:
        _fail(str(error))
    typer.echo(f"Family {family_id}: {invite_link(username, code)}")
    typer.echo(f"Single use; expires {expires:%Y-%m-%d %H:%M} UTC.")


def _invite_staff(name: str, role: str, timezone: str | None) -> None:
    clock = SystemClock()
    try:
        username = _bot_username(Settings())
    except (MissingTokenError, httpx.HTTPError, KeyError) as error:
        _fail(f"cannot find the bot's username (set TELEGRAM_BOT_USERNAME): {error}")

    async def _invite(session: AsyncSession, settings: Settings) -> tuple[int, str, object]:
        member = await add_staff(
            session,
            clock,
            name=name,
            role=role,
            timezone=timezone or settings.default_timezone,
        )
        issued = await issue_staff_invite(
            session, clock, staff_id=member.id, ttl_days=settings.invite_ttl_days
        )
        return member.id, issued.code, issued.expires_at_utc

    try:
        staff_id, code, expires = _with_session(_invite)
    except EnrolmentError as error:
        _fail(str(error))
    typer.echo(f"{role.title()} {staff_id} ({name}): {invite_link(username, code)}")
    typer.echo(f"Single use; expires {expires:%Y-%m-%d %H:%M} UTC.")


@invite_app.command("visitor")
def invite_visitor(
    name: Annotated[str, typer.Argument(help="The home visitor's name.")],
    timezone: Annotated[str | None, typer.Option(help="Their time zone.")] = None,
) -> None:
    """Register a home visitor and print their single-use sign-in link."""
    _invite_staff(name, "visitor", timezone)


@invite_app.command("manager")
def invite_manager(
    name: Annotated[str, typer.Argument(help="The service manager's name.")],
    timezone: Annotated[str | None, typer.Option(help="Their time zone.")] = None,
) -> None:
    """Register a service manager and print their single-use sign-in link."""
    _invite_staff(name, "manager", timezone)


@holiday_app.command("add")
def holiday_add(
    name: Annotated[str, typer.Argument(help="For example: Christmas.")],
    first: Annotated[str, typer.Argument(help="First day, YYYY-MM-DD.")],
    last: Annotated[str, typer.Argument(help="Last day, YYYY-MM-DD.")],
) -> None:
    """A school holiday: repeating visits skip it."""

    async def _add(session: AsyncSession, settings: Settings) -> None:
        await add_holiday(
            session,
            name=name,
            starts_on=date.fromisoformat(first),
            ends_on=date.fromisoformat(last),
        )

    try:
        _with_session(_add)
    except (ValueError, VisitError) as error:
        _fail(str(error))
    typer.echo(f"Holiday added: {name}, {first} to {last}.")


@holiday_app.command("list")
def holiday_list() -> None:
    """The school holidays entered so far."""

    async def _list(session: AsyncSession, settings: Settings) -> list[str]:
        return [
            f"{holiday.starts_on:%Y-%m-%d} to {holiday.ends_on:%Y-%m-%d}  {holiday.name}"
            for holiday in await holidays(session)
        ]

    typer.echo("\n".join(_with_session(_list)) or "No holidays entered.")


async def _record_cli(
    session: AsyncSession, action: str, family_id: int | None, detail: str = ""
) -> None:
    """The CLI is a manager's tool too: what it does to a family is in the audit log."""
    await audit.record(
        session,
        SystemClock(),
        action=action,
        outcome=audit.ALLOWED,
        family_id=family_id,
        detail=f"cli {detail}".strip(),
    )


@group_app.command("create")
def group_create(
    name: Annotated[str, typer.Argument(help="For example: Monday drop-in, Coalville.")],
    owner: Annotated[
        int, typer.Option(help="The manager (a group for the service) or visitor it belongs to.")
    ],
) -> None:
    """Make a group that families can be added to and announcements sent to."""

    async def _create(session: AsyncSession, settings: Settings) -> int:
        staff = await session.get(Staff, owner)
        if staff is None:
            raise GroupError(f"there is no visitor or manager with id {owner}")
        group = await create_group(session, SystemClock(), member_of(staff), name)
        return group.id

    try:
        group_id = _with_session(_create)
    except GroupError as error:
        _fail(str(error))
    typer.echo(f"Group {group_id}: {name}")


@group_app.command("add")
def group_add(
    group: Annotated[int, typer.Argument(help="The group's id.")],
    families: Annotated[list[int], typer.Argument(help="Family ids to add.")],
) -> None:
    """Add families to a group (those already in it stay as they are)."""

    async def _add(session: AsyncSession, settings: Settings) -> int:
        added = await add_families(session, SystemClock(), group, families)
        for family_id in families:
            await _record_cli(session, "group_family", family_id, f"group {group}")
        return added

    try:
        added = _with_session(_add)
    except GroupError as error:
        _fail(str(error))
    typer.echo(f"Group {group}: {added} families added.")


@group_app.command("list")
def group_list() -> None:
    """Every group, with how many families are in it."""

    async def _list(session: AsyncSession, settings: Settings) -> list[str]:
        counts = dict(
            (
                await session.execute(
                    select(GroupMember.group_id, func.count()).group_by(GroupMember.group_id)
                )
            ).all()
        )
        groups = await session.scalars(select(Group).order_by(Group.id))
        return [f"{each.id}: {each.name} ({counts.get(each.id, 0)} families)" for each in groups]

    for line in _with_session(_list) or ["No groups yet."]:
        typer.echo(line)


@family_app.command("export")
def family_export(
    family: Annotated[int, typer.Argument(help="The family's id.")],
    out: Annotated[Path, typer.Option(help="The folder to write the files to.")] = Path("."),
) -> None:
    """Everything held about a family, as JSON and a CSV of the diary (a subject access request)."""

    async def _export(session: AsyncSession, settings: Settings) -> list[Path]:
        export = await export_for_service(session, SystemClock(), family)
        await _record_cli(session, "export_family", family)
        out.mkdir(parents=True, exist_ok=True)
        written = [out / f"{export.file_stem}.json", out / f"{export.file_stem}.csv"]
        written[0].write_bytes(export.json_bytes)
        written[1].write_bytes(export.diary_csv_bytes)
        return written

    try:
        written = _with_session(_export)
    except (LookupError, OSError) as error:
        _fail(str(error))
    for path in written:
        typer.echo(f"Wrote {path}")


@family_app.command("forget")
def family_forget(
    family: Annotated[int, typer.Argument(help="The family's id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
) -> None:
    """Erase a family's personal data (an erasure request); their visitor is told."""
    if not yes:
        _fail("erasing cannot be undone: add --yes to confirm")
    clock = SystemClock()

    async def _forget(session: AsyncSession, settings: Settings) -> dict | None:
        erasure = await erase_and_tell(
            session,
            clock,
            Texts(CONTENT_DIR, retention_days=settings.retention_days),
            family,
            reason="parent_request",
            action="erase_family",
            detail="cli parent_request",
        )
        return erasure.counts if erasure else None

    counts = _with_session(_forget)
    if counts is None:
        _fail(f"there is no family {family} with data to erase")
    typer.echo(
        f"Family {family} erased: {counts['carers']} carer(s), {counts['days_answered']} day(s) "
        f"answered, {counts['notes']} note(s). Their visitor and carers will be told."
    )


@app.command("audit")
def audit_log(
    staff: Annotated[int | None, typer.Option(help="Only this visitor or manager.")] = None,
    family: Annotated[int | None, typer.Option(help="Only this family.")] = None,
    refused: Annotated[bool, typer.Option(help="Only refused attempts.")] = False,
    since: Annotated[str | None, typer.Option(help="From this day, YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 200,
) -> None:
    """Who did what to which family, and when (ids only, never message content)."""

    async def _read(session: AsyncSession, settings: Settings) -> list[audit.AuditEntry]:
        start = datetime.combine(date.fromisoformat(since), time(0), UTC) if since else None
        return await audit.entries(
            session,
            staff_id=staff,
            family_id=family,
            outcome=audit.REFUSED if refused else None,
            since=start,
            limit=limit,
        )

    try:
        rows = _with_session(_read)
    except ValueError as error:
        _fail(str(error))
    for row in rows:
        who = f"staff {row.staff_id}" if row.staff_id is not None else "cli/system"
        if row.staff_id is None and row.telegram_user_id is not None:
            who = f"user {row.telegram_user_id}"
        where = f"family {row.family_id}" if row.family_id is not None else "-"
        typer.echo(
            f"{as_utc(row.at_utc):%Y-%m-%d %H:%M:%S}  {row.outcome:8} {who:14} {row.action:18} "
            f"{where:12} {row.detail}".rstrip()
        )
    if not rows:
        typer.echo("No audit entries match.")


@visitor_app.command("add")
def visitor_add(name: str, timezone: Annotated[str | None, typer.Option()] = None) -> None:
    """Register a home visitor (their Telegram sign-in comes with visitor invites)."""

    async def _add(session: AsyncSession, settings: Settings) -> int:
        visitor = await add_visitor(
            session, SystemClock(), name=name, timezone=timezone or settings.default_timezone
        )
        return visitor.id

    try:
        visitor_id = _with_session(_add)
    except EnrolmentError as error:
        _fail(str(error))
    typer.echo(f"Visitor {visitor_id} added.")


def _custom_specs(path: Path) -> list[TargetSpec]:
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(entries, list):
            entries = [entries]
        return [TargetSpec(content=TargetContent.model_validate(entry)) for entry in entries]
    except (OSError, yaml.YAMLError, ValueError) as error:
        raise PlanError(f"{path}: {error}") from error


@plan_app.command("set")
def plan_set(
    family: Annotated[int, typer.Argument(help="The family's id.")],
    activity: Annotated[
        list[str] | None, typer.Option(help="A library activity id; repeat for several.")
    ] = None,
    custom_file: Annotated[
        Path | None,
        typer.Option(help="YAML list of custom targets: title, target, criterion, steps, ..."),
    ] = None,
    starts: Annotated[
        str | None, typer.Option(help="First day, YYYY-MM-DD (default: today).")
    ] = None,
) -> None:
    """Set a family's plan: one to four targets, from the library and/or written by the visitor."""
    clock = SystemClock()

    async def _set(session: AsyncSession, settings: Settings) -> tuple[int, date]:
        specs = specs_from_ids(load_library(CONTENT_DIR / "activities"), activity or [])
        if custom_file is not None:
            specs += _custom_specs(custom_file)
        found = await session.get(Family, family)
        if found is None:
            raise PlanError(f"there is no family with id {family}")
        starts_on = (
            date.fromisoformat(starts) if starts else local_date(clock.now(), found.timezone)
        )
        plan = await set_plan(session, clock, family_id=family, targets=specs, starts_on=starts_on)
        await _record_cli(session, "plan_saved", family)
        return len(plan.targets), starts_on

    try:
        count, starts_on = _with_session(_set)
    except (PlanError, ValueError) as error:
        _fail(str(error))
    typer.echo(f"Plan for family {family}: {count} target(s) from {starts_on:%Y-%m-%d}.")


@plan_app.command("show")
def plan_show(family: Annotated[int, typer.Argument(help="The family's id.")]) -> None:
    """Show the plan in force today."""

    async def _show(session: AsyncSession, settings: Settings) -> list[str]:
        found = await session.get(Family, family)
        if found is None:
            raise PlanError(f"there is no family with id {family}")
        plan = await plan_on(session, family, local_date(SystemClock().now(), found.timezone))
        if plan is None:
            return ["No plan yet."]
        return [f"From {plan.starts_on:%Y-%m-%d}:"] + [
            f"  {target.position}. {target.title} ({target.activity_id or 'custom'}): "
            f"{target.criterion_text}"
            for target in plan.targets
        ]

    try:
        lines = _with_session(_show)
    except PlanError as error:
        _fail(str(error))
    typer.echo("\n".join(lines))


@content_app.command("check")
def content_check() -> None:
    """Validate the activity library and render every message within Telegram's limits."""
    problems = check_content(CONTENT_DIR)
    for problem in problems:
        typer.echo(f"- {problem}", err=True)
    if problems:
        _fail(f"{len(problems)} problem(s) in content/")
    library = load_library(CONTENT_DIR / "activities")
    typer.echo(f"Content OK: {len(library)} activities, every message within Telegram's limits.")


@content_app.command("list")
def content_list(area: Annotated[Area | None, typer.Option()] = None) -> None:
    """List the library's activities."""
    try:
        library = load_library(CONTENT_DIR / "activities")
    except LibraryError as error:
        _fail(str(error))
    for activity in library:
        if area is None or activity.area == area:
            typer.echo(f"{activity.id:26} {activity.area.value:24} {activity.title}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
