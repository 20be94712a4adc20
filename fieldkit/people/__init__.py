"""People and their registrations: the registry, imports from ticketing platforms, contact details."""

from fieldkit.people.registry import Person, Registration, add_person, add_registration, find_people, get_person

__all__ = ["Person", "Registration", "add_person", "add_registration", "find_people", "get_person"]
