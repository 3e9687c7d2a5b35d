"""Callback, block and action ids shared by the builders and the handlers that parse them."""

TRIAGE_CALLBACK_ID = "fit_triage"
ANSWER_ACTION_ID = "answer"
