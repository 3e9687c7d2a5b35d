"""The triage domain: questionnaire, recommendation engine, timezone overlap. No Slack, no SQL."""
