"""Auto-graded checks for the course: each one asks the live model, never a stored answer.

One module per course topic; this package re-exports every check, so a
notebook writes ``from k8sedu.checks import check_fqdn``. ``base`` holds
what they share: ``CheckFailed`` (the mistake and a hint for it),
``NotAnswered`` (the answer is still ``...``) and the "✓" pass line.

=====================  ==========================================================
notebook               checks
=====================  ==========================================================
01 why Services        ``check_stable_address``
02 Service types       ``check_nodeport_command``
03 scenarios           ``check_metallb_pool``
04 FQDNs and DNS       ``check_one_query_name``
05 service discovery   ``check_scaled_service``, ``check_fqdn``, ``check_query_count``, ``check_probability``
06 under the hood      ``check_sep_chain``
07/08 Ingress          ``check_conversion_ingress``, ``check_ingress_class``
09 Ingress vs LB       ``check_load_balancer_count``
=====================  ==========================================================
"""

from k8sedu.checks.base import CheckFailed, NotAnswered
from k8sedu.checks.comparison import check_load_balancer_count
from k8sedu.checks.discovery import check_fqdn, check_probability, check_query_count, check_scaled_service
from k8sedu.checks.dns import check_one_query_name
from k8sedu.checks.ingress import check_conversion_ingress, check_ingress_class
from k8sedu.checks.scenarios import check_metallb_pool
from k8sedu.checks.service_types import check_nodeport_command
from k8sedu.checks.under_the_hood import check_sep_chain
from k8sedu.checks.why_services import check_stable_address

__all__ = ["CheckFailed", "NotAnswered", "check_conversion_ingress", "check_fqdn", "check_ingress_class",
           "check_load_balancer_count", "check_metallb_pool", "check_nodeport_command", "check_one_query_name",
           "check_probability", "check_query_count", "check_scaled_service", "check_sep_chain",
           "check_stable_address"]
