"""What the requester sees when fitbot cannot post in the channel they asked from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.presentation.mrkdwn import truncate

MESSAGE_BLOCK_LIMIT = 50

WHY = {
    "not_in_channel": "I'm not a member there and can't join it by myself (private channels need an invitation)",
    "channel_not_found": "I'm not a member there (private channels need an invitation)",
    "is_archived": "the channel is archived",
    "restricted_action": "the workspace doesn't let apps post there",
}


def fallback_dm(channel_id: str, error: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The original message, sent to the requester by DM, led by a line saying why and what to do."""
    reason = WHY.get(error, f"Slack answered `{error}`")
    note = SectionBlock(text=MarkdownTextObject(text=(
        f":warning: I couldn't post this in <#{channel_id}>: {reason}. "
        "Invite me with `/invite @fitbot` to have future results posted there."
    )))
    blocks = [note.to_dict(), *payload.get("blocks", [])][:MESSAGE_BLOCK_LIMIT]
    text = truncate(f"Couldn't post in the channel, so here it is: {payload.get('text', '')}", 4000)
    return {**payload, "text": text, "blocks": blocks}
