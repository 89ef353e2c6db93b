"""/mydata: a parent receives everything the bot holds about them and their child."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from bot.data_export import export_family
from tests.e2e.helpers import join


async def test_a_parent_gets_their_data_as_json_and_csv(bot, fake, clock):
    family_id = await bot.new_family("Sam")
    await bot.set_plan(family_id, ["com-point-to-toy", "cog-stack-blocks"])
    mum = fake.user(user_id=1001, first_name="Ana")
    dad = fake.user(user_id=1002, first_name="Ben")
    await join(bot, mum, await bot.invite(family_id))
    await join(bot, dad, await bot.invite(family_id), at="07:30")
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    await bot.tick()
    reminder = await mum.wait_for(lambda m: "Here is today’s practice" in m.plain)
    await mum.wait_for_answer(await mum.tap(reminder, button_text="3/5"))
    await mum.send("He said <ball> & clapped 👏")
    await mum.wait_for(lambda m: "Saved in Sam’s diary" in m.plain)
    await dad.send_photo(file_id="photo-of-tower", caption="Tower!")
    await dad.wait_for(lambda m: "Photo saved" in m.plain)

    await mum.send("/mydata")
    first = await mum.wait_for(lambda m: m.kind == "document")
    second = await mum.wait_for(lambda m: m.kind == "document")
    assert first.file.file_name == "portage-diary-2026-11-23.json" and first.file.size > 500
    assert second.file.file_name == "portage-diary-2026-11-23.csv" and second.file.size > 50
    assert "Everything I hold about you and Sam" in first.plain

    # What the files hold (built by the same service the handler calls).
    async with bot.services.sessions() as session:
        from sqlalchemy import select

        from bot.models import Carer

        carer = await session.scalar(select(Carer).where(Carer.telegram_user_id == 1001))
        export = await export_family(session, clock, carer)
    document = json.loads(export.json_bytes)
    assert document["child"]["first_name_or_nickname"] == "Sam"
    assert document["you"]["reminder_time"] == "18:30"
    assert document["other_carers"] == 1
    assert [target["title"] for target in document["plans"][0]["targets"]] == [
        "Point to a toy",
        "Build a tower",
    ]
    assert document["diary"] == [
        {
            "date": "2026-11-23",
            "target": "Point to a toy",
            "answer": "tries",
            "tries_that_worked": 3,
            "out_of": 5,
            "by": "you",
        }
    ]
    assert [(n["text"], n["telegram_file_id"], n["by"]) for n in document["notes"]] == [
        ("He said <ball> & clapped 👏", None, "you"),
        ("Tower!", "photo-of-tower", "another carer"),
    ]
    rows = list(csv.reader(io.StringIO(export.diary_csv_bytes.decode("utf-8-sig"))))
    assert rows == [
        ["date", "target", "answer", "tries that worked", "out of", "by"],
        ["2026-11-23", "Point to a toy", "tries", "3", "5", "you"],
    ]
    # Nothing about the other carer beyond their count: no Telegram ids, no times they chose.
    assert "1002" not in export.json_bytes.decode() and "07:30" not in export.json_bytes.decode()
