"""The roles a laptop of the event can have: named once, used everywhere."""

COORDINATOR = "coordinator"
DESK = "desk"
PRACTITIONER = "practitioner"
ROLES = (COORDINATOR, DESK, PRACTITIONER)
