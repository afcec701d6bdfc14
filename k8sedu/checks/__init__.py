"""Auto-graded checks for the course: each one asks the live model, never a stored answer.

One module per course topic; a notebook imports from its topic's module
(``from k8sedu.checks.dns import check_one_query_name``), and this package
re-exports the checks the course notebooks use. ``base`` holds what they all
share: ``CheckFailed`` (the mistake and a hint for it), ``NotAnswered`` (the
answer is still ``...``), the pass line, and ``@check``, which shows a styled
verdict in a learner's kernel and raises under grading (``K8SEDU_GRADING=1``).
``ingress_traffic`` holds what the two Ingress modules share.

======================  ======================  ====================================================================
notebook                module                  checks
======================  ======================  ====================================================================
00 start here           ``start``               deployment command, fixed manifest, why pods wait, seconds
01 why Services         ``why_services``        stable address, expose, fixed Service, traffic share
02 Service types        ``service_types``       NodePort command, expose, NodePort manifest, who reaches what
03 scenarios            ``scenarios``           MetalLB pool, Service manifest, LB pool, ExternalName
04 FQDNs and DNS        ``dns``                 one-query name, config host (query count: ``discovery``)
05 service discovery    ``discovery``           scaling, FQDN, query count, probability
06 under the hood       ``under_the_hood``      KUBE-SEP chain, rule probability, terminating conditions, PTR
07 Ingress              ``ingress``             Ingress manifests, hosts, path predictions
08 Ingress controllers  ``ingress_controller``  IngressClass, installing the controller, a class fix, create ingress
09 Ingress vs LB        ``comparison``          load balancer count, monthly saving, third service, TCP
======================  ======================  ====================================================================
"""

from k8sedu.checks.base import CheckFailed, NotAnswered
from k8sedu.checks.comparison import check_load_balancer_count
from k8sedu.checks.discovery import check_fqdn, check_probability, check_query_count, check_scaled_service
from k8sedu.checks.dns import check_one_query_name
from k8sedu.checks.ingress import check_conversion_ingress
from k8sedu.checks.ingress_controller import check_ingress_class
from k8sedu.checks.scenarios import check_metallb_pool
from k8sedu.checks.service_types import check_nodeport_command
from k8sedu.checks.under_the_hood import check_sep_chain
from k8sedu.checks.why_services import check_stable_address

__all__ = ["CheckFailed", "NotAnswered", "check_conversion_ingress", "check_fqdn", "check_ingress_class",
           "check_load_balancer_count", "check_metallb_pool", "check_nodeport_command", "check_one_query_name",
           "check_probability", "check_query_count", "check_scaled_service", "check_sep_chain",
           "check_stable_address"]
