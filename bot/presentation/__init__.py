"""Block Kit for every surface fitbot shows. Built with slack_sdk.models so Slack's limits are checked here."""
