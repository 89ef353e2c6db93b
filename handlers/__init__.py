"""Telegram update handlers: one module per conversation a user has with the bot.

Handler groups: -2 `access` (who is this, may they go on), -1 the visitors' and managers'
conversations (each does nothing for a parent, so the parent's groups run next), 0 `awaiting`
(typed answers the bot asked a parent for), 1 the parent's conversations in registration order,
where the first matching handler wins and the fallbacks come last.
"""

from telegram.ext import filters

ACCESS_GROUP = -2
STAFF_GROUP = -1
AWAITING_GROUP = 0
CONVERSATION_GROUP = 1

# Commands answer new messages only: editing an old message into "/stop" is an edit, not a command.
NEW_MESSAGES = filters.UpdateType.MESSAGE
