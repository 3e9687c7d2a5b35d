"""Thin Slack listeners: parse the payload, call the domain, answer with Block Kit."""

from slack_bolt import App

from handlers import actions, commands, events, views


def register(app: App) -> None:
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
