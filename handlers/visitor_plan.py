"""/plan: see a family's targets and goals, and put together a new plan of one to four targets:
keep current ones, take the library's next step, browse the library by area, or write your own.

The plan being put together (the draft) is kept in the database with the chat's state, so it
survives a restart; every tap names the family and is checked against the caseload again.
The new plan starts tomorrow unless the visitor chooses today; the parents get a short message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks, conversation
from bot.activities import Area
from bot.clock import local_date
from bot.context import BotApplication, BotContext
from bot.models import Family, Plan, Target
from bot.plan_notices import tell_carers
from bot.plans import (
    MAX_TARGETS,
    PlanError,
    add_goal,
    custom_target,
    open_goals,
    plan_on,
    set_plan,
    specs_for_draft,
)
from bot.staff import StaffMember, family_for
from handlers import NEW_MESSAGES, STAFF_GROUP, replies
from handlers.replies import send_soon
from handlers.staff_access import (
    family_entry,
    reachable_family,
    refuse,
    say,
    staff_only,
)

log = logging.getLogger(__name__)

DRAFT = "staff_plan"
CUSTOM = "staff_plan_custom"
GOAL = "staff_plan_goal"
CUSTOM_STEPS = ("target", "what", "tip")


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


def _today(context: BotContext, family: Family) -> date:
    return local_date(context.clock.now(), family.timezone)


async def _open(update: Update, context: BotContext, member: StaffMember, family_id: int) -> None:
    """A fresh draft: the plan in force today, every target kept."""
    family = await reachable_family(update, context, member, family_id, action="view_plan")
    if family is None:
        return
    draft = await _fresh_draft(context, family)
    await _save_draft(context, member, DRAFT, draft)
    await _show(update, context, family, draft)


async def _fresh_draft(context: BotContext, family: Family) -> dict[str, Any]:
    async with context.db() as session:
        plan = await plan_on(session, family.id, _today(context, family))
        items = [
            {"keep": target.id, "title": target.title, "goal": target.goal_id}
            for target in (plan.targets if plan else [])
        ]
    return {"family_id": family.id, "items": items}


async def _save_draft(
    context: BotContext, member: StaffMember, what: str, draft: dict[str, Any]
) -> None:
    async with context.db() as session:
        await conversation.expect(session, context.clock, member.telegram_user_id or 0, what, draft)


async def _load_draft(context: BotContext, member: StaffMember, family: Family) -> dict[str, Any]:
    """The draft for this family, or a fresh one when it expired or was for another family."""
    async with context.db() as session:
        state = await conversation.awaiting(session, member.telegram_user_id or 0)
    if state is not None and state.data.get("family_id") == family.id:
        return state.data
    return await _fresh_draft(context, family)


async def _show(
    update: Update, context: BotContext, family: Family, draft: dict[str, Any], note: str = ""
) -> None:
    texts = context.texts
    async with context.db() as session:
        plan = await plan_on(session, family.id, _today(context, family))
        current = [(target.title, target.goal_id) for target in (plan.targets if plan else [])]
        goals = {goal.id: goal.text for goal in await open_goals(session, family.id)}
        next_steps = _next_steps(context, plan, draft)
    items = draft["items"]
    rows: list[list[InlineKeyboardButton]] = [
        [_button(texts.label("plan_drop", index + 1), callbacks.plan(family.id, "drop", index))]
        for index in range(len(items))
    ]
    for index, title in next_steps:
        rows.append(
            [
                _button(
                    texts.label("plan_next", index + 1, title),
                    callbacks.plan(family.id, "next", index),
                )
            ]
        )
    if len(items) < MAX_TARGETS:
        rows.append(
            [
                _button(texts.label("plan_library"), callbacks.plan(family.id, "area")),
                _button(texts.label("plan_custom"), callbacks.plan(family.id, "custom")),
            ]
        )
    rows.append([_button(texts.label("plan_goals"), callbacks.plan(family.id, "goals"))])
    if items:
        rows.append(
            [
                _button(
                    texts.label("plan_save_tomorrow"), callbacks.plan(family.id, "save", "tomorrow")
                ),
                _button(texts.label("plan_save_today"), callbacks.plan(family.id, "save", "today")),
            ]
        )
    await say(
        update,
        context,
        texts.render(
            "visitor/plan.html.j2",
            child_name=family.child_name,
            family_id=family.id,
            current=current,
            items=items,
            goals=goals,
            starts_on=plan.starts_on if plan else None,
            note=note,
            max_targets=MAX_TARGETS,
        ),
        InlineKeyboardMarkup(rows),
    )


def _next_steps(
    context: BotContext, plan: Plan | None, draft: dict[str, Any]
) -> list[tuple[int, str]]:
    """(index in the draft, next step's title) for kept targets the library has a next step for."""
    library = context.services.library
    targets = {target.id: target for target in (plan.targets if plan else [])}
    steps = []
    for index, item in enumerate(draft["items"]):
        target = targets.get(item.get("keep", -1))
        following = library.next_step(target.activity_id) if target else None
        if following is not None:
            steps.append((index, following.title))
    return steps


@dataclass
class PlanStep:
    """Handling one tap on the plan's buttons: the family it was checked against and the draft."""

    update: Update
    context: BotContext
    member: StaffMember
    family: Family
    draft: dict[str, Any]

    @property
    def items(self) -> list[dict[str, Any]]:
        return self.draft["items"]

    def index(self, arg: str | None) -> int | None:
        """A position in the draft, from the button's data, if there is one."""
        ok = arg is not None and arg.isdigit() and int(arg) < len(self.items)
        return int(arg) if ok and arg is not None else None

    async def show(self) -> None:
        await _save_draft(self.context, self.member, DRAFT, self.draft)
        await _show(self.update, self.context, self.family, self.draft)

    async def say(
        self, template: str, markup: InlineKeyboardMarkup | None = None, **values: Any
    ) -> None:
        await say(self.update, self.context, self.context.texts.render(template, **values), markup)


async def plan_tapped(update: Update, context: BotContext, member: StaffMember) -> None:
    query = update.callback_query
    assert query is not None
    tap = callbacks.parse_plan(query.data)
    if tap is None:
        await refuse(update, context)
        return
    family = await reachable_family(update, context, member, tap.family_id, action=f"plan_{tap.op}")
    if family is None:
        return
    draft = await _load_draft(context, member, family)
    handle = PLAN_STEPS.get(tap.op)
    if handle is None or not await handle(
        PlanStep(update, context, member, family, draft), tap.arg
    ):
        await query.answer(context.texts.label("tap_stale"))


async def _step_show(step: PlanStep, arg: str | None) -> bool:
    await step.show()
    return True


async def _step_drop(step: PlanStep, arg: str | None) -> bool:
    index = step.index(arg)
    if index is None:
        return False
    step.items.pop(index)
    await step.show()
    return True


async def _step_next(step: PlanStep, arg: str | None) -> bool:
    index = step.index(arg)
    if index is not None:
        await _take_next_step(
            step.update, step.context, step.member, step.family, step.draft, index
        )
    return index is not None


async def _step_area(step: PlanStep, arg: str | None) -> bool:
    """No area yet: the areas. An area: its activities."""
    texts, family_id = step.context.texts, step.family.id
    if arg is None:
        rows = [
            [
                _button(
                    texts.label(f"area_{area.value}"), callbacks.plan(family_id, "area", area.value)
                )
            ]
            for area in Area
        ]
        rows.append([_button(texts.label("plan_back"), callbacks.plan(family_id, "show"))])
        await step.say(
            "visitor/pick_area.html.j2",
            InlineKeyboardMarkup(rows),
            child_name=step.family.child_name,
        )
        return True
    if arg not in {area.value for area in Area}:
        return False
    activities = step.context.services.library.in_area(Area(arg))
    rows = [
        [_button(activity.title, callbacks.plan(family_id, "act", activity.id))]
        for activity in activities
    ]
    rows.append([_button(texts.label("plan_back"), callbacks.plan(family_id, "area"))])
    await step.say(
        "visitor/pick_activity.html.j2", InlineKeyboardMarkup(rows), area=arg, activities=activities
    )
    return True


async def _step_activity(step: PlanStep, arg: str | None) -> bool:
    activity = step.context.services.library.get(arg or "")
    if activity is None or len(step.items) >= MAX_TARGETS:
        return False
    step.items.append({"activity": activity.id, "title": activity.title, "goal": None})
    await _ask_goal_or_show(step.update, step.context, step.member, step.family, step.draft)
    return True


async def _step_goal(step: PlanStep, arg: str | None) -> bool:
    if arg is None or not arg.isdigit() or not step.items:
        return False
    await _set_item_goal(step.update, step.context, step.member, step.family, step.draft, int(arg))
    return True


async def _step_custom(step: PlanStep, arg: str | None) -> bool:
    if len(step.items) >= MAX_TARGETS:
        return False
    step.draft["custom"] = {}
    await _save_draft(step.context, step.member, CUSTOM, step.draft)
    await step.say("visitor/custom_ask.html.j2", step="target")
    return True


async def _step_goals(step: PlanStep, arg: str | None) -> bool:
    await _show_goals(step.update, step.context, step.family)
    return True


async def _step_add_goal(step: PlanStep, arg: str | None) -> bool:
    await _save_draft(step.context, step.member, GOAL, step.draft)
    await step.say("visitor/ask_goal.html.j2", child_name=step.family.child_name)
    return True


async def _step_save(step: PlanStep, arg: str | None) -> bool:
    if arg not in ("today", "tomorrow") or not step.items:
        return False
    await _save_plan(
        step.update,
        step.context,
        step.member,
        step.family,
        step.draft,
        starts_tomorrow=arg == "tomorrow",
    )
    return True


PLAN_STEPS: dict[str, Callable[[PlanStep, str | None], Awaitable[bool]]] = {
    "show": _step_show,
    "drop": _step_drop,
    "next": _step_next,
    "area": _step_area,
    "act": _step_activity,
    "goal": _step_goal,
    "custom": _step_custom,
    "goals": _step_goals,
    "addgoal": _step_add_goal,
    "save": _step_save,
}


async def _ask_goal_or_show(
    update: Update,
    context: BotContext,
    member: StaffMember,
    family: Family,
    draft: dict[str, Any],
) -> None:
    await _save_draft(context, member, DRAFT, draft)
    async with context.db() as session:
        goals = [(goal.id, goal.text) for goal in await open_goals(session, family.id)]
    if not goals:
        await _show(update, context, family, draft)
        return
    rows = [
        [
            _button(
                context.texts.label("goal_button", text), callbacks.plan(family.id, "goal", goal_id)
            )
        ]
        for goal_id, text in goals
    ]
    rows.append([_button(context.texts.label("goal_none"), callbacks.plan(family.id, "goal", 0))])
    await say(
        update,
        context,
        context.texts.render("visitor/pick_goal.html.j2", title=draft["items"][-1]["title"]),
        InlineKeyboardMarkup(rows),
    )


async def _set_item_goal(
    update: Update,
    context: BotContext,
    member: StaffMember,
    family: Family,
    draft: dict[str, Any],
    goal_id: int,
) -> None:
    async with context.db() as session:
        goal_ids = {goal.id for goal in await open_goals(session, family.id)}
    if goal_id and goal_id not in goal_ids:
        await refuse(update, context)
        return
    draft["items"][-1]["goal"] = goal_id or None
    await _save_draft(context, member, DRAFT, draft)
    await _show(update, context, family, draft)


async def _take_next_step(
    update: Update,
    context: BotContext,
    member: StaffMember,
    family: Family,
    draft: dict[str, Any],
    index: int,
) -> None:
    library = context.services.library
    item = draft["items"][index]
    async with context.db() as session:
        target = await session.get(Target, item.get("keep", -1))
        plan = await session.get(Plan, target.plan_id) if target else None
    following = library.next_step(target.activity_id) if target else None
    if plan is None or plan.family_id != family.id or following is None:
        await refuse(update, context)
        return
    draft["items"][index] = {
        "activity": following.id,
        "title": following.title,
        "goal": item.get("goal"),
    }
    await _save_draft(context, member, DRAFT, draft)
    await _show(update, context, family, draft)


async def _show_goals(update: Update, context: BotContext, family: Family) -> None:
    async with context.db() as session:
        goals = await open_goals(session, family.id)
        listed = [(goal.text, goal.set_on, goal.review_on) for goal in goals]
    rows = [
        [_button(context.texts.label("goal_add"), callbacks.plan(family.id, "addgoal"))],
        [_button(context.texts.label("plan_back"), callbacks.plan(family.id, "show"))],
    ]
    await say(
        update,
        context,
        context.texts.render(
            "visitor/goals.html.j2",
            child_name=family.child_name,
            goals=listed,
            today=_today(context, family),
        ),
        InlineKeyboardMarkup(rows),
    )


async def _save_plan(
    update: Update,
    context: BotContext,
    member: StaffMember,
    family: Family,
    draft: dict[str, Any],
    *,
    starts_tomorrow: bool,
    in_place: bool = True,
) -> None:
    """Save the draft as the new plan. `in_place` edits the tapped message; from a summary, the
    summary stays as it was and the confirmation comes as a new message."""
    today = _today(context, family)
    starts_on = today + timedelta(days=1) if starts_tomorrow else today
    try:
        async with context.db() as session:
            specs = await specs_for_draft(
                session, context.services.library, family_id=family.id, items=draft["items"]
            )
        async with context.db() as session:
            earlier = await plan_on(session, family.id, today)
            earlier_titles = [target.title for target in (earlier.targets if earlier else [])]
            plan = await set_plan(
                session, context.clock, family_id=family.id, targets=specs, starts_on=starts_on
            )
            await family_for(session, context.clock, member, family.id, action="plan_saved")
            told = await tell_carers(
                session,
                context.clock,
                context.texts,
                family=family,
                plan=plan,
                earlier_titles=earlier_titles,
                today=today,
            )
            await conversation.clear(session, member.telegram_user_id or 0)
    except PlanError:
        log.warning("staff %s: plan for family %s could not be saved", member.id, family.id)
        await _show(update, context, family, await _fresh_draft(context, family), note="not_saved")
        return
    log.info("staff %s set a plan for family %s from %s", member.id, family.id, starts_on)
    send_soon(context)
    text = context.texts.render(
        "visitor/plan_saved.html.j2",
        child_name=family.child_name,
        titles=[spec.content.title for spec in specs],
        starts_on=starts_on,
        told=told,
    )
    if in_place or update.callback_query is None:
        await say(update, context, text)
    else:
        await update.callback_query.answer()
        await replies.send(update.callback_query, text)


async def next_step_tapped(update: Update, context: BotContext, member: StaffMember) -> None:
    """From a summary: replace a target whose aim is met by the library's next step."""
    query = update.callback_query
    assert query is not None
    tap = callbacks.parse_next_step(query.data)
    async with context.db() as session:
        target = await session.get(Target, tap[0]) if tap else None
        plan = await session.get(Plan, target.plan_id) if target else None
        family_id = plan.family_id if plan else -1
    family = await reachable_family(update, context, member, family_id, action="next_step")
    if family is None or tap is None or target is None:
        return
    library = context.services.library
    activity = library.get(target.activity_id) if target.activity_id else None
    following = library.get(tap[1])
    async with context.db() as session:
        in_force = await plan_on(session, family.id, _today(context, family))
    if activity is None or following is None or following.id not in activity.next:
        await refuse(update, context)
        return
    if in_force is None or target.id not in {t.id for t in in_force.targets}:
        await query.answer(context.texts.label("next_step_stale"), show_alert=True)
        return
    items = [
        {"keep": t.id, "title": t.title, "goal": t.goal_id}
        if t.id != target.id
        else {"activity": following.id, "title": following.title, "goal": t.goal_id}
        for t in in_force.targets
    ]
    draft = {"family_id": family.id, "items": items}
    await _save_plan(update, context, member, family, draft, starts_tomorrow=True, in_place=False)


async def typed_custom(
    update: Update, context: BotContext, member: StaffMember, draft: dict[str, Any]
) -> None:
    """The visitor's own target, typed in three answers: the small step, what to do, a tip."""
    assert update.message is not None and update.message.text is not None
    text = "\n".join(" ".join(line.split()) for line in update.message.text.strip().splitlines())
    custom: dict[str, Any] = draft.setdefault("custom", {})
    step = next(step for step in CUSTOM_STEPS if step not in custom)
    if step != "what":
        text = " ".join(text.split())
    limits = {"target": (5, 160), "what": (3, 110 * 5), "tip": (1, 140)}
    low, high = limits[step]
    if step == "tip" and text.lower() in ("-", "skip", "no"):
        text = ""
    elif not low <= len(text) <= high:
        await update.message.reply_html(
            context.texts.render("visitor/custom_bad.html.j2", step=step, low=low, high=high)
        )
        return
    custom[step] = text
    if step != "tip":
        await _save_draft(context, member, CUSTOM, draft)
        following = CUSTOM_STEPS[CUSTOM_STEPS.index(step) + 1]
        await update.message.reply_html(
            context.texts.render("visitor/custom_ask.html.j2", step=following)
        )
        return
    content = custom_target(
        custom["target"],
        custom["what"],
        custom["tip"],
        criterion_text=context.texts.label("custom_criterion"),
    )
    del draft["custom"]
    draft["items"].append({"custom": content.model_dump(), "title": content.title, "goal": None})
    async with context.db() as session:
        family = await family_for(
            session, context.clock, member, draft["family_id"], action="plan_custom"
        )
        if family is not None:
            session.expunge(family)
    if family is None:
        await refuse(update, context)
        return
    await _ask_goal_or_show(update, context, member, family, draft)


async def typed_goal(
    update: Update, context: BotContext, member: StaffMember, draft: dict[str, Any]
) -> None:
    assert update.message is not None and update.message.text is not None
    family_id = draft.get("family_id", -1)
    try:
        async with context.db() as session:
            family = await family_for(session, context.clock, member, family_id, action="add_goal")
            if family is not None:
                await add_goal(
                    session,
                    context.clock,
                    family_id=family.id,
                    text=update.message.text,
                    today=_today(context, family),
                )
                session.expunge(family)
    except PlanError:
        await update.message.reply_html(context.texts.render("visitor/bad_goal.html.j2"))
        return
    if family is None:
        await refuse(update, context)
        return
    await _save_draft(context, member, DRAFT, draft)
    await _show_goals(update, context, family)


def register(app: BotApplication) -> None:
    command, picked = family_entry("plan", _open)
    app.add_handler(
        CommandHandler("plan", staff_only(command), filters=NEW_MESSAGES), group=STAFF_GROUP
    )
    app.add_handler(
        CallbackQueryHandler(staff_only(picked), pattern=r"^sf1:plan:"), group=STAFF_GROUP
    )
    app.add_handler(
        CallbackQueryHandler(staff_only(plan_tapped), pattern=callbacks.PLAN_PREFIX),
        group=STAFF_GROUP,
    )
    app.add_handler(
        CallbackQueryHandler(staff_only(next_step_tapped), pattern=callbacks.NEXT_STEP_PREFIX),
        group=STAFF_GROUP,
    )
