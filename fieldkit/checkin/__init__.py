"""Check-in at the desk: admitting people by pass, name or as walk-ins, and their passes."""

from fieldkit.checkin.desk import Attendee, CheckinRefused, CheckinResult, Desk, describe

__all__ = ["Attendee", "CheckinRefused", "CheckinResult", "Desk", "describe"]
