"""The onboarding domain: checklist template and nudge schedule. No Slack, no SQL."""
