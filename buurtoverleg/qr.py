"""QR codes for print and screen: invite cards, ballots, the check-in and the meeting pack."""

from __future__ import annotations

import segno


def qr_data_uri(url: str) -> str:
    """A QR code as an SVG data URI: sharp at any print size, and no file to serve."""
    return segno.make(url, error="m", micro=False).svg_data_uri(border=2, omitsize=True)
