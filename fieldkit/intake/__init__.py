"""Intake at the practitioner's table: intent timers, surveys, what is kept about a person, exports.

Modules: `timers`, `surveys`, `privacy` (links and free text only under the sharing
consent), `export` (de-identified CSV).
"""
