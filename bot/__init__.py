"""Portage companion bot: the activity chart and diary carried between home visits."""
