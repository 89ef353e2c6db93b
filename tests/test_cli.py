"""The `portage-bot` command, run for real as a subprocess in a clean directory and environment.

Each command pays Python's start-up and imports (about two seconds), so tests share one
database where they can and run independent commands side by side.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.activities import Area, load_library
from bot.cli import new_event_loop
from bot.texts import CONTENT_DIR

_SCRIPT = Path(sys.executable).with_name("portage-bot")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "bot.cli"]
USERNAME = "portage_test_bot"
LINK = re.compile(
    rf"^Family (\d+): https://t\.me/{USERNAME}\?start=([A-Za-z0-9_-]{{32,64}})$", re.MULTILINE
)
EXPIRY = re.compile(r"^Single use; expires (\d{4}-\d\d-\d\d \d\d:\d\d) UTC\.$", re.MULTILINE)
LIBRARY = load_library(CONTENT_DIR / "activities")

CUSTOM_TARGET = """\
- title: Drink from an open cup
  target: Takes three sips from an open cup you hold, at snack time
  criterion: {text: "3 sips on 3 days running", days: 3}
  steps: ["Pour a little water into a small cup.", "Hold it to their lips and tip gently."]
  materials: ["A small plastic cup"]
  tip: Clap and smile after each sip.
"""


@dataclass(frozen=True)
class Command:
    """A command with changes to the environment (None removes a variable)."""

    args: list[str]
    env: dict[str, str | None]


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def _environment(workdir: Path, **extra: str | None) -> dict[str, str]:
    # Built from nothing, so a TELEGRAM_BOT_TOKEN in the caller's environment cannot leak in.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "NO_COLOR": "1",
        "TERM": "dumb",
        "COLUMNS": "200",
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'cli.db'}",
        "TELEGRAM_BOT_USERNAME": USERNAME,
    }
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _start(workdir: Path, args: list[str], **env: str | None) -> subprocess.Popen[str]:
    assert not (workdir / ".env").exists()
    return subprocess.Popen(
        [*COMMAND, *args],
        cwd=workdir,
        env=_environment(workdir, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def _finish(process: subprocess.Popen[str]) -> Result:
    out, err = process.communicate(timeout=60)
    return Result(process.returncode, out, err)


def cli(workdir: Path, *args: str, **env: str | None) -> Result:
    return _finish(_start(workdir, list(args), **env))


def cli_side_by_side(workdir: Path, *commands: list[str] | Command) -> list[Result]:
    """Independent commands at once (none of them may migrate a fresh database)."""
    processes = [
        _start(workdir, command.args, **command.env)
        if isinstance(command, Command)
        else _start(workdir, command)
        for command in commands
    ]
    return [_finish(process) for process in processes]


def assert_clean_failure(result: Result, *fragments: str) -> None:
    """Exit 1, nothing on stdout, an `Error: ...` on stderr and no traceback."""
    assert result.code == 1, result
    assert result.out == ""
    assert result.err.startswith("Error: "), result.err
    assert "Traceback" not in result.err
    assert "╭" not in result.err  # typer's pretty traceback box
    for fragment in fragments:
        assert fragment in result.err, (fragment, result.err)


def assert_one_line_error(result: Result, *fragments: str) -> None:
    assert_clean_failure(result, *fragments)
    assert len(result.err.strip().splitlines()) == 1, result.err


def query(workdir: Path, sql: str, *params: object) -> list[tuple]:
    connection = sqlite3.connect(workdir / "cli.db")
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Invited:
    workdir: Path
    result: Result
    before: datetime
    after: datetime


@pytest.fixture(scope="module")
def invited(tmp_path_factory: pytest.TempPathFactory) -> Invited:
    """A database where `invite family --child Sam` has run: family 1."""
    workdir = tmp_path_factory.mktemp("cli")
    before = _utc_now()
    result = cli(workdir, "invite", "family", "--child", "Sam")
    return Invited(workdir, result, before, _utc_now())


def _link(result: Result) -> tuple[int, str]:
    assert result.code == 0, result
    match = LINK.search(result.out)
    assert match, result.out
    return int(match.group(1)), match.group(2)


def _new_family(workdir: Path, child: str) -> int:
    """A family for the plan commands to work on, without paying for another `invite`."""
    connection = sqlite3.connect(workdir / "cli.db")
    try:
        with connection:
            cursor = connection.execute(
                "INSERT INTO families (child_name, timezone, created_at_utc) VALUES (?, ?, ?)",
                (child, "Europe/London", _utc_now().isoformat(sep=" ")),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid
    finally:
        connection.close()


# --- invite family ---------------------------------------------------------------------------


def test_invite_new_family_prints_link_and_expiry(invited: Invited) -> None:
    result = invited.result
    assert result.code == 0, result
    assert result.err == ""
    lines = result.out.strip().splitlines()
    assert len(lines) == 2
    family_id, code = _link(result)
    assert family_id == 1
    assert lines[0] == f"Family 1: https://t.me/portage_test_bot?start={code}"
    expiry = EXPIRY.fullmatch(lines[1])
    assert expiry, lines[1]
    expires = datetime.strptime(expiry.group(1), "%Y-%m-%d %H:%M")
    fourteen_days = timedelta(days=14)
    assert (invited.before + fourteen_days).replace(second=0, microsecond=0) <= expires
    assert expires <= invited.after + fourteen_days


def test_invite_is_stored_only_as_a_hash(invited: Invited) -> None:
    _, code = _link(invited.result)
    assert query(invited.workdir, "SELECT id, child_name FROM families WHERE id = 1") == [
        (1, "Sam")
    ]
    rows = query(
        invited.workdir,
        "SELECT code_sha256, role, family_id, created_at_utc, expires_at_utc, used_at_utc "
        "FROM invites WHERE id = 1",
    )
    assert len(rows) == 1
    code_hash, role, family_id, created, expires, used = rows[0]
    assert code_hash == hashlib.sha256(code.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", code_hash)
    assert (role, family_id, used) == ("family", 1, None)
    created_at, expires_at = datetime.fromisoformat(created), datetime.fromisoformat(expires)
    assert expires_at - created_at == timedelta(days=14)
    assert invited.before - timedelta(seconds=1) <= created_at <= invited.after
    # The code itself is nowhere: not in the database file, nor in its write-ahead log.
    files = [invited.workdir / name for name in ("cli.db", "cli.db-wal", "cli.db-shm")]
    stored = b"".join(path.read_bytes() for path in files if path.exists())
    assert len(stored) > 0
    assert code.encode() not in stored
    assert code_hash.encode() in stored


def test_invite_another_carer_of_the_same_family(invited: Invited) -> None:
    _, first_code = _link(invited.result)
    result = cli(invited.workdir, "invite", "family", "--family", "1")
    family_id, code = _link(result)
    assert family_id == 1
    assert code != first_code
    assert EXPIRY.search(result.out)
    hashed = hashlib.sha256(code.encode()).hexdigest()
    assert query(
        invited.workdir, "SELECT family_id FROM invites WHERE code_sha256 = ?", hashed
    ) == [(1,)]
    # No new family was made for the second carer.
    assert query(invited.workdir, "SELECT COUNT(*) FROM families WHERE child_name = 'Sam'") == [
        (1,)
    ]


def test_invite_needs_exactly_one_of_child_and_family(invited: Invited) -> None:
    neither, both, unknown_family, unknown_visitor, no_username = cli_side_by_side(
        invited.workdir,
        ["invite", "family"],
        ["invite", "family", "--child", "Alex", "--family", "1"],
        ["invite", "family", "--family", "999"],
        ["invite", "family", "--child", "Alex", "--visitor", "99"],
        Command(["invite", "family", "--child", "Alex"], {"TELEGRAM_BOT_USERNAME": None}),
    )
    assert_one_line_error(neither, "--child", "--family")
    assert_one_line_error(both, "--child", "--family")
    assert_one_line_error(unknown_family, "999")
    assert_one_line_error(unknown_visitor, "no home visitor with id 99")
    # Without a username or a token to ask the Bot API for it, nothing is made.
    assert_one_line_error(no_username, "TELEGRAM_BOT_USERNAME")
    assert query(invited.workdir, "SELECT COUNT(*) FROM families WHERE child_name = 'Alex'") == [
        (0,)
    ]


def test_invite_with_a_visitor(tmp_path: Path) -> None:
    added = cli(tmp_path, "visitor", "add", "Jo")
    assert added.code == 0, added
    assert added.out == "Visitor 1 added.\n"
    assert query(tmp_path, "SELECT id, name, role FROM staff") == [(1, "Jo", "visitor")]
    family_id, _ = _link(cli(tmp_path, "invite", "family", "--child", "Sam", "--visitor", "1"))
    assert family_id == 1
    assert query(tmp_path, "SELECT id, child_name, visitor_id FROM families") == [(1, "Sam", 1)]
    assert query(tmp_path, "SELECT COUNT(*) FROM invites") == [(1,)]


def test_bad_time_zones_and_names_are_refused(invited: Invited) -> None:
    """A family or visitor with a time zone zoneinfo does not know cannot be used later
    (`plan show` and every reminder compute the local date with it); a visitor needs a name,
    as a child does."""
    family, visitor, blank_name = cli_side_by_side(
        invited.workdir,
        ["invite", "family", "--child", "Mars", "--timezone", "Mars/Olympus_Mons"],
        ["visitor", "add", "Zed", "--timezone", "Mars/Olympus_Mons"],
        ["visitor", "add", "   "],
    )
    assert_clean_failure(family, "Mars/Olympus_Mons")
    assert_clean_failure(visitor, "Mars/Olympus_Mons")
    assert_clean_failure(blank_name)
    assert query(invited.workdir, "SELECT COUNT(*) FROM families WHERE child_name = 'Mars'") == [
        (0,)
    ]
    assert query(invited.workdir, "SELECT COUNT(*) FROM staff") == [(0,)]


# --- plan set / plan show --------------------------------------------------------------------


def _criterion(activity_id: str) -> str:
    activity = LIBRARY.get(activity_id)
    assert activity is not None
    return activity.criterion.text


def test_plan_set_and_show(invited: Invited) -> None:
    family = _new_family(invited.workdir, "Pip")
    result = cli(
        invited.workdir,
        "plan",
        "set",
        str(family),
        "--activity",
        "com-point-to-toy",
        "--activity",
        "cog-stack-blocks",
    )
    assert result.code == 0, result
    assert re.fullmatch(
        rf"Plan for family {family}: 2 target\(s\) from \d{{4}}-\d\d-\d\d\.\n", result.out
    )
    shown = cli(invited.workdir, "plan", "show", str(family))
    assert shown.code == 0, shown
    lines = shown.out.strip().splitlines()
    assert re.fullmatch(r"From \d{4}-\d\d-\d\d:", lines[0])
    assert lines[1:] == [
        f"  1. Point to a toy (com-point-to-toy): {_criterion('com-point-to-toy')}",
        f"  2. {LIBRARY.get('cog-stack-blocks').title} (cog-stack-blocks): "  # type: ignore[union-attr]
        f"{_criterion('cog-stack-blocks')}",
    ]


def test_plan_set_refuses_bad_targets(invited: Invited, tmp_path: Path) -> None:
    missing_key = tmp_path / "missing.yaml"
    missing_key.write_text(
        "".join(line for line in CUSTOM_TARGET.splitlines(True) if "criterion" not in line)
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("- title: [unclosed\n")
    five = [activity.id for activity in LIBRARY][:5]
    unknown, too_many, custom, unreadable, bad_date = cli_side_by_side(
        invited.workdir,
        ["plan", "set", "1", "--activity", "no-such-id"],
        ["plan", "set", "1", *[option for item in five for option in ("--activity", item)]],
        ["plan", "set", "1", "--custom-file", str(missing_key)],
        ["plan", "set", "1", "--custom-file", str(broken)],
        ["plan", "set", "1", "--activity", "com-point-to-toy", "--starts", "2026-13-01"],
    )
    assert_one_line_error(unknown, "'no-such-id'")
    assert_one_line_error(too_many, "1 to 4 targets, not 5")
    # Pydantic's and PyYAML's messages take several lines, but no traceback.
    assert_clean_failure(custom, "missing.yaml", "criterion", "Field required")
    assert_clean_failure(unreadable, "broken.yaml")
    assert_one_line_error(bad_date, "month")
    assert query(invited.workdir, "SELECT COUNT(*) FROM plans WHERE family_id = 1") == [(0,)]


def test_plan_with_custom_targets(invited: Invited, tmp_path: Path) -> None:
    kit, lou = _new_family(invited.workdir, "Kit"), _new_family(invited.workdir, "Lou")
    readme_example = tmp_path / "kits-targets.yaml"
    readme_example.write_text(CUSTOM_TARGET)
    counts_tries = tmp_path / "lous-targets.yaml"
    counts_tries.write_text(
        CUSTOM_TARGET.replace(
            '{text: "3 sips on 3 days running", days: 3}',
            '{text: "3 of 5 sips, 3 days running", days: 3, tries: 5}',
        )
    )
    with_library, tries_only = cli_side_by_side(
        invited.workdir,
        [
            "plan",
            "set",
            str(kit),
            "--activity",
            "com-point-to-toy",
            "--custom-file",
            str(readme_example),
        ],
        ["plan", "set", str(lou), "--custom-file", str(counts_tries)],
    )
    assert with_library.code == 0, with_library
    assert f"Plan for family {kit}: 2 target(s)" in with_library.out
    assert tries_only.code == 0, tries_only
    assert f"Plan for family {lou}: 1 target(s)" in tries_only.out

    shown = cli(invited.workdir, "plan", "show", str(kit))
    assert shown.code == 0, shown
    assert shown.out.splitlines()[1:] == [
        f"  1. Point to a toy (com-point-to-toy): {_criterion('com-point-to-toy')}",
        "  2. Drink from an open cup (custom): 3 sips on 3 days running",
    ]
    targets = (
        "SELECT t.position, t.activity_id, t.criterion_text, t.criterion_days, t.criterion_tries,"
        " t.tip FROM targets t JOIN plans p ON p.id = t.plan_id WHERE p.family_id = ?"
        " ORDER BY t.position"
    )
    tip = "Clap and smile after each sip."
    assert query(invited.workdir, targets, kit)[1] == (
        2,
        None,
        "3 sips on 3 days running",
        3,
        None,
        tip,
    )
    assert query(invited.workdir, targets, lou) == [
        (1, None, "3 of 5 sips, 3 days running", 3, 5, tip)
    ]


def test_plan_starting_later_is_not_shown_yet(invited: Invited) -> None:
    family = _new_family(invited.workdir, "Ned")
    result = cli(
        invited.workdir,
        "plan",
        "set",
        str(family),
        "--activity",
        "com-point-to-toy",
        "--starts",
        "2030-01-01",
    )
    assert result.code == 0, result
    assert result.out == f"Plan for family {family}: 1 target(s) from 2030-01-01.\n"
    shown = cli(invited.workdir, "plan", "show", str(family))
    assert shown.code == 0, shown
    assert shown.out == "No plan yet.\n"
    assert query(invited.workdir, "SELECT starts_on FROM plans WHERE family_id = ?", family) == [
        ("2030-01-01",)
    ]


# --- db upgrade ------------------------------------------------------------------------------


def test_db_upgrade_creates_tables_and_is_repeatable(tmp_path: Path) -> None:
    first = cli(tmp_path, "db", "upgrade")
    assert first.code == 0, first
    assert first.out == "Database is up to date.\n"
    tables = {
        row[0] for row in query(tmp_path, "SELECT name FROM sqlite_master WHERE type='table'")
    }
    expected = {"alembic_version", "staff", "families", "invites", "carers", "plans", "targets"}
    assert expected <= tables
    version = query(tmp_path, "SELECT version_num FROM alembic_version")
    assert len(version) == 1
    second = cli(tmp_path, "db", "upgrade")
    assert second.code == 0, second
    assert second.out == "Database is up to date.\n"
    assert query(tmp_path, "SELECT version_num FROM alembic_version") == version


# --- content and run -------------------------------------------------------------------------


def test_content_commands_and_run_without_token(tmp_path: Path) -> None:
    check, listed, unknown_area, run = cli_side_by_side(
        tmp_path,
        ["content", "check"],
        ["content", "list", "--area", "sensory"],
        ["content", "list", "--area", "music"],
        ["run"],
    )
    assert check.code == 0, check
    assert check.out.startswith("Content OK: 42 activities")
    assert check.err == ""

    assert listed.code == 0, listed
    lines = listed.out.strip().splitlines()
    assert len(lines) == 7
    assert all(line.split()[1] == "sensory" for line in lines)
    assert {line.split()[0] for line in lines} == {
        activity.id for activity in LIBRARY.in_area(Area.SENSORY)
    }
    assert unknown_area.code == 2  # a usage error from typer
    assert unknown_area.out == ""
    assert "Traceback" not in unknown_area.err

    assert_one_line_error(run, "TELEGRAM_BOT_TOKEN")


def test_run_webhook_refuses_without_its_settings(tmp_path: Path) -> None:
    token = "123456:TEST-TOKEN"
    bad_secret = "not/a:secret"
    no_token, nothing, no_secret, plain_http, unallowed = cli_side_by_side(
        tmp_path,
        ["run", "--webhook"],
        Command(["run", "--webhook"], {"TELEGRAM_BOT_TOKEN": token}),
        Command(
            ["run", "--webhook"],
            {"TELEGRAM_BOT_TOKEN": token, "WEBHOOK_PUBLIC_URL": "https://bot.example.org"},
        ),
        Command(
            ["run", "--webhook"],
            {
                "TELEGRAM_BOT_TOKEN": token,
                "WEBHOOK_PUBLIC_URL": "http://bot.example.org",
                "WEBHOOK_SECRET_TOKEN": "s3cret",
            },
        ),
        Command(
            ["run", "--webhook"],
            {
                "TELEGRAM_BOT_TOKEN": token,
                "WEBHOOK_PUBLIC_URL": "https://bot.example.org",
                "WEBHOOK_SECRET_TOKEN": bad_secret,
            },
        ),
    )
    assert_one_line_error(no_token, "TELEGRAM_BOT_TOKEN")
    assert_one_line_error(nothing, "WEBHOOK_PUBLIC_URL and WEBHOOK_SECRET_TOKEN must be set")
    assert_one_line_error(no_secret, "WEBHOOK_SECRET_TOKEN must be set")
    assert "WEBHOOK_PUBLIC_URL" not in no_secret.err
    assert_one_line_error(plain_http, "WEBHOOK_PUBLIC_URL", "https://")
    assert_one_line_error(unallowed, "WEBHOOK_SECRET_TOKEN", "A-Z, a-z, 0-9, _ and -")
    # The refused value is not repeated (it may be a real secret, or the bot token by mistake).
    assert bad_secret not in unallowed.err
    assert not (tmp_path / "cli.db").exists()  # refused before touching the database


# --- visitors, managers and holidays -----------------------------------------------------------

STAFF_LINK = re.compile(
    r"^(Visitor|Manager) (\d+) \((.+)\): https://t\.me/portage_test_bot\?start=([A-Za-z0-9_-]{32})$"
)


def test_invite_visitor_and_manager_print_sign_in_links(tmp_path: Path) -> None:
    visitor = cli(tmp_path, "invite", "visitor", "Priya Shah")
    manager = cli(tmp_path, "invite", "manager", "Jo", "--timezone", "Europe/Dublin")
    for result, role, staff_id, name in (
        (visitor, "Visitor", "1", "Priya Shah"),
        (manager, "Manager", "2", "Jo"),
    ):
        assert result.code == 0, result
        first, second = result.out.strip().splitlines()
        match = STAFF_LINK.fullmatch(first)
        assert match and match.groups()[:3] == (role, staff_id, name), first
        assert EXPIRY.fullmatch(second), second
    assert query(tmp_path, "SELECT id, name, role, timezone, telegram_user_id FROM staff") == [
        (1, "Priya Shah", "visitor", "Europe/London", None),
        (2, "Jo", "manager", "Europe/Dublin", None),
    ]
    assert query(tmp_path, "SELECT role, staff_id, family_id FROM invites ORDER BY id") == [
        ("visitor", 1, None),
        ("manager", 2, None),
    ]


def test_holidays_are_added_and_listed(tmp_path: Path) -> None:
    added = cli(tmp_path, "holiday", "add", "Christmas", "2026-12-21", "2027-01-03")
    assert added.code == 0 and added.out == "Holiday added: Christmas, 2026-12-21 to 2027-01-03.\n"
    listed = cli(tmp_path, "holiday", "list")
    assert listed.out == "2026-12-21 to 2027-01-03  Christmas\n"
    backwards = cli(tmp_path, "holiday", "add", "Oops", "2027-01-03", "2026-12-21")
    assert_one_line_error(backwards, "ends on or after")
    assert_one_line_error(cli(tmp_path, "holiday", "add", "Bad", "someday", "2026-12-21"))
    assert query(tmp_path, "SELECT name FROM school_holidays") == [("Christmas",)]


# --- groups for announcements, and the waiting list --------------------------------------------


def test_groups_are_made_filled_and_listed_with_a_waiting_list_family(tmp_path: Path) -> None:
    assert cli(tmp_path, "invite", "manager", "Jo").code == 0
    made = cli(tmp_path, "group", "create", "Monday drop-in, Coalville", "--owner", "1")
    assert made.code == 0 and made.out == "Group 1: Monday drop-in, Coalville\n"
    family_id, _ = _link(
        cli(tmp_path, "invite", "family", "--child", "Zara", "--announcements-only")
    )
    other = _new_family(tmp_path, "Sam")
    added = cli(tmp_path, "group", "add", "1", str(family_id), str(other))
    assert added.code == 0 and added.out == "Group 1: 2 families added.\n"
    again = cli(tmp_path, "group", "add", "1", str(family_id))
    assert again.out == "Group 1: 0 families added.\n"
    assert cli(tmp_path, "group", "list").out == "1: Monday drop-in, Coalville (2 families)\n"
    assert query(tmp_path, "SELECT child_name, announcements_only FROM families ORDER BY id") == [
        ("Zara", 1),
        ("Sam", 0),
    ]
    assert_one_line_error(
        cli(tmp_path, "group", "create", "Play group", "--owner", "9"), "no visitor or manager"
    )
    assert_one_line_error(cli(tmp_path, "group", "add", "1", "999"), "no family with id 999")
    assert_one_line_error(cli(tmp_path, "group", "add", "7", str(other)), "no group with id 7")
    assert query(tmp_path, "SELECT group_id, family_id FROM group_members ORDER BY family_id") == [
        (1, family_id),
        (1, other),
    ]


# --- data requests by letter, and the audit log -------------------------------------------------


def test_a_family_is_exported_then_erased_and_the_audit_log_shows_both(tmp_path: Path) -> None:
    family_id, _ = _link(cli(tmp_path, "invite", "family", "--child", "Sam"))
    exported = cli(tmp_path, "family", "export", str(family_id), "--out", str(tmp_path / "out"))
    assert exported.code == 0, exported
    files = sorted((tmp_path / "out").iterdir())
    assert [path.suffix for path in files] == [".csv", ".json"]
    document = json.loads(files[1].read_text(encoding="utf-8"))
    assert document["child"]["first_name_or_nickname"] == "Sam" and document["carers"] == []

    assert_one_line_error(cli(tmp_path, "family", "forget", str(family_id)), "--yes")
    erased = cli(tmp_path, "family", "forget", str(family_id), "--yes")
    assert erased.code == 0, erased
    assert erased.out.startswith(f"Family {family_id} erased: 0 carer(s)")
    assert query(tmp_path, "SELECT child_name, erased_at_utc IS NOT NULL FROM families") == [
        ("", 1)
    ]
    assert_one_line_error(cli(tmp_path, "family", "forget", str(family_id), "--yes"), "no family")
    assert_one_line_error(cli(tmp_path, "family", "export", str(family_id)), "no family")

    log = cli(tmp_path, "audit", "--family", str(family_id))
    actions = [line.split()[4] for line in log.out.strip().splitlines()]
    assert actions == ["erase_family", "export_family", "invite_carer"]
    assert "Sam" not in log.out
    assert cli(tmp_path, "audit", "--refused").out == "No audit entries match.\n"
    assert_one_line_error(cli(tmp_path, "audit", "--since", "last week"))


def test_the_bot_runs_on_uvloop_where_installed_and_on_asyncio_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = new_event_loop()
    try:
        assert type(loop).__module__ == "uvloop"
    finally:
        loop.close()
    # As on Windows, where uvloop is not installed: asyncio's own loop, no error.
    monkeypatch.setitem(sys.modules, "uvloop", None)
    loop = new_event_loop()
    try:
        assert isinstance(loop, asyncio.BaseEventLoop)
        assert type(loop).__module__.startswith("asyncio")
    finally:
        loop.close()
