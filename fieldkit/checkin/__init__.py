"""Check-in at the desk: admitting people by pass, name or as walk-ins, and their passes."""

from fieldkit.checkin.desk import CheckinRefused, CheckinResult, Desk, describe
from fieldkit.checkin.lookup import Admission, Attendee, Party

__all__ = ["Admission", "Attendee", "CheckinRefused", "CheckinResult", "Desk", "Party", "describe"]
