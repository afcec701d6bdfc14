"""Auto-graded checks for the course: each one asks the live model, never a stored answer.

One module per course topic (``discovery`` for notebook 05, ...); this
package re-exports every check, so a notebook writes
``from k8sedu.checks import check_fqdn``. ``base`` holds what they share:
``CheckFailed`` (the mistake and a hint for it), ``NotAnswered`` (the answer
is still ``...``) and the "✓" pass line.
"""

from k8sedu.checks.base import CheckFailed, NotAnswered
from k8sedu.checks.discovery import check_fqdn, check_probability, check_query_count, check_scaled_service

__all__ = ["CheckFailed", "NotAnswered", "check_fqdn", "check_probability", "check_query_count",
           "check_scaled_service"]
