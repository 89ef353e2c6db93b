"""Telegram update handlers: one module per conversation a user has with the bot.

Handler groups: -1 `access` (who is this, may they go on), 0 `awaiting` (typed answers the bot
asked for), 1 everything else in registration order, where the first matching handler wins and
the fallbacks come last.
"""

from telegram.ext import filters

ACCESS_GROUP = -1
AWAITING_GROUP = 0
CONVERSATION_GROUP = 1

# Commands answer new messages only: editing an old message into "/stop" is an edit, not a command.
NEW_MESSAGES = filters.UpdateType.MESSAGE
